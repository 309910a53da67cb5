"""embedcli: see and own word embeddings.

The Python API (documented in the README, "Python API")::

    import embedcli
    emb = embedcli.load("models/default")          # Embeddings (or Classifier for a classifier)
    emb["god"], emb.most_similar("god", topn=5)
    emb = embedcli.train(["a sentence", "another one"], dim=50, min_count=1)
    vocab = embedcli.Vocab.build(["Hope to see you soon"])

Public names: :func:`load`, :func:`train`, :func:`describe`, :class:`Embeddings`, :class:`Vocab`,
:class:`Classifier`, :class:`TrainSettings`, and the errors :class:`EmbedcliError`,
:class:`ParameterError`, :class:`UnknownWordError`. They are imported on first use, so that
``import embedcli`` (and the command line, ``embedcli.cli``) stays cheap.
"""

__version__ = "0.1.0"

_EXPORTS = {
    "load": ("api", "load"),
    "train": ("api", "train"),
    "describe": ("info", "describe"),
    "Embeddings": ("embeddings", "Embeddings"),
    "Vocab": ("vocab", "Vocab"),
    "Classifier": ("classify", "Classifier"),
    "TrainSettings": ("config", "TrainSettings"),
    "EmbedcliError": ("errors", "EmbedcliError"),
    "ParameterError": ("errors", "ParameterError"),
    "UnknownWordError": ("errors", "UnknownWordError"),
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name):
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'embedcli' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{target[0]}"), target[1])
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))

