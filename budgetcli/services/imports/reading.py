"""Reading an import: bytes to text lines, text lines to CSV records with their line numbers."""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from budgetcli.errors import Field, InvalidInput

READ_SIZE = 1 << 16
# Delimiters read from a header line that has no comma, in this order.
DETECTED_DELIMITERS = (";", "\t")


def check_encoding(name: str) -> str:
    """The Python codec's canonical name of a text encoding, e.g. cp1252 for windows-1252."""
    try:
        "a".encode(name)  # LookupError also for codecs that are not text (rot13, base64)
        return codecs.lookup(name).name
    except (LookupError, UnicodeError):
        raise InvalidInput(
            Field("encoding"),
            f" {name!r} is not a text encoding Python knows: try utf-8, cp1252 "
            "(Windows), latin-1 or utf-16",
        ) from None


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
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode(encoding)
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
    encoding: str = "utf-8"

    @property
    def readable_twice(self) -> bool:
        # stdin, a pipe or <(process substitution) can be read only once.
        path = self.path
        return path is not None and (path.is_file() or not path.exists() or path.is_dir())

    def check(self) -> int | None:
        """Read a file once, before anything is written: InvalidInput if it is not text in
        its encoding, else its number of data rows (lines after the header, for a progress
        bar). None for what can be read only once."""
        if self.path is None or not self.readable_twice:
            return None
        lines = 0
        with self.lines() as text:
            for _ in text:
                lines += 1
        return max(lines - 1, 0)

    @contextmanager
    def lines(self) -> Iterator[Iterator[str]]:
        """The decoded lines, read as they are used."""
        if self.path is None:
            yield decoded_lines(sys.stdin.buffer, self.encoding)
            return
        try:
            stream = self.path.open("rb")
        except IsADirectoryError:
            raise InvalidInput(f"{self.path} is a directory: give a CSV file") from None
        except FileNotFoundError:
            raise InvalidInput(f"{self.path} does not exist") from None
        except PermissionError:
            raise InvalidInput(f"{self.path} is not readable: check its permissions") from None
        except OSError as exc:
            raise InvalidInput(f"cannot read {self.path}: {exc.strerror or exc}") from None
        with stream:
            yield decoded_lines(stream, self.encoding)


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
