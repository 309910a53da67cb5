"""The tokenizer: how normalised text becomes tokens, in two equal paths.

* **Reference path** (:func:`tokenize`, :func:`token_pattern`): one regular expression over
  normalised text (:func:`embedcli.text.normalize`). Tokens are runs of letters and digits, each
  with the combining marks that follow it (``नमस्ते``, ``i̇stanbul``: :mod:`embedcli.unicode_marks`;
  vocabularies written before that setting, ``join_marks``, cut words at a mark); an apostrophe
  or hyphen *between* two such runs is kept (``don't``, ``well-known``); other punctuation is
  dropped, or kept as one-character tokens with ``keep_punct=True``.
  :func:`line_token_pattern` is the same pattern that also matches line ends (``"\\n"``): the
  reference for readers that need the line structure (``tests/reference.scan_regex``, what
  training's corpus encoder must give).
* **Fast byte-level path** (:class:`PieceTokenizer`): raw UTF-8 bytes have their ASCII
  punctuation turned into spaces (``bytes.translate``) and are split at ASCII whitespace
  (``bytes.split``), all in C; only each *distinct* piece goes through Python, once: a pure
  ASCII letter/digit piece is a token as it is (lower-cased), anything else is decoded,
  normalised and tokenised with the reference path. Counting (:mod:`embedcli.counting`) uses
  it; :class:`PieceIds` turns chunks into ids through it (a piece's ids looked up once), for
  encoding phrases (:class:`embedcli.encode.PieceEncoder`) and training's corpus encoder
  (:func:`embedcli.corpus.encode_corpus`).

The two paths give the same tokens for any text (``tests/test_tokenizer.py`` checks it with
hypothesis): a token never contains whitespace, and NFKC, lower-casing (final sigma included)
and the token pattern never look across an ASCII space or line break. ``<``, ``=`` and ``>`` are
the only ASCII non-alphanumerics that NFKC composes with a following character (U+0338:
``<`` + U+0338 → ``≮``), so chunks containing U+0338 keep them.
"""

from __future__ import annotations

import re
from itertools import chain, compress, groupby, repeat
from typing import Callable, Iterable, Iterator

import numpy as np

from .text import TextSettings, normalize
from .unicode_marks import MARKS, table_ranges


def _word(marks: str) -> str:
    """A word: letters and digits, each with the combining marks (``marks``, a class body) after
    it, and an apostrophe or hyphen kept between two such runs."""
    return rf"(?:[^\W_][{marks}]*)+(?:['\-](?:[^\W_][{marks}]*)+)*"


#: a word (``join_marks``): its letters and digits keep the combining marks after them
WORD = _word(MARKS)
#: a word before ``join_marks`` (vocabularies written without the setting): a mark ends it
SPLIT_WORD = r"[^\W_]+(?:['\-][^\W_]+)*"
PUNCT = r"[^\w\s]|_"

# ``re`` matches a class of BMP characters through a bitmap but tries ranges beyond U+FFFF one by
# one (a class of every mark: ~0.5 us a character); so the marks are split at U+FFFF and the
# pattern with every mark is only used on text that has a mark beyond U+FFFF
_MARK_RANGES = table_ranges()
_BMP_MARKS = "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in _MARK_RANGES if b <= 0xFFFF)
_ASTRAL_MARKS = frozenset(chr(c) for a, b in _MARK_RANGES if a > 0xFFFF for c in range(a, b + 1))
_MARK_OR_ASTRAL = re.compile(f"[{_BMP_MARKS}\U00010000-\U0010ffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class TokenPattern:
    """The token pattern of a set of :class:`TextSettings`: :meth:`findall` over normalised text.

    With ``join_marks`` each letter takes the combining marks after it. On text without a mark
    that is the plain pattern (runs of letters and digits), so that one is used there; on text
    without a mark beyond U+FFFF, the pattern with the BMP's marks only (a faster class)."""

    def __init__(self, keep_punct: bool, join_marks: bool, lines: bool):
        def compiled(word: str) -> "re.Pattern[str]":
            body = f"{word}|{PUNCT}" if keep_punct else word
            return re.compile(f"(?:{body})|\n" if lines else body)

        self.join_marks = join_marks
        self.compiled = compiled
        self.plain = compiled(SPLIT_WORD)
        self.bmp = compiled(_word(_BMP_MARKS)) if join_marks else None
        self.full: "re.Pattern[str] | None" = None  # every mark: compiled when first needed

    def findall(self, text: str) -> list[str]:
        if not self.join_marks or not _MARK_OR_ASTRAL.search(text):
            return self.plain.findall(text)
        astral = _ASTRAL.findall(text)  # emoji, historic scripts: rarely a mark among them
        if astral and not _ASTRAL_MARKS.isdisjoint(astral):
            if self.full is None:
                self.full = self.compiled(WORD)
            return self.full.findall(text)
        return self.bmp.findall(text)


_PATTERNS: dict[tuple[bool, bool, bool], TokenPattern] = {}


# -- reference path --------------------------------------------------------------------------
def _pattern(keep_punct: bool, join_marks: bool, lines: bool) -> TokenPattern:
    key = (keep_punct, join_marks, lines)
    pattern = _PATTERNS.get(key)
    if pattern is None:
        pattern = _PATTERNS[key] = TokenPattern(keep_punct, join_marks, lines)
    return pattern


def token_pattern(settings: TextSettings) -> TokenPattern:
    """The token pattern for ``settings`` (``findall`` over normalised text)."""
    return _pattern(settings.keep_punct, settings.join_marks, False)


def line_token_pattern(settings: TextSettings) -> TokenPattern:
    """:func:`token_pattern` that also matches each line end as ``"\\n"``."""
    return _pattern(settings.keep_punct, settings.join_marks, True)


def tokenize(text: str, settings: TextSettings = TextSettings()) -> list[str]:
    """Tokens of ``text`` (one line or a whole chunk of lines)."""
    return token_pattern(settings).findall(normalize(text, settings))


def iter_tokens(chunks: Iterable[str], settings: TextSettings = TextSettings()) -> Iterator[list[str]]:
    """Token lists for a stream of text chunks (as produced by :func:`embedcli.io.iter_chunks`)."""
    pattern = token_pattern(settings)
    for chunk in chunks:
        yield pattern.findall(normalize(chunk, settings))


# -- fast byte-level path ----------------------------------------------------------------------
def _translate_tables() -> tuple[bytes, bytes]:
    """ASCII punctuation → space (it is never part of a word and splits words like a space);
    the second table leaves ``<=>`` alone (for chunks with U+0338)."""
    full = bytearray(range(256))
    for c in range(128):
        ch = chr(c)
        if not ch.isalnum() and ch not in "'-":
            full[c] = 0x20
    safe = bytearray(full)
    for ch in "<=>":
        safe[ord(ch)] = ord(ch)
    return bytes(full), bytes(safe)


TABLE_FULL, TABLE_SAFE = _translate_tables()
U0338 = "\u0338".encode()


class PieceTokenizer:
    """The byte-level path: raw UTF-8 bytes → whitespace-separated pieces → tokens per piece.

    :meth:`prepare` turns ASCII punctuation into spaces (unless ``keep_punct``; bytes ≥ 0x80,
    such as a ``0xff`` line marker, are left alone); :meth:`tokens` gives the tokens of one
    piece. A piece that is not valid UTF-8 raises :class:`UnicodeDecodeError` under
    ``encoding_errors="strict"`` (the caller reports it with the line).
    """

    def __init__(self, settings: TextSettings = TextSettings(), encoding_errors: str = "strict"):
        self.settings = settings
        self.encoding_errors = encoding_errors
        self.pattern = token_pattern(settings)
        self.lower = settings.lower
        self.translates = not settings.keep_punct

    def prepare(self, raw: bytes) -> bytes:
        if self.translates:
            return raw.translate(TABLE_SAFE if U0338 in raw else TABLE_FULL)
        return raw

    def pieces(self, raw: bytes) -> list[bytes]:
        return self.prepare(raw).split()

    def ascii_token(self, piece: bytes) -> str | None:
        """The one token of a pure ASCII letter/digit piece (the usual case), else None."""
        if piece.isalnum():
            s = piece.decode("ascii")
            return s.lower() if self.lower else s
        return None

    def tokens(self, piece: bytes) -> list[str]:
        token = self.ascii_token(piece)
        if token is not None:
            return [token]
        text = piece.decode("utf-8", self.encoding_errors)
        return self.pattern.findall(normalize(text, self.settings))

    def token_or_tokens(self, piece: bytes) -> str | list[str]:
        """One token as a ``str`` (the usual case), otherwise the list of the piece's tokens."""
        token = self.ascii_token(piece)
        if token is not None:
            return token
        tokens = self.pattern.findall(normalize(piece.decode("utf-8", self.encoding_errors), self.settings))
        return tokens[0] if len(tokens) == 1 else tokens

    def tokenize_bytes(self, raw: bytes) -> list[str]:
        """All tokens of ``raw`` through the byte-level path (equal to :func:`tokenize`)."""
        cache: dict[bytes, list[str]] = {}
        out: list[str] = []
        for piece in self.pieces(raw):
            toks = cache.get(piece)
            if toks is None:
                toks = cache[piece] = self.tokens(piece)
            out.extend(toks)
        return out


LINE_MARK = b"\xff"  # never valid UTF-8, so it cannot be a piece of the text: marks a line end
_MISSING = -(1 << 31)  # code of a piece not seen yet


class PieceIds:
    """The ids of the tokens of raw UTF-8 chunks through :class:`PieceTokenizer`, each distinct
    piece tokenised and looked up once (a dict keyed by the piece's bytes).

    ``ids_of(tokens)`` gives one id per token (``>= 0``): a vocabulary lookup, or training's provisional ids,
    which it makes in the order it is asked for them (new pieces are looked up in the order of
    their first appearance in the text). The tokens of one piece are asked for alone, those of a
    run of new plain pieces (ASCII letters and digits: one token each) together.

    :meth:`chunk` gives one id per token and ``line`` (``-1``, or an id ``ids_of`` never gives)
    at every line end. A piece giving one id (the usual case) is a single code; one giving none
    (punctuation) or several (``well--known``, ``word,`` with
    ``keep_punct``) is expanded with ``numpy.repeat``. Memory grows with the distinct pieces, not
    with the text.
    """

    def __init__(self, tokenizer: PieceTokenizer, ids_of: Callable[[list[str]], list[int]], line: int = -1):
        self.tokenizer = tokenizer
        self.ids_of = ids_of
        self.codes: dict[bytes, int] = {LINE_MARK: line}
        self.several: list[list[int]] = []  # code -(k + 2) -> ids of the k-th irregular piece
        self._flat = np.zeros(0, dtype=np.int32)  # the irregular pieces' ids back to back
        self._starts = np.zeros(1, dtype=np.int64)  # where each one starts in _flat (and the end)
        self._n_several = 0  # irregular pieces in those arrays
        self._none: int | None = None  # the code of the pieces without ids

    def _code(self, piece: bytes) -> int:
        return self._code_of(self.ids_of(self.tokenizer.tokens(piece)))

    def _code_of(self, ids: list[int]) -> int:
        """The code of a piece whose tokens have ``ids``: its one id, else an irregular code."""
        if len(ids) == 1:
            return ids[0]
        if not ids and self._none is not None:
            return self._none
        self.several.append(ids)
        code = -(len(self.several) + 1)
        if not ids:
            self._none = code
        return code

    def _add(self, pieces: list[bytes]) -> None:
        """Codes for new distinct ``pieces``, in their order. Runs of plain pieces (the usual
        case) are decoded, lower-cased and looked up together (``ascii_token``'s rule at once)."""
        codes = self.codes
        lower = self.tokenizer.lower
        for plain, run in groupby(pieces, bytes.isalnum):
            run = list(run)
            if plain:
                text = b" ".join(run).decode("ascii")
                tokens = (text.lower() if lower else text).split(" ")
                codes.update(zip(run, self.ids_of(tokens)))
                continue
            for piece in run:
                codes[piece] = self._code(piece)

    def _several_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``self.several`` as flat arrays (irregular piece k: ``flat[starts[k]:starts[k + 1]]``),
        grown by the pieces added since the last call into buffers of doubling capacity, so that
        a chunk costs its new irregular pieces, not all of them."""
        done = self._n_several
        if done != len(self.several):
            new = self.several[done:]
            lens = np.fromiter(map(len, new), dtype=np.int64, count=len(new))
            used = int(self._starts[done])
            ends = used + np.cumsum(lens)
            self._flat = _put(self._flat, used, np.fromiter(chain.from_iterable(new), dtype=np.int32,
                                                            count=int(lens.sum())))
            self._starts = _put(self._starts, done + 1, ends)
            self._n_several = len(self.several)
        return self._flat, self._starts

    def chunk(self, raw: bytes, end_open_line: bool = False) -> np.ndarray:
        """int32 ids of the tokens of ``raw`` and ``line`` for each ``\\n`` (with
        ``end_open_line``, also after a last line without one), in the order of the text.

        Raises :class:`UnicodeDecodeError` for invalid UTF-8 under ``encoding_errors="strict"``
        (the caller reports it with its line: ``CheckedChunks.fail_decode``)."""
        if LINE_MARK in raw:  # never in UTF-8: an error, or replaced before it can pass for a line end
            raw = raw.decode("utf-8", self.tokenizer.encoding_errors).encode("utf-8")
        open_line = end_open_line and raw and not raw.endswith(b"\n")
        # line ends become a piece of their own (before the translation, which turns \n into a space)
        pieces = self.tokenizer.pieces(raw.replace(b"\n", b" \xff "))
        if open_line:
            pieces.append(LINE_MARK)
        codes = self.codes
        n = len(pieces)
        arr = np.fromiter(map(codes.get, pieces, repeat(_MISSING, n)), dtype=np.int32, count=n)
        is_new = arr == _MISSING
        if is_new.any():
            new = list(compress(pieces, is_new.tolist()))
            self._add(list(dict.fromkeys(new)))  # in order of first appearance
            arr[is_new] = np.fromiter(map(codes.__getitem__, new), dtype=np.int32, count=len(new))
        if not self.several:
            return arr
        irregular = np.flatnonzero(arr <= -2)
        if not len(irregular):
            return arr
        flat_several, starts = self._several_arrays()
        k = -arr[irregular].astype(np.int64) - 2
        sizes = np.ones(n, dtype=np.int64)
        sizes[irregular] = starts[k + 1] - starts[k]
        index = np.repeat(np.arange(n), sizes)
        out = arr[index]
        bad = np.flatnonzero(out <= -2)
        if len(bad):
            within = bad - (np.cumsum(sizes) - sizes)[index[bad]]
            out[bad] = flat_several[starts[-out[bad].astype(np.int64) - 2] + within]
        return out


def _put(buf: np.ndarray, at: int, values: np.ndarray) -> np.ndarray:
    """``buf[at:at + len(values)] = values``, in ``buf`` or in a copy of at least twice its size."""
    end = at + len(values)
    if end > len(buf):
        grown = np.empty(max(end, 2 * len(buf)), dtype=buf.dtype)
        grown[:at] = buf[:at]
        buf = grown
    buf[at:end] = values
    return buf
