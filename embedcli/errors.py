"""Errors a user can cause.

Library code raises these with a one-line message naming the file, line or flag;
the command line prints the message and exits with ``exit_code`` (no traceback).
"""

from __future__ import annotations


class EmbedcliError(Exception):
    """A data error: bad file contents, missing file, diverging training... (exit 1)."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(EmbedcliError):
    """A bad flag or option value (exit 2, like click's own usage errors)."""

    exit_code = 2


class FormatError(EmbedcliError):
    """A file that is not what it claims to be (truncated JSON, foreign format, wrong version)."""
