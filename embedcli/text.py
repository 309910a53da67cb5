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

import json
import re
import unicodedata
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class TextSettings:
    """How raw text becomes tokens (stored in the vocabulary file)."""

    lower: bool = True
    keep_punct: bool = False
    unicode: str = "NFKC"
    #: combining marks (U+0301, a Devanagari vowel sign or virama, Arabic harakat ...) stay in the
    #: word they follow; False: a mark ends a word, as vocabularies written before this setting did
    #: (a file without the key reads as False, so it splits its phrases as it was built)
    join_marks: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TextSettings":
        """The settings a file records (``"normalization"``); ValueError naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"it must be an object of settings (got {json.dumps(data)})")
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown normalisation setting(s): {', '.join(sorted(unknown))}")
        settings = cls(**{"join_marks": False, **data})
        for f in fields(cls):  # a hand-edited "lower": "yes" (true) or "false" (also true) is no bool
            value = getattr(settings, f.name)
            if f.type in ("bool", bool) and not isinstance(value, bool):
                raise ValueError(f"{f.name} must be true or false, got {value!r}")
        if settings.unicode not in ("NFKC", "NFC", "none"):
            raise ValueError(f"unknown unicode normalisation {settings.unicode!r}")
        return settings


# ASCII punctuation that Python's lower() looks across to decide a final sigma ("case-ignorable");
# without keep_punct it separates words, and the byte-level tokenizer lower-cases each side alone
_SIGMA_SEPARATORS = re.compile(r"([.:^`])")


def _lower(text: str, settings: TextSettings) -> str:
    """``text.lower()``, with a capital sigma made final or not within its word only.

    ``str.lower`` turns Σ into ς at the end of a word, judging the context across case-ignorable
    characters such as ``.`` (``"ΘΕΟΣ.A"`` gives σ, ``"ΘΕΟΣ."`` ς). Without ``keep_punct`` those
    characters separate tokens, so each side is lowered on its own: the same result whether the
    text is tokenised whole or piece by piece (:mod:`embedcli.tokenizer`).
    """
    if "\u03a3" in text and not settings.keep_punct:
        return "".join(part.lower() for part in _SIGMA_SEPARATORS.split(text))
    return text.lower()


def normalize(text: str, settings: TextSettings = TextSettings()) -> str:
    """Normalise ``text`` (any length, newlines are kept). Idempotent."""
    form = settings.unicode
    if form != "none" and not unicodedata.is_normalized(form, text):
        text = unicodedata.normalize(form, text)
    if "\u2019" in text:
        text = text.replace("\u2019", "'")
    if settings.lower:
        lowered = _lower(text, settings)
        # lower() can leave a string that is no longer normalised (rare); settle it
        while lowered != text:
            text = lowered
            if form != "none" and not unicodedata.is_normalized(form, text):
                text = unicodedata.normalize(form, text)
            lowered = _lower(text, settings)
    return text


def __getattr__(name: str):
    # the tokenizer moved to embedcli.tokenizer (which imports this module): resolved lazily
    if name in ("tokenize", "token_pattern", "iter_tokens", "WORD", "PUNCT"):
        from . import tokenizer

        return getattr(tokenizer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
