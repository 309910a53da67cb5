"""The tokenizer: how normalised text becomes tokens, in two equal paths.

* **Reference path** (:func:`tokenize`, :func:`token_pattern`): one regular expression over
  normalised text (:func:`embedcli.text.normalize`). Tokens are runs of letters and digits; an
  apostrophe or hyphen *between* two such runs is kept (``don't``, ``well-known``); other
  punctuation is dropped, or kept as one-character tokens with ``keep_punct=True``.
  :func:`line_token_pattern` is the same pattern that also matches line ends (``"\\n"``), for
  readers that need the line structure in the same pass (training's corpus encoder).
* **Fast byte-level path** (:class:`PieceTokenizer`): raw UTF-8 bytes have their ASCII
  punctuation turned into spaces (``bytes.translate``) and are split at ASCII whitespace
  (``bytes.split``), all in C; only each *distinct* piece goes through Python, once: a pure
  ASCII letter/digit piece is a token as it is (lower-cased), anything else is decoded,
  normalised and tokenised with the reference path. Counting (:mod:`embedcli.counting`) and
  encoding (:class:`embedcli.encode.PieceEncoder`) use it.

The two paths give the same tokens for any text (``tests/test_tokenizer.py`` checks it with
hypothesis): a token never contains whitespace, and NFKC, lower-casing (final sigma included)
and the token pattern never look across an ASCII space or line break. ``<``, ``=`` and ``>`` are
the only ASCII non-alphanumerics that NFKC composes with a following character (U+0338:
``<`` + U+0338 → ``≮``), so chunks containing U+0338 keep them.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from .text import TextSettings, normalize

WORD = r"[^\W_]+(?:['\-][^\W_]+)*"
PUNCT = r"[^\w\s]|_"

_WORD_RE = re.compile(WORD)
_WORD_PUNCT_RE = re.compile(f"{WORD}|{PUNCT}")
_WORD_LINE_RE = re.compile(f"(?:{WORD})|\n")
_WORD_PUNCT_LINE_RE = re.compile(f"(?:{WORD}|{PUNCT})|\n")


# -- reference path --------------------------------------------------------------------------
def token_pattern(settings: TextSettings) -> "re.Pattern[str]":
    """The compiled token pattern for ``settings`` (``findall`` over normalised text)."""
    return _WORD_PUNCT_RE if settings.keep_punct else _WORD_RE


def line_token_pattern(settings: TextSettings) -> "re.Pattern[str]":
    """:func:`token_pattern` that also matches each line end as ``"\\n"``."""
    return _WORD_PUNCT_LINE_RE if settings.keep_punct else _WORD_LINE_RE


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
