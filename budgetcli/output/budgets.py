"""Budgets: the limits with this month's spending, as a table with bars or as records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from budgetcli import output
from budgetcli.models import Budget, BudgetStatus, Level
from budgetcli.money import cents
from budgetcli.output import Column, OutputFormat, literal
from budgetcli.output.bars import BarTable, amount_column, chart_table
from budgetcli.output.layout import Block, Pair, Stacked

BAR_WIDTH = 12
MIN_BAR_WIDTH = 4

STATUS_COLUMNS = [
    Column("Category", "category"),
    Column("Limit", "amount", justify="right"),
    Column("Threshold", "threshold", justify="right"),
    Column("Spent", "spent", justify="right"),
    Column("Remaining", "remaining", justify="right"),
    Column("Used %", "percent", justify="right"),
    Column("Budget id", "budget_id"),
]


def budget_record(budget: Budget) -> dict[str, Any]:
    return {
        "category": budget.category,
        "amount": cents(budget.amount),
        "threshold": budget.threshold,
    }


def status_record(status: BudgetStatus) -> dict[str, Any]:
    return {
        "budget_id": status.budget.budget_id,
        "category": status.budget.category,
        "amount": cents(status.budget.amount),
        "threshold": status.budget.threshold,
        "spent": cents(status.spent),
        "remaining": cents(status.remaining),
        "percent": str(status.percent),
    }


def emit_statuses(fmt: OutputFormat, statuses: list[BudgetStatus], *, title: str) -> None:
    records = [status_record(status) for status in statuses]
    if fmt is OutputFormat.JSON:
        output.emit_json(records)
    elif fmt is OutputFormat.CSV:
        output.emit_csv(STATUS_COLUMNS, records)
    else:
        output.stdout_console().print(status_table(statuses, title=title))


def _state_style(status: BudgetStatus) -> str:
    levels = status.levels
    if Level.EXCEEDED in levels:
        return "red"
    if Level.WARNING in levels:
        return "yellow"
    return "green"


def status_table(statuses: list[BudgetStatus], *, title: str) -> BarTable:
    """One row per budget with a progress bar coloured by state.

    Amounts and percents are never cut at any width: long categories wrap, and the bar
    narrows, then goes, when the width runs short.
    """
    records = [status_record(status) for status in statuses]
    styles = [_state_style(status) for status in statuses]
    warns = [f"{record['threshold']}%" for record in records]
    used = [f"{record['percent']}%" for record in records]

    def build(bar_width: int | None) -> Table:
        table = chart_table(title, footer=False)
        table.add_column("Category", overflow="fold")
        amount_column(table, "Limit", [record["amount"] for record in records])
        amount_column(table, "Warn", warns)
        amount_column(table, "Spent", [record["spent"] for record in records])
        amount_column(table, "Remaining", [record["remaining"] for record in records])
        amount_column(table, "Used", used)
        if bar_width is not None:
            table.add_column("", width=bar_width, no_wrap=True)
        for status, record, style, warn, percent in zip(
            statuses, records, styles, warns, used, strict=True
        ):
            remaining_style = "red" if status.remaining < 0 else ""
            cells: list[Text | ProgressBar] = [
                literal(record["category"]),
                Text(record["amount"]),
                Text(warn),
                Text(record["spent"]),
                Text(record["remaining"], style=remaining_style),
                Text(percent, style=style),
            ]
            if bar_width is not None:
                cells.append(
                    ProgressBar(
                        total=100,
                        completed=float(min(status.percent, Decimal(100))),
                        width=bar_width,
                        complete_style=style,
                        finished_style=style,
                    )
                )
            table.add_row(*cells)
        return table

    def stacked() -> Stacked:
        blocks = []
        for status, record, style, warn, percent in zip(
            statuses, records, styles, warns, used, strict=True
        ):
            remaining_style = "red" if status.remaining < 0 else ""
            heading = literal(record["category"])
            heading.stylize("bold")
            pairs = [
                Pair("Limit", Text(record["amount"])),
                Pair("Warn", Text(warn)),
                Pair("Spent", Text(record["spent"])),
                Pair("Remaining", Text(record["remaining"], style=remaining_style)),
                Pair("Used", Text(percent, style=style)),
            ]
            blocks.append(Block(heading, pairs))
        return Stacked(blocks, title=literal(title))

    return BarTable(build, stacked=stacked, min_bar=MIN_BAR_WIDTH, max_bar=BAR_WIDTH)
