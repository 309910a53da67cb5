"""Training settings: defaults, YAML config files and flag overrides.

A config file is flat YAML whose keys are the snake_case names of the ``embedcli train``
flags (``min_count``, ``corpus``, ``output`` ...). Flags override the file. Relative paths in a
file resolve against the file's directory, so a config can live next to its data. The
resolved settings are stored in the model's ``config.yaml``; that file is itself a valid
config (the metadata keys written by :mod:`embedcli.model` are accepted and ignored), so
``embedcli train --config MODEL/config.yaml`` reproduces a run.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import yaml

from .errors import EmbedcliError, UsageError

OBJECTIVES = ("skipgram", "cbow", "classify")

#: key -> (type, default). ``None`` default means "not set" (e.g. max_size: no limit).
DEFAULTS: dict[str, Any] = {
    "corpus": [],
    "output": "models/default",
    "objective": "skipgram",
    "dim": 100,
    "window": 5,
    "negative": 5,
    "sample": 1e-3,
    "epochs": 5,
    "lr": 0.025,
    "min_lr": 0.0001,
    "min_count": 5,
    "max_size": None,
    "seed": 1,
    "workers": None,  # None: all cores (resolved to a number before training)
    "batch_words": 512,
    "checkpoint_every": 0,
    "word_ngrams": 1,
    "vocab": None,
    "init": None,  # pretrained vector file for the initial input rows
    "freeze": False,  # with init: never update the rows found in the file
    "lower": True,
    "keep_punct": False,
    "encoding_errors": "strict",
}

PATH_KEYS = ("output", "vocab", "init")
INT_KEYS = ("dim", "window", "negative", "epochs", "min_count", "max_size", "seed", "workers",
            "batch_words", "checkpoint_every", "word_ngrams")
FLOAT_KEYS = ("sample", "lr", "min_lr")
BOOL_KEYS = ("lower", "keep_punct", "freeze")

#: defaults that depend on the objective (used when neither the file nor a flag sets the key):
#: CBOW learns with lr 0.05 like word2vec.c and fastText (gensim uses 0.025 for both), and takes
#: batches of 1024 centre words; classify uses fastText's supervised defaults.
OBJECTIVE_DEFAULTS: dict[str, dict[str, Any]] = {
    "skipgram": {},
    "cbow": {"lr": 0.05, "batch_words": 1024},
    "classify": {"lr": 0.1, "min_lr": 0.0, "min_count": 1},
}

#: keys that embedcli.model writes into config.yaml besides the settings: accepted, ignored
METADATA_KEYS = frozenset({"format", "version", "embedcli_version", "numpy_version", "vocab_size",
                           "arrays", "objects"})


def flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def load_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML config file; check keys and types; resolve relative paths."""
    p = os.fspath(path)
    try:
        with open(p, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except FileNotFoundError:
        raise UsageError(f"--config {p}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"--config {p}: is a directory (did you mean {os.path.join(p, 'config.yaml')}?)") from None
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
    base = Path(p).resolve().parent
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in METADATA_KEYS:
            continue
        if key not in DEFAULTS:
            known = ", ".join(sorted(DEFAULTS))
            raise UsageError(f"{p}: unknown key {key!r} (known keys: {known})")
        out[key] = check_value(key, value, source=p)
    for key in PATH_KEYS:
        if out.get(key):
            out[key] = _resolve(out[key], base)
    if "corpus" in out:
        out["corpus"] = [_resolve(c, base) for c in out["corpus"]]
    return out


def _resolve(value: str, base: Path) -> str:
    if value == "-" or os.path.isabs(value):
        return value
    return os.path.normpath(str(base / value))


def check_value(key: str, value: Any, source: str) -> Any:
    """Type-check one setting; ``source`` names the file or flag in the error."""
    where = source if source.startswith("--") else f"{source}: key {key!r}"

    def bad(expected: str) -> EmbedcliError:
        return UsageError(f"{where}: expected {expected}, got {value!r}")

    if key == "corpus":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise bad("a file path or a list of file paths")
        return list(value)
    if key in PATH_KEYS:
        if value is None and key in ("vocab", "init"):
            return None
        if not isinstance(value, str) or not value:
            raise bad("a path")
        return value
    if key == "objective":
        if value not in OBJECTIVES:
            raise bad("one of " + ", ".join(OBJECTIVES))
        return value
    if key == "encoding_errors":
        if value not in ("strict", "replace", "ignore"):
            raise bad("strict, replace or ignore")
        return value
    if key in BOOL_KEYS:
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if key in INT_KEYS:
        if value is None and key in ("max_size", "workers"):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
        return value
    if key in FLOAT_KEYS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
        return float(value)
    raise bad("a known setting")  # pragma: no cover - every key is handled above


def validate(settings: dict[str, Any]) -> None:
    """Check ranges (after merging file and flags). Raises :class:`UsageError` naming the flag."""
    s = settings

    def need(ok: bool, key: str, what: str) -> None:
        if not ok:
            raise UsageError(f"{flag(key)} {what} (got {s[key]!r})")

    need(s["dim"] >= 1, "dim", "must be at least 1")
    need(s["window"] >= 1, "window", "must be at least 1")
    need(s["negative"] >= 1, "negative", "must be at least 1")
    need(s["epochs"] >= 1, "epochs", "must be at least 1")
    need(s["min_count"] >= 1, "min_count", "must be at least 1")
    need(s["max_size"] is None or s["max_size"] >= 1, "max_size", "must be at least 1")
    need(s["workers"] is None or s["workers"] >= 1, "workers", "must be at least 1")
    need(s["batch_words"] >= 16, "batch_words", "must be at least 16")
    need(s["word_ngrams"] >= 1, "word_ngrams", "must be at least 1")
    need(s["checkpoint_every"] >= 0, "checkpoint_every", "must be 0 (never) or a number of epochs")
    need(s["seed"] >= 0, "seed", "must be a non-negative integer")
    for key in ("lr", "min_lr", "sample"):
        need(math.isfinite(s[key]), key, "must be a finite number")
    need(s["lr"] > 0, "lr", "must be greater than 0 (try 0.025)")
    need(s["min_lr"] >= 0, "min_lr", "must be 0 or more")
    need(s["min_lr"] <= s["lr"], "min_lr", f"must not exceed --lr {s['lr']}")
    need(s["sample"] >= 0, "sample", "must be 0 (no subsampling) or more (e.g. 1e-3)")
    if s.get("freeze") and not s.get("init"):
        raise UsageError("--freeze needs --init FILE (the frozen rows are the words found in that file)")


def merge(file_settings: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Defaults < config file < flags (``None`` in overrides means "flag not given")."""
    settings = dict(DEFAULTS)
    settings["corpus"] = []
    settings.update(file_settings)
    explicit = set(file_settings)
    for key, value in overrides.items():
        if key not in DEFAULTS:
            raise KeyError(key)
        if value is None or (key == "corpus" and not value):
            continue
        settings[key] = check_value(key, value, source=flag(key))
        explicit.add(key)
    for key, value in OBJECTIVE_DEFAULTS.get(settings["objective"], {}).items():
        if key not in explicit:
            settings[key] = value
    settings["_explicit"] = explicit  # which keys were set (by file or flag), not saved
    return settings


def resolve_workers(settings: dict[str, Any]) -> int:
    workers = settings.get("workers")
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


def saved_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as stored in ``config.yaml`` (absolute paths so the file works anywhere)."""
    out = {}
    for key in DEFAULTS:
        value = settings.get(key)
        if key == "corpus":
            value = [v if v == "-" else os.path.abspath(v) for v in value]
        elif key in PATH_KEYS and value is not None and value != "-":
            value = os.path.abspath(value)
        out[key] = value
    return out
