"""Normalisation and tokenisation.

One set of :class:`TextSettings` is stored in every vocabulary file and reused by
``encode``, ``train`` and the queries, so a phrase is always split the way the corpus was.

* Unicode NFKC (``ﬁ`` → ``fi``, full-width letters → ASCII, composed accents), typographic
  apostrophe ``’`` → ``'``, then lower case unless ``lower=False``. ``Café café CAFÉ`` is one token.
* Tokenisation lives in :mod:`embedcli.tokenizer` (the one tokenizer: a reference regex path
  and a fast byte-level path, proven equal); ``tokenize``, ``token_pattern`` and
  ``iter_tokens`` are still importable from here.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass


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


def __getattr__(name: str):
    # the tokenizer moved to embedcli.tokenizer (which imports this module): resolved lazily
    if name in ("tokenize", "token_pattern", "iter_tokens", "WORD", "PUNCT"):
        from . import tokenizer

        return getattr(tokenizer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
