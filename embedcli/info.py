"""What an artifact holds, without loading its matrices: a model directory, a vocabulary file, partial
counts or a pretrained vector file (``embedcli info``, :func:`embedcli.describe`).

A model is described from its ``config.yaml``, ``vocab.json``, ``history.json``, its JSON objects
and the headers of its ``.npy`` files (shapes and types, read without the data); a vocabulary from
its JSON; a vector file from its header and first vector. The result is a plain dict (JSON-ready).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .errors import EmbedcliError, FormatError

#: config.yaml keys that describe the file rather than the run's settings
_METADATA = ("format", "version", "embedcli_version", "numpy_version", "vocab_size", "dim", "arrays", "objects",
             "classifier")


#: what every epoch of a model's history.json records (and info shows)
_EPOCH_KEYS = ("epoch", "loss", "lr", "seconds")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def npy_header(path: str) -> tuple[tuple[int, ...], str]:
    """Shape and dtype of a ``.npy`` file, from its header only (a memory map: no data is read)."""
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise FormatError(f"{path}: not a readable .npy array ({exc})") from None
    shape, dtype = tuple(int(n) for n in arr.shape), str(arr.dtype)
    del arr
    return shape, dtype


def describe(path: str | os.PathLike) -> dict[str, Any]:
    """What ``path`` holds: ``{"kind": "model" | "vocabulary" | "partial-counts" | "vectors", ...}``
    (see the module)."""
    from .io import STDIO, display_name, looks_like_json, read_json_document
    from .model import TABLE_FILE, VOCAB_FILE

    p = os.fspath(path)
    if p == STDIO:  # a vocabulary or partial counts piped in (`embedcli vocab ... -o - | embedcli info -`)
        return _describe_json(display_name(p), read_json_document(p, "a vocabulary or partial counts"))
    if os.path.isdir(p):
        return describe_model(p)
    if not os.path.exists(p):
        raise EmbedcliError(f"{display_name(p)}: no such file or directory")
    if p.endswith(".npy"):  # a model's table.npy (vocab.json beside it): the model
        folder = os.path.dirname(p) or "."
        if not os.path.isfile(os.path.join(folder, VOCAB_FILE)):  # an export, encode's ids...
            shape, dtype = npy_header(p)
            raise FormatError(f"{p}: a .npy array ({' x '.join(map(str, shape))} {dtype}) without a {VOCAB_FILE} "
                              "beside it, not a model")
        return describe_model(folder)

    folder = os.path.dirname(p) or "."
    in_model = os.path.isfile(os.path.join(folder, TABLE_FILE)) and os.path.basename(p) != VOCAB_FILE
    if in_model:  # config.yaml, history.json...: a part of a model, which says more as a whole
        raise FormatError(f"{p}: a file of the model {folder}; give the model directory")
    if looks_like_json(p):  # parsed once here; the vocabulary or the counts are made from it
        return _describe_json(p, read_json_document(p, "a vocabulary or partial counts"))
    from .vectors import vector_file_info

    try:
        info = vector_file_info(p)
    except FormatError as exc:
        raise FormatError(f"{p}: not a model, a vocabulary or a vector file ({str(exc).removeprefix(p + ': ')})") \
            from None
    return {"kind": "vectors", "path": p, "format": info.format, "dim": info.dim, "words": info.count,
            "bytes": os.path.getsize(p)}


def _describe_json(path: str, data: Any) -> dict[str, Any]:
    """A vocabulary or partial counts, from the JSON document read from ``path``."""
    kind = data.get("format") if isinstance(data, dict) else None
    if kind == "embedcli-partial-counts":
        from .partial import PartialCounts

        return describe_partial(path, PartialCounts.from_dict(data, path))
    if kind != "embedcli-vocab":
        raise FormatError(f"{path}: a JSON file, but not a vocabulary or partial counts of embedcli")
    from .vocab import Vocab

    return describe_vocabulary(path, Vocab.from_dict(data, path))


def describe_vocabulary(path: str, vocab=None) -> dict[str, Any]:
    """A vocabulary file (``vocab``: the :class:`~embedcli.vocab.Vocab` read from it, when it is)."""
    if vocab is None:
        from .vocab import Vocab

        vocab = Vocab.load(path)
    return {
        "kind": "vocabulary",
        "path": path,
        "size": len(vocab),
        "specials": vocab.specials,
        "special_ids": {t: vocab.index[t] for t in vocab.specials.values()},
        "order": vocab.order,
        "min_count": vocab.min_count,
        "max_size": vocab.max_size,
        "corpus_tokens": vocab.corpus_tokens,
        "coverage": round(vocab.coverage(), 6),
        "normalization": vocab.settings.to_dict(),
        "first": vocab.tokens[:10],
    }


def describe_partial(path: str, part) -> dict[str, Any]:
    """Partial counts (``embedcli vocab --partial``, read from ``path``): their shard, size and text
    settings."""
    return {"kind": "partial-counts", "path": path, "distinct_words": len(part.tokens), "total": part.total,
            "source": part.source, "offset": part.offset, "last_offset": part.last_offset,
            "normalization": part.settings.to_dict(),
            "first": part.tokens[:10]}


#: the keys info shows of a run's records (what the trainers write)
_RECORD_KEYS = {"init": ("file", "format", "found", "rows"),
                "continued": ("model", "epochs_before", "words_added", "vocab_before")}


def _check_objects(path: str, objects: dict[str, Any]) -> None:
    """That the JSON objects of the model in ``path`` that info reads are what the trainers write (a
    damaged one: a one-line error naming it)."""
    from .subwords import SubwordSpec

    name = lambda stem: os.path.join(path, stem + ".json")  # noqa: E731
    if "subwords" in objects:
        SubwordSpec.from_dict(objects["subwords"], name("subwords"))
    for stem, keys in _RECORD_KEYS.items():
        if stem in objects and not (isinstance(objects[stem], dict) and all(k in objects[stem] for k in keys)):
            raise FormatError(f"{name(stem)}: expected an object with {', '.join(keys)}")
    labels = objects.get("labels")
    if labels is not None and not (isinstance(labels, list) and all(isinstance(t, str) for t in labels)):
        raise FormatError(f"{name('labels')}: expected a list of labels (strings)")
    counts = objects.get("label_counts")
    if counts is not None and not (isinstance(counts, list) and all(_number(c) for c in counts)
                                   and len(counts) == len(labels or [])):
        raise FormatError(f"{name('label_counts')}: expected a count (integer) per label of labels.json")


def describe_model(path: str) -> dict[str, Any]:
    """A model directory: its settings, vocabulary, matrices (shapes from the headers), training
    history and state, and what its JSON objects record (subwords, --init, --continue-from, labels)."""
    from .model import CONFIG_FILE, HISTORY_FILE, TABLE_FILE, VOCAB_FILE, read_config, read_json

    missing = [f for f in (VOCAB_FILE, TABLE_FILE) if not os.path.isfile(os.path.join(path, f))]
    if missing:
        raise FormatError(f"{path}: not an embedcli model (missing {' and '.join(missing)})")
    config_path = os.path.join(path, CONFIG_FILE)
    config = read_config(config_path) if os.path.isfile(config_path) else {}
    vocab = describe_vocabulary(os.path.join(path, VOCAB_FILE))
    files, arrays, objects = {}, {}, {}
    # the arrays and objects of the model are those its config.yaml lists (what Model.load reads), not
    # any .npy or .json file that happens to be beside them
    declared_arrays, declared_objects = config.get("arrays") or [], config.get("objects") or []
    with os.scandir(path) as entries:
        for e in sorted(entries, key=lambda e: e.name):
            if not e.is_file():
                continue
            files[e.name] = e.stat().st_size
            stem, ext = os.path.splitext(e.name)
            if ext == ".npy" and (e.name == TABLE_FILE or stem in declared_arrays):
                shape, dtype = npy_header(e.path)
                arrays[stem] = {"shape": list(shape), "dtype": dtype}
            elif ext == ".json" and stem in declared_objects and e.name not in (VOCAB_FILE, HISTORY_FILE):
                objects[stem] = read_json(e.path)
    history_path = os.path.join(path, HISTORY_FILE)
    history = read_json(history_path) if os.path.isfile(history_path) else []
    if not isinstance(history, list) or not all(isinstance(h, dict) and all(_number(h.get(k)) for k in _EPOCH_KEYS)
                                                for h in history):
        raise FormatError(f"{history_path}: not a training history (a list of epochs, each with a number for "
                          f"{', '.join(_EPOCH_KEYS)})")
    table, table_dtype = arrays["table"]["shape"], arrays["table"]["dtype"]
    if len(table) != 2:  # what Model.load refuses (model.check_shapes), said the same way
        raise FormatError(f"{path}: table must be 2-D (vocab size, dim), got shape {tuple(table)}")
    if table[0] != vocab["size"]:
        raise FormatError(f"{path}: table.npy has {table[0]:,} rows but vocab.json has {vocab['size']:,} tokens")
    if table_dtype != "float32":
        raise FormatError(f"{path}: {TABLE_FILE} must be float32, got {table_dtype}")
    _check_objects(path, objects)
    state = objects.pop("train_state", None)
    if state is not None and not (isinstance(state, dict) and _number(state.get("epochs_done"))
                                  and _number(state.get("epochs"))):
        raise FormatError(f"{os.path.join(path, 'train_state.json')}: not a training state (an object with "
                          "epochs_done and epochs)")
    labels = objects.pop("labels", None)
    label_counts = objects.pop("label_counts", None)
    out: dict[str, Any] = {
        "kind": "model",
        "path": path,
        "objective": config.get("objective"),
        "format_version": config.get("version"),
        "embedcli_version": config.get("embedcli_version"),
        "vocab_size": vocab["size"],
        "dim": table[1],
        "corpus": config.get("corpus"),
        "settings": {k: v for k, v in config.items() if k not in _METADATA},
        "vocabulary": {k: vocab[k] for k in ("specials", "special_ids", "order", "min_count", "max_size", "corpus_tokens",
                                             "coverage", "normalization")},
        "arrays": arrays,
        "files": files,
        "bytes": sum(files.values()),
        "history": history,
        "final_loss": history[-1].get("loss") if history else None,
        "seconds": round(sum(float(h.get("seconds") or 0) for h in history), 3),
        "training": state,
        "labels": None if labels is None else {"count": len(labels), "first": labels[:10],
                                               "counts": label_counts},
        **objects,  # subwords, init, continued (whatever the run recorded)
    }
    return out
