"""Labelled text in fastText's format: ``__label__X [__label__Y ...] some text``.

As in fastText, a label is any whitespace-separated token that starts with the label prefix
(``__label__`` by default), wherever it stands on the line; everything else is the text, which
is normalised and tokenised with :mod:`embedcli.text` like every other input of embedcli.
Labels are kept exactly as written (case included), so ``__label__News`` and
``__label__news`` are two labels, as in fastText.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator

from .io import iter_lines
from .text import TextSettings, normalize
from .tokenizer import token_pattern

LABEL_PREFIX = "__label__"


def split_labels(line: str, prefix: str = LABEL_PREFIX) -> tuple[list[str], str]:
    """``(labels, text)`` of one line: the prefixed tokens and the rest of the text.

    Leading labels (the usual layout) are peeled off without splitting the whole line; labels
    further on are found too, and the text is then the other tokens joined by spaces.
    """
    if prefix not in line:
        return [], line
    labels: list[str] = []
    rest = line.lstrip()
    while rest.startswith(prefix):
        parts = rest.split(None, 1)
        if len(parts[0]) == len(prefix):  # the bare prefix is not a label
            break
        labels.append(parts[0])
        rest = parts[1] if len(parts) > 1 else ""
    if prefix not in rest:
        return labels, rest
    words: list[str] = []
    for part in rest.split():
        if part.startswith(prefix) and len(part) > len(prefix):
            labels.append(part)
        else:
            words.append(part)
    return labels, " ".join(words)


def line_tokens(text: str, settings: TextSettings, pattern=None) -> list[str]:
    """Tokens of a text without labels (same rules as ``embedcli vocab``)."""
    if pattern is None:
        pattern = token_pattern(settings)
    return pattern.findall(normalize(text, settings))


def iter_labeled(
    path: str | os.PathLike,
    settings: TextSettings = TextSettings(),
    *,
    prefix: str = LABEL_PREFIX,
    encoding_errors: str = "strict",
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, list[str], list[str]]]:
    """Stream ``(line number, labels, tokens)`` for every line of a fastText-format file.

    Lines without labels are yielded too (with an empty label list); the caller decides
    whether that is an error, something to skip, or a phrase to predict.
    """
    pattern = token_pattern(settings)
    for line_no, line in enumerate(
        iter_lines(path, encoding_errors=encoding_errors, progress=progress), start=1
    ):
        labels, text = split_labels(line, prefix)
        yield line_no, labels, pattern.findall(normalize(text, settings))
