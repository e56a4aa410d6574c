"""`budget report`: spending per category or per month, with bars in the terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from budgetcli import output
from budgetcli.cli.common import FormatOption, current_user, open_store
from budgetcli.output import Column, OutputFormat

if TYPE_CHECKING:
    from budgetcli.services.reports import CategoryReport, MonthReport

PANEL = "Reports"

CATEGORY_COLUMNS = [
    Column("Category", "category"),
    Column("Total", "total", justify="right"),
    Column("Count", "count", justify="right"),
]
MONTH_COLUMNS = [
    Column("Month", "month"),
    Column("Total", "total", justify="right"),
    Column("Count", "count", justify="right"),
]

# Eighths of a cell, so that bars differ by less than one character.
_PARTIAL_BLOCKS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
_FULL_BLOCK = "█"
MIN_BAR_WIDTH = 4
MAX_BAR_WIDTH = 48
MAX_CATEGORY_WIDTH = 20


class ReportBy(StrEnum):
    CATEGORY = "category"
    MONTH = "month"


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
    (up to `max_bar`), and is left out when less than `min_bar` is left.
    `build(None)` makes the table without the bar, `build(n)` with an n-cell bar.
    """

    def __init__(
        self,
        build: Callable[[int | None], Table],
        *,
        min_bar: int = MIN_BAR_WIDTH,
        max_bar: int = MAX_BAR_WIDTH,
    ) -> None:
        self.build = build
        self.min_bar = min_bar
        self.max_bar = max_bar

    def fit(self, console: Console, options: ConsoleOptions) -> Table:
        table = self.build(self.min_bar)
        unlimited = options.update_width(max(options.max_width, 10_000))
        spare = options.max_width - Measurement.get(console, unlimited, table).maximum
        if spare < 0:
            return self.build(None)
        return self.build(min(self.max_bar, self.min_bar + spare))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.fit(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.fit(console, options))


def amount_column(table: Table, header: str, cells: Iterable[str], footer: str = "") -> None:
    """A right-aligned column never wrapped nor cut: as wide as its longest value."""
    width = max((len(text) for text in (header, footer, *cells)), default=0)
    table.add_column(header, footer, justify="right", no_wrap=True, min_width=width)


def percent(fraction: Decimal) -> str:
    return f"{fraction * 100:.1f}%"


def _change(ratio: Decimal | None, change: Decimal) -> Text:
    if ratio is None:
        return Text("new", style="yellow") if change else Text("–", style="dim")
    if not change:
        return Text("0.0%", style="dim")
    # Spending more than last month is the bad direction.
    return Text(f"{ratio * 100:+.1f}%", style="red" if change > 0 else "green")


def _used(total: Decimal, budget: Decimal | None) -> Text:
    if budget is None:
        return Text("")
    used = f"{total * 100 / budget:.0f}% of {output.money(budget)}"
    return Text(used, style="bold red" if total > budget else "")


def _new_table(title: str, caption: str | None = None) -> Table:
    return Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        show_footer=True,
        pad_edge=False,
        title_justify="left",
        caption_justify="left",
    )


def _period(first: date, last: date) -> str:
    from budgetcli.parsing import format_month, month_end

    if first.day == 1 and last == month_end(first):
        return format_month(first)
    return f"{first} to {last}"


def category_table(report: CategoryReport) -> BarTable:
    """Spending per category: total, count, share of the total, budget, and a bar."""
    from budgetcli.services.reports import share

    rows = [*report.rows, *report.unspent_budgets]
    with_budgets = any(row.budget is not None for row in rows)
    caption = None
    if report.budget_months is None:
        caption = "Budgets are monthly: use --month, or --from/--to on whole months, to see them."
    largest = max((row.total for row in report.rows), default=Decimal(0))
    totals = [output.money(row.total) for row in rows]
    counts = [str(row.count) for row in rows]
    shares = [percent(share(row.total, report.total)) for row in rows]
    used = [_used(row.total, row.budget) for row in rows]

    def build(bar_width: int | None) -> Table:
        table = _new_table(f"Spending by category, {_period(report.first, report.last)}", caption)
        # Long names wrap inside the column; they are never cut.
        table.add_column(
            "Category", "Total", overflow="fold", max_width=MAX_CATEGORY_WIDTH, style="bold"
        )
        amount_column(table, "Total", totals, output.money(report.total))
        amount_column(table, "Count", counts, str(report.count))
        amount_column(table, "Share", shares, "100.0%" if report.rows else "")
        if with_budgets:
            amount_column(table, "Budget", [text.plain for text in used])
        if bar_width is not None:
            table.add_column("", width=bar_width, no_wrap=True)
        for row, total, count, part, budget in zip(rows, totals, counts, shares, used, strict=True):
            cells: list[Text | HorizontalBar | str] = [
                row.category,
                Text(total, style="bold red" if row.over_budget else ""),
                count,
                part,
            ]
            if with_budgets:
                cells.append(budget)
            if bar_width is not None:
                cells.append(
                    HorizontalBar(row.total, largest, "red" if row.over_budget else "cyan")
                )
            table.add_row(*cells)
        return table

    return BarTable(build)


def month_table(report: MonthReport) -> BarTable:
    """Spending per month: total, count, change against the month before, share, and a bar."""
    from budgetcli.services.reports import share

    what = f"Spending on {report.category}" if report.category else "Spending"
    largest = max((row.total for row in report.rows), default=Decimal(0))
    totals = [output.money(row.total) for row in report.rows]
    counts = [str(row.count) for row in report.rows]
    changes = [_change(row.change_ratio, row.change) for row in report.rows]
    shares = [percent(share(row.total, report.total)) for row in report.rows]
    budget = report.budget
    used = [_used(row.total, budget) for row in report.rows]

    def build(bar_width: int | None) -> Table:
        table = _new_table(f"{what} by month, {_period(report.first, report.last)}")
        table.add_column("Month", "Total", no_wrap=True, style="bold")
        amount_column(table, "Total", totals, output.money(report.total))
        amount_column(table, "Count", counts, str(report.count))
        amount_column(table, "Change", [text.plain for text in changes])
        amount_column(table, "Share", shares, "100.0%" if report.total else "")
        if budget is not None:
            amount_column(table, "Budget", [text.plain for text in used])
        if bar_width is not None:
            table.add_column("", width=bar_width, no_wrap=True)
        for row, total, count, change, part, of_budget in zip(
            report.rows, totals, counts, changes, shares, used, strict=True
        ):
            over = budget is not None and row.total > budget
            cells: list[Text | HorizontalBar | str] = [
                row.label,
                Text(total, style="bold red" if over else ""),
                count,
                change,
                part,
            ]
            if budget is not None:
                cells.append(of_budget)
            if bar_width is not None:
                cells.append(HorizontalBar(row.total, largest, "red" if over else "cyan"))
            table.add_row(*cells)
        return table

    return BarTable(build)


def category_records(report: CategoryReport) -> list[dict[str, str | int]]:
    return [
        {"category": row.category, "total": output.money(row.total), "count": row.count}
        for row in report.rows
    ]


def month_records(report: MonthReport) -> list[dict[str, str | int]]:
    return [
        {"month": row.label, "total": output.money(row.total), "count": row.count}
        for row in report.rows
    ]


def _emit(
    fmt: OutputFormat, columns: list[Column], records: Iterable[dict[str, str | int]]
) -> None:
    if fmt is OutputFormat.JSON:
        output.emit_json(list(records))
    else:
        output.emit_csv(columns, records)


def register(app: typer.Typer) -> None:
    app.command("report", rich_help_panel=PANEL)(report)


def report(
    month: Annotated[
        str | None,
        typer.Option("--month", "-m", help="One month, YYYY-MM. Not with --from/--to."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First day, e.g. 2026-01-01 (default: this month, or 12 months back by month).",
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last day, inclusive (default: the end of this month)."),
    ] = None,
    by: Annotated[
        ReportBy | None,
        typer.Option(
            "--by",
            case_sensitive=False,
            help="category (the default), or month (the default with --category).",
            show_default=False,
        ),
    ] = None,
    category: Annotated[
        str | None,
        typer.Option("--category", "-c", help="Only this category: its month-by-month trend."),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Totals per category, or per month over a range, with a bar chart.

    By category (the default): spending per category in this month,
    largest first, with each share of the total and the budget where set.
    By month: every month of the range (the last twelve by default), empty
    ones included, with the change against the month before.
    --category alone shows that category's month-by-month trend.

    Example:  budget report --by month --from 2025-07-01 --category food
    """
    from budgetcli import parsing
    from budgetcli.services import reports

    chosen = by or (ReportBy.MONTH if category is not None else ReportBy.CATEGORY)
    kind = reports.ReportBy(chosen.value)
    first, last = reports.report_range(kind, month=month, start=start, end=end)
    only = parsing.parse_category(category) if category is not None else None
    store = open_store()
    user = current_user(store)
    if kind is reports.ReportBy.CATEGORY:
        by_category = reports.category_report(store, user.user_id, first, last, category=only)
        if fmt is not OutputFormat.TABLE:
            _emit(fmt, CATEGORY_COLUMNS, category_records(by_category))
        elif not by_category.rows and not by_category.unspent_budgets:
            output.note(f"no expenses from {first} to {last}: add some with `budget add`")
        else:
            output.stdout_console().print(category_table(by_category))
        return
    by_month = reports.month_report(store, user.user_id, first, last, category=only)
    if fmt is not OutputFormat.TABLE:
        _emit(fmt, MONTH_COLUMNS, month_records(by_month))
    else:
        output.stdout_console().print(month_table(by_month))
