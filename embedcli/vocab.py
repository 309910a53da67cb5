"""Vocabularies: token ↔ index, built by streaming over a corpus.

Default indexing follows the Keras ``Embedding`` explanation: ``<pad>`` = 0, ``<unk>`` = 1, then
words from 2 in order of first appearance. ``specials=False`` gives the bare example indices
("Hope to see you soon" → 0..4). ``order="frequency"`` is the Keras ``Tokenizer`` order
(highest count first, ties by first appearance).

The file is JSON, self-describing and versioned (:data:`FORMAT`, :data:`VERSION`); position in
``"tokens"`` is the index.
"""

from __future__ import annotations

import json
import numbers
import os
from collections import Counter
from dataclasses import dataclass, field
from itertools import repeat
from typing import Callable, Iterable, Iterator, Sequence

from . import __version__
from .errors import EmbedcliError, FormatError, ParameterError, check_callback, check_integer, is_integer
from .io import atomic_write, check_format_header, display_name, read_json_document
from .text import TextSettings

FORMAT = "embedcli-vocab"
VERSION = 1
PAD = "<pad>"
UNK = "<unk>"
ORDERS = ("appearance", "frequency")


def count_tokens(
    paths: Sequence[str | os.PathLike],
    settings: TextSettings = TextSettings(),
    *,
    encoding_errors: str = "strict",
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> tuple[Counter, int]:
    """Count the tokens of the corpus files, streaming.

    Returns a Counter whose iteration order is the order of first appearance, and the
    number of tokens read. Memory grows with the number of distinct tokens only. With
    ``workers > 1`` the files are cut into byte ranges at newlines, counted in that many
    processes and merged (:mod:`embedcli.partial`); the result is identical.
    """
    from .pool import count_tokens_fast

    return count_tokens_fast(
        paths, settings, workers=workers, encoding_errors=encoding_errors, progress=progress
    )


@dataclass
class Vocab:
    """An ordered vocabulary: ``tokens[i]`` has index ``i``."""

    tokens: list[str]
    counts: list[int]
    settings: TextSettings = TextSettings()
    specials: dict[str, str] = field(default_factory=lambda: {"pad": PAD, "unk": UNK})
    order: str = "appearance"
    min_count: int = 1
    max_size: int | None = None
    corpus_tokens: int = 0
    #: distinct tokens of the corpus counted, before ``min_count``/``max_size`` (known after
    #: :meth:`build` / :meth:`merge`; not saved: ``None`` for a loaded vocabulary)
    distinct_words: int | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {tok: i for i, tok in enumerate(self.tokens)}

    # -- building and using (the Python API) ------------------------------------------------
    @classmethod
    def build(
        cls,
        texts,
        *,
        specials: bool = True,
        order: str = "appearance",
        min_count: int = 1,
        max_size: int | None = None,
        lower: bool = True,
        keep_punct: bool = False,
        encoding_errors: str = "strict",
        workers: int = 1,
        input_format: str = "auto",
        text_column: str | None = None,
        progress: Callable[[int], None] | None = None,
        dask: str | None = None,
    ) -> "Vocab":
        """Count ``texts`` and build a vocabulary, exactly as ``embedcli vocab`` does.

        ``texts``: a file path, a list of ``pathlib.Path``, or any iterable of strings (one line
        each) or of token lists (gensim's corpus; see :mod:`embedcli.sources`). ``specials`` puts
        ``<pad>`` = 0 and ``<unk>`` = 1 first; ``order`` is ``"appearance"`` (first appearance) or
        ``"frequency"``. ``workers`` processes count byte ranges of the files (same result for any number); a .csv, .tsv or
        .jsonl file (any file with ``input_format``) is a table read as its ``text_column``;
        ``progress(n)`` gets the bytes read; ``dask``: count on a Dask cluster instead (a
        scheduler address or ``local:N``; files may be URLs; needs ``embedcli[dask]``).

        >>> Vocab.build(["Hope to see you soon", "Nice to see you again"]).tokens[:5]
        ['<pad>', '<unk>', 'hope', 'to', 'see']
        """
        check_build_args(order, min_count, max_size)  # before reading any text
        settings = text_settings(lower, keep_punct)
        counts, total, source = _count(texts, settings, encoding_errors, workers, input_format, text_column,
                                       progress, dask)
        vocab = build_vocab(counts, total, settings, specials=specials, order=order, min_count=min_count,
                            max_size=max_size, source=source)
        vocab.distinct_words = len(counts)
        return vocab

    def extend(
        self,
        texts,
        *,
        order: str = "appearance",
        min_count: int = 1,
        max_size: int | None = None,
        encoding_errors: str = "strict",
        workers: int = 1,
        input_format: str = "auto",
        text_column: str | None = None,
        progress: Callable[[int], None] | None = None,
        dask: str | None = None,
    ) -> "Vocab":
        """This vocabulary grown by the words of ``texts`` (``embedcli vocab --extend``), as gensim's
        ``build_vocab(update=True)``: every token keeps its id and adds its count in ``texts``; the
        words it lacks that occur at least ``min_count`` times there follow in ``order``
        (``max_size``: the words besides the specials, old and new). The text is split as this
        vocabulary's was. Arguments otherwise as :meth:`build`.

        >>> v = Vocab.build(["Hope to see you soon"]).extend(["Nice to see you again"])
        >>> v["hope"], v["nice"], v.tokens[-2:]
        (2, 7, ['nice', 'again'])
        """
        check_build_args(order, min_count, max_size)
        counts, total, _ = _count(texts, self.settings, encoding_errors, workers, input_format, text_column,
                                  progress, dask)
        return extend_vocab(self, counts, total, order=order, min_count=min_count, max_size=max_size)

    @staticmethod
    def count_shard(
        texts,
        *,
        offset: int | None = None,
        lower: bool = True,
        keep_punct: bool = False,
        encoding_errors: str = "strict",
        workers: int = 1,
        input_format: str = "auto",
        text_column: str | None = None,
        progress: Callable[[int], None] | None = None,
        dask: str | None = None,
    ):
        """Mergeable counts of one shard of a corpus (``embedcli vocab --partial``): a
        :class:`~embedcli.partial.PartialCounts` (tokens, counts, first positions, token total;
        ``.save(path)``). Count the shards anywhere, then :meth:`merge` them in corpus order
        (or give each an ``offset`` growing along the corpus); the result is the vocabulary of
        the whole corpus counted at once. Arguments as :meth:`build`.

        >>> parts = [Vocab.count_shard(["Hope to see you soon"]), Vocab.count_shard(["Nice to see you again"])]
        >>> Vocab.merge(parts).tokens[:5]
        ['<pad>', '<unk>', 'hope', 'to', 'see']
        """
        from .sources import resolve_tables, text_files

        check_callback(progress)
        offset = None if offset is None else check_integer(offset, "offset")  # numpy integers: plain, as saved
        settings = text_settings(lower, keep_punct)
        with text_files(texts) as paths:
            paths = resolve_tables(texts, paths, input_format, text_column)
            if dask is not None:
                from .cluster import connect
                from .cluster.count import count_partial_on_cluster

                with connect(dask) as client:
                    return count_partial_on_cluster(client, paths, settings, encoding_errors=encoding_errors,
                                                    offset=offset, progress=progress)
            from .pool import count_partial

            return count_partial(paths, settings, encoding_errors=encoding_errors, workers=workers, offset=offset,
                                 progress=progress)

    @staticmethod
    def merge_counts(parts: Sequence):
        """The :class:`~embedcli.partial.PartialCounts` of consecutive shards (``embedcli vocab
        merge --partial``, to merge in several steps). ``parts``: ``PartialCounts`` or paths of
        saved ones."""
        from .partial import PartialCounts, check_distinct, check_distinct_files, combine_partials

        if isinstance(parts, (str, bytes, os.PathLike)) or not hasattr(parts, "__iter__"):
            raise ParameterError("{parts}: expected a list of partial counts or of their paths (in corpus order), "
                                 "got {got}", "parts", got=type(parts).__name__)
        parts = list(parts)  # an iterator: read once
        for k, p in enumerate(parts):
            if not isinstance(p, (PartialCounts, str, os.PathLike)):
                raise ParameterError("{parts}: item {k} is {got}, not partial counts (Vocab.count_shard) or a path",
                                     "parts", k=k + 1, got=type(p).__name__)
        names = [os.fspath(p) if isinstance(p, (str, os.PathLike)) else f"part {k + 1}" for k, p in enumerate(parts)]
        files = [isinstance(p, (str, os.PathLike)) for p in parts]
        check_distinct_files(names, files)  # before reading any
        loaded = [p if isinstance(p, PartialCounts) else PartialCounts.load(p) for p in parts]
        check_distinct(loaded, names)
        return combine_partials(loaded, names)

    @classmethod
    def merge(cls, parts: Sequence, *, specials: bool = True, order: str = "appearance", min_count: int = 1,
              max_size: int | None = None) -> "Vocab":
        """The vocabulary of shards counted apart (:meth:`count_shard`, ``embedcli vocab
        --partial``), exactly as if the whole corpus had been counted at once (``embedcli vocab
        merge``). ``parts``: ``PartialCounts`` or paths of saved ones, in corpus order."""
        check_build_args(order, min_count, max_size)
        parts = list(parts) if isinstance(parts, Iterator) else parts  # named again below
        merged = cls.merge_counts(parts)
        names = ", ".join(os.fspath(p) if isinstance(p, (str, os.PathLike)) else f"part {k + 1}"
                          for k, p in enumerate(parts))
        if merged.total == 0:
            raise EmbedcliError(f"{names}: no words in any part (empty shards?)")
        vocab = build_vocab(merged.counter(), merged.total, merged.settings, specials=specials, order=order,
                            min_count=min_count, max_size=max_size, source=names)
        vocab.distinct_words = len(merged.tokens)
        return vocab

    def __getitem__(self, word: str) -> int:
        """The id of ``word``, normalised as the vocabulary's text was (``vocab["Hope"]`` is the id
        of ``hope`` in a lower-cased vocabulary). An unknown word raises :class:`KeyError` naming it,
        with close spellings."""
        from .inspect import word_index

        return word_index(self, word)

    def encode(self, phrases, maxlen: int | None = None, padding: str | None = None, truncating: str | None = None,
               oov: str | None = None):
        """Ids of each phrase (tokenised as the vocabulary's text was).

        ``phrases`` is one string or an iterable of strings (or of token lists, gensim's shape: each
        joined by spaces, then tokenised as any text). Without ``maxlen``, ``padding`` or
        ``truncating``: a list of ids per phrase (one list for one string). With any of them: an
        int32 array padded and cut like Keras ``pad_sequences`` (``padding`` and ``truncating``
        ``"pre"`` (the default) or ``"post"``; shape ``(n, maxlen)``, without ``maxlen`` the longest
        phrase's length; one row for one string), padded with ``<pad>``'s id. ``oov``: ``"unk"``
        (default when there is an ``<unk>``), ``"skip"`` or ``"error"``.
        """
        from .encode import check_pad_args, encode_tokens_lines, pad_sequences

        single = isinstance(phrases, str)
        padded = maxlen is not None or padding is not None or truncating is not None
        padding = "pre" if padding is None else padding
        truncating = "pre" if truncating is None else truncating
        if padded:
            check_pad_args(maxlen, padding, truncating)
        from .sources import phrase_strings

        lines = [phrases] if single else phrase_strings(phrases)
        seqs = list(encode_tokens_lines(lines, self, oov or self.default_oov()))
        if not padded:
            return seqs[0] if single else seqs
        value = self.default_pad_value()
        out = pad_sequences(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=value)
        return out[0] if single else out

    def encode_to(self, output, texts, *, format: str = "npy", maxlen: int | None = None, padding: str = "pre",
                  truncating: str = "pre", pad_value: int | None = None, oov: str | None = None,
                  encoding_errors: str = "strict", input_format: str = "auto", text_column: str | None = None,
                  tmp_dir: str | None = None, progress: Callable[[int], None] | None = None,
                  dask: str | None = None, parts: bool = False) -> dict:
        """:meth:`encode` for inputs of any size, written to ``output`` (``embedcli encode``):
        ``format`` ``"npy"`` (int32, through a memory map), ``"csv"``, ``"jsonl"`` or ``"json"``;
        ``"-"`` is stdout for the text formats. ``texts``: a file path (its lines, streamed;
        compressed files and directories are read as they are), a list of ``pathlib.Path``, or
        phrases. ``pad_value`` defaults to ``<pad>``'s id. Returns ``{"rows", "maxlen",
        "unknown_tokens", "truncated", "longest"}``; with ``output=None`` also the rows
        (``"sequences"``). ``dask``/``parts``: on a Dask cluster (see :func:`embedcli.encode.encode_to`).

        >>> vocab.encode_to("ids.npy", "sample_data/phrases.txt", maxlen=8)["rows"]
        20
        """
        from .encode import encode_to

        return encode_to(self, output, texts, format=format, maxlen=maxlen, padding=padding, truncating=truncating,
                         pad_value=pad_value, oov=oov, encoding_errors=encoding_errors, input_format=input_format,
                         text_column=text_column, tmp_dir=tmp_dir, progress=progress, dask=dask, parts=parts)

    def tokenize(self, phrase: str) -> list[str]:
        """The tokens of ``phrase``, normalised and split as the vocabulary's text was.

        >>> vocab.tokenize("Nice to see you, AGAIN!")
        ['nice', 'to', 'see', 'you', 'again']
        """
        from .tokenizer import tokenize

        return tokenize(phrase, self.settings)

    def decode(self, ids):
        """Tokens of ids joined by spaces, ``<pad>`` left out: one string for a sequence of ids,
        a list of strings for several sequences (a list of lists or a 2-D array); one id (an int) is
        its token (``""`` for ``<pad>``). Ids are integers (a float array of whole numbers too); a
        fraction, a string or ``None`` is a :class:`ParameterError`, not an id cut to an integer."""
        import numpy as np

        if isinstance(ids, numbers.Number) or (isinstance(ids, np.ndarray) and ids.ndim == 0):
            ids = [ids.item() if isinstance(ids, np.ndarray) else ids]
        elif isinstance(ids, (str, bytes)) or not hasattr(ids, "__len__"):
            raise ParameterError("{ids}: expected ids (integers, or lists or arrays of them), got {kind}", "ids",
                                 kind=type(ids).__name__)
        arr = ids if isinstance(ids, np.ndarray) else None
        if (arr is not None and arr.ndim == 2) or (arr is None and len(ids) and not np.isscalar(ids[0])):
            return [self.decode(row) for row in ids]
        pad, n = self.pad_id, len(self.tokens)
        out = []
        for i in (_token_id(x) for x in ids):
            if not 0 <= i < n:
                raise IndexError(f"id {i} is outside the vocabulary (0..{n - 1})")
            if i != pad:
                out.append(self.tokens[i])
        return " ".join(out)

    # -- lookups ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tokens)

    def __iter__(self):
        """The tokens in index order (``tokens``), as ``len`` counts them."""
        return iter(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self.index

    def __repr__(self) -> str:
        return (f"Vocab(size={len(self.tokens)}, specials={list(self.specials.values())}, order={self.order!r}, "
                f"lower={self.settings.lower})")

    @property
    def pad_id(self) -> int | None:
        pad = self.specials.get("pad")
        return None if pad is None else self.index[pad]

    @property
    def unk_id(self) -> int | None:
        unk = self.specials.get("unk")
        return None if unk is None else self.index[unk]

    @property
    def n_specials(self) -> int:
        return len(self.specials)

    def special_ids(self) -> list[int]:
        return [self.index[t] for t in self.specials.values()]

    def lookup(self, tokens: Iterable[str], oov: str = "unk") -> list[int]:
        """Indices of ``tokens``; unknown tokens → ``<unk>``, skipped, or an error (``oov``)."""
        index = self.index
        if oov == "unk":
            unk = self.unk_id
            if unk is None:
                raise ParameterError("this vocabulary has no <unk> token: use {oov} error or {oov} skip", "oov")
            return self.ids_or(tokens, unk)
        if oov == "skip":
            return [index[t] for t in tokens if t in index]
        if oov == "error":
            out = []
            for t in tokens:
                i = index.get(t)
                if i is None:
                    raise ParameterError("unknown word {t!r} (not in the vocabulary); {oov} skip drops unknown words",
                                         "oov", t=t, exit_code=1)
                out.append(i)
            return out
        raise ParameterError("unknown {oov} value {value!r} (use unk, skip or error)", "oov", value=oov)

    def ids_or(self, tokens: Iterable[str], missing: int) -> list[int]:
        """One index per token, ``missing`` for a token not in the vocabulary (``lookup`` with
        ``oov="unk"`` is ``ids_or(tokens, unk_id)``; the encoder's skip path marks the words it
        drops with ``len(vocab)``, counts and removes them after its gather)."""
        return list(map(self.index.get, tokens, repeat(missing)))

    def default_oov(self) -> str:
        return "unk" if self.unk_id is not None else "error"

    def default_pad_value(self) -> int:
        """The id padding takes: ``<pad>``'s, else 0 (Keras' ``value=0``; in a vocabulary without
        ``<pad>``, a GloVe or word2vec file's, that is the first word's id)."""
        return self.pad_id if self.pad_id is not None else 0

    # -- statistics ------------------------------------------------------------------------
    def coverage(self) -> float:
        """Share of the corpus tokens that are in the vocabulary (not ``<unk>``)."""
        if not self.corpus_tokens:
            return 0.0
        special = set(self.specials.values())
        known = sum(c for t, c in zip(self.tokens, self.counts) if t not in special)
        return known / self.corpus_tokens

    # -- persistence -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "embedcli_version": __version__,
            "size": len(self.tokens),
            "specials": dict(self.specials),
            "normalization": self.settings.to_dict(),
            "order": self.order,
            "min_count": self.min_count,
            "max_size": self.max_size,
            "corpus_tokens": self.corpus_tokens,
            "tokens": list(self.tokens),
            "counts": list(self.counts),
        }

    def save(self, path: str | os.PathLike) -> None:
        with atomic_write(path) as f:
            json.dump(self.to_dict(), f, ensure_ascii=False, indent=0)
            f.write("\n")

    @classmethod
    def from_dict(cls, data: object, name: str = "vocabulary") -> "Vocab":
        check_format_header(data, name, fmt=FORMAT, supported=VERSION, what="vocabulary",
                            missing=f"not an embedcli vocabulary (no \"format\": \"{FORMAT}\")")
        tokens, counts = data.get("tokens"), data.get("counts")
        if not isinstance(tokens, list) or not set(map(type, tokens)) <= {str}:  # C-speed type check
            raise FormatError(f"{name}: \"tokens\" must be a list of strings")
        if not isinstance(counts, list) or len(counts) != len(tokens):
            raise FormatError(
                f"{name}: \"counts\" must be a list as long as \"tokens\" ({len(tokens)} entries)"
            )
        if not set(map(type, counts)) <= {int} or (counts and min(counts) < 0):
            raise FormatError(f"{name}: \"counts\" must be non-negative integers")
        if len(set(tokens)) != len(tokens):
            dup = next(t for t, c in Counter(tokens).items() if c > 1)
            raise FormatError(f"{name}: token {dup!r} appears more than once")
        specials = data.get("specials", {})
        if not isinstance(specials, dict) or any(v not in tokens for v in specials.values()):
            raise FormatError(f"{name}: \"specials\" must map names to tokens of the vocabulary")
        try:
            settings = TextSettings.from_dict(data.get("normalization", {}))
        except (TypeError, ValueError) as exc:
            raise FormatError(f"{name}: bad \"normalization\": {exc}") from None
        order = data.get("order", "appearance")
        if order not in ORDERS:
            raise FormatError(f"{name}: \"order\" must be appearance or frequency (got {order!r})")
        return cls(
            tokens=tokens,
            counts=counts,
            settings=settings,
            specials=specials,
            order=order,
            min_count=_count_field(data, "min_count", 1, name),
            max_size=_count_field(data, "max_size", None, name),
            corpus_tokens=_count_field(data, "corpus_tokens", 0, name),
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocab":
        name = display_name(path)
        p = os.fspath(path)
        if p != "-" and os.path.isdir(p):
            inner = os.path.join(p, "vocab.json")
            if not os.path.exists(inner):
                raise FormatError(f"{p}: is a directory without vocab.json (not an embedcli model)")
            p, name = inner, inner
        data = read_json_document(p, "a vocabulary file")
        return cls.from_dict(data, name)


def _token_id(value) -> int:
    """An id given to :meth:`Vocab.decode` as an ``int`` (a whole float of a float array too)."""
    if is_integer(value):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    raise ParameterError("{ids}: expected integer ids, got {value!r}", "ids", value=value)


def _count_field(data: dict, key: str, default: int | None, name: str) -> int | None:
    """A count of a vocabulary file (``min_count``, ``max_size``, ``corpus_tokens``): missing or
    null is ``default``; anything else an integer at least 1 (``corpus_tokens``: at least 0)."""
    value = data.get(key)
    if value is None:
        return default
    low = 0 if key == "corpus_tokens" else 1
    if type(value) is not int or value < low:
        allowed = "null or an integer" if default is None else "an integer"
        raise FormatError(f"{name}: \"{key}\" must be {allowed}, at least {low} (got {value!r})")
    return value


def _count(texts, settings: TextSettings, encoding_errors: str, workers: int, input_format: str,
           text_column: str | None, progress, dask: str | None) -> tuple[Counter, int, str]:
    """The first-appearance-ordered counts of ``texts``, their token total and a name for them
    (:meth:`Vocab.build`, :meth:`Vocab.extend`); no token at all is an error."""
    from .sources import is_paths, resolve_tables, text_files

    check_callback(progress)
    with text_files(texts) as paths:
        paths = resolve_tables(texts, paths, input_format, text_column)
        if dask is not None:
            from .cluster import connect
            from .cluster.count import count_tokens_on_cluster

            with connect(dask) as client:
                counts, total = count_tokens_on_cluster(client, paths, settings, encoding_errors=encoding_errors,
                                                        progress=progress)
        else:
            counts, total = count_tokens(paths, settings, encoding_errors=encoding_errors, workers=workers,
                                         progress=progress)
    source = ", ".join(paths) if is_paths(texts) else "the texts"
    if total == 0:
        raise EmbedcliError(f"{source}: no words found (empty corpus?)")
    return counts, total, source


def text_settings(lower: bool, keep_punct: bool) -> TextSettings:
    """The :class:`TextSettings` of :meth:`Vocab.build` / :meth:`Vocab.count_shard`'s arguments, which
    are saved in the file: ``True`` or ``False`` (``lower="no"`` is no setting a file can hold)."""
    for param, value in (("lower", lower), ("keep_punct", keep_punct)):
        if not isinstance(value, bool):
            raise ParameterError("{%s}: expected true or false, got {value!r}" % param, param, value=value)
    return TextSettings(lower=lower, keep_punct=keep_punct)


def check_build_args(order: str, min_count: int, max_size: int | None) -> None:
    """The arguments of :func:`build_vocab`, checked before any counting."""
    if order not in ORDERS:
        raise ParameterError("unknown {order} {value!r} (use appearance or frequency)", "order", value=order)
    check_integer(min_count, "min_count", 1)
    if max_size is not None:
        check_integer(max_size, "max_size", 1)


def build_vocab(
    counts: Counter,
    corpus_tokens: int,
    settings: TextSettings = TextSettings(),
    *,
    specials: bool = True,
    order: str = "appearance",
    min_count: int = 1,
    max_size: int | None = None,
    source: str | None = None,
) -> Vocab:
    """Turn first-appearance-ordered counts into a :class:`Vocab`.

    ``min_count`` drops words seen fewer times; ``max_size`` keeps exactly the ``max_size``
    most frequent words (ties by first appearance) besides the specials, then arranges them
    in ``order``. With ``source`` (the corpus names, for the message), a ``min_count`` that
    leaves no word is an error.
    """
    check_build_args(order, min_count, max_size)
    min_count, max_size = int(min_count), None if max_size is None else int(max_size)  # numpy integers: plain
    special_tokens = {PAD, UNK} if specials else set()
    chosen = _choose([(t, c) for t, c in counts.items() if c >= min_count and t not in special_tokens],
                     max_size, order)
    tokens = [t for t, _ in chosen]
    freqs = [c for _, c in chosen]
    kept = sum(freqs)
    special_map: dict[str, str] = {}
    if specials:
        tokens = [PAD, UNK] + tokens
        freqs = [0, max(corpus_tokens - kept, 0)] + freqs
        special_map = {"pad": PAD, "unk": UNK}
    if source is not None and not chosen:
        top = max(counts.values(), default=0)
        raise ParameterError(
            "{min_count} {value} removes every word of {source} (the most frequent word occurs {top}); "
            "lower {min_count}", "min_count", value=min_count, source=source,
            top="once" if top == 1 else f"{top} times", exit_code=1
        )
    return Vocab(
        tokens=tokens,
        counts=freqs,
        settings=settings,
        specials=special_map,
        order=order,
        min_count=min_count,
        max_size=max_size,
        corpus_tokens=corpus_tokens,
    )


def _choose(items: list[tuple[str, int]], limit: int | None, order: str) -> list[tuple[str, int]]:
    """The ``(token, count)`` items a vocabulary takes, from first-appearance-ordered ``items``: all of
    them, or the ``limit`` most frequent (ties by first appearance), in ``order`` (first appearance
    or highest count first)."""
    by_freq = sorted(items, key=lambda tc: -tc[1])  # stable: ties keep first appearance
    if limit is not None and len(items) > limit:
        keep = {t for t, _ in by_freq[:limit]}
        items = [tc for tc in items if tc[0] in keep]
        by_freq = by_freq[:limit]
    return by_freq if order == "frequency" else items


def extend_vocab(
    base: Vocab,
    counts: Counter,
    corpus_tokens: int,
    *,
    order: str = "appearance",
    min_count: int = 1,
    max_size: int | None = None,
) -> Vocab:
    """``base`` grown by a new corpus's first-appearance-ordered ``counts`` (``corpus_tokens`` tokens),
    as gensim's ``build_vocab(update=True)``: every token keeps its id and adds its new count; the
    new corpus's words that ``base`` lacks and that occur at least ``min_count`` times in it follow,
    in ``order`` (first appearance, or highest count first), the most frequent first when
    ``max_size`` (the words besides the specials, old and new) leaves room for only some of them;
    ``<unk>`` counts the new corpus's tokens that are in neither."""
    check_build_args(order, min_count, max_size)
    min_count, max_size = int(min_count), None if max_size is None else int(max_size)  # numpy integers: plain
    specials = set(base.specials.values())
    tokens, freqs = list(base.tokens), list(base.counts)
    index = base.index
    known = 0
    fresh = []
    for token, count in counts.items():
        if token in specials:
            continue
        i = index.get(token)
        if i is not None:
            freqs[i] += count
            known += count
        elif count >= min_count:
            fresh.append((token, count))
    room = None if max_size is None else max(0, max_size - (len(tokens) - len(specials)))
    chosen = _choose(fresh, room, order)
    tokens += [t for t, _ in chosen]
    freqs += [c for _, c in chosen]
    if base.unk_id is not None:
        freqs[base.unk_id] += max(corpus_tokens - known - sum(c for _, c in chosen), 0)
    return Vocab(tokens=tokens, counts=freqs, settings=base.settings, specials=dict(base.specials), order=order,
                 min_count=min_count, max_size=max_size, corpus_tokens=base.corpus_tokens + corpus_tokens)
