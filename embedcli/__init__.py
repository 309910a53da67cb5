"""embedcli: see and own word embeddings.

The Python API (documented in the README, "Python API")::

    import embedcli
    emb = embedcli.load("models/default")          # Embeddings (or Classifier for a classifier)
    emb["god"], emb.most_similar("god", topn=5)
    emb = embedcli.train(["a sentence", "another one"], dim=50, min_count=1)
    vocab = embedcli.Vocab.build(["Hope to see you soon"])

Public names: :func:`load`, :func:`train`, :class:`Embeddings`, :class:`Vocab`,
:class:`Classifier`, :class:`TrainSettings`, and the errors :class:`EmbedcliError`,
:class:`ParameterError`, :class:`UnknownWordError`. They are imported on first use, so that
``import embedcli`` (and the command line, ``embedcli.cli``) stays cheap.
"""

import sys as _sys
import types as _types

__version__ = "0.1.0"

_EXPORTS = {
    "load": ("api", "load"),
    "train": ("api", "train"),
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


class _Package(_types.ModuleType):
    """``embedcli.train`` is the function, though ``embedcli/train/`` is also a subpackage: importing
    a submodule normally binds it as an attribute of its parent package, which would replace the
    function. Here it does not. Submodules import as usual (``from embedcli.train import run``,
    ``from embedcli.train.run import train_model``); only the spelling
    ``import embedcli.train.run as m`` (which reads the attribute) is not available."""

    def __setattr__(self, name, value):
        if name in _EXPORTS and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
