"""Training settings: defaults, YAML config files and flag overrides.

A config file is flat YAML whose keys are the snake_case names of the ``embedcli train``
flags (``min_count``, ``corpus``, ``output`` ...). Flags override the file. Relative paths in a
file resolve against the file's directory, so a config can live next to its data. The
resolved settings are stored in the model's ``config.yaml``; that file is itself a valid
config (the metadata keys written by :mod:`embedcli.model` are accepted and ignored), so
``embedcli train --config MODEL/config.yaml`` reproduces a run.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import EmbedcliError, ParameterError, UsageError, is_integer
from .io import is_url
from .peer_names import PEER_KEYS

OBJECTIVES = ("skipgram", "cbow", "classify")


@dataclass
class TrainSettings:
    """The resolved settings of a training run (one typed object from the defaults, a config file,
    flags or keyword arguments to :func:`embedcli.train`). The field names are the config file keys
    and, with ``-`` for ``_``, the flags of ``embedcli train``. ``None`` means "not set" (e.g.
    ``max_size``: no limit; ``workers``: all cores)."""

    corpus: list[str] = field(default_factory=list)
    output: str | None = "models/default"
    objective: str = "skipgram"
    dim: int = 100
    window: int = 5
    negative: int = 5
    ns_exponent: float | None = None  # negatives from unigram^ns_exponent; None: the default for the run (0.75; skip-gram with subwords 0.5)
    sample: float | None = None  # None: the default for the run (run_default: 1e-3; skip-gram with subwords 4e-4)
    epochs: int = 5
    lr: float = 0.05
    min_lr: float = 0.0001
    min_count: int = 5
    max_size: int | None = None
    seed: int = 1
    workers: int | None = None  # None: all cores (resolved to a number before training)
    batch_words: int = 256
    round_batches: int | None = None  # None: from the corpus size (embedcli.sgd.trainer.auto_round_batches)
    checkpoint_every: int = 0
    word_ngrams: int = 1
    buckets: int | None = None  # hash buckets of the word n-grams (classify) and character n-grams (subwords); None: one per distinct n-gram (at most 2,000,000)
    label_prefix: str = "__label__"  # classify: a word starting with it is a label (fastText's -label)
    subwords: int | str = 0  # character n-grams "MIN-MAX" (e.g. "3-6"), 0 = none (see embedcli.subwords)
    vocab: str | None = None
    init: str | None = None  # pretrained vector file for the initial input rows
    freeze: bool = False  # with init: never update the rows found in the file
    continue_from: str | None = None  # a trained model directory to continue (its vocabulary, both matrices, its settings)
    lower: bool = True
    keep_punct: bool = False
    order: str = "appearance"  # vocabulary order: appearance (first appearance) or frequency
    input_format: str = "auto"  # auto (.csv/.tsv/.jsonl by extension), text, csv, tsv or jsonl
    text_column: str | None = None  # tables: the text column (name or 0-based index)
    label_column: str | None = None  # tables, classify: the label column (instead of __label__ words)
    encoding_errors: str = "strict"
    #: which keys were set (by a file, a flag or an argument); not a setting, never saved
    explicit: frozenset = field(default=frozenset(), repr=False, compare=False)
    #: which keys were given as flags or arguments (not read from a config file); never saved
    given: frozenset = field(default=frozenset(), repr=False, compare=False)
    #: where the temporary id store lives (None: $TMPDIR or the system's); where, not what: never saved
    tmp_dir: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key in RUN_DEFAULTS:  # not set: resolved here, so the saved config.yaml holds the value used
            if getattr(self, key) is None:
                setattr(self, key, run_default(key, self.objective, self.subwords))

    def replace(self, **changes: Any) -> "TrainSettings":
        """A copy with ``changes``. A setting of :data:`RUN_DEFAULTS` that was the default for the
        run (not among ``explicit``) is resolved again when the objective or the subwords change."""
        if {"objective", "subwords"} & changes.keys():
            for key in RUN_DEFAULTS:
                if (key not in changes and key not in self.explicit
                        and getattr(self, key) == run_default(key, self.objective, self.subwords)):
                    changes[key] = None
        return dataclasses.replace(self, **changes)


#: frequent-word subsampling threshold when ``sample`` is not set: word2vec's and gensim's 1e-3, and for
#: skip-gram with character n-grams (``subwords``) 4e-4, nearer fastText's t 1e-4: fewer kept tokens is
#: less time, and SimLex-999 rises on every corpus measured while WordSim-353 and the analogies stay
#: above fastText's (CBOW with subwords lost analogies on enwiki at 3e-4: it keeps 1e-3); three seeds,
#: three corpora in benchmarks/README.md, "Subword-only subsampling defaults"
SAMPLE = 1e-3
SUBWORD_SAMPLE = 4e-4

#: the exponent of the unigram distribution the negatives are drawn from when ``ns_exponent`` is not
#: set: word2vec's and gensim's 0.75, and for skip-gram with character n-grams (``subwords``)
#: fastText's 0.5 (its negatives table takes sqrt(count)). A flatter distribution draws rarer words as
#: negatives more often; for skip-gram with subwords it raised SimLex-999 on kjv from 0.080 to 0.101
#: (fastText's 0.106; six seeds) and kept every measure on enwiki and kjv + enwiki above fastText's
#: (CBOW with subwords lost on enwiki at 0.5: it keeps 0.75); benchmarks/README.md, "The negatives'
#: exponent with subwords"
NS_EXPONENT = 0.75
SUBWORD_NS_EXPONENT = 0.5
#: a model's config.yaml written before ``ns_exponent`` was a setting: its runs drew from unigram^0.75
LEGACY_NS_EXPONENT = 0.75


def _subwords_on(subwords: int | str) -> bool:
    from .subwords import parse_range

    try:
        return parse_range(subwords) is not None
    except UsageError:  # not a valid setting: validation says so, not this
        return False


#: settings whose default depends on the run: key -> (the default, the default of skip-gram with
#: subwords). ``None`` (in a file, a flag or a field) means "the default for the run", resolved when
#: the settings are made
RUN_DEFAULTS = {"sample": (SAMPLE, SUBWORD_SAMPLE), "ns_exponent": (NS_EXPONENT, SUBWORD_NS_EXPONENT)}


def run_default(key: str, objective: str, subwords: int | str) -> float:
    """The value of the :data:`RUN_DEFAULTS` setting ``key`` for a run that does not set it: its
    subword value for skip-gram with subwords, else its plain one."""
    plain, with_subwords = RUN_DEFAULTS[key]
    return with_subwords if objective == "skipgram" and _subwords_on(subwords) else plain


#: fields of TrainSettings that are not settings of the run (not config keys, never saved)
RUNTIME_FIELDS = ("explicit", "given", "tmp_dir")

#: key -> default, in the order of the config file
DEFAULTS: dict[str, Any] = {
    f.name: (f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)
    for f in dataclasses.fields(TrainSettings)
    if f.name not in RUNTIME_FIELDS
}

PATH_KEYS = ("output", "vocab", "init", "continue_from")
INT_KEYS = ("dim", "window", "negative", "epochs", "min_count", "max_size", "seed", "workers",
            "batch_words", "round_batches", "checkpoint_every", "word_ngrams", "buckets")
FLOAT_KEYS = ("sample", "ns_exponent", "lr", "min_lr")
BOOL_KEYS = ("lower", "keep_punct", "freeze")

#: defaults that depend on the objective (used when neither the file nor a flag sets the key):
#: skip-gram and CBOW learn with lr 0.05 like fastText (gensim uses 0.025: with the trainer's per-row
#: trust region 0.05 measured better on three corpora, benchmarks/train_quality.py); CBOW takes
#: batches of 1024 centre words (skip-gram 256, see the rounds in embedcli.sgd.trainer); classify uses
#: fastText's supervised defaults.
OBJECTIVE_DEFAULTS: dict[str, dict[str, Any]] = {
    "skipgram": {},
    "cbow": {"batch_words": 1024},
    "classify": {"lr": 0.1, "min_lr": 0.0, "min_count": 1},
}

#: keys that embedcli.model writes into config.yaml besides the settings: accepted, ignored
#: (``classifier``: what a classifier run found, see embedcli.classify.train)
METADATA_KEYS = frozenset({"format", "version", "embedcli_version", "numpy_version", "vocab_size",
                           "arrays", "objects", "classifier"})


_PEER_KEY_VALUES = {"objective": " (skipgram, cbow or classify)", "subwords": " (MIN-MAX, like 3-6)"}


def key_hint(key) -> str:
    """What an unknown config key probably meant: embedcli's name for a peer's, or a close spelling."""
    import difflib

    ours = PEER_KEYS.get(key) if isinstance(key, str) else None
    if ours is not None:
        return f"; embedcli calls it {ours!r}{_PEER_KEY_VALUES.get(ours, '')}"
    close = difflib.get_close_matches(str(key).lower(), sorted(DEFAULTS), n=1, cutoff=0.75)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (known keys: {', '.join(sorted(DEFAULTS))})"


def load_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML config file; check keys and types; resolve relative paths.

    A missing file is a :class:`~embedcli.errors.ParameterError` naming ``path`` (``embedcli
    train`` shows it as ``--config``)."""
    p = os.fspath(path)
    try:
        with open(p, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except FileNotFoundError:
        raise ParameterError("{path} {file}: no such file", "path", file=p) from None
    except IsADirectoryError:
        raise ParameterError("{path} {file}: is a directory (did you mean {inner}?)", "path", file=p,
                             inner=os.path.join(p, "config.yaml")) from None
    except UnicodeDecodeError:
        raise EmbedcliError(f"{p}: not a YAML config file (not UTF-8 text)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise EmbedcliError(f"{p}: {where}not valid YAML ({problem})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise EmbedcliError(f"{p}: a config file must be a mapping of keys (like 'dim: 100'), got {type(data).__name__}")
    return settings_of(data, p, Path(p).resolve().parent)


def settings_of(data: dict, source: str, base: Path) -> dict[str, Any]:
    """The settings of a config file's mapping (or a model's ``config``): keys and types checked
    (errors name ``source``), metadata left out, relative paths resolved against ``base``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in METADATA_KEYS:
            continue
        if key not in DEFAULTS:
            raise UsageError(f"{source}: unknown key {key!r}{key_hint(key)}")
        if key == "output" and value is None:  # a model trained in memory, saved later: not set
            continue
        out[key] = check_value(key, value, source=source)
    if "format" in data and "ns_exponent" not in data:  # a model's settings from before the key: what it used
        out["ns_exponent"] = LEGACY_NS_EXPONENT
    for key in PATH_KEYS:
        if out.get(key):
            out[key] = _resolve(out[key], base)
    if "corpus" in out:
        out["corpus"] = [_resolve(c, base) for c in out["corpus"]]
    return out


def _resolve(value: str, base: Path) -> str:
    if value == "-" or os.path.isabs(value) or is_url(value):
        return value
    return os.path.normpath(str(base / value))


def check_value(key: str, value: Any, source: str | None = None) -> Any:
    """Type-check one setting; ``source`` names the config file in the error (``None``: the value
    came as a parameter, and the error names the parameter)."""

    def bad(expected: str) -> EmbedcliError:
        if source is None:
            return ParameterError("{%s}: expected {expected}, got {got!r}" % key, key, expected=expected, got=value)
        return UsageError(f"{source}: key {key!r}: expected {expected}, got {value!r}")

    if key == "corpus":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise bad("a file path or a list of file paths")
        return list(value)
    if key in PATH_KEYS:
        if value is None and key in ("vocab", "init", "continue_from"):
            return None
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str) or not value:
            raise bad("a path")
        return value
    if key == "objective":
        if value not in OBJECTIVES:
            raise bad("one of " + ", ".join(OBJECTIVES))
        return value
    if key == "label_prefix":
        if not isinstance(value, str) or not value or any(c.isspace() for c in value):
            raise bad("a non-empty word without spaces (like __label__)")
        return value
    if key == "input_format":
        if value not in ("auto", "text", "csv", "tsv", "jsonl"):
            raise bad("auto, text, csv, tsv or jsonl")
        return value
    if key in ("text_column", "label_column"):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            raise bad("a column name or a 0-based index")
        return str(value)
    if key == "order":
        if value not in ("appearance", "frequency"):
            raise bad("appearance or frequency")
        return value
    if key == "encoding_errors":
        if value not in ("strict", "replace", "ignore"):
            raise bad("strict, replace or ignore")
        return value
    if key in BOOL_KEYS:
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if key == "subwords":
        from .subwords import format_range, parse_range

        try:
            return format_range(parse_range(value))
        except UsageError:
            raise bad("MIN-MAX character n-gram lengths like 3-6, or 0 for none") from None
    if key in INT_KEYS:
        if value is None and key in ("max_size", "workers", "buckets", "round_batches"):
            return None
        if not is_integer(value):  # numpy's integers too
            raise bad("an integer")
        return int(value)
    if key in FLOAT_KEYS:
        if value is None and key in RUN_DEFAULTS:  # not set: the default for the run (run_default)
            return None
        if isinstance(value, bool) or not isinstance(value, numbers.Real):  # numpy's numbers too
            raise bad("a number")
        return float(value)
    raise bad("a known setting")  # pragma: no cover - every key is handled above


def validate(s: TrainSettings, *, continuing: bool = False) -> None:
    """Check ranges (after merging file and parameters). Raises :class:`ParameterError` naming the
    parameter (the command line shows it as its flag). ``continuing``: the run continues a model
    in memory (``s.continue_from`` names a directory otherwise)."""
    continuing = continuing or bool(s.continue_from)

    def need(ok: bool, key: str, what: str) -> None:
        if not ok:
            raise ParameterError("{%s} %s (got {got!r})" % (key, what), key, got=getattr(s, key))

    need(s.dim >= 1, "dim", "must be at least 1")
    need(s.window >= 1, "window", "must be at least 1")
    need(s.negative >= 1, "negative", "must be at least 1")
    need(s.epochs >= 1, "epochs", "must be at least 1")
    need(s.min_count >= 1, "min_count", "must be at least 1")
    need(s.max_size is None or s.max_size >= 1, "max_size", "must be at least 1")
    need(s.workers is None or s.workers >= 1, "workers", "must be at least 1")
    need(s.batch_words >= 16, "batch_words", "must be at least 16")
    need(s.round_batches is None or s.round_batches >= 1, "round_batches", "must be at least 1")
    need(s.word_ngrams >= 1, "word_ngrams", "must be at least 1")
    need(s.buckets is None or 1 <= s.buckets <= 2**31 - 2, "buckets", "must be between 1 and 2**31 - 2")
    if s.objective == "classify" and s.order != "appearance":
        raise ParameterError("{order} frequency is not available with {objective} classify (its vocabulary is in "
                             "order of first appearance)", "order", "objective")
    if s.label_column is not None and s.objective != "classify":
        raise ParameterError("{label_column} is for {objective} classify", "label_column", "objective")
    _check_used(s)
    need(s.checkpoint_every >= 0, "checkpoint_every", "must be 0 (never) or a number of epochs")
    need(s.seed >= 0, "seed", "must be a non-negative integer")
    for key in ("lr", "min_lr", "sample", "ns_exponent"):
        need(math.isfinite(getattr(s, key)), key, "must be a finite number")
    need(s.lr > 0, "lr", "must be greater than 0 (try 0.05)")
    need(s.min_lr >= 0, "min_lr", "must be 0 or more")
    if not s.min_lr <= s.lr:
        raise ParameterError("{min_lr} must not exceed {lr} {lr_value} (got {got!r})", "min_lr", "lr",
                             lr_value=s.lr, got=s.min_lr)
    need(s.sample >= 0, "sample", "must be 0 (no subsampling) or more (e.g. 1e-3)")
    if s.freeze and not s.init and not continuing:  # a continued model freezes the rows its --init found
        raise ParameterError("{freeze} needs {init} (the frozen rows are the words found in that file)",
                             "freeze", "init")
    if continuing:
        if s.objective == "classify":
            raise ParameterError("{continue_from} continues word vectors (skip-gram, CBOW); a classifier trains in one go",
                                 "continue_from", "objective")
        for key in ("init", "vocab"):
            if getattr(s, key):
                raise ParameterError("{%s} cannot be used with {continue_from}: the continued model's vocabulary and "
                                     "rows are the start" % key, key, "continue_from")


#: settings only the classifier uses (skip-gram and CBOW learn from single words, with no labels)
CLASSIFY_KEYS = ("word_ngrams", "label_prefix")
#: settings the classifier does not use (a softmax over the labels of each line, batches of whole lines,
#: every word kept: no context window, negatives or subsampling)
WORD_VECTOR_KEYS = ("window", "negative", "ns_exponent", "sample", "batch_words", "round_batches")


def _check_used(s: TrainSettings) -> None:
    """A setting the run does not use, set to another value than its default, is an error: it would
    be ignored without a word (``--word-ngrams 2`` with skip-gram, ``--window 3`` with classify)."""
    def default(key: str) -> Any:
        return run_default(key, s.objective, s.subwords) if key in RUN_DEFAULTS else DEFAULTS[key]

    classify = s.objective == "classify"
    for key in WORD_VECTOR_KEYS if classify else CLASSIFY_KEYS:
        if getattr(s, key) != default(key):
            raise ParameterError("{%s} %s (got {got!r})" % (
                key, "is not used by {objective} classify, which learns from whole lines" if classify
                else "is for {objective} classify"), key, "objective", got=getattr(s, key))
    ngrams = _subwords_on(s.subwords) or (classify and s.word_ngrams > 1)
    if s.buckets is not None and not ngrams:
        raise ParameterError("{buckets} are the hash buckets of the n-grams of {subwords}%s; this run has none "
                             "(got {got!r})" % (" or {word_ngrams}" if classify else ""),
                             "buckets", "subwords", *(("word_ngrams",) if classify else ()), got=s.buckets)


#: what a continued run (``continue_from``) does not take from the model it continues: where it reads
#: and writes, the start it replaces, the number of processes (the table does not depend on it) and
#: the round size, which by default follows the corpus size (resolved again for the new corpus)
NOT_CONTINUED = ("corpus", "output", "continue_from", "vocab", "init", "workers", "checkpoint_every",
                 "round_batches")


def continued_settings(model_dir) -> dict[str, Any]:
    """The settings of the trained model ``model_dir`` that a run continuing it starts from (the
    layer under its config file and flags: see :func:`merge`); its corpus is ``"corpus"``, used
    when the run names none. ``model_dir``: a model directory, or a model in memory (an
    :class:`~embedcli.model.Model`: its ``config``)."""
    if not isinstance(model_dir, (str, os.PathLike)):
        # (the kept keys only: a model trained in memory has no output, which is no path)
        return settings_of(_continued_keys(model_dir.config), "the continued model's settings", Path.cwd())
    p = os.fspath(model_dir)
    if p.endswith(".npy") and os.path.isfile(p):  # a model's table.npy names the model, as for loading
        p = os.path.dirname(p) or "."
    config = os.path.join(p, "config.yaml")
    if os.path.isfile(p):
        raise ParameterError("{continue_from} {path}: a file, not a model directory (to start from the vectors of "
                             "a file, use {init})", "continue_from", "init", path=p)
    if not os.path.isdir(p):
        raise ParameterError("{continue_from} {path}: no such model directory", "continue_from", path=p)
    if not os.path.isfile(config):
        raise ParameterError("{continue_from} {path}: no config.yaml in it (not a model trained by embedcli)",
                             "continue_from", path=p)
    return _continued_keys(load_config_file(config))


def _continued_keys(config: dict[str, Any]) -> dict[str, Any]:
    """The settings of a model's config a continued run takes (and its corpus): not
    :data:`NOT_CONTINUED`."""
    return {k: v for k, v in config.items() if k not in NOT_CONTINUED or k == "corpus"}


def merge(file_settings: dict[str, Any], overrides: dict[str, Any], *, continued: bool = True) -> TrainSettings:
    """Defaults < config file < overrides (flags or parameters; ``None`` means "not given").

    With ``continue_from`` (in either), the continued model's settings (:func:`continued_settings`)
    come between the defaults and the file, and its corpus is used when neither names one;
    ``continued`` False leaves them out (a resumed checkpoint has all its settings).
    An override of the wrong type is a :class:`ParameterError` naming the parameter."""
    values = dict(DEFAULTS)
    values["corpus"] = []
    base: dict[str, Any] = {}
    source = overrides.get("continue_from") or file_settings.get("continue_from")
    if continued and source:
        base = continued_settings(check_value("continue_from", source))
        if file_settings.get("corpus") or overrides.get("corpus"):
            base.pop("corpus")
    values.update(base)
    values.update(file_settings)
    # null: not set; a continued model's settings count as set (they are the values it was trained with)
    explicit = {k for k, v in {**base, **file_settings}.items() if not (k in RUN_DEFAULTS and v is None)}
    given = set()
    for key, value in overrides.items():
        if key not in DEFAULTS:
            raise KeyError(key)
        if value is None or (key == "corpus" and not value):
            continue
        values[key] = check_value(key, value)
        given.add(key)
    explicit |= given
    for key, value in OBJECTIVE_DEFAULTS.get(values["objective"], {}).items():
        if key not in explicit:
            values[key] = value
    return TrainSettings(**values, explicit=frozenset(explicit), given=frozenset(given))


def resolve_workers(settings: TrainSettings) -> int:
    workers = settings.workers
    if workers is None:
        workers = os.cpu_count() or 1
    return int(workers)


def default_config_path(cwd: str | os.PathLike | None = None) -> Path | None:
    """``configs/default.yaml`` in the current directory, else next to the package source."""
    here = Path(cwd) if cwd is not None else Path.cwd()
    candidate = here / "configs" / "default.yaml"
    if candidate.is_file():
        return candidate
    import embedcli

    packaged = Path(embedcli.__file__).resolve().parent.parent / "configs" / "default.yaml"
    if packaged.is_file():
        return packaged
    return None


def saved_settings(settings: TrainSettings) -> dict[str, Any]:
    """The settings as stored in ``config.yaml`` (absolute paths so the file works anywhere)."""
    out = {}
    for key in DEFAULTS:
        value = getattr(settings, key)
        if key == "corpus":
            value = [str(v) if v == "-" or is_url(v) else os.path.abspath(v) for v in value]  # (a Source is a str)
        elif key in PATH_KEYS and value is not None and value != "-":
            value = os.path.abspath(value)
        out[key] = value
    return out
