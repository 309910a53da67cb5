"""Errors a user can cause.

Library code raises these with a one-line message naming the file, line or parameter; the
command line prints the message with the parameter shown as its flag and exits with
``exit_code`` (no traceback).
"""

from __future__ import annotations

import numbers
from typing import Callable


class EmbedcliError(Exception):
    """A data error: bad file contents, missing file, diverging training... (exit 1).

    A message that mentions a parameter is a template naming it as a ``{name}`` field, with
    the parameter names listed after it and the other fields as keyword values::

        EmbedcliError("{path}: line {line}: invalid UTF-8; use {encoding_errors} replace",
                      "encoding_errors", path=path, line=n)

    Python code sees the parameter's name (``use encoding_errors replace``), the command line
    the flag of the command that called the library (``use --encoding-errors replace``; see
    :meth:`cli_message`). Without parameters the message is taken as it is (no fields).
    ``exit_code`` overrides the class's exit code for this error.
    """

    exit_code = 1
    params: tuple[str, ...] = ()
    values: dict = {}

    def __init__(self, message: str, *params: str, exit_code: int | None = None, **values):
        if exit_code is not None:
            self.exit_code = exit_code
        self.template = message
        self.params = params
        self.values = values
        self.message = self.render({}) if params or values else message
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def render(self, names: dict[str, str]) -> str:
        """The message with each parameter shown as ``names[param]`` (default: its name)."""
        if not self.params and not self.values:
            return self.message
        fields = {p: names.get(p, p) for p in self.params}
        return self.template.format(**fields, **self.values)

    def cli_message(self, flags: dict[str, str] | None = None) -> str:
        """The message as the command line shows it: each parameter as its flag, from ``flags``
        (parameter -> flag, what the command maps), else ``--`` + the name with ``-`` for ``_``."""
        flags = flags or {}
        return self.render({p: flags.get(p, "--" + p.replace("_", "-")) for p in self.params})

    def with_values(self, convert) -> "EmbedcliError":
        """A copy with ``convert(text)`` applied to the template and the string values (e.g. to
        replace a temporary file's name)."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        if self.params or self.values:
            new.template = convert(self.template)
            new.values = {k: convert(v) if isinstance(v, str) else v for k, v in self.values.items()}
            new.message = new.render({})
        else:
            new.message = new.template = convert(self.message)
        new.args = (new.message,)
        return new


class UsageError(EmbedcliError):
    """A bad flag or option value (exit 2, like click's own usage errors)."""

    exit_code = 2


class ParameterError(UsageError):
    """A bad value of a named parameter (exit 2; ``exit_code=1`` marks a value that is wrong for
    the data at hand rather than invalid in itself).

    ``template`` names parameters as ``{name}`` fields (listed in ``params``); ``values`` fill the
    other fields. The library shows the parameter names (``min_lr must not exceed lr 0.025``),
    the command line its flags (``--min-lr must not exceed --lr 0.025``): a flag is the parameter
    with ``-`` for ``_`` unless the command maps it otherwise (see :meth:`EmbedcliError.cli_message`).
    """

    def __init__(self, template: str, *params: str, exit_code: int | None = None, **values):
        super().__init__(template, *params, exit_code=exit_code, **values)


def is_integer(value) -> bool:
    """A Python or numpy integer, and not a bool (``True`` is an ``int`` to Python, never a count here)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_integer(value, param: str, minimum: int | None = None) -> int:
    """``value`` as a plain ``int``, or a :class:`ParameterError` naming ``param``: ``maxlen must be
    an integer, at least 1 (got '8')`` for a string, a float or a bool, ``maxlen must be at least
    1 (got 0)`` below ``minimum``."""
    if not is_integer(value):
        least = "" if minimum is None else f", at least {minimum}"
        raise ParameterError("{%s} must be an integer%s (got {value!r})" % (param, least), param, value=value)
    if minimum is not None and value < minimum:
        raise ParameterError("{%s} must be at least %d (got {value})" % (param, minimum), param, value=value)
    return int(value)


def check_callback(value, param: str = "progress"):
    """``value`` if it is ``None`` or can be called, else a :class:`ParameterError` naming ``param``
    (checked before any work, not a ``TypeError`` at the first call, after the text was read)."""
    if value is not None and not callable(value):
        raise ParameterError("{%s}: expected a function to call or None, got {kind}" % param, param,
                             kind=type(value).__name__)
    return value


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
