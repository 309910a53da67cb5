"""The Python API's entry points: :func:`load` a model, :func:`train` one.

``embedcli train`` goes through :func:`run_training` as well, so a table trained here is the
table the command line trains for the same text, settings, seed and workers, byte for byte.
"""

from __future__ import annotations

import os
from typing import Callable

from . import config as cfg
from .embeddings import Embeddings
from .errors import ParameterError, check_callback
from .model import Model
from .sources import Texts, is_paths, resolve_tables, text_files
from .vocab import Vocab

CLASSIFY = "classify"


def load(path: str | os.PathLike):
    """Load a model directory: :class:`~embedcli.Embeddings` for word vectors (skip-gram, CBOW),
    :class:`~embedcli.Classifier` for a classifier (``objective: classify``); or a pretrained
    vector file (word2vec text or binary, GloVe) as :class:`~embedcli.Embeddings`."""
    from .embeddings import is_vector_file

    if is_vector_file(path):
        return Embeddings.from_vector_file(path)
    model = Model.load(path)
    if model.objective == CLASSIFY:
        from .classify import Classifier

        return Classifier(model)
    return Embeddings.from_model(model)


def run_training(
    settings: cfg.TrainSettings,
    *,
    callback: Callable[[dict], None] | None = None,
    corpus_progress: Callable[[int], None] | None = None,
    init_progress: Callable[[int], None] | None = None,
    make_parent: bool = False,
):
    """Train with resolved and validated ``settings`` (any objective); save to
    ``settings.output`` unless it is ``None``. Returns a :class:`embedcli.sgd.run.TrainResult`
    (skip-gram, CBOW) or a :class:`embedcli.classify.run.ClassifierResult` (its subclass), both with
    ``.model`` and ``.summary()``."""
    if settings.objective == CLASSIFY:
        from .classify.run import train_run

        return train_run(settings, callback=callback, corpus_progress=corpus_progress, make_parent=make_parent,
                         init_progress=init_progress)
    from .sgd.run import train_model

    return train_model(settings, callback=callback, corpus_progress=corpus_progress,
                       make_parent=make_parent, init_progress=init_progress)


def dry_run(settings: cfg.TrainSettings, *, corpus_progress: Callable[[int], None] | None = None) -> dict:
    """What a run with ``settings`` would cost (``embedcli train --dry-run``): the vocabulary and
    table sizes, the training words, and the time estimated from a short calibration run. Nothing
    is trained or written."""
    from .sgd.run import dry_run as estimate

    return estimate(settings, corpus_progress=corpus_progress)


def resume(model_dir: str | os.PathLike, settings: cfg.TrainSettings, *,
           callback: Callable[[dict], None] | None = None, corpus_progress: Callable[[int], None] | None = None):
    """Continue the training of a checkpointed model directory (``embedcli train --resume``) with
    its saved ``settings``; the table is the one an uninterrupted run gives."""
    if settings.objective == CLASSIFY:
        raise ParameterError("{resume} is not available with {objective} classify (a classifier trains in one go)",
                             "resume", "objective")
    from .sgd.run import resume_model

    return resume_model(os.fspath(model_dir), settings, callback=callback, corpus_progress=corpus_progress)


def train(
    corpus: Texts,
    objective: str | None = None,
    dim: int | None = None,
    *,
    window: int | None = None,
    negative: int | None = None,
    ns_exponent: float | None = None,
    sample: float | None = None,
    epochs: int | None = None,
    lr: float | None = None,
    min_lr: float | None = None,
    min_count: int | None = None,
    max_size: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    batch_words: int | None = None,
    round_batches: int | None = None,
    order: str | None = None,
    word_ngrams: int | None = None,
    subwords: int | str | None = None,
    buckets: int | None = None,
    label_prefix: str | None = None,
    vocab: Vocab | str | os.PathLike | None = None,
    init: str | os.PathLike | None = None,
    freeze: bool | None = None,
    continue_from: "str | os.PathLike | Embeddings | None" = None,
    lower: bool | None = None,
    keep_punct: bool | None = None,
    encoding_errors: str | None = None,
    input_format: str | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    checkpoint_every: int | None = None,
    output: str | os.PathLike | None = None,
    tmp_dir: str | os.PathLike | None = None,
    progress: Callable[[dict], None] | None = None,
    **unknown,
):
    """Train word vectors (``objective`` ``"skipgram"``, the default, or ``"cbow"``) or a classifier
    (``"classify"``, fastText-format ``__label__`` lines) of ``dim`` (default 100) and return
    :class:`~embedcli.Embeddings` or :class:`~embedcli.Classifier`.

    ``corpus``: a file path, a list of ``pathlib.Path``, or any iterable of strings (one
    sentence per string: a list, a generator, a pandas Series) or of token lists (gensim's
    ``[["hope", "to", "see"], ...]``; see :mod:`embedcli.sources`). The
    settings are those of ``embedcli train`` (``None``: its default for the objective, e.g.
    ``lr`` 0.05 for skip-gram and CBOW, as fastText; ``sample`` 1e-3, for skip-gram with ``subwords`` 4e-4; ``ns_exponent``, the negatives'
    unigram^x, 0.75 as word2vec, for skip-gram with ``subwords`` fastText's 0.5); ``workers=None`` uses every core. The result is
    kept in memory; with ``output`` it is also saved there as a model directory. For the same
    text, settings, ``seed`` and ``workers`` the table has the same bytes as
    ``embedcli train FILE``. ``progress`` receives the trainer's per-batch events (dicts with
    ``epoch``, ``words``, ``loss``, ``lr`` ...). ``tmp_dir``: where temporary files go (the strings
    of ``corpus``, the corpus ids). ``subwords="3-6"``: character n-grams of 3 to 6 characters in
    ``buckets`` hash rows (default: the vocabulary's distinct n-grams), so that any word gets a
    vector (see :mod:`embedcli.subwords`). Files ending in .csv, .tsv or .jsonl (or any file,
    with ``input_format``) are tables, read as their ``text_column`` (and for a classifier their
    ``label_column``), as ``embedcli train`` reads them. A bad value raises
    :class:`~embedcli.errors.ParameterError` naming the parameter; a gensim or fastText name
    (``vector_size``, ``alpha``) a TypeError saying embedcli's.

    ``continue_from``: a trained model to train further on ``corpus`` (gensim's
    ``build_vocab(update=True)`` and ``train`` on a loaded model), as a directory or as the
    :class:`~embedcli.Embeddings` this function returned: its settings are the defaults, its words
    keep their ids and both their rows, the corpus's new words are added after them, and
    ``epochs`` more epochs run with a learning rate from ``lr`` down to ``min_lr``.

    >>> emb = embedcli.train(sentences, epochs=5)  # doctest: +SKIP
    >>> emb = embedcli.train(more_sentences, continue_from=emb, epochs=3)  # doctest: +SKIP
    """
    if unknown:
        key = next(iter(unknown))
        raise TypeError(f"train() got an unexpected keyword argument {key!r}{cfg.key_hint(key)}")
    vocab_obj = vocab if isinstance(vocab, Vocab) else None
    base = None  # the model to continue, when it is in memory (Embeddings that embedcli.train returned)
    if isinstance(continue_from, Embeddings):  # (sgd.run.load_continued checks it can be continued)
        base = continue_from.model
        # its settings are its config in memory, not those of the directory it was saved to or loaded
        # from, which may hold another model since (or nothing)
        continue_from = None
    elif continue_from is not None and not isinstance(continue_from, (str, os.PathLike)):
        raise ParameterError("{continue_from}: expected a model directory or Embeddings, got {got}", "continue_from",
                             got=type(continue_from).__name__)
    check_callback(progress)
    if vocab is not None and vocab_obj is None and not isinstance(vocab, (str, os.PathLike)):
        raise ParameterError("{vocab}: expected a Vocab or a vocabulary file, got {got}" + (
            " (its vocabulary is .vocab)" if isinstance(vocab, Embeddings) else ""), "vocab", got=type(vocab).__name__)
    for key, value in (("output", output), ("tmp_dir", tmp_dir)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise ParameterError("{%s}: expected a directory path, got {got}" % key, key, got=type(value).__name__)
    if init is not None and not isinstance(init, (str, os.PathLike)):
        raise ParameterError("{init}: expected a vector file or a model directory, got {got}" + (
            " (give the file or directory it was loaded from, or save it first)" if isinstance(init, Embeddings)
            else ""), "init", got=type(init).__name__)
    overrides = {
        "objective": objective, "dim": dim, "window": window, "negative": negative, "ns_exponent": ns_exponent,
        "sample": sample,
        "epochs": epochs, "lr": lr, "min_lr": min_lr, "min_count": min_count, "max_size": max_size,
        "seed": seed, "workers": workers, "batch_words": batch_words, "round_batches": round_batches,
        "order": order, "input_format": input_format, "text_column": text_column, "label_column": label_column,
        "word_ngrams": word_ngrams,
        "subwords": subwords, "buckets": buckets, "label_prefix": label_prefix,
        "vocab": None if vocab is None or vocab_obj is not None else os.fspath(vocab),
        "init": None if init is None else os.fspath(init), "freeze": freeze,
        "continue_from": None if continue_from is None else os.fspath(continue_from), "lower": lower,
        "keep_punct": keep_punct, "encoding_errors": encoding_errors, "checkpoint_every": checkpoint_every,
    }
    # a model in memory: its settings are the layer a model directory's config.yaml would be
    start = cfg.continued_settings(base) if base is not None else {}
    settings = cfg.merge(start, overrides).replace(output=None if output is None else os.fspath(output),
                                                   tmp_dir=None if tmp_dir is None else os.fspath(tmp_dir))
    if base is not None and base.objective is not None and base.path is not None:
        settings = settings.replace(continue_from=base.path)  # recorded: where it was saved or loaded from
    cfg.validate(settings, continuing=base is not None)
    from_files = is_paths(corpus)
    if settings.checkpoint_every and (output is None or not from_files):
        raise ParameterError("{checkpoint_every} needs {output} and corpus files (a checkpoint is resumed "
                             "from them)", "checkpoint_every", "output")
    if vocab_obj is not None and settings.objective == CLASSIFY:
        raise ParameterError("{vocab} is not used by the classifier (it builds its own)", "vocab")
    with text_files(corpus, "corpus", tmp_dir=settings.tmp_dir) as paths:
        paths = resolve_tables(corpus, paths, settings.input_format, settings.text_column, settings.label_column,
                               settings.label_prefix)
        run = settings.replace(corpus=paths, output=settings.output if from_files else None)
        if settings.objective == CLASSIFY:
            result = run_training(run, callback=progress)
        else:
            from .sgd.run import train_model

            result = train_model(run, vocab=vocab_obj, callback=progress, continued=base)
    model = result.model
    if not from_files:  # the temporary file is gone: the config does not name it
        model.config["corpus"] = []
        if settings.output is not None:
            model.save(settings.output)
    if settings.objective == CLASSIFY:
        from .classify import Classifier

        return Classifier(model)
    return Embeddings.from_model(model)
