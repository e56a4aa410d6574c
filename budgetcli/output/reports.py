"""Reports: spending per category or per month, as a bar chart or as records."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from budgetcli.money import cents, share
from budgetcli.output import Column, literal
from budgetcli.output.bars import BarTable, HorizontalBar, amount_column, chart_table
from budgetcli.output.layout import Block, Pair, Stacked

if TYPE_CHECKING:
    from budgetcli.services.reports import CategoryReport, MonthReport

MAX_CATEGORY_WIDTH = 20

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
    used = f"{total * 100 / budget:.0f}% of {cents(budget)}"
    return Text(used, style="bold red" if total > budget else "")


def category_table(report: CategoryReport, *, budgets_hidden: str | None = None) -> BarTable:
    """Spending per category: total, count, share of the total, budget, and a bar.

    `budgets_hidden` is the caption for a period that is not whole months, whose
    budgets cannot be compared.
    """
    rows = [*report.rows, *report.unspent_budgets]
    with_budgets = any(row.budget is not None for row in rows)
    caption = budgets_hidden if report.budget_months is None else None
    largest = max((row.total for row in report.rows), default=Decimal(0))
    totals = [cents(row.total) for row in rows]
    counts = [str(row.count) for row in rows]
    shares = [percent(share(row.total, report.total)) for row in rows]
    used = [_used(row.total, row.budget) for row in rows]

    def build(bar_width: int | None) -> Table:
        table = chart_table(f"Spending by category, {report.period.label}", caption)
        # Long names wrap inside the column; they are never cut.
        table.add_column(
            "Category", "Total", overflow="fold", max_width=MAX_CATEGORY_WIDTH, style="bold"
        )
        amount_column(table, "Total", totals, cents(report.total))
        amount_column(table, "Count", counts, str(report.count))
        amount_column(table, "Share", shares, "100.0%" if report.rows else "")
        if with_budgets:
            amount_column(table, "Budget", [text.plain for text in used])
        if bar_width is not None:
            table.add_column("", width=bar_width, no_wrap=True)
        for row, total, count, part, budget in zip(rows, totals, counts, shares, used, strict=True):
            cells: list[Text | HorizontalBar | str] = [
                literal(row.category),
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

    def stacked() -> Stacked:
        blocks = []
        for row, total, count, part, budget in zip(rows, totals, counts, shares, used, strict=True):
            heading = literal(row.category)
            heading.stylize("bold")
            pairs = [
                Pair("Total", Text(total, style="bold red" if row.over_budget else "")),
                Pair("Count", Text(count)),
                Pair("Share", Text(part)),
            ]
            if budget.plain:
                pairs.append(Pair("Budget", budget))
            blocks.append(Block(heading, pairs))
        blocks.append(_total_block(report.total, report.count, bool(report.rows)))
        title = literal(f"Spending by category, {report.period.label}")
        return Stacked(blocks, title=title, caption=literal(caption) if caption else None)

    return BarTable(build, stacked=stacked)


def _total_block(total: Decimal, count: int, any_spent: bool) -> Block:
    pairs = [Pair("Count", Text(str(count)))]
    if any_spent:
        pairs.append(Pair("Share", Text("100.0%")))
    return Block(Text(f"Total {cents(total)}", style="bold"), pairs)


def month_table(report: MonthReport) -> BarTable:
    """Spending per month: total, count, change against the month before, share, and a bar."""
    what = f"Spending on {report.category}" if report.category else "Spending"
    largest = max((row.total for row in report.rows), default=Decimal(0))
    totals = [cents(row.total) for row in report.rows]
    counts = [str(row.count) for row in report.rows]
    changes = [_change(row.change_ratio, row.change) for row in report.rows]
    shares = [percent(share(row.total, report.total)) for row in report.rows]
    budget = report.budget
    used = [_used(row.total, budget) for row in report.rows]

    def build(bar_width: int | None) -> Table:
        table = chart_table(f"{what} by month, {report.period.label}")
        table.add_column("Month", "Total", no_wrap=True, style="bold")
        amount_column(table, "Total", totals, cents(report.total))
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

    def stacked() -> Stacked:
        blocks = []
        for row, total, count, change, part, of_budget in zip(
            report.rows, totals, counts, changes, shares, used, strict=True
        ):
            over = budget is not None and row.total > budget
            pairs = [
                Pair("Total", Text(total, style="bold red" if over else "")),
                Pair("Count", Text(count)),
                Pair("Change", change),
                Pair("Share", Text(part)),
            ]
            if budget is not None:
                pairs.append(Pair("Budget", of_budget))
            blocks.append(Block(Text(row.label, style="bold"), pairs))
        blocks.append(_total_block(report.total, report.count, bool(report.total)))
        return Stacked(blocks, title=literal(f"{what} by month, {report.period.label}"))

    return BarTable(build, stacked=stacked)


def category_records(report: CategoryReport) -> list[dict[str, str | int]]:
    return [
        {"category": row.category, "total": cents(row.total), "count": row.count}
        for row in report.rows
    ]


def month_records(report: MonthReport) -> list[dict[str, str | int]]:
    return [
        {"month": row.label, "total": cents(row.total), "count": row.count} for row in report.rows
    ]
