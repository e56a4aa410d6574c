"""The only place that formats for a terminal: Rich tables, JSON and CSV.

Data goes to stdout; notes and errors go to stderr, one line each. Text that people
typed or another client stored is shown literally: never read as Rich markup, and with
its control characters made visible rather than sent to the terminal (`visible`), in
tables, notes and errors alike. JSON escapes them as JSON does (the data is unchanged);
CSV keeps them as they are, except on a terminal (as `ls` does).

The modules beside this one render one kind of record each.
"""

from __future__ import annotations

import csv
import io
import json
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


def stdout_console() -> Console:
    # Built per call so CliRunner's swapped streams and NO_COLOR are honoured.
    return Console(highlight=False)


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


def json_text(document: Any) -> str:
    """`document` as indented JSON whose every control character is escaped (\\u001b,
    \\u009b, \\u202e): the same data to a parser, inert on a terminal."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _JSON_UNESCAPED_CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def emit_json(document: Any) -> None:
    sys.stdout.write(json_text(document) + "\n")


@dataclass(frozen=True)
class Column:
    """One column of a record listing: its header, how to read it, its alignment."""

    header: str
    key: str
    justify: str = "left"
    style: str | None = None
    min_width: int | None = None
    no_wrap: bool = False
    # Long words wrap onto the next line rather than end in "...": output is data.
    overflow: str = "fold"


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
    # Only horizontal rules: a listing keeps every column whole in 80 terminal columns.
    table = Table(
        title=literal(title) if title is not None else None,
        caption=literal(caption) if caption is not None else None,
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
        table.add_row(*(literal("" if row.get(c.key) is None else row[c.key]) for c in columns))
    stdout_console().print(table)


def emit_object(fmt: OutputFormat, fields: Mapping[str, Any]) -> None:
    """One record: a two-column table for people, an object in JSON, one row in CSV."""
    if fmt is OutputFormat.JSON:
        emit_json(dict(fields))
    elif fmt is OutputFormat.CSV:
        emit_csv([Column(key, key) for key in fields], [fields])
    else:
        rows = [{"field": key, "value": value} for key, value in fields.items()]
        emit_table(
            [Column("", "field", style="bold"), Column("", "value")], rows, show_header=False
        )


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
