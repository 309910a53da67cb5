"""Errors a user can cause.

Library code raises these with a one-line message naming the file, line or flag;
the command line prints the message and exits with ``exit_code`` (no traceback).
"""

from __future__ import annotations

from typing import Callable


class EmbedcliError(Exception):
    """A data error: bad file contents, missing file, diverging training... (exit 1)."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def cli_message(self, flags: dict[str, str] | None = None) -> str:
        """The message as the command line shows it (see :class:`ParameterError`)."""
        return self.message


class UsageError(EmbedcliError):
    """A bad flag or option value (exit 2, like click's own usage errors)."""

    exit_code = 2


class ParameterError(UsageError):
    """A bad value of a named parameter.

    ``template`` names parameters as ``{name}`` fields (listed in ``params``); ``values`` fill the
    other fields; ``exit_code=1`` marks a value that is wrong for the data at hand rather than
    invalid in itself. The library shows the parameter names (``min_lr must not exceed lr 0.025``),
    the command line its flags (``--min-lr must not exceed --lr 0.025``): a flag is the parameter
    with ``-`` for ``_`` unless the command maps it otherwise.
    """

    def __init__(self, template: str, *params: str, exit_code: int | None = None, **values):
        if exit_code is not None:
            self.exit_code = exit_code
        self.template = template
        self.params = params
        self.values = values
        super().__init__(self.render({}))

    def render(self, names: dict[str, str]) -> str:
        fields = {p: names.get(p, p) for p in self.params}
        return self.template.format(**fields, **self.values)

    def cli_message(self, flags: dict[str, str] | None = None) -> str:
        flags = flags or {}
        return self.render({p: flags.get(p, "--" + p.replace("_", "-")) for p in self.params})


class UnknownWordError(EmbedcliError, KeyError):
    """A word that is not in the vocabulary: a :class:`KeyError` for Python code (``emb["wrod"]``),
    one line for the command line: ``unknown word 'wrod'; did you mean word, words?``. The close
    spellings are looked up only when the message is read (a loop catching KeyError stays fast)."""

    def __init__(self, word: str, suggest: Callable[[], list[str]] | None = None):
        Exception.__init__(self, word)
        self.word = word
        self._suggest = suggest
        self._suggestions: list[str] | None = None

    @property
    def suggestions(self) -> list[str]:
        if self._suggestions is None:
            self._suggestions = list(self._suggest()) if self._suggest is not None else []
        return self._suggestions

    @property
    def message(self) -> str:  # type: ignore[override]
        close = self.suggestions
        hint = f"; did you mean {', '.join(close)}?" if close else "; it is not in the vocabulary"
        return f"unknown word {self.word!r}{hint}"


class FormatError(EmbedcliError):
    """A file that is not what it claims to be (truncated JSON, foreign format, wrong version)."""
