"""Bar charts inside tables, fitted to the terminal's width without cutting any amount."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from budgetcli.output import literal
from budgetcli.output.layout import Layout, Stacked, fits

# Eighths of a cell, so that bars differ by less than one character.
_PARTIAL_BLOCKS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
_FULL_BLOCK = "█"
MIN_BAR_WIDTH = 4
MAX_BAR_WIDTH = 48


class HorizontalBar:
    """A bar as long as `value` is against `largest`, filling the width its column gets."""

    def __init__(self, value: Decimal, largest: Decimal, style: str = "cyan") -> None:
        self.value = value
        self.largest = largest
        self.style = style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(MIN_BAR_WIDTH, max(MIN_BAR_WIDTH, min(MAX_BAR_WIDTH, options.max_width)))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        eighths = int(width * 8 * self.value / self.largest) if self.largest > 0 else 0
        if self.value > 0:
            eighths = max(eighths, 1)  # something spent is never drawn as nothing
        full, part = divmod(min(eighths, width * 8), 8)
        bar = _FULL_BLOCK * full + _PARTIAL_BLOCKS[part]
        yield Text(bar, style=self.style, no_wrap=True, overflow="crop", end="")


class BarTable:
    """A table whose last column is a bar, fitted to the width it is printed in.

    Amounts never shrink: the bar gets only the width the other columns leave
    (up to `max_bar`), and is left out when less than `min_bar` is left. When even the
    table without its bar would cut something, the rows are stacked (`stacked()`).
    `build(None)` makes the table without the bar, `build(n)` with an n-cell bar.
    """

    def __init__(
        self,
        build: Callable[[int | None], Table],
        *,
        stacked: Callable[[], Stacked],
        min_bar: int = MIN_BAR_WIDTH,
        max_bar: int = MAX_BAR_WIDTH,
    ) -> None:
        self.build = build
        self.stacked = stacked
        self.min_bar = min_bar
        self.max_bar = max_bar

    def fit(self, console: Console, options: ConsoleOptions) -> Table | Stacked:
        table = self.build(self.min_bar)
        unlimited = options.update_width(max(options.max_width, 10_000))
        spare = options.max_width - Measurement.get(console, unlimited, table).maximum
        if spare >= 0:
            return self.build(min(self.max_bar, self.min_bar + spare))
        without_bar = self.build(None)
        if fits(console, options, Layout(without_bar)):
            return without_bar
        return self.stacked()

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.fit(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.fit(console, options))


def amount_column(table: Table, header: str, cells: Iterable[str], footer: str = "") -> None:
    """A right-aligned column never wrapped nor cut: as wide as its longest value."""
    width = max((len(text) for text in (header, footer, *cells)), default=0)
    table.add_column(header, footer, justify="right", no_wrap=True, min_width=width)


def chart_table(title: str, caption: str | None = None, *, footer: bool = True) -> Table:
    """The light box every chart is drawn in, its title and caption shown literally."""
    return Table(
        title=literal(title),
        caption=literal(caption) if caption else None,
        box=box.SIMPLE_HEAD,
        show_footer=footer,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        title_justify="left",
        caption_justify="left",
    )
