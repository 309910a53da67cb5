"""Training runs: corpus → vocabulary + ids → SGD → model directory (library, no click/rich).

:func:`train_model` is what ``embedcli train`` calls; :func:`resume_model` continues a
checkpointed model; :func:`dry_run` counts and estimates without training.

The saved model (:class:`embedcli.model.Model`) has ``table.npy`` = the input vectors with the
``<pad>`` row all zeros and the ``<unk>`` row the mean of the word rows (words below
``min_count`` are dropped from training like word2vec does, so ``<unk>`` gets the average word
as its vector), ``output.npy`` = the output (context) vectors, and ``train_state.json`` =
epochs done, so that :func:`resume_model` gives the same bytes as an uninterrupted run.

Pretrained vectors (``init``: a word2vec text/binary or GloVe file, read by
:func:`embedcli.vectors.init_rows`): the input rows of the words found in the file start from the
file's float32 values, the others keep the seeded initialisation; ``<pad>``/``<unk>`` are never
taken from the file. The model then also has ``init_found.npy`` (bool, one entry per row) and
``init.json`` (file, format, rows found). With ``freeze`` those rows are never updated (the
trainer drops their gradient entries); a resumed run freezes the same rows, read back from
``init_found.npy``, so it still gives the bytes of an uninterrupted run.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..config import TrainSettings, resolve_workers, saved_settings
from ..corpus import EncodedCorpus, encode_corpus
from ..errors import EmbedcliError, ParameterError
from ..model import Model, replaceable
from ..query import VectorIndex, similar
from ..subwords import SubwordRows, SubwordSpec, parse_range, vocab_rows
from ..vectors import VectorFileInfo, init_rows, vector_file_info
from ..text import TextSettings
from ..vocab import Vocab
from .trainer import Trainer, TrainState, init_state

STATE = "train_state"
OUTPUT = "output"
INIT = "init"  # object: the --init file, its format and how many rows it initialised
INIT_FOUND = "init_found"  # array: bool (V,), the rows initialised from the file (frozen with --freeze)
CONTINUED = "continued"  # object: the model a continued run started from, its epochs and the words it added
SUBWORDS = "subwords"  # object: n-gram lengths and buckets (embedcli.subwords.SubwordSpec)
INPUT_ROWS = "input_rows"  # array: (V + buckets, dim) the input matrix: word rows, then n-gram rows

Callback = Callable[[dict], None]


@dataclass
class TrainResult:
    model: Model
    output: str | None  # None: kept in memory only
    seconds: float
    corpus_tokens: int
    words_per_epoch: int
    resumed_from_epoch: int = 0
    init: dict[str, Any] | None = None
    _neighbours: dict[str, list[tuple[str, float]]] | None = field(default=None, repr=False, compare=False)

    @property
    def neighbours(self) -> dict[str, list[tuple[str, float]]]:
        """A few settled words and their nearest neighbours (:func:`sample_neighbours`), found on
        first use: a run whose summary nobody reads (``--quiet``, the API) does not pay for it."""
        if self._neighbours is None:
            self._neighbours = sample_neighbours(self.model, float(self.model.config.get("sample") or 0))
        return self._neighbours

    def summary(self) -> dict[str, Any]:
        h = self.model.history
        return {
            "output": self.output,
            "objective": self.model.config.get("objective"),
            "vocab_size": len(self.model.vocab),
            "dim": self.model.dim,
            "table_shape": list(self.model.table.shape),
            "corpus_tokens": self.corpus_tokens,
            "words_per_epoch": self.words_per_epoch,
            "epochs": len(h),
            "resumed_from_epoch": self.resumed_from_epoch,
            "init": self.init,
            "continued": self.model.objects.get(CONTINUED),
            "subwords": self.model.objects.get(SUBWORDS),
            # the word-vector objectives' sampling settings (a classifier has neither)
            **{key: None if self.model.config.get("objective") == "classify" else self.model.config.get(key)
               for key in ("sample", "ns_exponent")},
            "final_loss": h[-1]["loss"] if h else None,
            "words_per_sec": h[-1].get("words_per_sec") if h else None,
            "model_bytes": None if self.output is None else directory_bytes(self.output),
            "seconds": round(self.seconds, 3),
            "neighbours": {w: [[t, round(s, 4)] for t, s in ns] for w, ns in self.neighbours.items()},
            "history": h,
        }


def directory_bytes(path: str) -> int:
    """Bytes of the files of a model directory (its size on disk, as ``du --apparent-size``)."""
    with os.scandir(path) as entries:
        return sum(e.stat().st_size for e in entries if e.is_file())


def check_output(output: str, make_parent: bool = False) -> None:
    """Fail early (before training) when the model directory cannot be written."""
    p = os.path.abspath(output)
    if os.path.exists(p) and not os.path.isdir(p):
        raise ParameterError("{output} {path}: a file with that name exists (expected a model directory)", "output", path=output)
    if not replaceable(p):
        raise ParameterError("{output} {path}: a directory that is not an embedcli model (no vocab.json and table.npy); "
                             "the model would replace everything in it; choose another directory", "output", path=output)
    parent = os.path.dirname(p)
    if not os.path.isdir(parent):
        if not make_parent:
            raise ParameterError("{output} {path}: directory {parent} does not exist", "output", path=output, parent=parent)
        while not os.path.exists(parent):  # created when the model is saved; checked now
            parent = os.path.dirname(parent)
        if not os.path.isdir(parent):
            raise ParameterError("{output} {path}: {parent} is a file, not a directory", "output", path=output,
                                 parent=parent)
    if not os.access(parent, os.W_OK):
        raise ParameterError("{output} {path}: directory {parent} is not writable", "output", path=output, parent=parent)


def trainable_rows(vocab: Vocab) -> np.ndarray:
    mask = np.ones(len(vocab), dtype=bool)
    for i in vocab.special_ids():
        mask[i] = False
    return mask


def check_init(settings: TrainSettings) -> VectorFileInfo | None:
    """Before the corpus is read: the ``init`` file opens as a vector file of the table's dim."""
    path = settings.init
    if not path:
        return None
    if path != "-" and not os.path.exists(path):
        raise ParameterError("{init} {path}: no such file", "init", path=path)
    info = vector_file_info(path)
    dim = int(settings.dim)
    if info.dim != dim:
        raise ParameterError("{name} has {n}-dimensional vectors but the table has dim {d}; use {dim} {n}", "dim",
                             name=info.path, n=info.dim, d=dim, exit_code=1)
    return info


def apply_init(settings: TrainSettings, vocab: Vocab, state: TrainState, info: VectorFileInfo | None,
               progress: Callable[[int], None] | None = None) -> None:
    """Copy the rows of the vocabulary's words found in the ``init`` file into ``state.w_in``.

    Rows not in the file keep their seeded values; ``<pad>``/``<unk>`` are never taken from the
    file. With ``freeze`` the found rows become ``state.frozen``.
    """
    if info is None:
        return
    trainable = trainable_rows(vocab)
    V = len(vocab)  # with subwords the n-gram rows below the word rows keep their initialisation
    table, found, _ = init_rows(vocab, settings.init, state.w_in.shape[1], table=state.w_in[:V], progress=progress)
    found &= trainable
    table[~trainable] = state.w_in[:V][~trainable]
    if state.w_in.shape[0] == V:
        state.w_in = table
    else:
        state.w_in[:V] = table
    state.init_found = found
    state.frozen = found if settings.freeze else None
    state.init = {
        "file": os.path.abspath(settings.init),
        "format": info.format,
        "dim": info.dim,
        "found": int(found.sum()),
        "rows": int(trainable.sum()),
        "frozen": bool(settings.freeze),
    }


def subword_rows(vocab: Vocab, settings: TrainSettings) -> tuple[SubwordRows | None, int]:
    """The vocabulary's n-gram rows when ``subwords`` is set, and its number of distinct n-grams.

    ``buckets`` None becomes what the data needs (set in ``settings``, so the model's config and
    a resumed run use the same count).
    """
    lengths = parse_range(settings.subwords)
    if lengths is None:
        return None, 0
    rows, distinct = vocab_rows(vocab.tokens, lengths[0], lengths[1], settings.buckets, skip=vocab.special_ids())
    settings.buckets = rows.spec.buckets
    return rows, distinct


def check_vocab_flags(settings: TrainSettings, vocab: Vocab) -> None:
    """With ``vocab`` (``--vocab FILE``) the text is split and the words are chosen as the
    vocabulary was built; a flag or argument for one of the settings that shape a vocabulary
    (text settings, ``min_count``, ``max_size``, ``order``) that says otherwise would be ignored
    without a word, so it is an error (a value from a config file is not: the default config's
    ``min_count`` is no request)."""
    built = {"lower": vocab.settings.lower, "keep_punct": vocab.settings.keep_punct, "min_count": vocab.min_count,
             "max_size": vocab.max_size, "order": vocab.order}
    for key, value in built.items():
        if key in settings.given and getattr(settings, key) != value:
            raise ParameterError(
                "{%s} %s: the vocabulary {path} was built with %s %s, and with {vocab} its own settings are "
                "used; drop {%s}, or build the vocabulary with it"
                % (key, _shown(getattr(settings, key)), key.replace("_", " "), _shown(value), key),
                key, "vocab", path=settings.vocab or "given")


def _shown(value) -> str:
    """A setting's value in a message: on/off for a switch, none for no limit."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return "none" if value is None else str(value)


def _prepare(settings: TrainSettings, vocab: Vocab | None, progress,
             extend: Vocab | None = None) -> tuple[Vocab, EncodedCorpus]:
    if settings.objective not in ("skipgram", "cbow"):
        raise ParameterError("{objective} {value} is not handled by the word-vector trainer", "objective",
                             value=settings.objective)
    if vocab is None and settings.vocab:
        vocab = Vocab.load(settings.vocab)
    if vocab is not None:
        check_vocab_flags(settings, vocab)
    text = TextSettings(lower=settings.lower, keep_punct=settings.keep_punct)
    return encode_corpus(
        settings.corpus,
        text,
        min_count=settings.min_count,
        max_size=settings.max_size,
        vocab=vocab,
        encoding_errors=settings.encoding_errors,
        progress=progress,
        tmp_dir=settings.tmp_dir,
        order=settings.order,
        extend=extend,
    )


def build_model(vocab: Vocab, state: TrainState, settings: TrainSettings, corpus: EncodedCorpus,
                subwords: SubwordRows | None = None, *, copy: bool = True) -> Model:
    """The model of ``state``. With ``subwords`` the table holds each word's composed vector (the
    mean of its word row and n-gram rows); the whole input matrix is saved as ``input_rows``.
    ``copy`` False (training is over): the model takes the state's matrices instead of copies."""
    keep = np.ndarray.copy if copy else np.asarray
    table = keep(state.w_in) if subwords is None else subwords.vectors(state.w_in)
    trainable = trainable_rows(vocab)
    if vocab.pad_id is not None:
        table[vocab.pad_id] = 0
    if vocab.unk_id is not None:
        table[vocab.unk_id] = table[trainable].mean(axis=0, dtype=np.float64).astype(np.float32)
    config = saved_settings(settings)
    config["workers"] = resolve_workers(settings)
    epochs = state.first_epoch + int(settings.epochs)  # a continued model's count its earlier epochs
    objects = {
        STATE: {
            "epochs_done": state.epochs_done,
            "epochs": epochs,
            "complete": state.epochs_done >= epochs,
            "words_per_epoch": corpus.n_words,
            "corpus_entries": corpus.n_entries,
            "first_epoch": state.first_epoch,
        }
    }
    arrays = {OUTPUT: keep(state.w_out)}
    if state.init_found is not None:
        arrays[INIT_FOUND] = state.init_found.copy()
    if state.init is not None:
        objects[INIT] = dict(state.init)
    if state.continued is not None:
        objects[CONTINUED] = dict(state.continued)
    if subwords is not None:
        arrays[INPUT_ROWS] = keep(state.w_in)
        objects[SUBWORDS] = {**subwords.spec.to_dict(), "distinct_ngrams": subwords.distinct}
    return Model(vocab, table, config, list(state.history), arrays, objects)


#: what train_state.json holds, every version of it (first_epoch came later: 0 when missing)
STATE_KEYS = ("epochs_done", "words_per_epoch", "corpus_entries")


def check_train_state(model: Model) -> None:
    """``train_state.json`` is an object with a whole number for each of :data:`STATE_KEYS` (and
    ``first_epoch`` if present): a damaged or hand-edited one is an error naming it."""
    info = model.objects[STATE]
    name = os.path.join(model.path or "the model", STATE + ".json")
    if not isinstance(info, dict):
        raise EmbedcliError(f"{name}: expected a JSON object, found {type(info).__name__}; the training state is damaged")
    for key in STATE_KEYS + (("first_epoch",) if "first_epoch" in info else ()):
        value = info.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            what = "missing" if key not in info else f"{value!r} is not a whole number"
            raise EmbedcliError(f"{name}: {key} {what}; the training state is damaged")


def state_from_model(model: Model, purpose: str = "resumed", copy: bool = True) -> TrainState:
    """The training state a model directory holds (both matrices, epochs, history, --init rows),
    checked. ``copy`` False: the matrices are the model's own arrays where they are float32, and
    the input rows of ``<pad>`` and ``<unk>`` are the table's, not zeros (a continued run copies
    the rows into its own, larger matrices and zeroes those: no third copy of the model)."""
    array = np.array if copy else np.asarray
    if OUTPUT not in model.arrays or STATE not in model.objects:
        raise EmbedcliError(
            f"{model.path}: has no training state (output.npy, train_state.json); it cannot be {purpose}"
        )
    check_train_state(model)
    if SUBWORDS in model.objects:
        spec = SubwordSpec.from_dict(model.objects[SUBWORDS], f"{model.path}: {SUBWORDS}.json")
        w_in = array(model.arrays.get(INPUT_ROWS, np.zeros((0, 0), np.float32)), dtype=np.float32)
        expected = (len(model.vocab) + spec.buckets, model.dim)
        if w_in.shape != expected:
            raise EmbedcliError(f"{model.path}: {INPUT_ROWS}.npy has shape {w_in.shape}, expected {expected}")
    else:
        w_in = array(model.table, dtype=np.float32)
        if copy:
            for i in model.vocab.special_ids():  # never trained: they start (and stay) at zero
                w_in[i] = 0
    w_out = array(model.arrays[OUTPUT], dtype=np.float32)
    if w_out.shape != model.table.shape:
        raise EmbedcliError(f"{model.path}: output.npy has shape {w_out.shape}, expected {model.table.shape}")
    info = model.objects[STATE]
    state = TrainState(w_in, w_out, int(info["epochs_done"]), list(model.history),
                       first_epoch=int(info.get("first_epoch", 0)))
    if INIT_FOUND in model.arrays:
        found = model.arrays[INIT_FOUND]
        if found.dtype != np.bool_ or found.shape != (len(model.vocab),):
            raise EmbedcliError(
                f"{model.path}: {INIT_FOUND}.npy has shape {found.shape} and type {found.dtype}, "
                f"expected ({len(model.vocab)},) bool"
            )
        state.init_found = np.array(found, dtype=bool)
        state.init = model.objects.get(INIT)
    state.continued = model.objects.get(CONTINUED)
    return state


def sample_neighbours(model: Model, sample: float, n: int = 3, k: int = 5, pool: int = 30) -> dict[str, list[tuple[str, float]]]:
    """Neighbours of a few words worth showing after training.

    Candidates are the ``pool`` most frequent words that subsampling leaves alone (so not
    'the', 'of' ...) and longer than two letters; the ``n`` whose ``k`` nearest neighbours are
    the closest on average are shown (in frequency order): settled neighbourhoods say more
    about a table than a random word's.
    """
    vocab = model.vocab
    counts = np.array(vocab.counts, dtype=np.float64)
    is_word = np.ones(len(vocab), dtype=bool)
    is_word[list(vocab.special_ids())] = False
    limit = sample * counts[is_word].sum() if sample > 0 else np.inf
    longer = np.fromiter((len(t) > 2 for t in vocab.tokens), dtype=bool, count=len(vocab))
    candidates = np.flatnonzero(is_word & (counts <= limit) & longer)
    # most frequent first, ties in vocabulary order (one array pass: per-word Python over a
    # large vocabulary took a noticeable part of a second after every run)
    candidates = candidates[np.argsort(-counts[candidates], kind="stable")].tolist()
    index = VectorIndex(vocab, model.table)
    found = []
    for rank, i in enumerate(candidates[:pool]):
        try:
            ns = similar(vocab, model.table, vocab.tokens[i], k, index=index)
        except EmbedcliError:  # an all-zero row (e.g. never trained) has no neighbours
            continue
        if ns:
            found.append((-float(np.mean([nb.score for nb in ns])), rank, vocab.tokens[i], ns))
    chosen = sorted(sorted(found)[:n], key=lambda f: f[1])
    return {word: [(nb.token, nb.score) for nb in ns] for _, _, word, ns in chosen}


def _run(settings, vocab, corpus, state, output, callback, start, resumed_from, subwords=None,
         make_trainer=None) -> TrainResult:
    workers = resolve_workers(settings)
    trainable = trainable_rows(vocab)
    # make_trainer: another engine with Trainer's constructor and run() (embedcli.cluster.train)
    trainer = (make_trainer or Trainer)(corpus, np.array(vocab.counts), trainable, settings, workers, subwords)
    every = int(settings.checkpoint_every)

    def on_epoch_end(st: TrainState) -> None:
        done = st.epochs_done - st.first_epoch  # this run's epochs (a continued model had some before)
        if output is not None and every and done % every == 0 and st.epochs_done < trainer.epochs:
            build_model(vocab, st, settings, corpus, subwords).save(output)
            if callback is not None:
                callback({"checkpoint": output, "epoch": st.epochs_done})

    trainer.run(state, callback=callback, on_epoch_end=on_epoch_end)
    model = build_model(vocab, state, settings, corpus, subwords, copy=False)
    if output is not None:
        model.save(output)
    return TrainResult(model, output, time.perf_counter() - start, corpus.corpus_tokens, corpus.n_words,
                       resumed_from, state.init)


def train_model(
    settings: TrainSettings,
    *,
    vocab: Vocab | None = None,
    callback: Callback | None = None,
    corpus_progress: Callable[[int], None] | None = None,
    make_parent: bool = False,
    init_progress: Callable[[int], None] | None = None,
    make_trainer: Callable | None = None,
    continued: Model | None = None,
) -> TrainResult:
    """Train skip-gram or CBOW vectors with the resolved ``settings`` and save the model.

    ``settings.output`` ``None`` keeps the model in memory only (``result.model``).
    Nothing is written to ``settings.output`` until training has finished (or a
    checkpoint is due); an interruption leaves an existing model there unchanged. A missing
    parent directory of the output is an error unless ``make_parent`` (used for the default
    ``models/default`` of a no-argument run). With ``settings.init`` the file's dimension is
    checked before the corpus is read; ``init_progress(n)`` gets the vectors read from it.
    """
    if settings.continue_from or continued is not None:  # (continued: the model in memory)
        if vocab is not None:
            raise ParameterError("{vocab} cannot be used with {continue_from}: the continued model's vocabulary "
                                 "is the start", "vocab", "continue_from")
        return continue_model(settings, callback=callback, corpus_progress=corpus_progress, make_trainer=make_trainer,
                              base=continued)
    start = time.perf_counter()
    output = settings.output
    if output is not None:
        check_output(output, make_parent)
    info = check_init(settings)
    vocab, corpus = _prepare(settings, vocab, corpus_progress)
    with corpus:
        subwords, _ = subword_rows(vocab, settings)
        state = init_state(len(vocab), int(settings.dim), int(settings.seed), trainable_rows(vocab),
                           subwords.n_rows if subwords is not None else None)
        apply_init(settings, vocab, state, info, init_progress)
        return _run(settings, vocab, corpus, state, output, callback, start, 0, subwords, make_trainer)


#: settings a continued model keeps: its rows are these (the text settings: its words are split so)
KEPT_WHEN_CONTINUED = ("objective", "dim", "subwords", "buckets", "lower", "keep_punct")


def continued_state(settings: TrainSettings, vocab: Vocab, base: Model, base_state: TrainState,
                    subwords: SubwordRows | None) -> TrainState:
    """The start of a run continuing ``base`` with the vocabulary ``vocab`` (``base``'s tokens
    first, at their ids, then the words the new corpus added): ``base``'s input and output rows
    (and n-gram buckets) where it has them; the added words start as a new run's rows do (the
    seeded draws, output rows 0). Its epochs and history go on from ``base``'s."""
    V0, V = len(base.vocab), len(vocab)
    state = init_state(V, int(settings.dim), int(settings.seed), trainable_rows(vocab),
                       subwords.n_rows if subwords is not None else None)
    state.w_in[:V0] = base_state.w_in[:V0]
    state.w_in[vocab.special_ids()] = 0  # never trained (the table's <unk> row is the mean of the words)
    if subwords is not None:  # the n-gram buckets, after the word rows in both
        state.w_in[V:] = base_state.w_in[V0:]
    state.w_out[:V0] = base_state.w_out
    state.epochs_done = state.first_epoch = base_state.epochs_done
    state.history = list(base_state.history)
    if base_state.init_found is not None:  # rows an --init file gave: frozen still with --freeze
        state.init_found = np.zeros(V, dtype=bool)
        state.init_found[:V0] = base_state.init_found
        state.init = base_state.init
    if settings.freeze:
        if state.init_found is None:
            raise ParameterError("{freeze}: {path} was not started from an {init} file, so no rows are frozen",
                                 "freeze", "init", path=base.path)
        state.frozen = state.init_found
    state.continued = continued_record(base, base_state.epochs_done, vocab)
    return state


def continued_record(base: Model, epochs_before: int, vocab: Vocab) -> dict[str, Any]:
    """What a run continuing ``base`` records (``continued.json``, the summary, ``--dry-run``):
    the model (its absolute path, None in memory), its epochs, its size and the words added."""
    return {"model": base.path and os.path.abspath(base.path), "epochs_before": epochs_before,
            "vocab_before": len(base.vocab), "words_added": len(vocab) - len(base.vocab)}


def load_continued(settings: TrainSettings, base: Model | None = None) -> tuple[Model, TrainState]:
    """The model ``settings.continue_from`` names (or ``base``, a model in memory) and its training
    state, checked: a finished word-vector model whose settings are those of the run for
    :data:`KEPT_WHEN_CONTINUED`."""
    if base is None:
        base = Model.load(settings.continue_from, require_config=True)
    path = base.path or "the continued model"
    if base.objective is None:  # vectors read from a file: a table, no output layer and no epochs
        raise ParameterError("{continue_from}: these vectors have no training state (output layer, epochs), as "
                             "a vector file's; start a new run from them with {init} instead", "continue_from",
                             "init")
    if base.objective not in ("skipgram", "cbow"):
        raise ParameterError("{continue_from} {path}: a {objective} model; only word vectors (skip-gram, CBOW) "
                             "are continued", "continue_from", path=path, objective=base.objective)
    state = state_from_model(base, "continued", copy=False)
    done, planned = state.epochs_done, state.first_epoch + int(base.config.get("epochs", 0))
    if base.objects[STATE].get("complete") is False or done < planned:
        raise ParameterError("{continue_from} {path}: a checkpoint ({done} of {planned} epochs); finish it first "
                             "with {resume} {path}", "continue_from", "resume", path=path, done=done, planned=planned)
    for key in KEPT_WHEN_CONTINUED:
        value = base.config.get(key)
        if key == "buckets" and not parse_range(settings.subwords):
            continue  # only the n-gram rows need it
        if value is not None and getattr(settings, key) != value:
            raise ParameterError("{%s} %s: {path} was trained with %s %s, and a continued model keeps it"
                                 % (key, _shown(getattr(settings, key)), key.replace("_", " "), _shown(value)),
                                 key, "continue_from", path=path)
    return base, state


def continue_model(settings: TrainSettings, *, callback: Callback | None = None,
                   corpus_progress: Callable[[int], None] | None = None,
                   make_trainer: Callable | None = None, base: Model | None = None) -> TrainResult:
    """Train the model ``settings.continue_from`` further on ``settings.corpus``, as gensim's
    ``build_vocab(update=True)`` then ``train``: its words keep their ids and rows (input and
    output), the corpus's new words (``min_count``, ``max_size``, ``order``) are added after them,
    and ``settings.epochs`` more epochs run with their own learning-rate schedule. Saved to
    ``settings.output`` (which may be the continued model: it is replaced when the run is done).
    ``base``: the model to continue when it is in memory (``settings.continue_from`` is then its
    directory, or None)."""
    start = time.perf_counter()
    base, base_state = load_continued(settings, base)
    output = settings.output
    if output is not None:
        check_output(output)
    vocab, corpus = _prepare(settings, None, corpus_progress, extend=base.vocab)
    with corpus:
        subwords, _ = subword_rows(vocab, settings)
        state = continued_state(settings, vocab, base, base_state, subwords)
        del base, base_state
        return _run(settings, vocab, corpus, state, output, callback, start, 0, subwords, make_trainer)


def resume_model(
    model_dir: str,
    settings: TrainSettings,
    *,
    callback: Callback | None = None,
    corpus_progress: Callable[[int], None] | None = None,
    make_trainer: Callable | None = None,
) -> TrainResult:
    """Continue a checkpointed model (``settings`` come from its ``config.yaml``)."""
    start = time.perf_counter()
    model = Model.load(model_dir, require_config=True)
    state = state_from_model(model)
    info = model.objects[STATE]
    if state.epochs_done >= state.first_epoch + int(settings.epochs):
        raise EmbedcliError(
            "{model_dir}: already trained for all {n} epochs; nothing to resume (to train it further, "
            "start a new run with {continue_from} {model_dir})", "continue_from", model_dir=model_dir,
            n=state.epochs_done)
    if settings.freeze:
        if state.init_found is None:
            raise EmbedcliError("{model_dir}: its settings freeze the {init} rows but it has no {found}.npy; cannot resume",
                                "init", model_dir=model_dir, found=INIT_FOUND)
        state.frozen = state.init_found
    check_output(model_dir)
    vocab, corpus = _prepare(settings, model.vocab, corpus_progress)
    with corpus:
        if corpus.n_words != info.get("words_per_epoch") or corpus.n_entries != info.get("corpus_entries"):
            raise EmbedcliError(
                f"{model_dir}: the corpus has changed since the checkpoint ({corpus.n_words:,} words now, "
                f"{info.get('words_per_epoch'):,} then); cannot resume"
            )
        subwords, _ = subword_rows(vocab, settings)
        n_rows = subwords.n_rows if subwords is not None else len(vocab)
        if state.w_in.shape[0] != n_rows:
            raise EmbedcliError(f"{model_dir}: its input matrix has {state.w_in.shape[0]:,} rows but its settings "
                                f"(subwords {settings.subwords}, buckets {settings.buckets}) "
                                f"give {n_rows:,}; cannot resume")
        return _run(settings, vocab, corpus, state, model_dir, callback, start, state.epochs_done, subwords, make_trainer)


def dry_run(settings: TrainSettings, *, corpus_progress=None, calibrate_seconds: float = 1.0) -> dict[str, Any]:
    """Count the vocabulary and estimate memory and time, without training or writing."""
    if settings.objective == "classify":
        from ..classify.run import dry_run as classify_dry_run

        return classify_dry_run(settings, corpus_progress=corpus_progress, calibrate_seconds=calibrate_seconds)
    start = time.perf_counter()
    info = check_init(settings)
    base, base_state = load_continued(settings) if settings.continue_from else (None, None)
    vocab, corpus = _prepare(settings, None, corpus_progress, extend=None if base is None else base.vocab)
    with corpus:
        dim = int(settings.dim)
        workers = resolve_workers(settings)
        trainable = trainable_rows(vocab)
        subwords, distinct = subword_rows(vocab, settings)
        n_rows = subwords.n_rows if subwords is not None else len(vocab)
        trainer = Trainer(corpus, np.array(vocab.counts), trainable, settings, workers, subwords)
        state = init_state(len(vocab), dim, int(settings.seed), trainable, n_rows)
        words = trainer.calibrate(state, calibrate_seconds)
        elapsed = words[1]
        wps = words[0] / elapsed if elapsed > 0 and words[0] > 0 else None
        total_words = corpus.n_words * int(settings.epochs)
        return {
            "objective": settings.objective,  # as the classifier's dry run says its own
            "vocab_size": len(vocab),
            "dim": dim,
            "table_bytes": (n_rows + len(vocab)) * dim * 4,
            "working_bytes": trainer.working_bytes(dim),  # beside the tables: batches, a round's steps
            "subwords": None if subwords is None else {**subwords.spec.to_dict(), "distinct_ngrams": distinct},
            "corpus_tokens": corpus.corpus_tokens,
            "words_per_epoch": corpus.n_words,
            "sentences": corpus.n_sentences,
            "epochs": int(settings.epochs),
            "lr": float(settings.lr),
            "min_lr": float(settings.min_lr),
            "sample": float(settings.sample),
            "sample_set": "sample" in settings.explicit,
            "negative": int(settings.negative),
            "ns_exponent": float(settings.ns_exponent),
            "ns_exponent_set": "ns_exponent" in settings.explicit,
            "kept_words_per_epoch": round(trainer.kept_words_per_epoch),
            "workers": trainer.workers,  # the processes a run uses: at most a round's batches
            "calibration_words_per_sec": wps,
            "estimated_seconds": total_words / wps if wps else None,
            "counting_seconds": round(time.perf_counter() - start, 3),
            "init": None if info is None else {"file": os.path.abspath(settings.init), "format": info.format,
                                               "dim": info.dim, "frozen": bool(settings.freeze)},
            "continued": None if base is None else continued_record(base, base_state.epochs_done, vocab),
        }
