"""Model directories: a vocabulary and its lookup table, self-describing and versioned.

A model is a directory::

    vocab.json     the vocabulary (format of ``embedcli vocab``); row i of the table = token i
    table.npy      float32, shape (vocab size, dim)
    config.yaml    format name and version, versions, objective and the resolved settings
    history.json   one entry per epoch (loss, words/s, lr ...)
    *.npy / *.json extra arrays and objects of an objective (e.g. classifier labels and weights)

Saving goes through :func:`embedcli.io.atomic_directory`: the directory is written aside and
swapped in only when complete. Loading checks the format version and the shapes, never
unpickles anything, and says clearly what is wrong.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from . import __version__
from .errors import EmbedcliError, FormatError, UsageError
from .io import STDIO, atomic_directory, atomic_write, check_format_header, display_name, read_json_document
from .vocab import Vocab

FORMAT = "embedcli-model"
VERSION = 2  # 2: optional character n-gram rows (subwords.json, input_rows.npy); version 1 models load as before

VOCAB_FILE = "vocab.json"
TABLE_FILE = "table.npy"
CONFIG_FILE = "config.yaml"
HISTORY_FILE = "history.json"


@dataclass
class Model:
    vocab: Vocab
    table: np.ndarray
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # extra name -> array (name.npy)
    objects: dict[str, Any] = field(default_factory=dict)  # extra name -> JSON object (name.json)
    path: str | None = None

    def __post_init__(self) -> None:
        check_shapes(self.vocab, self.table, self.path or "model")

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    @property
    def objective(self) -> str | None:
        return self.config.get("objective")

    def vector(self, token: str) -> np.ndarray:
        return self.table[self.vocab.index[token]]

    @property
    def subwords(self):
        """:class:`embedcli.subwords.SubwordVectors` of a model trained with subwords (a vector for
        any word), else None."""
        if "_subwords" not in self.__dict__:
            from .subwords import SubwordVectors

            self.__dict__["_subwords"] = SubwordVectors.from_model(self)
        return self.__dict__["_subwords"]

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the model directory atomically (an existing one is replaced only on success)."""
        config = {
            "format": FORMAT,
            "version": VERSION,
            "embedcli_version": __version__,
            "numpy_version": np.__version__,
            "vocab_size": len(self.vocab),
            "dim": self.dim,
        }
        config.update({k: v for k, v in self.config.items() if k not in config})
        if not replaceable(path):
            raise EmbedcliError(f"{os.fspath(path)}: a directory that is not an embedcli model (no {VOCAB_FILE} and "
                                f"{TABLE_FILE}); saving would replace everything in it; choose another directory")
        with atomic_directory(path) as tmp:
            write_model_files(tmp, self.vocab, self.table, config, self.history, self.arrays, self.objects)
        self.path = os.fspath(path)
        self.config = config

    @classmethod
    def load(cls, path: str | os.PathLike, *, require_config: bool = False) -> "Model":
        """Load a model directory, or a ``table.npy`` that has a ``vocab.json`` beside it."""
        p = os.fspath(path)
        if os.path.isfile(p) and p.endswith(".npy"):
            directory, table_path = os.path.dirname(p) or ".", p
        elif os.path.isdir(p):
            directory, table_path = p, os.path.join(p, TABLE_FILE)
        elif p == STDIO and not os.path.exists(p):  # `zcat v.gz | embedcli similar - king`
            raise UsageError("a model cannot be read from standard input ('-'): give its directory, or the vector "
                             "file itself (.gz, .bz2 and .xz files are read as they are)")
        elif not os.path.exists(p):
            raise EmbedcliError(f"{display_name(p)}: no such model directory")
        else:
            raise FormatError(f"{p}: not a model (expected a directory with {VOCAB_FILE} and {TABLE_FILE})")
        vocab_path = os.path.join(directory, VOCAB_FILE)
        missing = [f for f in (vocab_path, table_path) if not os.path.isfile(f)]
        if missing:
            names = " and ".join(os.path.basename(m) for m in missing)
            raise FormatError(f"{p}: not an embedcli model (missing {names})")
        config: dict[str, Any] = {}
        config_path = os.path.join(directory, CONFIG_FILE)
        if os.path.isfile(config_path):
            config = read_config(config_path)
        elif require_config:
            raise FormatError(f"{p}: not an embedcli model (missing {CONFIG_FILE})")
        vocab = Vocab.load(vocab_path)
        table = load_array(table_path)
        history: list = []
        history_path = os.path.join(directory, HISTORY_FILE)
        if os.path.isfile(history_path):
            history = read_json(history_path)
        arrays: dict[str, np.ndarray] = {}
        objects: dict[str, Any] = {}
        for name in config.get("arrays", []):
            arrays[name] = load_array(os.path.join(directory, name + ".npy"))
        for name in config.get("objects", []):
            objects[name] = read_json(os.path.join(directory, name + ".json"))
        return cls(vocab, table, config, history, arrays, objects, path=p)


def replaceable(path: str | os.PathLike) -> bool:
    """Whether saving a model to ``path`` may replace what is there: nothing, an empty directory
    or a model (its :data:`VOCAB_FILE` and :data:`TABLE_FILE`). Saving swaps the whole directory,
    so any other directory (a corpus folder, ``.``) would be lost."""
    p = os.fspath(path)
    if not os.path.isdir(p):
        return True
    try:
        names = set(os.listdir(p))
    except OSError:
        return True  # what cannot be listed is reported by the write
    return not names or {VOCAB_FILE, TABLE_FILE} <= names


def check_shapes(vocab: Vocab, table: np.ndarray, name: str) -> None:
    if table.ndim != 2:
        raise FormatError(f"{name}: table must be 2-D (vocab size, dim), got shape {table.shape}")
    if table.shape[0] != len(vocab):
        raise FormatError(
            f"{name}: {TABLE_FILE} has {table.shape[0]} rows but {VOCAB_FILE} has {len(vocab)} tokens; "
            "they do not belong together"
        )
    if table.dtype != np.float32:
        raise FormatError(f"{name}: {TABLE_FILE} must be float32, got {table.dtype}")


def write_model_files(
    directory: str,
    vocab: Vocab,
    table: np.ndarray,
    config: dict[str, Any],
    history: list[dict[str, Any]],
    arrays: dict[str, np.ndarray] | None = None,
    objects: dict[str, Any] | None = None,
) -> None:
    """Write the files of a model into ``directory`` (which the caller swaps in atomically)."""
    arrays, objects = arrays or {}, objects or {}
    config = dict(config)
    if arrays:
        config["arrays"] = sorted(arrays)
    if objects:
        config["objects"] = sorted(objects)
    vocab.save(os.path.join(directory, VOCAB_FILE))
    save_array(os.path.join(directory, TABLE_FILE), np.ascontiguousarray(table, dtype=np.float32))
    for name, arr in arrays.items():
        save_array(os.path.join(directory, name + ".npy"), arr)
    for name, obj in objects.items():
        write_json(os.path.join(directory, name + ".json"), obj)
    with atomic_write(os.path.join(directory, CONFIG_FILE)) as f:
        yaml.safe_dump(config, f, sort_keys=False, allow_unicode=True)
    write_json(os.path.join(directory, HISTORY_FILE), history)


def save_array(path: str, arr: np.ndarray) -> None:
    with atomic_write(path, "wb") as f:
        np.save(f, arr, allow_pickle=False)


def load_array(path: str) -> np.ndarray:
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise EmbedcliError(f"{path}: no such file") from None
    except (ValueError, OSError, EOFError) as exc:
        raise FormatError(f"{path}: not a readable .npy array ({exc})") from None
    if not isinstance(arr, np.ndarray):
        raise FormatError(f"{path}: expected a single .npy array")
    return arr


def read_json(path: str) -> Any:
    return read_json_document(path, "a JSON file")


def write_json(path: str, obj: Any) -> None:
    with atomic_write(path) as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def read_config(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            config = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise FormatError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    check_format_header(config, path, fmt=FORMAT, supported=VERSION, what="model",
                        missing=f"not an embedcli model config (no \"format: {FORMAT}\")")
    for key in ("arrays", "objects"):  # the names of the model's other .npy and .json files
        names = config.get(key)
        if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise FormatError(f"{path}: \"{key}\" must be a list of file names (without .npy/.json), got {names!r}")
    return config
