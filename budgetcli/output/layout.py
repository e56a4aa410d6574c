"""Tables that fit the width they are printed in, without cutting anything.

A table is used while it fits: every column that does not wrap (dates, amounts, ids)
whole, and every column that wraps at least READABLE cells wide (or as wide as its
longest line, when that is shorter). Below that width the records are stacked instead,
one block per record: its key on a line of its own ("food", "2026-11-05  12.50  food"),
then its other fields as "Label value" pairs flowed into the lines, a pair never split.
The choice is made when printing, so one renderable suits 40 columns and 200.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

READABLE = 10
INDENT = 2
GAP = "  "


@dataclass(frozen=True)
class Layout:
    """A table, and how many cells some of its wrapping columns (by index) need to be
    read comfortably (a note: 30), when their text is that long; READABLE otherwise."""

    table: Table
    needs: Mapping[int, int] = field(default_factory=dict)


@contextmanager
def _at_their_narrowest(layout: Layout) -> Iterator[None]:
    """Each wrapping column capped at the width it needs, for measuring the table."""
    columns = layout.table.columns
    saved = [column.max_width for column in columns]
    try:
        for index, column in enumerate(columns):
            if column.no_wrap or column.width is not None:
                continue
            # Rich then measures the column as its longest line, up to this.
            need = layout.needs.get(index, READABLE)
            column.max_width = max(need, column.min_width or 0)
        yield
    finally:
        for column, max_width in zip(columns, saved, strict=True):
            column.max_width = max_width


def needed_width(console: Console, options: ConsoleOptions, layout: Layout) -> int:
    """The width the table needs to show every figure whole and wrap text readably."""
    unlimited = options.update_width(max(options.max_width, 10_000))
    with _at_their_narrowest(layout):
        return Measurement.get(console, unlimited, layout.table).maximum


def fits(console: Console, options: ConsoleOptions, layout: Layout) -> bool:
    return needed_width(console, options, layout) <= options.max_width


@dataclass(frozen=True)
class Pair:
    """One field of a stacked record: "Label value", kept on one line when it fits.
    Without a label the value has lines of its own, such as a note or an id."""

    label: str | None
    value: Text


@dataclass(frozen=True)
class Block:
    """One record stacked: its key line, then its fields."""

    heading: Text
    pairs: Sequence[Pair] = ()


class Stacked:
    """Records one under another, for widths at which their table would cut something."""

    def __init__(
        self,
        blocks: Sequence[Block],
        *,
        title: Text | None = None,
        caption: Text | None = None,
    ) -> None:
        self.blocks = blocks
        self.title = title
        self.caption = caption

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.title is not None:
            yield self.title
        for block in self.blocks:
            heading = block.heading.copy()
            heading.overflow = "fold"
            yield heading
            yield from _pair_lines(block.pairs, options.max_width)
        if self.caption is not None:
            yield self.caption

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)


def _pair_lines(pairs: Sequence[Pair], width: int) -> Iterator[RenderableType]:
    """The pairs, indented, as many to a line as fit; a value too long for a line wraps."""
    room = max(width - INDENT, 1)
    line = Text()
    for pair in pairs:
        if pair.label is None:
            if line:
                yield _indented(line)
                line = Text()
            yield _indented(pair.value)
            continue
        piece = Text(pair.label, style="dim") + Text(" ") + pair.value
        if line and cell_len(line.plain) + len(GAP) + cell_len(piece.plain) <= room:
            line += Text(GAP) + piece
            continue
        if line:
            yield _indented(line)
            line = Text()
        if cell_len(piece.plain) <= room:
            line = piece
        else:  # too long even alone: the label, then the value on lines of its own
            yield _indented(Text(pair.label, style="dim"))
            yield _indented(pair.value)
    if line:
        yield _indented(line)


def _indented(text: Text) -> Padding:
    shown = text.copy()
    shown.overflow = "fold"
    return Padding(shown, (0, 0, 0, INDENT), expand=False)


class Fitted:
    """The first of `layouts` whose table fits the width, else `stacked`."""

    def __init__(
        self, *layouts: Callable[[], Layout], stacked: Callable[[], RenderableType]
    ) -> None:
        self.layouts = layouts
        self.stacked = stacked

    def choose(self, console: Console, options: ConsoleOptions) -> RenderableType:
        for make in self.layouts:
            layout = make()
            if fits(console, options, layout):
                return layout.table
        return self.stacked()

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.choose(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.choose(console, options))
