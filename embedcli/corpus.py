"""Corpus → integer ids, once, on disk.

Training reads the corpus many times (once per epoch). :func:`encode_corpus` tokenises it
once, streaming, into a flat ``int32`` array in an :class:`embedcli.idstore.IdStore` (a
temporary file without a name, freed even when the process is killed): one vocabulary id per
in-vocabulary word and :data:`SENTENCE_BREAK` (``-1``) at the end of every line. Lines longer
than :data:`MAX_SENTENCE` tokens are cut into pieces of that length, like gensim's
``LineSentence``. Words below ``min_count`` are dropped (as word2vec does), so a window spans
over them. Memory grows with the vocabulary, never with the corpus: the text is read in
chunks and the ids are appended to a file, then remapped block by block.

Counting and encoding share one tokenisation pass: tokens get provisional ids in order of
first appearance while the counts are collected; once the vocabulary is known (min_count,
max_size), the provisional ids are remapped to vocabulary ids.

On Linux the pass runs in a forked child process (:func:`encode_corpus`'s ``in_child``): the
trainer gets the vocabulary and the ids and never holds the scan's memory (each chunk's token
strings, the index of every distinct token and the heap pages they leave), nor do the worker
processes it forks later (a forked process counts every anonymous page of its parent in its
resident size). Readers take entries with plain positional reads (:meth:`EncodedCorpus.read`,
:meth:`EncodedCorpus.blocks`), never a memory map: the store's pages stay in the page cache,
outside every process.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from collections import Counter
from dataclasses import dataclass
from itertools import count, filterfalse, repeat
from typing import Callable, Iterator, Sequence

import numpy as np

from .errors import EmbedcliError
from .heap import glibc, trim
from .idstore import IdStore
from .io import display_name, expand_inputs, is_url
from .shards import CheckedChunks
from .text import TextSettings
from .tokenizer import PieceIds, PieceTokenizer
from .vocab import Vocab, build_vocab, extend_vocab

SENTENCE_BREAK = -1
MAX_SENTENCE = 10_000
BLOCK = 1 << 18  # ids per block when remapping / reading
SCAN_CHUNK = 1 << 18  # bytes of text tokenised at a time (a chunk's token strings: ~14x its bytes)


@dataclass
class EncodedCorpus:
    """A corpus encoded as vocabulary ids, in an :class:`~embedcli.idstore.IdStore`."""

    store: IdStore
    n_entries: int  # ids + sentence breaks
    n_words: int  # in-vocabulary words (the words of one epoch before subsampling)
    n_sentences: int
    corpus_tokens: int  # all tokens read, in the vocabulary or not

    def ids(self) -> np.ndarray:
        """The whole id array in memory (for inspection and tests; training uses :meth:`blocks`)."""
        return self.store.array()

    def blocks(self, size: int = BLOCK) -> Iterator[np.ndarray]:
        """The ids in blocks of ``size``, read with plain file reads (bounded memory)."""
        return self.store.blocks(size)

    def read(self, start: int, count: int) -> np.ndarray:
        """Entries ``[start, start + count)`` (a plain positional read into a new array)."""
        return self.store.read(start, count)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "EncodedCorpus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _provisional_ids(fixed: dict[str, int] | None) -> tuple[dict[str, int], Callable[[list[str]], list[int]]]:
    """The index ``token -> provisional id + 1`` (0 is the line end) and the ``ids_of`` of
    :class:`PieceIds` that fills it, in order of first appearance; with a ``fixed`` index
    (token -> id), its ids and ``len(fixed)`` for every unknown token (plus one)."""
    if fixed is not None:
        shifted = {t: i + 1 for t, i in fixed.items()}
        get, unknown = shifted.get, repeat(len(fixed) + 1)
        return fixed, lambda tokens: list(map(get, tokens, unknown))
    index: dict[str, int] = {}

    def ids_of(tokens: list[str]) -> list[int]:
        new = list(filterfalse(index.__contains__, tokens))
        if new:
            index.update(zip(dict.fromkeys(new), count(len(index) + 1)))
        return list(map(index.__getitem__, tokens))

    return index, ids_of


def _cut_long_lines(arr: np.ndarray, run: int) -> tuple[np.ndarray, int]:
    """Insert line ends (0) so that no line has more than MAX_SENTENCE tokens.

    ``run`` is the number of tokens of the current line already written (the line started
    in an earlier chunk). Returns the array and the run length at its end.
    """
    seps = np.flatnonzero(arr == 0)
    bounds = np.concatenate([[-1], seps, [len(arr)]])
    lengths = np.diff(bounds) - 1
    lengths[0] += run
    if lengths.max() <= MAX_SENTENCE:
        return arr, int(lengths[-1])
    out: list[int] = []
    for value in arr.tolist():
        if value == 0:
            out.append(0)
            run = 0
            continue
        if run == MAX_SENTENCE:
            out.append(0)
            run = 0
        out.append(value)
        run += 1
    return np.asarray(out, dtype=np.int32), run


class ScanEntries:
    """What a corpus scan stores, chunk by chunk: ``provisional id + 1`` per token and 0 per line
    end (:meth:`add`), without empty lines, with lines cut at ``MAX_SENTENCE`` tokens, and every
    file ended by a line end (:meth:`end_file`); counts the tokens of each provisional id."""

    def __init__(self, out: IdStore):
        self.out = out
        self.n_tokens = 0
        self.n_entries = 0
        self.counts = np.zeros(0, dtype=np.int64)
        self.run = 0  # tokens of the current line already stored
        self.last = 0  # the last entry stored for this file

    def start_file(self) -> None:
        self.run = 0
        self.last = 0

    def add(self, arr: np.ndarray) -> None:
        if not len(arr):
            return
        is_end = arr == 0
        repeated = np.empty_like(is_end)  # empty lines: a line end right after another
        repeated[0] = is_end[0] and self.last == 0
        np.logical_and(is_end[1:], is_end[:-1], out=repeated[1:])
        if repeated.any():
            arr = arr[~repeated]
            if not len(arr):
                return
        arr, self.run = _cut_long_lines(arr, self.run)
        words = arr[arr > 0]
        self.n_tokens += len(words)
        self.out.append(arr)
        self.n_entries += len(arr)
        self.last = int(arr[-1])
        chunk_counts = np.bincount(words, minlength=len(self.counts) + 1)[1:]
        self.counts = self.counts_of(len(chunk_counts))
        self.counts[: len(chunk_counts)] += chunk_counts

    def end_file(self) -> None:
        if self.last != 0:  # the file does not end with a newline: end its last line
            self.out.append(np.zeros(1, dtype=np.int32))
            self.n_entries += 1

    def counts_of(self, size: int) -> np.ndarray:
        """The counts, at least ``size`` long (ids never seen count 0)."""
        if len(self.counts) < size:
            return np.concatenate([self.counts, np.zeros(size - len(self.counts), np.int64)])
        return self.counts


def _scan(
    paths: Sequence[str],
    settings: TextSettings,
    out: IdStore,
    *,
    encoding_errors: str,
    progress: Callable[[int], None] | None,
    index: dict[str, int] | None = None,
) -> tuple[list[str], np.ndarray, int, int]:
    """Tokenise ``paths``; append ``provisional id + 1`` per token and 0 per line end to ``out``.

    The byte-level path (:class:`~embedcli.tokenizer.PieceIds`): each chunk of raw bytes is cut
    into pieces in C and each distinct piece is tokenised once, the same tokens as the reference
    path (:func:`~embedcli.tokenizer.line_token_pattern` over the decoded, normalised chunk).
    With a fixed ``index`` (token -> id), unknown tokens are written as ``len(index) + 1`` and no
    new ids are made. Returns the tokens by provisional id, their counts, tokens read, entries.
    """
    provisional, ids_of = _provisional_ids(index)
    pieces = PieceIds(PieceTokenizer(settings, encoding_errors), ids_of, line=0)
    entries = ScanEntries(out)
    for path in paths:
        entries.start_file()
        chunks = CheckedChunks(path, progress=progress, chunk_bytes=SCAN_CHUNK)
        for raw in chunks:
            try:
                arr = pieces.chunk(raw)
            except UnicodeDecodeError:
                chunks.fail_decode(raw)
            entries.add(arr)
        entries.end_file()
    growing = index is None
    # fresh copies of the distinct tokens: the originals were made among each chunk's transient
    # pieces and would keep most of those pieces' memory pages from being freed
    tokens = [t.encode().decode() for t in provisional] if growing else []
    size = len(tokens) if growing else len(index) + 1
    return tokens, entries.counts_of(size), entries.n_tokens, entries.n_entries


def _encode(paths: list[str], settings: TextSettings, ids: IdStore, *, min_count: int, max_size: int | None,
            vocab: Vocab | None, encoding_errors: str, progress: Callable[[int], None] | None,
            tmp_dir: str | None, order: str, extend: Vocab | None = None) -> tuple[Vocab, EncodedCorpus]:
    """:func:`encode_corpus`'s work, in this process: the ids go to ``ids`` (an empty store)."""
    given = vocab if vocab is not None else extend  # a vocabulary's text is split as it was
    if given is not None:
        settings = given.settings
    raw = IdStore(np.int32, tmp_dir)
    try:
        fixed = dict(vocab.index) if vocab is not None else None
        tokens, counts, n_tokens, n_raw = _scan(
            paths, settings, raw, encoding_errors=encoding_errors, progress=progress, index=fixed
        )
        names = ", ".join(display_name(p) for p in paths)
        if n_tokens == 0:
            raise EmbedcliError(f"{names}: no words found (empty corpus?)")
        if vocab is None:
            counter = Counter(dict(zip(tokens, counts.tolist())))
            if extend is not None:
                vocab = extend_vocab(extend, counter, n_tokens, min_count=min_count, max_size=max_size, order=order)
            else:
                vocab = build_vocab(counter, n_tokens, settings, min_count=min_count, max_size=max_size,
                                    source=names, order=order)
            del counter
        specials = set(vocab.specials.values())
        # remap[raw] -> final id; raw 0 = sentence break -> -1; dropped words -> -2
        vindex = vocab.index
        if fixed is None:
            remap = np.full(len(tokens) + 1, -2, dtype=np.int32)
            for p, tok in enumerate(tokens):
                v = vindex.get(tok)
                if v is not None and tok not in specials:
                    remap[p + 1] = v
        else:
            remap = np.full(len(vocab) + 2, -2, dtype=np.int32)
            for tok, v in vindex.items():
                if tok not in specials:
                    remap[v + 1] = v
        remap[0] = SENTENCE_BREAK
        # plain reads and writes, block by block (no memory map: touched pages of a map count
        # in the resident size, which would then grow with the corpus)
        kept_words = n_sentences = neighbours = 0
        last_is_word = False  # the previous block's last entry (a line may go on into the next block)
        for block in raw.blocks(BLOCK):
            block = remap[block]
            block = block[block != -2]
            ids.append(block)
            n_sentences += int(np.count_nonzero(block == SENTENCE_BREAK))
            is_word = block >= 0
            kept_words += int(np.count_nonzero(is_word))
            if not neighbours and len(block):  # two words side by side on a line: a context exists
                neighbours = int(np.count_nonzero(is_word[1:] & is_word[:-1])) + int(last_is_word and is_word[0])
                last_is_word = bool(is_word[-1])
        raw.close()
        if kept_words == 0:
            raise EmbedcliError(f"{names}: no word of the corpus is in the vocabulary; nothing to train on")
        if not neighbours:
            raise EmbedcliError(f"{names}: no line has two words in the vocabulary, so no word has a context to "
                                f"learn from (a line is a sentence: windows stop at its end); a file of one word "
                                f"per line? Put each sentence on a line")
        return vocab, EncodedCorpus(ids, ids.count, kept_words, n_sentences, n_tokens)
    finally:
        raw.close()


def encode_corpus(
    paths: Sequence[str | os.PathLike],
    settings: TextSettings = TextSettings(),
    *,
    min_count: int = 5,
    max_size: int | None = None,
    vocab: Vocab | None = None,
    encoding_errors: str = "strict",
    progress: Callable[[int], None] | None = None,
    tmp_dir: str | None = None,
    order: str = "appearance",
    in_child: bool | None = None,
    extend: Vocab | None = None,
) -> tuple[Vocab, EncodedCorpus]:
    """Build the vocabulary (unless ``vocab`` is given) and encode the corpus, in one pass.

    ``extend``: the vocabulary is this one grown by the corpus's words
    (:func:`~embedcli.vocab.extend_vocab`: its tokens keep their ids; ``min_count``, ``max_size``
    and ``order`` apply to the new words), split as its text was.

    Returns the vocabulary and an :class:`EncodedCorpus` whose store the caller closes with
    ``close()`` (or a ``with`` block). ``tmp_dir`` is where the id store lives (default:
    ``TMPDIR`` or the system's temporary directory).

    ``in_child`` (default: where ``fork`` exists, Linux, for local files): the work runs in a
    forked child process that writes the ids into this process's store and sends back the
    vocabulary (see :func:`_encode_in_child`), so that none of the scan's memory (the text
    chunks' token strings, the provisional index of every distinct token, the heap pages they
    leave behind) is ever part of this process: the trainer and the worker processes it forks
    start from the imports and the vocabulary alone. ``False``: in this process.
    """
    paths = expand_inputs([os.fspath(p) for p in paths])
    if not paths:
        raise EmbedcliError("no corpus given: pass CORPUS files or set 'corpus' in the config file")
    if in_child is None:
        in_child = _fork_available() and not any(is_url(p) for p in paths)
    ids = IdStore(np.int32, tmp_dir)
    try:
        kw = dict(min_count=min_count, max_size=max_size, vocab=vocab, encoding_errors=encoding_errors,
                  tmp_dir=tmp_dir, order=order, extend=extend)
        if in_child:
            return _encode_in_child(paths, settings, ids, progress=progress, **kw)
        result = _encode(paths, settings, ids, progress=progress, **kw)
        trim()  # the scan's freed chunks go back to the system before training allocates
        return result
    except BaseException:
        ids.close()
        raise


def _fork_available() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(struct.pack("<Q", len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _messages(fd: int) -> Iterator:
    """The objects :func:`_send` wrote to the pipe ``fd``, until it closes."""
    buf = bytearray()
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        buf += chunk
        while len(buf) >= 8:
            (n,) = struct.unpack_from("<Q", buf)
            if len(buf) < 8 + n:
                break
            obj = pickle.loads(bytes(buf[8 : 8 + n]))
            del buf[: 8 + n]
            yield obj


def _die_with_parent() -> None:
    """Linux: this (child) process gets SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``)."""
    libc = glibc()
    try:
        if libc is not None:
            libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except AttributeError:  # pragma: no cover - a libc.so.6 without prctl
        pass


def _encode_in_child(paths: list[str], settings: TextSettings, ids: IdStore, *, progress, vocab: Vocab | None,
                     **kw) -> tuple[Vocab, EncodedCorpus]:
    """:func:`_encode` in a forked child process.

    The child writes the ids into ``ids`` (an unnamed temporary file this process opened: the
    child's writes go to the same file) and sends, through a pipe, the progress of its reading
    (``progress`` is called here, in order) and at the end the vocabulary (unless ``vocab`` was
    given) and the counts, or the exception it raised, which is raised here. The child ignores
    Ctrl-C (this process handles it), is killed if this process stops (an exception, Ctrl-C, or
    this process being killed: ``PR_SET_PDEATHSIG``) and always leaves with ``os._exit``.
    """
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child (its coverage is not collected)
        code = 1
        try:
            os.close(r)
            _die_with_parent()
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
            except ValueError:  # not the main thread
                pass
            try:
                report = (lambda n: _send(w, ("progress", n))) if progress is not None else None
                got, corpus = _encode(paths, settings, ids, progress=report, vocab=vocab, **kw)
                ids.flush()
                _send(w, ("done", None if vocab is not None else got, corpus.n_entries, corpus.n_words,
                          corpus.n_sentences, corpus.corpus_tokens))
                code = 0
            except BrokenPipeError:  # the parent stopped
                pass
            except BaseException as exc:
                try:
                    pickle.loads(pickle.dumps(exc))
                except Exception:  # an exception that does not pickle: its text
                    exc = RuntimeError(f"{type(exc).__name__}: {exc}")
                _send(w, ("error", exc))
        except BaseException:
            pass
        finally:
            os._exit(code)
    os.close(w)
    result = None
    try:
        try:
            for msg in _messages(r):
                if msg[0] == "progress":
                    progress(msg[1])
                elif msg[0] == "error":
                    raise msg[1]
                else:
                    result = msg
        finally:
            os.close(r)
        _, status = os.waitpid(pid, 0)
        pid = 0
        if result is None:
            raise EmbedcliError(f"the corpus encoding process ended without a result ({_exit_text(status)})")
    except BaseException:
        if pid:
            _kill(pid)
        raise
    _, got, n_entries, n_words, n_sentences, corpus_tokens = result
    ids.count = n_entries
    ids.file.seek(0, os.SEEK_END)  # the child wrote through its own copy of the file object
    return (vocab if vocab is not None else got), EncodedCorpus(ids, n_entries, n_words, n_sentences, corpus_tokens)


def _exit_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return f"killed by {name}" + ("; out of memory?" if sig == signal.SIGKILL else "")
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
