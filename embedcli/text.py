"""Normalisation and tokenisation.

One set of :class:`TextSettings` is stored in every vocabulary file and reused by
``encode``, ``train`` and the queries, so a phrase is always split the way the corpus was.

* Unicode NFKC (``ﬁ`` → ``fi``, full-width letters → ASCII, composed accents), typographic
  apostrophe ``’`` → ``'``, then lower case unless ``lower=False``. ``Café café CAFÉ`` is one token.
* Tokens are runs of letters and digits; an apostrophe or hyphen *between* two such runs is
  kept (``don't``, ``well-known``); other punctuation is dropped, or kept as one-character
  tokens with ``keep_punct=True``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator

WORD = r"[^\W_]+(?:['\-][^\W_]+)*"
PUNCT = r"[^\w\s]|_"

_WORD_RE = re.compile(WORD)
_WORD_PUNCT_RE = re.compile(f"{WORD}|{PUNCT}")


@dataclass(frozen=True)
class TextSettings:
    """How raw text becomes tokens (stored in the vocabulary file)."""

    lower: bool = True
    keep_punct: bool = False
    unicode: str = "NFKC"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TextSettings":
        unknown = set(data) - {"lower", "keep_punct", "unicode"}
        if unknown:
            raise ValueError(f"unknown normalisation setting(s): {', '.join(sorted(unknown))}")
        settings = cls(**data)
        if settings.unicode not in ("NFKC", "NFC", "none"):
            raise ValueError(f"unknown unicode normalisation {settings.unicode!r}")
        return settings


def normalize(text: str, settings: TextSettings = TextSettings()) -> str:
    """Normalise ``text`` (any length, newlines are kept). Idempotent."""
    form = settings.unicode
    if form != "none" and not unicodedata.is_normalized(form, text):
        text = unicodedata.normalize(form, text)
    if "\u2019" in text:
        text = text.replace("\u2019", "'")
    if settings.lower:
        lowered = text.lower()
        # lower() can leave a string that is no longer normalised (rare); settle it
        while lowered != text:
            text = lowered
            if form != "none" and not unicodedata.is_normalized(form, text):
                text = unicodedata.normalize(form, text)
            lowered = text.lower()
    return text


def token_pattern(settings: TextSettings) -> "re.Pattern[str]":
    return _WORD_PUNCT_RE if settings.keep_punct else _WORD_RE


def tokenize(text: str, settings: TextSettings = TextSettings()) -> list[str]:
    """Tokens of ``text`` (one line or a whole chunk of lines)."""
    return token_pattern(settings).findall(normalize(text, settings))


def iter_tokens(chunks: Iterable[str], settings: TextSettings = TextSettings()) -> Iterator[list[str]]:
    """Token lists for a stream of text chunks (as produced by :func:`embedcli.io.iter_chunks`)."""
    pattern = token_pattern(settings)
    for chunk in chunks:
        yield pattern.findall(normalize(chunk, settings))
