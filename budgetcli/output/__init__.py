"""The only place that formats for a terminal: Rich tables, JSON and CSV.

Data goes to stdout; notes and errors go to stderr, one line each. Text that people
typed or another client stored is shown literally: never read as Rich markup, and with
its control characters made visible rather than sent to the terminal (`visible`), in
tables, notes and errors alike. JSON escapes them as JSON does (the data is unchanged);
CSV keeps them as they are, except on a terminal (as `ls` does).

The modules beside this one render one kind of record each.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from budgetcli.output.layout import GAP, Block, Fitted, Layout, Pair, Stacked

# Words up to this long (an expense id is 36) are kept whole in a two-column record.
WHOLE_WORD = 40


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


# C0 and C1 controls and DEL; and the bidi embeddings, overrides and isolates, which make
# a terminal that does bidi show the rest of the line in another order (amounts read
# backwards: "Trojan Source"). The marks people write with (LRM, RLM, ALM, ZWJ, ZWNJ)
# change nothing beyond their neighbours and stay text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What JSON leaves as it is of the above: all but C0, which json.dumps escapes itself.
_JSON_UNESCAPED_CONTROL = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with its control characters written out as \\xNN (\\u202e for a bidi
    override), so that a terminal shows them instead of obeying them."""
    return _CONTROL.sub(_escaped, text) if _CONTROL.search(text) else text


def literal(value: object) -> Text:
    """`value` as text shown exactly as it is: no markup, control characters as \\xNN."""
    return Text(visible(str(value)))


def _caption(lines: str) -> Text:
    """A caption of our own lines, each shown literally: its line breaks are kept."""
    return Text("\n").join(literal(line) for line in lines.split("\n"))


# CPython can take a large write to a pipe whose reader has gone as written whole, and
# drop the rest silently; written in pieces, the next piece fails with BrokenPipeError.
_PIECE = 8192


def write_out(text: str) -> None:
    """Write `text` to stdout in pieces, so that a reader that went away is noticed."""
    for start in range(0, len(text), _PIECE):
        sys.stdout.write(text[start : start + _PIECE])


class _PiecewiseStdout:
    """sys.stdout as Rich writes to it: in pieces (see write_out)."""

    def write(self, text: str) -> int:
        write_out(text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(sys.stdout, name)


class _StdoutConsole(Console):
    def on_broken_pipe(self) -> None:
        # Rich would exit 1 here; the command ends the way coreutils do instead (cli/).
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "the reader of stdout went away")


def stdout_console() -> Console:
    # Built per call so CliRunner's swapped streams and NO_COLOR are honoured.
    return _StdoutConsole(highlight=False, file=_PiecewiseStdout())  # type: ignore[arg-type]


def forget_stdout() -> None:
    """Once the reader of stdout has gone, what is still buffered goes to /dev/null, so
    that Python's flush at exit has nowhere to fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError, ValueError):  # CliRunner's stdout has no descriptor
        os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def _one_line(message: str) -> str:
    return " ".join(message.split())


def error(message: str) -> None:
    """One line on stderr; what it quotes of stored or typed text is shown, not obeyed."""
    sys.stderr.write(f"error: {visible(_one_line(message))}\n")
    sys.stderr.flush()


def note(message: str) -> None:
    """A one-line remark for people, on stderr so it never mixes with data."""
    sys.stderr.write(f"{visible(_one_line(message))}\n")
    sys.stderr.flush()


def terminal_note(message: str) -> None:
    """News that only a person at a terminal wants: under cron it would be mailed."""
    if sys.stderr.isatty():
        note(message)


def json_text(document: Any) -> str:
    """`document` as indented JSON whose every control character is escaped (\\u001b,
    \\u009b, \\u202e): the same data to a parser, inert on a terminal."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _JSON_UNESCAPED_CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def emit_json(document: Any) -> None:
    write_out(json_text(document) + "\n")


@dataclass(frozen=True)
class Column:
    """One column of a record listing: its header, how to read it, its alignment, and
    how it shows when the listing is stacked for a narrow width (see output.layout)."""

    header: str
    key: str
    justify: str = "left"
    style: str | None = None
    min_width: int | None = None
    no_wrap: bool = False
    # Long words wrap onto the next line rather than end in "...": output is data.
    overflow: str = "fold"
    # Stacked: part of the record's first line (its key), or a line of its own.
    heading: bool = False
    own_line: bool = False
    # Cells a wrapping column needs when its text is that long (else layout.READABLE).
    needs: int | None = None


def csv_rows(stream: TextIO) -> Callable[[Iterable[object]], None]:
    """Writes one CSV row to `stream`, lines ending in "\\n". Cells are written as they
    are, so that a file holds the data exactly; on a terminal their control characters
    are shown instead."""
    # With "\n" as its line end, csv leaves a cell holding a lone "\r" unquoted, and no
    # reader can read the row back; with "\r\n" it quotes such cells.
    row = io.StringIO()
    writer = csv.writer(row, lineterminator="\r\n")
    shown = visible if stream.isatty() else str

    def write(cells: Iterable[object]) -> None:
        writer.writerow(["" if cell is None else shown(str(cell)) for cell in cells])
        stream.write(row.getvalue()[:-2] + "\n")
        row.seek(0)
        row.truncate()

    return write


def emit_csv(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> None:
    write = csv_rows(sys.stdout)
    write([column.key for column in columns])
    for row in rows:
        write(["" if row.get(c.key) is None else row[c.key] for c in columns])


def emit_table(
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
    *,
    title: str | None = None,
    footer: Mapping[str, str] | None = None,
    caption: str | None = None,
    show_header: bool = True,
) -> None:
    stdout_console().print(
        listing(
            columns,
            list(rows),
            title=title,
            footer=footer,
            caption=caption,
            show_header=show_header,
        )
    )


def listing(
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str | None = None,
    footer: Mapping[str, str] | None = None,
    caption: str | None = None,
    show_header: bool = True,
) -> Fitted:
    """Records as a table while it fits the width, else stacked one under another."""

    def table() -> Layout:
        # Only horizontal rules: a listing keeps every column whole in 80 terminal columns.
        table = Table(
            title=literal(title) if title is not None else None,
            caption=_caption(caption) if caption is not None else None,
            show_footer=footer is not None,
            show_header=show_header,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        for column in columns:
            table.add_column(
                column.header,
                justify=column.justify,  # type: ignore[arg-type]
                style=column.style,
                # A header never folds: "Categor/y" helps nobody.
                min_width=max(column.min_width or 0, len(column.header)) or None,
                no_wrap=column.no_wrap,
                overflow=column.overflow,  # type: ignore[arg-type]
                footer=literal((footer or {}).get(column.key, "")),
            )
        for row in rows:
            table.add_row(*(literal(_cell(row, column)) for column in columns))
        needs = {i: column.needs for i, column in enumerate(columns) if column.needs}
        return Layout(table, needs)

    def stacked() -> Stacked:
        blocks = [_block(columns, row) for row in rows]
        if footer:
            blocks.append(_block(columns, footer))
        return Stacked(
            blocks,
            title=literal(title) if title is not None else None,
            caption=_caption(caption) if caption is not None else None,
        )

    return Fitted(table, stacked=stacked)


def _cell(row: Mapping[str, Any], column: Column) -> Any:
    return "" if row.get(column.key) is None else row[column.key]


def _block(columns: Sequence[Column], row: Mapping[str, Any]) -> Block:
    """One record stacked: its heading columns on the first line, the rest below."""
    heads = [column for column in columns if column.heading] or list(columns[:1])
    heading = Text(GAP).join(
        literal(_cell(row, column)) for column in heads if _cell(row, column) != ""
    )
    heading.stylize("bold")
    pairs = []
    for column in columns:
        value = _cell(row, column)
        if column in heads or value == "":
            continue
        shown = literal(value)
        if column.style:
            shown.stylize(column.style)
        pairs.append(Pair(None if column.own_line or not column.header else column.header, shown))
    return Block(heading, pairs)


def emit_object(fmt: OutputFormat, fields: Mapping[str, Any]) -> None:
    """One record: a two-column table for people, an object in JSON, one row in CSV."""
    if fmt is OutputFormat.JSON:
        emit_json(dict(fields))
    elif fmt is OutputFormat.CSV:
        emit_csv([Column(key, key) for key in fields], [fields])
    else:
        rows = [{"field": key, "value": value} for key, value in fields.items()]
        columns = [
            Column("", "field", style="bold", no_wrap=True, heading=True),
            # Ids and the like stay whole: stacked below the width they need.
            Column("", "value", own_line=True, needs=WHOLE_WORD),
        ]
        emit_table(columns, rows, show_header=False)


def emit_records(
    fmt: OutputFormat,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    json_document: Callable[[], Any] | None = None,
    title: str | None = None,
    footer: Mapping[str, str] | None = None,
    caption: str | None = None,
) -> None:
    """Render records in the chosen format; JSON defaults to the rows themselves."""
    if fmt is OutputFormat.JSON:
        emit_json(json_document() if json_document else list(rows))
    elif fmt is OutputFormat.CSV:
        emit_csv(columns, rows)
    else:
        emit_table(columns, rows, title=title, footer=footer, caption=caption)
