"""Reading an import: the bytes of a file or stdin; for budgetcli's own format, text lines and
CSV records with their line numbers (bank statements are read by `budgetcli.statements`)."""

from __future__ import annotations

import codecs
import csv
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO, cast

from budgetcli.errors import Field, InvalidInput
from budgetcli.statements.text import errors_for, text_codec

READ_SIZE = 1 << 16
# Delimiters read from a header line that has no comma, in this order.
DETECTED_DELIMITERS = (";", "\t")


def check_encoding(name: str) -> str:
    """The Python codec's canonical name of a text encoding, e.g. cp1252 for windows-1252."""
    if (codec := text_codec(name)) is None:
        raise InvalidInput(
            Field("encoding"),
            f" {name!r} is not a text encoding Python knows: try utf-8, cp1252 "
            "(Windows), latin-1 or utf-16",
        )
    return codec


def decoded_lines(stream: BinaryIO, encoding: str = "utf-8") -> Iterator[str]:
    """Text lines of a byte stream (a BOM is dropped), newlines kept for csv.

    Where a newline is the byte 0x0a (UTF-8, cp1252, Latin-1...), decoding line by line
    gives the exact line of an undecodable byte; UTF-16 and UTF-32 are decoded in blocks.
    """
    encoding = check_encoding(encoding)
    lines = (
        _line_by_line(stream, encoding) if _ascii_newlines(encoding) else _blocks(stream, encoding)
    )
    for number, line in enumerate(lines, start=1):
        yield line[1:] if number == 1 and line.startswith("\ufeff") else line


def _ascii_newlines(encoding: str) -> bool:
    try:
        return "x\n,;".encode(encoding).endswith(b"x\n,;")  # utf-8-sig starts with a BOM
    except UnicodeError:
        return False


def _not_text(encoding: str, line: int | None, detail: str) -> InvalidInput:
    name = "UTF-8" if encoding == "utf-8" else encoding
    where = f"line {line}" if line is not None else "the file"
    if encoding == "utf-8":
        return InvalidInput(
            f"{where} is not {name} text ({detail}): give the file's encoding with ",
            Field("encoding"),
            " (banks often use ",
            Field("encoding"),
            " cp1252), or save it as UTF-8",
        )
    return InvalidInput(
        f"{where} is not {name} text ({detail}): give the file's real encoding with ",
        Field("encoding"),
    )


def _line_by_line(stream: BinaryIO, encoding: str) -> Iterator[str]:
    errors = errors_for(encoding)  # Windows-1252's five unused bytes are read as Latin-1
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode(encoding, errors)
        except UnicodeDecodeError as exc:
            detail = f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
            raise _not_text(encoding, number, detail) from None


def _blocks(stream: BinaryIO, encoding: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)()
    pending = ""
    while True:
        block = stream.read(READ_SIZE)
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            raise _not_text(encoding, None, exc.reason) from None
        *complete, pending = (pending + text).split("\n")
        for part in complete:
            yield part + "\n"
        if not block:
            break
    if pending:
        yield pending


@dataclass(frozen=True)
class Source:
    """Where an import reads from: a file, or standard input when `path` is None."""

    path: Path | None

    @property
    def name(self) -> str:
        return "standard input" if self.path is None else str(self.path)

    @contextmanager
    def opened(self) -> Iterator[BinaryIO]:
        """The bytes, as a stream that can be read again from the start (`seek(0)`).

        Layout detection reads the whole file before its rows are read: what can be read
        only once (stdin, a pipe, <(process substitution)) is copied to a temporary file.
        """
        if self.path is None:
            with _spooled(sys.stdin.buffer) as spool:
                yield spool
            return
        try:
            stream = self.path.open("rb")
        except IsADirectoryError:
            raise InvalidInput(f"{self.path} is a directory: give a CSV or OFX file") from None
        except FileNotFoundError:
            raise InvalidInput(f"{self.path} does not exist") from None
        except PermissionError:
            raise InvalidInput(f"{self.path} is not readable: check its permissions") from None
        except OSError as exc:
            raise InvalidInput(f"cannot read {self.path}: {exc.strerror or exc}") from None
        with stream:
            if stream.seekable():
                yield stream
                return
            with _spooled(stream) as spool:
                yield spool


@contextmanager
def _spooled(stream: BinaryIO) -> Iterator[BinaryIO]:
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(stream, spool, READ_SIZE)
        spool.seek(0)
        yield cast(BinaryIO, spool)


def count_lines(stream: BinaryIO) -> int:
    """The number of lines from the stream's position to its end; the position is kept."""
    start = stream.tell()
    lines = 0
    while block := stream.read(READ_SIZE):
        lines += block.count(b"\n")
    stream.seek(start)
    return lines


def detect_delimiter(header_line: str) -> str:
    """',' unless the header line has no comma: then ';' or a tab if it has one."""
    if "," not in header_line:
        for delimiter in DETECTED_DELIMITERS:
            if delimiter in header_line:
                return delimiter
    return ","


def records(
    lines: Iterable[str], delimiter: str | None = None
) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(first line, cells) of each CSV record; a malformed record gives its csv.Error.

    A quoted field may span lines, so a record starts one line after the previous ended.
    With no `delimiter`, the header line tells (see `detect_delimiter`).
    """
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    first = first.removeprefix("\ufeff")
    if delimiter is None:
        delimiter = detect_delimiter(first)
    reader = csv.reader(chain([first], iterator), delimiter=delimiter)
    ended = 0
    while True:
        try:
            cells: list[str] | csv.Error = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            cells = exc
        yield ended + 1, cells
        ended = reader.line_num
