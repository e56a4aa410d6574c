"""Bytes to lines: the encoding decided on evidence, line ends as banks write them.

UTF-8 and UTF-16/32 with a BOM say so; UTF-16 without one shows as NUL bytes; otherwise
the file is UTF-8 when every byte of it decodes as UTF-8 (the part after the sample is
checked in 1 MiB blocks, which costs milliseconds), else Windows-1252, whose five unused
bytes are read as Latin-1. Lines end at LF; CR LF and CR CR LF (seen in Rabobank exports)
are one line end, and a file with CR alone uses CR.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import BinaryIO

from budgetcli.statements.model import LayoutQuestion

BLOCK = 1 << 20  # bytes checked at a time for UTF-8
READ_BLOCK = 1 << 16  # bytes decoded at a time when reading lines
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32 byte order mark"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32 byte order mark"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 byte order mark"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 byte order mark"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 byte order mark"),
)
WINDOWS = "cp1252"


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("budgetcli-latin1", _latin1_fallback)


def errors_for(encoding: str) -> str:
    return "budgetcli-latin1" if encoding == WINDOWS else "strict"


def text_codec(name: str) -> str | None:
    """The canonical name of the Python text codec `name`, e.g. cp1252 for windows-1252;
    None when Python knows no text codec of that name."""
    try:
        "a".encode(name)  # LookupError also for codecs that are not text (rot13, base64)
        return codecs.lookup(name).name
    except (LookupError, UnicodeError):
        return None


def check_encoding(name: str) -> str:
    """A Python text codec's canonical name; LayoutQuestion for anything else."""
    if (codec := text_codec(name)) is None:
        raise LayoutQuestion(
            "encoding",
            f"{name!r} is not a text encoding Python knows: give one such as utf-8, "
            "cp1252 (Windows), latin-1 or utf-16",
        )
    return codec


def choose_encoding(head: bytes, stream: BinaryIO | None, given: str | None) -> tuple[str, str]:
    """(codec, why). `stream` continues after `head` (None when `head` is everything)."""
    if given:
        return check_encoding(given), "given"
    for bom, name, why in _BOMS:
        if head.startswith(bom):
            return name, why
    sample = head[:4096]
    if sample and sample.count(0) * 4 >= len(sample):
        odd_zeros = sample[1::2].count(0)
        even_zeros = sample[0::2].count(0)
        if odd_zeros > even_zeros:
            return "utf-16-le", "NUL bytes between ASCII letters: UTF-16 little-endian"
        return "utf-16-be", "NUL bytes before ASCII letters: UTF-16 big-endian"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=stream is None)
    except UnicodeDecodeError as exc:
        return WINDOWS, _not_utf8(head, exc.start, 0)
    if not head.isascii():
        return "utf-8", "valid UTF-8"
    if stream is None:
        return "utf-8", "ASCII, read as UTF-8"
    lines_before = head.count(b"\n")
    while block := stream.read(BLOCK):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            return WINDOWS, _not_utf8(block, exc.start, lines_before)
        lines_before += block.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return WINDOWS, "the file ends inside a UTF-8 character: Windows-1252"
    return "utf-8", "valid UTF-8 (checked to the end)"


def _not_utf8(data: bytes, position: int, lines_before: int) -> str:
    line = lines_before + data.count(b"\n", 0, position) + 1
    return f"not UTF-8 (byte 0x{data[position]:02x} on line {line}): Windows-1252"


def choose_newline(text: str) -> str:
    return "\r" if "\n" not in text and "\r" in text else "\n"


class Lines:
    """The text lines of a byte stream, for csv.reader (which ends records at CR or LF).

    Lines are counted at LF, so CR CR LF is one line end; a file whose lines end in CR
    alone is split at CR. A line that is not text in the encoding is kept (undecodable
    bytes replaced) and its number recorded in `undecodable`, so the row built from it
    can be reported.
    """

    def __init__(self, stream: BinaryIO, encoding: str, newline: str = "\n") -> None:
        self._stream = stream
        self._encoding = encoding
        self._newline = newline
        self.undecodable: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        for block in self.blocks():
            # StringIO splits at LF in C: much faster than a loop here.
            yield from io.StringIO(block)

    def blocks(self) -> Iterator[str]:
        """The text in pieces of whole lines, each line ending in LF (CR files too)."""
        decoder = codecs.getincrementaldecoder(self._encoding)(errors=errors_for(self._encoding))
        newline, pending, number = self._newline, "", 0
        while True:
            block = self._stream.read(READ_BLOCK)
            text = pending + self._decode(decoder, block, number)
            if not block:
                if text:
                    yield text.replace("\r", "\n") if newline == "\r" else text
                return
            end = text.rfind(newline) + 1
            pending = text[end:]
            complete = text[:end]
            if newline == "\r":
                complete = complete.replace("\r", "\n")
            number += complete.count("\n")
            yield complete

    def _decode(self, decoder: codecs.IncrementalDecoder, block: bytes, lines_before: int) -> str:
        try:
            return decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            decoder.reset()
            text = block.decode(self._encoding, errors="replace")
            line = lines_before + block.count(b"\n", 0, exc.start) + 1
            self.undecodable[line] = (
                f"line {line} is not {self._encoding} text (byte 0x{block[exc.start]:02x})"
            )
            return text
