"""Text given to the library: file paths, or any iterable of strings.

:func:`text_files` turns what a caller passes to :func:`embedcli.train` or
:meth:`embedcli.Vocab.build` into file paths, so that text in memory goes through exactly the
code (and gives exactly the bytes) of ``embedcli train FILE`` / ``embedcli vocab FILE``:

* a ``str`` or ``os.PathLike`` is one file path;
* a list or tuple of ``os.PathLike`` (``pathlib.Path``) objects is several file paths;
* anything else is an iterable of strings (a list, a generator, a pandas Series ...), one line
  (sentence, document) each, or of token lists (gensim's corpus: ``[["hope", "to", "see"], ...]``),
  a line each with its tokens joined by spaces, then normalised and split as any text (so
  ``simple_preprocess`` tokens come out as they went in; a token holding a space or punctuation is
  split as the text would be). It is written once, streaming, to a temporary file with a newline
  after each line that does not end with one, and that file is removed afterwards; error messages
  call it "the texts given".
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Iterable, Iterator, Sequence, Union

from .errors import EmbedcliError, ParameterError

#: how messages name text passed as strings (instead of the temporary file's path)
STRINGS = "the texts given"

Texts = Union[str, "os.PathLike[str]", Iterable[str], Iterable[Sequence[str]]]


class Files(tuple):
    """File paths given as strings (what the command line passes; ``"-"`` is stdin, an
    :class:`embedcli.io.Source` a table's text column): ``Vocab.build(Files(["a.txt", "b.txt"]))``
    reads the files, where a plain list of strings would be the texts themselves. They are taken
    as they are: the command line has resolved directories and tables already."""


def is_paths(texts: object) -> bool:
    """Whether ``texts`` names files (a path, a list/tuple of ``PathLike`` objects, :class:`Files`)."""
    if isinstance(texts, (str, os.PathLike, Files)):
        return True
    return isinstance(texts, (list, tuple)) and bool(texts) and all(isinstance(t, os.PathLike) for t in texts)


@contextlib.contextmanager
def text_files(texts: Texts, param: str = "texts", *, tmp_dir: str | None = None) -> Iterator[list[str]]:
    """File paths holding ``texts`` (see the module docstring); temporary files live as long as
    the ``with`` block. A missing file or a non-string item is a :class:`ParameterError` naming
    ``param``. :class:`Files` are passed on as they are (the reader reports a missing one)."""
    if isinstance(texts, Files):
        yield list(texts)
        return
    if is_paths(texts):
        paths = [os.fspath(texts)] if isinstance(texts, (str, os.PathLike)) else [os.fspath(t) for t in texts]
        from .io import is_url

        for p in paths:  # a URL (file://, s3://...) is checked by its reader, through fsspec
            if p != "-" and not is_url(p) and not os.path.exists(p):
                raise ParameterError(
                    "{%s}: no such file: {path} (a string is a file path; to pass text, give a list of strings)"
                    % param, param, path=p)
        yield paths
        return
    if isinstance(texts, bytes) or not hasattr(texts, "__iter__"):
        raise ParameterError("{%s} must be a file path or an iterable of strings, got {kind}" % param, param,
                             kind=type(texts).__name__)
    try:
        directory = tempfile.mkdtemp(prefix="embedcli-texts-", dir=tmp_dir)
    except OSError as exc:  # a tmp_dir that is missing, not a directory, not writable
        from .idstore import temp_dir_error

        raise temp_dir_error(tmp_dir, exc) from None
    try:
        path = os.path.join(directory, "texts.txt")
        # a lone surrogate (text read with errors="surrogateescape") is written as the invalid UTF-8
        # it stands for, which the reader reports (or replaces, with encoding_errors) as in a file
        with open(path, "w", encoding="utf-8", errors="surrogatepass", newline="") as f:
            for line in phrase_strings(texts, param):
                f.write(line if line.endswith("\n") else line + "\n")
        try:
            yield [path]
        except EmbedcliError as exc:
            raise _renamed(exc, path) from None
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def phrase_strings(items: Iterable, param: str = "phrases") -> Iterator[str]:
    """Each item as text: a string as it is, a token list (gensim's shape) as its tokens joined by
    spaces; anything else is a :class:`ParameterError` naming ``param`` and the item (or ``items``
    itself when it is no iterable of phrases: ``None``, a number, ``bytes``)."""
    if isinstance(items, (bytes, bytearray)) or not isinstance(items, Iterable):
        raise ParameterError("{%s}: expected a string or an iterable of strings (got {kind})" % param, param,
                             kind=type(items).__name__)
    for n, item in enumerate(items):
        if isinstance(item, str):
            yield item
        elif isinstance(item, (list, tuple)):
            yield _joined(item, param, n)
        else:
            raise ParameterError("{%s}: item {n} is {kind}, not a string or a list of tokens" % param, param, n=n,
                                 kind=type(item).__name__)


def one_text(text, param: str = "text") -> str:
    """One text (a string, or a token list joined by spaces); anything else a :class:`ParameterError`."""
    if not isinstance(text, (str, list, tuple)):
        raise ParameterError("{%s}: expected a string or a list of tokens (got {kind})" % param, param,
                             kind=type(text).__name__)
    return next(phrase_strings([text], param))


def _joined(tokens: list | tuple, param: str, n: int) -> str:
    """A token list as one line of text (tokens joined by spaces)."""
    for token in tokens:
        if not isinstance(token, str):
            raise ParameterError("{%s}: item {n} is a list holding {kind}, not only strings (tokens)" % param, param,
                                 n=n, kind=type(token).__name__)
        if "\n" in token or "\r" in token:
            raise ParameterError("{%s}: item {n} has a token with a line break ({token!r})" % param, param, n=n,
                                 token=token)
    return " ".join(tokens)


def _renamed(exc: EmbedcliError, path: str) -> EmbedcliError:
    """The same error with the temporary file's path replaced by :data:`STRINGS`."""
    return exc.with_values(lambda text: text.replace(path, STRINGS))


def resolve_tables(texts: Texts, paths: list[str], input_format: str = "auto", text_column: str | None = None,
                   label_column: str | None = None, label_prefix: str = "__label__") -> list[str]:
    """The ``paths`` of :func:`text_files`, with tables read as the command line reads them: a
    file given by path (not :class:`Files`, which the command line has resolved already) ending in
    .csv, .tsv or .jsonl, or any file with ``input_format``, becomes its ``text_column`` (see
    :func:`embedcli.io.resolve_inputs`; directories give their files). Strings stay text."""
    if not is_paths(texts) or isinstance(texts, Files):
        if not is_paths(texts) and (input_format not in (None, "auto", "text") or text_column is not None
                                    or label_column is not None):
            raise ParameterError("{input_format}, {text_column} and {label_column} are for table files, not strings",
                                 "input_format", "text_column", "label_column")
        return paths
    from .io import resolve_inputs

    return resolve_inputs(paths, input_format or "auto", text_column, label_column, label_prefix)
