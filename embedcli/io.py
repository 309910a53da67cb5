"""Streaming input and atomic output.

* Inputs are read in bounded chunks that end on a line boundary, so memory never grows
  with the corpus; ``-`` is standard input. A UTF-8 BOM is dropped, CRLF handled by the
  consumers (``\\r`` is whitespace to the tokenizer, stripped by :func:`iter_lines`).
* gzip, bzip2 and xz files (and standard input) are decompressed on the fly, recognised by
  their first bytes (magic numbers), whatever their name (:func:`open_binary`).
* A directory stands for every regular file inside it, recursively, in sorted path order
  (:func:`expand_inputs`); commands take several inputs, read one after the other.
* Invalid UTF-8 and binary files are reported with the file name and line number.
* Every output goes through :func:`atomic_write` / :func:`atomic_directory`: the data is
  written beside the target and renamed over it only when complete.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import json
import lzma
import os
import re
import shutil
import stat
import sys
import tempfile
import zlib
from typing import IO, Any, Callable, Iterator, Sequence

from .errors import EmbedcliError, FormatError, ParameterError, UsageError

try:
    import fcntl
except ImportError:  # Windows: no flock; what a killed run leaves is not swept there
    fcntl = None

CHUNK_BYTES = 1 << 20  # 1 MiB of text per chunk
LONG_LINE_BYTES = 1 << 20  # a line longer than this is split at whitespace when allowed

STDIO = "-"


def display_name(path: str | os.PathLike) -> str:
    """A path as messages show it: ``<stdin>`` for ``-``, ``''`` for an empty name (``-i "$F"``, F unset)."""
    return "<stdin>" if str(path) == STDIO else (str(path) or "''")


def check_format_header(data: Any, name: str, *, fmt: str, supported: int, what: str, missing: str) -> int:
    """Check the ``"format"`` and ``"version"`` of a loaded file; return the version.

    ``missing`` is the message for data without ``"format": fmt``; ``what`` names the
    content in the version messages. A newer version than ``supported`` asks for an upgrade.
    """
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise FormatError(f"{name}: {missing}")
    version = data.get("version")
    if version is None:
        raise FormatError(f"{name}: {what} has no format version")
    if type(version) is not int or version < 1:  # JSON's true is a bool, not version 1
        raise FormatError(f"{name}: {what} has a bad format version {json.dumps(version)} (expected 1 to {supported})")
    if version > supported:
        raise FormatError(
            f"{name}: {what} format version {version} is newer than this embedcli supports "
            f"({supported}); upgrade embedcli"
        )
    return version


#: magic numbers of the compressed formats read transparently
MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))


def _compression(head: bytes) -> str | None:
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    return None


class _Decompressing(io.RawIOBase):
    """A decompressor as a raw stream whose errors are one line naming the file."""

    def __init__(self, source: IO[bytes], kind: str, name: str, close_source: bool):
        super().__init__()
        opener = {"gzip": gzip.GzipFile, "bzip2": bz2.BZ2File, "xz": lzma.LZMAFile}[kind]
        self._dec = opener(fileobj=source) if kind == "gzip" else opener(source)
        self._source, self._close_source = source, close_source
        self.kind, self.name = kind, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            return self._dec.readinto(buffer)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            why = "truncated" if isinstance(exc, EOFError) else f"corrupt ({exc})"
            raise EmbedcliError(f"{self.name}: {self.kind} data is {why}") from None

    def close(self) -> None:
        if not self.closed:
            self._dec.close()
            if self._close_source:
                self._source.close()
        super().close()


class _Prefixed(io.RawIOBase):
    """``head`` then the rest of ``source`` (standard input after its first bytes were read)."""

    def __init__(self, head: bytes, source: IO[bytes], close_source: bool = False):
        super().__init__()
        self._head, self._source, self._close_source = head, source, close_source

    def close(self) -> None:
        if not self.closed and self._close_source:
            self._source.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def is_url(path: str | os.PathLike) -> bool:
    """True for an fsspec URL (``s3://bucket/a.txt``, ``file:///data/a.txt``, ``https://...``)."""
    return "://" in str(path)


def url_filesystem(url: str):
    """``(filesystem, path)`` of an fsspec URL; fsspec is an optional dependency (the ``dask`` extra)."""
    try:
        import fsspec
    except ImportError:
        raise UsageError(f"{url}: reading URLs needs fsspec (pip install 'embedcli[dask]')") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:
        raise UsageError(f"{url}: cannot read this URL here ({exc})") from None


def open_url(url: str) -> IO[bytes]:
    """Open a URL's bytes as they are stored (no decompression), with one-line errors naming it."""
    fs, inner = url_filesystem(url)
    try:
        if fs.isdir(inner):
            raise EmbedcliError(f"{url}: is a directory, expected a text file")
        return fs.open(inner, "rb")
    except FileNotFoundError:
        raise EmbedcliError(f"{url}: no such file") from None
    except OSError as exc:
        raise EmbedcliError(f"{url}: cannot open ({exc})") from None


def open_binary(path: str | os.PathLike, expected: str = "a text file") -> IO[bytes]:
    """Open an input for reading bytes (``-`` = stdin), with one-line errors naming the file.

    gzip, bzip2 and xz data (recognised by its first bytes) is decompressed as it is read;
    only a plain file is seekable (a named pipe is read, never sought). The caller closes what it gets, unless it is
    ``sys.stdin.buffer`` itself.
    """
    if str(path) == STDIO:
        stdin = sys.stdin.buffer
        head = stdin.peek(8)[:8] if hasattr(stdin, "peek") else stdin.read(8)
        kind = _compression(head)
        if not hasattr(stdin, "peek"):  # the bytes read must still be seen
            stdin = io.BufferedReader(_Prefixed(head, sys.stdin.buffer))
        if kind is not None:
            stdin = io.BufferedReader(_Decompressing(stdin, kind, "<stdin>", close_source=False), 1 << 16)
        return _tabular(stdin, path, "<stdin>", close=False)
    p = os.fspath(path)
    if is_url(p):  # streamed through fsspec, read once from the start (not cut into byte ranges)
        raw = open_url(p)
        head = raw.read(8)
        f = io.BufferedReader(_Prefixed(head, raw, close_source=True), 1 << 20)
        kind = _compression(head)
        if kind is not None:
            f = io.BufferedReader(_Decompressing(f, kind, p, close_source=True), 1 << 16)
        return _tabular(f, path, p, close=True)
    if os.path.isdir(p):
        raise EmbedcliError(f"{p}: is a directory, expected {expected}")
    try:
        f = open(p, "rb")
    except FileNotFoundError:
        raise EmbedcliError(f"{display_name(p)}: no such file") from None
    except PermissionError:
        raise EmbedcliError(f"{p}: permission denied") from None
    except OSError as exc:
        raise EmbedcliError(f"{p}: cannot open ({exc.strerror})") from None
    if f.seekable():
        kind = _compression(f.read(8))
        f.seek(0)
    else:  # a named pipe, /dev/stdin, a shell's <(...): looked at without reading, as stdin
        kind = _compression(f.peek(8)[:8])
    if kind is not None:
        f = io.BufferedReader(_Decompressing(f, kind, p, close_source=True), 1 << 16)
    return _tabular(f, path, p, close=True)


def _tabular(f: IO[bytes], path, name: str, close: bool) -> IO[bytes]:
    """``f`` as it is, or, for a tabular :class:`Source`, its records as lines of text."""
    if isinstance(path, Source) and path.format in TABULAR:
        return io.BufferedReader(_Records(f, path, name, close_raw=close), 1 << 16)
    return f


def compression_of(path: str | os.PathLike) -> str | None:
    """``"gzip"``, ``"bzip2"``, ``"xz"`` or None (plain, or not a readable file; stdin or another stream,
    which a look would use up: None)."""
    if str(path) == STDIO or is_url(path) or is_stream(path):
        return None
    try:
        with open(os.fspath(path), "rb") as f:
            return _compression(f.read(8))
    except OSError:
        return None


def is_stream(path: str | os.PathLike) -> bool:
    """True for an input that can be read only once: ``-`` (stdin), or a named pipe or device
    (``/dev/stdin``, a shell's ``<(...)``) given by name."""
    p = os.fspath(path)
    if p == STDIO:
        return True
    if is_url(p):
        return False
    try:
        mode = os.stat(p).st_mode  # one look: neither a regular file nor a directory
    except (OSError, ValueError):  # missing (reported by whoever opens it), or an invalid name
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def is_plain(path: str | os.PathLike) -> bool:
    """True for a plain (uncompressed, not tabular) text file: its bytes are its text, byte ranges
    can be cut (not a stream: a named pipe is read once, as it comes)."""
    if isinstance(path, Source) and path.format in TABULAR:
        return False
    return not is_url(path) and not is_stream(path) and compression_of(path) is None


def expand_inputs(paths: Sequence[str | os.PathLike]) -> list[str]:
    """The input files of ``paths``: a directory becomes every regular file inside it,
    recursively, sorted by path (component by component); ``-`` and files stay as they are.
    An empty directory is an error (it is surely not what was meant)."""
    out: list[str] = []
    for path in paths:
        p = os.fspath(path)
        if p == STDIO or not os.path.isdir(p):
            out.append(path if isinstance(path, str) else p)
            continue
        found = []
        for root, dirs, files in os.walk(p):
            dirs.sort()
            for name in files:
                full = os.path.join(root, name)
                if os.path.isfile(full):
                    found.append(full)
        if not found:
            raise EmbedcliError(f"{p}: directory has no files to read")
        found.sort(key=lambda f: os.path.relpath(f, p).split(os.sep))
        out.extend(_like(path, f) for f in found)
    return out


def _like(parent, path: str) -> str:
    """``path`` carrying the reading options of ``parent`` (see :class:`Source`), if any."""
    if isinstance(parent, Source):
        return parent.child(path)
    return path


class Source(str):
    """An input path with reading options (a ``str``, so it goes wherever a path goes): a
    tabular ``format`` (``csv``, ``tsv``, ``jsonl``) with the ``text_column`` to read and, for
    a classifier, the ``label_column`` (written as ``label_prefix`` + label before the text)."""

    format: str = "text"
    text_column: str | None = None
    label_column: str | None = None
    label_prefix: str = "__label__"

    @classmethod
    def make(cls, path: str, format: str = "text", text_column: str | None = None,
             label_column: str | None = None, label_prefix: str = "__label__") -> "Source":
        new = cls(path)
        new.format, new.text_column, new.label_column, new.label_prefix = (
            format, text_column, label_column, label_prefix)
        return new

    def child(self, path: str) -> "Source":
        new = Source(path)
        new.__dict__.update(self.__dict__)
        return new


TABULAR = ("csv", "tsv", "jsonl")
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")


def format_from_name(path: str) -> str:
    """``csv``, ``tsv`` or ``jsonl`` from a file name (``data.csv.gz`` too), else ``text``."""
    name = path.lower()
    for suffix in COMPRESSED_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    ext = os.path.splitext(name)[1]
    return {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(ext, "text")


def resolve_inputs(paths: Sequence[str | os.PathLike], input_format: str = "auto", text_column: str | None = None,
                   label_column: str | None = None, label_prefix: str = "__label__") -> list[str]:
    """The files of ``paths`` (directories expanded), each with its reading options: tabular by
    extension (``.csv``, ``.tsv``, ``.jsonl``, compressed or not) unless ``input_format`` says."""
    if input_format not in ("auto", "text") + TABULAR:
        raise ParameterError("{input_format} must be auto, text, csv, tsv or jsonl (got {got!r})", "input_format",
                             got=input_format)
    out: list[str] = []
    for path in expand_inputs([os.fspath(p) for p in paths]):
        fmt = input_format if input_format != "auto" else format_from_name(path)
        if fmt == "text":
            if (text_column is not None or label_column is not None) and input_format != "auto":
                raise ParameterError("{text_column} and {label_column} are for csv, tsv and jsonl inputs",
                                     "text_column", "label_column")
            out.append(path)
        else:
            out.append(Source.make(path, fmt, text_column, label_column, label_prefix))
    if not any(isinstance(p, Source) for p in out) and (text_column is not None or label_column is not None):
        raise ParameterError("{text_column} and {label_column} need a .csv, .tsv or .jsonl input (or {input_format})",
                             "text_column", "label_column", "input_format")
    return out


def _column_index(want: str | None, names: list[str], name: str, role: str, default_text: bool) -> int:
    if want is None:
        if not default_text:
            return -1
        if "text" in names:
            return names.index("text")
        if len(names) == 1:
            return 0
        raise EmbedcliError("{name}: which column is the text? give {text_column} NAME|INDEX (columns: {columns})",
                            "text_column", name=name, columns=", ".join(names))
    if want in names:
        return names.index(want)
    if want.lstrip("-").isdigit() and -len(names) <= int(want) < len(names):
        return int(want) % len(names)
    raise EmbedcliError(f"{name}: no {role} column {want!r} (columns: {', '.join(names) or 'none'})")


def _record_lines(raw: IO[bytes], spec: Source, name: str) -> Iterator[bytes]:
    """The text of each record as one line (``label_prefix + label`` first with a label column, one
    such word per item of a JSON array), newlines inside a field turned into spaces; batches of
    lines as UTF-8 bytes."""
    import csv

    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
    batch: list[str] = []
    prefix = spec.label_prefix

    def label_words(label) -> str:
        """``label`` as label words (a JSON array: one per item); one written with the prefix keeps it."""
        if isinstance(label, list):
            return "".join(label_words(item) for item in label)
        if label is None or label == "":
            return ""
        word = "_".join(str(label).split())
        return f"{word if word.startswith(prefix) else prefix + word} "

    def line(value, label) -> str:
        value = "" if value is None else str(value)
        if "\n" in value or "\r" in value:
            value = " ".join(value.splitlines())
        return label_words(label) + value + "\n"

    try:
        if spec.format in ("csv", "tsv"):
            reader = csv.reader(text, delimiter="," if spec.format == "csv" else "\t")
            header = next(reader, None)
            if header is None:
                return
            ti = _column_index(spec.text_column, header, name, "text", True)
            li = _column_index(spec.label_column, header, name, "label", False)
            for row in reader:
                if not row:
                    continue
                if len(row) < len(header):
                    raise EmbedcliError(f"{name}: line {reader.line_num}: {len(row)} fields, the header has "
                                        f"{len(header)} ({', '.join(header)})")
                if len(row) > len(header) and any(row[len(header):]):  # (empty ones: a trailing delimiter)
                    sep = "comma" if spec.format == "csv" else "tab"
                    raise EmbedcliError(f"{name}: line {reader.line_num}: {len(row)} fields, the header has "
                                        f"{len(header)} ({', '.join(header)}); a field with a {sep} in it needs "
                                        f"double quotes")
                batch.append(line(row[ti], row[li] if li >= 0 else None))
                if len(batch) >= 4096:
                    yield "".join(batch).encode("utf-8")
                    batch = []
        else:
            keys: list[str] | None = None
            for line_no, raw_line in enumerate(text, 1):
                if not raw_line.strip():
                    continue
                try:
                    obj = json.loads(raw_line)
                except json.JSONDecodeError as exc:
                    raise EmbedcliError(f"{name}: line {line_no}: not a JSON object ({exc.msg})") from None
                if not isinstance(obj, dict):
                    raise EmbedcliError(f"{name}: line {line_no}: expected a JSON object, got {type(obj).__name__}")
                names = list(obj)
                if keys is None or names != keys:
                    keys = names
                    tk = names[_column_index(spec.text_column, names, f"{name}: line {line_no}", "text", True)]
                    li = _column_index(spec.label_column, names, f"{name}: line {line_no}", "label", False)
                    lk = names[li] if li >= 0 else None
                batch.append(line(obj.get(tk), obj.get(lk) if lk is not None else None))
                if len(batch) >= 4096:
                    yield "".join(batch).encode("utf-8")
                    batch = []
    except UnicodeDecodeError:
        raise EmbedcliError(f"{name}: not UTF-8 text") from None
    except csv.Error as exc:
        raise EmbedcliError(f"{name}: not valid {spec.format.upper()} ({exc})") from None
    if batch:
        yield "".join(batch).encode("utf-8")


class _Records(io.RawIOBase):
    """The records of a tabular file as lines of text (see :func:`_record_lines`)."""

    def __init__(self, raw: IO[bytes], spec: Source, name: str, close_raw: bool):
        super().__init__()
        self._raw, self._close_raw = raw, close_raw
        self._lines = _record_lines(raw, spec, name)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._buf:
            self._buf = next(self._lines, b"")
            if not self._buf:
                return 0
        n = min(len(buffer), len(self._buf))
        buffer[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        if not self.closed and self._close_raw:
            self._raw.close()
        super().close()


def looks_like_json(path: str | os.PathLike) -> bool:
    """Whether a file starts as JSON does: an object, or a list of objects, lists or strings (a
    vocabulary, a model's history), not a GloVe line whose word is "[" (its vector follows:
    ``[ 0.1 ...``)."""
    with open(path, "rb") as f:
        head = f.read(64).lstrip()
    return head.startswith(b"{") or re.match(rb"\[\s*[\[{\"\]]", head) is not None


def read_json_document(path: str | os.PathLike, what: str) -> Any:
    """Parse a whole JSON file (``-`` = stdin); ``what`` names the expected content in errors
    (missing file, directory, not UTF-8, invalid or truncated JSON with its line)."""
    name = display_name(path)
    f = open_binary(path, f"{what} (JSON)")
    try:
        raw = f.read()
    except OSError as exc:
        raise EmbedcliError(f"{name}: cannot read ({exc.strerror})") from None
    finally:
        if f is not sys.stdin.buffer:
            f.close()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"{name}: not {what} (not UTF-8 text)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        body = text.strip()
        if not body:
            raise FormatError(f"{name}: not {what}: the file is empty") from None
        if not body.startswith(("{", "[")):  # not JSON at all: say what it looks like instead
            start = body.splitlines()[0]
            shown = start[:40] + ("…" if len(start) > 40 else "")
            raise FormatError(f"{name}: not {what}: it is not JSON (it starts with {shown!r})") from None
        # the text stops where more JSON was expected, or inside a string
        at_end = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated")
        raise FormatError(
            f"{name}: line {exc.lineno}: not valid JSON ({exc.msg})" + ("; is the file truncated?" if at_end else "")
        ) from None


def decode_utf8(raw: bytes, errors: str, where: Callable[[int], str]) -> str:
    """``raw`` as UTF-8 text under ``errors`` (``--encoding-errors``); invalid UTF-8 under
    ``"strict"`` is one line naming ``where(offset of the bad byte)``: ``f.txt: line 3: invalid
    UTF-8 (byte 0xe9); use --encoding-errors replace to go on``."""
    try:
        return raw.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        raise EmbedcliError("{where}: invalid UTF-8 (byte 0x{byte:02x}); use {encoding_errors} replace to go on",
                            "encoding_errors", where=where(exc.start), byte=raw[exc.start]) from None


def _decode(raw: bytes, name: str, first_line: int, errors: str) -> str:
    def where(at: int) -> str:
        line = first_line + raw.count(b"\n", 0, at)
        return f"{name}: line {line}"

    return decode_utf8(raw, errors, where)


def iter_chunks(
    path: str | os.PathLike,
    *,
    encoding_errors: str = "strict",
    split_long_lines: bool = True,
    chunk_bytes: int | None = None,
    progress: Callable[[int], None] | None = None,
    as_available: bool = False,
) -> Iterator[str]:
    """Yield decoded text chunks of about ``chunk_bytes`` that end on a line boundary
    (``as_available``: see :func:`iter_raw_chunks`).

    With ``split_long_lines`` a line longer than ``LONG_LINE_BYTES`` may be cut at a
    space or tab (never inside a token), so a file with one enormous line is still read
    in bounded memory. Without it, chunks only ever end at ``\\n`` (or end of file). A UTF-8
    BOM is dropped; NUL bytes and invalid UTF-8 are reported with the line number.
    """
    name = display_name(path)
    f = open_binary(path)
    try:
        line_no = 1
        for raw, offset in iter_raw_chunks(f, 0, None, progress, split_long_lines, chunk_bytes, as_available):
            if offset == 0:
                if raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                if b"\x00" in raw[:8192]:
                    raise EmbedcliError(f"{name}: looks like a binary file (NUL byte near the start), expected UTF-8 text")
            elif b"\x00" in raw:
                nul = raw.index(b"\x00")
                bad_line = line_no + raw.count(b"\n", 0, nul)
                raise EmbedcliError(f"{name}: line {bad_line}: NUL byte, this looks like a binary file")
            text = _decode(raw, name, line_no, encoding_errors)
            line_no += raw.count(b"\n")
            if text:
                yield text
    finally:
        if f is not sys.stdin.buffer:
            f.close()


def iter_raw_chunks(
    f: IO[bytes],
    start: int = 0,
    end: int | None = None,
    progress: Callable[[int], None] | None = None,
    split_long_lines: bool = True,
    chunk_bytes: int | None = None,
    as_available: bool = False,
) -> Iterator[tuple[bytes, int]]:
    """Yield ``(bytes, offset)`` chunks of ``[start, end)`` ending on a line boundary.

    ``f`` is positioned at ``start`` by the caller. Chunks of ``CHUNK_BYTES`` (read at call
    time, so tests can shrink them) are completed to the end of the line; a line
    longer than ``LONG_LINE_BYTES`` is cut at a space or tab (or, with none, at a character
    boundary). Without ``split_long_lines`` chunks only end at a newline (or the end).
    With ``as_available`` a chunk starts with one read of what ``f`` has ready (``read1``: a pipe
    does not wait to fill ``CHUNK_BYTES``), then is completed to the end of the line as usual.
    """
    chunk_bytes = chunk_bytes or CHUNK_BYTES
    long_line = LONG_LINE_BYTES
    pos = start
    carry = b""
    while True:
        want = chunk_bytes if end is None else min(chunk_bytes, end - pos)
        block = (f.read1(want) if as_available else f.read(want)) if want > 0 else b""
        pos += len(block)
        if not block and not carry:
            break
        raw = carry + block
        carry = b""
        offset = pos - len(raw)
        if block and not raw.endswith(b"\n") and (end is None or pos < end):
            if split_long_lines:
                limit = long_line if end is None else min(long_line, end - pos)
            else:
                limit = -1 if end is None else end - pos
            rest = f.readline(limit)
            pos += len(rest)
            raw += rest
            if split_long_lines and rest and not raw.endswith(b"\n"):
                # (the last of them: a newline at 0 followed by a long line must not
                # send the chunk to the character-boundary cut below, which splits a word)
                cut = max(raw.rfind(b"\n"), raw.rfind(b" "), raw.rfind(b"\t"))
                if cut >= 0:
                    carry = raw[cut + 1 :]
                    raw = raw[: cut + 1]
                else:
                    cut = len(raw) - 1
                    while cut > 0 and raw[cut] & 0xC0 == 0x80:
                        cut -= 1
                    carry = raw[cut:]
                    raw = raw[:cut]
        if progress is not None:
            progress(len(raw))
        yield raw, offset


def iter_lines(
    path: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    encoding_errors: str = "strict",
    progress: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """Yield the lines of a text input without their line ending (``\\n`` or ``\\r\\n``); a
    directory (or a list of inputs) gives the lines of each file in turn."""
    for lines in iter_line_batches(path, encoding_errors=encoding_errors, progress=progress):
        yield from lines


def iter_line_batches(
    path: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    encoding_errors: str = "strict",
    progress: Callable[[int], None] | None = None,
    as_available: bool = False,
) -> Iterator[list[str]]:
    """The lines of :func:`iter_lines`, a list per chunk read (about ``CHUNK_BYTES``).

    With ``as_available`` a chunk is what the input holds at the time (one read; then the rest of
    its last line), not a full chunk: lines written to a pipe one at a time come out one batch at
    a time, as they arrive, while a file or a fast producer still gives large batches.
    """
    for one in expand_inputs([path] if isinstance(path, (str, os.PathLike)) else list(path)):
        for chunk in iter_chunks(one, encoding_errors=encoding_errors, split_long_lines=False, progress=progress,
                                 as_available=as_available):
            lines = chunk.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            yield [line[:-1] if line.endswith("\r") else line for line in lines]


def _check_parent(path: str, create: bool = False) -> str:
    """The directory ``path`` goes in. A missing one (and its missing parents) is created with
    ``create``; otherwise only checked: its nearest existing ancestor must be a writable directory."""
    parent = os.path.dirname(os.path.abspath(path))
    existing = parent
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UsageError(f"cannot write {path}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK):
        raise EmbedcliError(f"cannot write {path}: directory {existing} is not writable")
    if create and existing != parent:
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as exc:
            raise EmbedcliError(f"cannot write {path}: cannot create directory {parent} ({exc.strerror})") from None
    return parent


def input_size(path: str | os.PathLike) -> int | None:
    """Size in bytes of the text of an input, for progress bars: a plain file's size, the sum
    over a directory's files; None for stdin, compressed data (its text size is unknown before
    it is read) or anything unreadable."""
    if str(path) == STDIO:
        return None
    try:
        files = expand_inputs([path])
    except EmbedcliError:
        return None
    total = 0
    for f in files:
        if not is_plain(f):
            return None
        try:
            total += os.path.getsize(f)
        except OSError:
            return None
    return total


def check_writable(path: str | os.PathLike, param: str = "output") -> None:
    """Fail early (before long work) when ``path`` cannot be written (``param``: the parameter that
    gave it, named by the message for an empty name)."""
    p = os.fspath(path)
    if p == STDIO:
        return
    if not p:  # -o "$OUT" with OUT unset
        raise ParameterError("{" + param + "} is an empty file name", param)
    if os.path.isdir(p):
        raise UsageError(f"cannot write {p}: it is a directory")
    _check_parent(p)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path beside ``path``; it is renamed over ``path`` on success.

    For writers that need a file name (``numpy.lib.format.open_memmap``...). On any exception
    (or Ctrl-C) the temporary file is removed and an existing ``path`` is left untouched.
    """
    p = os.fspath(path)
    check_writable(p)
    if os.path.exists(p) and not os.path.isfile(p):  # /dev/null, a named pipe, /dev/stdout: written into,
        try:                                          # as a rename would replace it with a regular file
            yield p
        except OSError as exc:
            if exc.errno is not None and exc.filename in (None, p):
                raise EmbedcliError(f"cannot write {p}: {exc.strerror or exc}") from None
            raise
        return
    parent = _check_parent(p, create=True)  # missing parent directories are created
    try:
        tmp, lock = _claimed_temp(parent, os.path.basename(p), directory=False)
    except OSError as exc:
        raise EmbedcliError(f"cannot write {p}: {exc.strerror or exc}") from None
    try:
        yield tmp
        _keep_mode(p, tmp)
        os.replace(tmp, p)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, (FileNotFoundError, IsADirectoryError)) \
                and exc.filename in (None, tmp, p):
            # no errno: a short write (numpy's tofile: "N requested and M written"), a full disk
            why = exc.strerror or exc if exc.errno is not None else f"{exc} (is the disk full?)"
            raise EmbedcliError(f"cannot write {p}: {why}") from None
        raise
    finally:
        if lock is not None:
            os.close(lock)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8", *,
                 compress: bool = False):
    """Open ``path`` for writing through a temporary file renamed over it on success.

    ``-`` writes to standard output. On any exception (or Ctrl-C) the temporary file is
    removed and an existing file at ``path`` is left untouched. ``compress``: a name ending in
    ``.gz``, ``.bz2`` or ``.xz`` gets gzip, bzip2 or xz data, as its readers expect (gzip
    without a time stamp: the same content gives the same bytes).
    """
    p = os.fspath(path)
    binary = "b" in mode
    if p == STDIO:
        stream = sys.stdout.buffer if binary else sys.stdout
        yield stream
        stream.flush()
        return
    kind = compression_from_name(p) if compress else None
    with atomic_path(p) as tmp:
        if kind is None:
            with open(tmp, mode, **({} if binary else {"encoding": encoding, "newline": "\n"})) as f:
                yield f
                f.flush()
                _sync(f.fileno())
            return
        with open(tmp, "wb") as raw:
            if kind == "gzip":
                packed = gzip.GzipFile(filename=p, mode="wb", fileobj=raw, mtime=0)
            else:
                packed = (bz2.BZ2File if kind == "bzip2" else lzma.LZMAFile)(raw, "wb")
            with packed:
                if binary:
                    yield packed
                else:
                    with io.TextIOWrapper(packed, encoding=encoding, newline="\n") as f:
                        yield f
            raw.flush()
            _sync(raw.fileno())


def _sync(fd: int) -> None:
    """``os.fsync`` a regular file (a pipe or a device such as /dev/null has nothing to sync: EINVAL)."""
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.fsync(fd)


def compression_from_name(path: str) -> str | None:
    """``"gzip"``, ``"bzip2"`` or ``"xz"`` for a name ending in ``.gz``, ``.bz2`` or ``.xz``, else None."""
    name = path.lower()
    for suffix, kind in zip(COMPRESSED_SUFFIXES, ("gzip", "bzip2", "xz")):
        if name.endswith(suffix):
            return kind
    return None


def _keep_mode(target: str, tmp: str, new_mode: int = 0o666) -> None:
    """Give ``tmp`` the mode of the ``target`` it replaces, else ``new_mode`` less the umask
    (``mkstemp``/``mkdtemp`` make 0600/0700)."""
    try:
        mode = os.stat(target).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = new_mode & ~umask
    os.chmod(tmp, mode)


def _exchange(a: str, b: str) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False
    where the system or the file system cannot, and nothing was changed."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import errno

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without it (glibc < 2.28, some musl)
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), b)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike):
    """Yield a fresh sibling directory to fill; swap it in for ``path`` only on success.

    An existing directory at ``path`` stays byte-for-byte as it was if anything fails
    (exception, Ctrl-C, SIGTERM turned into an exception) before the swap.
    """
    p = os.path.abspath(os.fspath(path))
    if os.path.exists(p) and not os.path.isdir(p):
        raise UsageError(f"cannot write model to {path}: a file with that name exists")
    parent = _check_parent(p, create=True)  # missing parent directories are created
    try:
        tmp, lock = _claimed_temp(parent, os.path.basename(p), directory=True)
    except OSError as exc:
        raise EmbedcliError(f"cannot write {path}: {exc.strerror or exc}") from None
    _keep_mode(p, tmp, 0o777)
    try:
        yield tmp
        if os.path.exists(p):
            if _exchange(tmp, p):  # one step: the path holds the old model, then the new one
                shutil.rmtree(tmp, ignore_errors=True)  # (now the old model)
                return
            # no atomic exchange here: a process killed (SIGKILL) between the two renames leaves
            # the previous model in the .old directory beside the path
            old = tempfile.mkdtemp(dir=parent, prefix="." + os.path.basename(p) + ".", suffix=".old")
            os.rmdir(old)
            os.replace(p, old)
            try:
                os.replace(tmp, p)
            except BaseException:
                os.replace(old, p)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, p)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if lock is not None:
            os.close(lock)


def _claimed_temp(parent: str, name: str, directory: bool) -> tuple[str, int | None]:
    """A new temporary file (or directory) for ``name`` in ``parent``, ``.NAME.XXXXXXXX.tmp``, and
    the descriptor holding its lock: locked while still named ``.new``, so that no other run ever
    sees it unlocked under the ``.tmp`` name (a killed process's lock goes with it); then the
    ``.tmp`` leftovers of killed runs are removed (:func:`_remove_stale`)."""
    prefix = "." + name + "."
    if directory:
        new = tempfile.mkdtemp(dir=parent, prefix=prefix, suffix=".new")
    else:
        fd, new = tempfile.mkstemp(dir=parent, prefix=prefix, suffix=".new")
        os.close(fd)
    lock = _lock(new)
    tmp = new[: -len(".new")] + ".tmp"
    try:
        os.rename(new, tmp)
        _remove_stale(parent, name)
    except BaseException:  # (Ctrl-C included) nothing of this write is left
        if lock is not None:
            os.close(lock)
        for left in (new, tmp):
            if directory:
                shutil.rmtree(left, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(left)
        raise
    return tmp, lock


def _lock(path: str) -> int | None:
    """An open descriptor of the file or directory ``path`` holding an exclusive ``flock`` on it;
    None where there is no ``flock``, or the lock is held by another process (raises OSError when
    ``path`` cannot be opened)."""
    if fcntl is None:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held by another process, or a file system without locks (never swept then)
        os.close(fd)
        return None
    return fd


def _remove_stale(parent: str, name: str) -> None:
    """Remove the temporary files and directories of ``name`` (``.NAME.XXXXXXXX.tmp``, from
    :func:`atomic_path` and :func:`atomic_directory`) that a killed process (SIGKILL, the OOM
    killer) left in ``parent``: those no process holds locked. A process writing one now holds
    its lock, so it is left alone; ``.old`` directories (a previous model moved aside where there
    is no atomic exchange) are kept, as they may be the only copy of it."""
    if fcntl is None:
        return
    prefix = "." + name + "."
    pattern = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}\.tmp")
    with contextlib.suppress(OSError):  # (the prefix first: a directory of thousands of parts stays cheap)
        candidates = [e for e in os.listdir(parent) if e.startswith(prefix) and pattern.fullmatch(e)]
        for entry in candidates:
            stale = os.path.join(parent, entry)
            try:
                fd = _lock(stale)
            except OSError:
                continue
            if fd is None:  # in use by a running process
                continue
            try:
                if os.path.isdir(stale) and not os.path.islink(stale):
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    os.unlink(stale)
            finally:
                os.close(fd)
