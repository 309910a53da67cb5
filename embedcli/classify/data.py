"""Reading labelled files for training: one streaming pass into flat int32 spools on disk
(:class:`embedcli.idstore.IdStore`: unnamed temporary files in ``tmp`` = ``--tmp-dir``, else
``TMPDIR``, else the system's; nothing is left behind even by a killed process).

:func:`read_examples` is the one entry point that reads the training files; the later steps
(:func:`build_inputs`, :func:`keep_labels`) turn the spooled provisional ids into the final
input rows and labels block by block, so memory grows with the vocabulary, not the corpus.
"""

from __future__ import annotations

from array import array

import numpy as np

from ..errors import EmbedcliError
from ..idstore import IdStore, scratch_array
from ..io import display_name, expand_inputs
from ..labeled import iter_labeled
from .model import input_rows
from .ngrams import DistinctHashes, ngram_hashes

SHUFFLE_BLOCK = 1 << 16  # lines per shuffled block (bounds memory during the epochs)
ENCODE_BLOCK = 1 << 13  # lines per block when the read ids are turned into input rows
_FLUSH = 1 << 20  # ids buffered in memory before they go to the temporary files


class _Spool:
    """An :class:`~embedcli.idstore.IdStore` (unnamed temporary file, freed even if the process is
    killed) filled value by value through a buffer; ``close`` gives a read-only memory map."""

    def __init__(self, tmp_dir: str | None, typecode: str = "i"):
        self.typecode = typecode
        self.buf = array(typecode)
        self.store = IdStore(np.int32 if typecode == "i" else np.int64, tmp_dir)

    def extend(self, values) -> None:
        self.buf.extend(values)
        if len(self.buf) >= _FLUSH:
            self.flush()

    def append(self, value) -> None:
        self.buf.append(value)
        if len(self.buf) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.store.append(np.frombuffer(self.buf, dtype=self.store.dtype))
            self.buf = array(self.typecode)

    def close(self) -> np.ndarray:
        self.flush()
        view = self.store.view()  # the map keeps the file's space until it is gone
        self.store.close()
        return view


def read_examples(paths, settings, prefix, encoding_errors, tmp, progress=None):
    """Pass over the files once: provisional token ids (first appearance) and label ids.

    The one place where training files are read (``progress(n)`` gets the bytes read). Returns
    ``(tokens, lengths, labels, labels per line, token -> provisional id, label -> id, stats)``,
    the arrays being read-only int32 maps of unnamed temporary files in ``tmp`` (None: TMPDIR).
    """
    tok_spool = _Spool(tmp)
    len_spool = _Spool(tmp)
    lab_spool = _Spool(tmp)
    nlab_spool = _Spool(tmp)
    token_ids: dict[str, int] = {}
    get_id = token_ids.get
    label_ids: dict[str, int] = {}
    stats = {"lines": 0, "unlabeled": 0, "examples": 0, "tokens": 0}
    for path in expand_inputs(paths):
        name = display_name(path)
        labeled_here = 0
        for _, labels, tokens in iter_labeled(
            path, settings, prefix=prefix, encoding_errors=encoding_errors, progress=progress
        ):
            stats["lines"] += 1
            if not labels:
                stats["unlabeled"] += 1
                continue
            labeled_here += 1
            lab = sorted({label_ids.setdefault(l, len(label_ids)) for l in labels})
            lab_spool.extend(lab)
            nlab_spool.append(len(lab))
            ids = list(map(get_id, tokens))  # C speed; new tokens (None) are rare after the first lines
            if None in ids:
                ids = [token_ids.setdefault(t, len(token_ids)) for t in tokens]
            tok_spool.extend(ids)
            len_spool.append(len(tokens))
            stats["tokens"] += len(tokens)
        if labeled_here == 0:
            raise EmbedcliError(
                f"{name}: no line has a label (a token starting with {prefix!r}); a classifier needs "
                f"fastText-format lines like '{prefix}spam buy cheap pills now'"
            )
        stats["examples"] += labeled_here
    return (tok_spool.close(), len_spool.close(), lab_spool.close(), nlab_spool.close(),
            token_ids, label_ids, stats)


def count_ids(ids: np.ndarray, size: int) -> np.ndarray:
    counts = np.zeros(size, dtype=np.int64)
    for lo in range(0, len(ids), _FLUSH):
        counts += np.bincount(np.asarray(ids[lo : lo + _FLUSH]), minlength=size)
    return counts


def cumulative_offsets(lengths: np.ndarray, tmp_dir: str | None) -> np.ndarray:
    """Cumulative offsets (len + 1, int64) of per-line lengths, in a temporary file, block by block."""
    out = scratch_array((len(lengths) + 1,), np.int64, tmp_dir)
    out[0] = 0
    carry = 0
    for lo in range(0, len(lengths), ENCODE_BLOCK):
        block = np.cumsum(np.asarray(lengths[lo : lo + ENCODE_BLOCK], dtype=np.int64)) + carry
        out[lo + 1 : lo + 1 + len(block)] = block
        carry = int(block[-1]) if len(block) else carry
    return out


def _token_blocks(tokens, lengths, tmp):
    """``(lo, hi, lengths, provisional ids)`` of the spooled lines, ``ENCODE_BLOCK`` lines at a time."""
    tok_off = cumulative_offsets(lengths, tmp)
    for lo in range(0, len(lengths), ENCODE_BLOCK):
        hi = min(lo + ENCODE_BLOCK, len(lengths))
        lens = np.asarray(lengths[lo:hi], dtype=np.int64)
        yield lo, hi, lens, np.asarray(tokens[tok_off[lo] : tok_off[hi]], dtype=np.int64)


def distinct_ngrams(tokens, lengths, prov_hash, word_ngrams, tmp) -> np.ndarray:
    """The distinct 64-bit hashes of the word n-grams (sizes 2..word_ngrams) of the spooled lines."""
    seen = DistinctHashes()
    for _, _, lens, prov in _token_blocks(tokens, lengths, tmp):
        seen.add(ngram_hashes(prov_hash[prov], lens, word_ngrams)[0])
    return seen.result()


def build_inputs(tokens, lengths, remap, prov_hash, word_ngrams, ngrams, n_words, tmp, prov_rows=None):
    """Final input rows of every line (:func:`embedcli.classify.model.input_rows`).

    ``remap``: provisional token id -> vocabulary row (-1: not an input), ``prov_hash``: the
    provisional tokens' hashes (with ``ngrams``, the :class:`NgramRows` of the training n-grams);
    ``prov_rows``: with character n-grams, each provisional token's rows as CSR
    ``(offsets, rows)`` (:func:`embedcli.classify.ngrams.token_rows`).
    Lines that end up with no input (all their words out of the vocabulary) are dropped.
    Returns (inputs int32 memmap, offsets int64, kept line mask (bool memmap), n_word_tokens).
    """
    in_spool = _Spool(tmp)
    n_spool = _Spool(tmp)
    keep = scratch_array((len(lengths),), np.bool_, tmp)
    n_word_tokens = 0
    for lo, hi, lens, prov in _token_blocks(tokens, lengths, tmp):
        wids = remap[prov]
        hashes = prov_hash[prov] if prov_hash is not None else None
        ids, lines = input_rows(wids, hashes, lens, word_ngrams, ngrams, n_words,
                                None if prov_rows is None else (prov, *prov_rows))
        counts = np.bincount(lines, minlength=hi - lo)
        keep[lo:hi] = counts > 0
        n_word_tokens += int((wids >= 0).sum())
        in_spool.extend(ids.astype(np.int32))
        n_spool.extend(counts[counts > 0].astype(np.int32))
    inputs, n_inputs = in_spool.close(), n_spool.close()
    return inputs, cumulative_offsets(n_inputs, tmp), keep, n_word_tokens


def keep_labels(labels, n_labels_per_line, keep, tmp):
    """Label ids and offsets of the kept lines only."""
    lab_spool = _Spool(tmp)
    n_spool = _Spool(tmp)
    lab_off = cumulative_offsets(n_labels_per_line, tmp)
    for lo in range(0, len(keep), ENCODE_BLOCK):
        hi = min(lo + ENCODE_BLOCK, len(keep))
        k = np.asarray(keep[lo:hi])
        nl = np.asarray(n_labels_per_line[lo:hi], dtype=np.int64)
        lab = np.asarray(labels[lab_off[lo] : lab_off[hi]])
        lab_spool.extend(lab[np.repeat(k, nl)])
        n_spool.extend(nl[k].astype(np.int32))
    return lab_spool.close(), cumulative_offsets(n_spool.close(), tmp)


def gather(flat: np.ndarray, offsets: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate the segments ``flat[offsets[l]:offsets[l+1]]`` of ``lines``; also their lengths."""
    starts = offsets[lines]
    lens = offsets[lines + 1] - starts
    total = int(lens.sum())
    shift = np.repeat(starts - (np.cumsum(lens) - lens), lens)
    return flat[np.arange(total, dtype=np.int64) + shift], lens
