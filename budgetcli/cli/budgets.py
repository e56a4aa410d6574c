"""`budget budget set|list|rm`: monthly limits per category."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from budgetcli import output
from budgetcli.cli.common import FormatOption, current_user, open_store
from budgetcli.output import Column, OutputFormat

if TYPE_CHECKING:
    from budgetcli.services.budgets import BudgetStatus

PANEL = "Budgets"
BAR_WIDTH = 12
MIN_BAR_WIDTH = 4

app = typer.Typer(
    help="Monthly spending limits per category, and how much of each this month used.",
    no_args_is_help=True,
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="budget", rich_help_panel=PANEL)


MonthOption = Annotated[
    str | None,
    typer.Option(
        "--month", "-m", help="The month as YYYY-MM (default: this month).", show_default=False
    ),
]


# A negative AMOUNT such as -5 must reach the parser (exit 1), not be taken for an option.
@app.command("set", context_settings={"ignore_unknown_options": True})
def set_budget(
    category: Annotated[str, typer.Argument(help="The category, like food (any case).")],
    amount: Annotated[str, typer.Argument(help="The monthly limit, like 400 or 400.00.")],
    threshold: Annotated[
        int,
        typer.Option(
            "--threshold",
            "-t",
            help="Warn when spending reaches this percent of the limit (1-100).",
        ),
    ] = 80,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Set the monthly budget for a category; setting it again updates it.

    Example:  budget budget set food 400 --threshold 75
    """
    from budgetcli.parsing import parse_amount
    from budgetcli.services import budgets

    value = parse_amount(amount)
    budgets.check_threshold(threshold)
    store = open_store()
    user = current_user(store)
    budget = budgets.set_budget(store, user.user_id, category, value, threshold)
    verb = "set" if budget.created_at == budget.updated_at else "updated"
    output.note(
        f"budget for {budget.category} {verb}: {output.money(budget.amount)} a month, "
        f"warning at {budget.threshold}%"
    )
    output.emit_object(
        fmt,
        {
            "category": budget.category,
            "amount": output.money(budget.amount),
            "threshold": budget.threshold,
        },
    )


@app.command("list")
def list_budgets(month: MonthOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show each budget with this month's spending: limit, spent, remaining and percent used.

    Remaining is negative when a budget is over its limit.

    Example:  budget budget list --month 2026-11
    """
    from budgetcli.parsing import format_month, parse_month
    from budgetcli.services import budgets

    first, last = parse_month(month) if month else _this_month()
    store = open_store()
    user = current_user(store)
    statuses = budgets.budget_status(store, user.user_id, first, last)
    rows = [_row(status) for status in statuses]
    if fmt is OutputFormat.JSON:
        output.emit_json(rows)
    elif fmt is OutputFormat.CSV:
        output.emit_csv(_COLUMNS, rows)
    elif not statuses:
        output.note("no budgets yet: set one with `budget budget set food 400`")
    else:
        _emit_budget_table(statuses, title=f"Budgets for {format_month(first)}")


@app.command("rm")
def remove_budget(
    category: Annotated[str, typer.Argument(help="The category whose budget to remove.")],
) -> None:
    """Remove the budget for a category. Expenses are not touched.

    Example:  budget budget rm food
    """
    from budgetcli.parsing import parse_category
    from budgetcli.services import budgets

    name = parse_category(category)
    store = open_store()
    user = current_user(store)
    budgets.remove_budget(store, user.user_id, name)
    output.note(f"removed the budget for {name}")


_COLUMNS = [
    Column("Category", "category"),
    Column("Limit", "amount", justify="right"),
    Column("Threshold", "threshold", justify="right"),
    Column("Spent", "spent", justify="right"),
    Column("Remaining", "remaining", justify="right"),
    Column("Used %", "percent", justify="right"),
]


def _this_month() -> tuple[date, date]:
    from budgetcli.parsing import month_end

    first = date.today().replace(day=1)
    return first, month_end(first)


def _row(status: BudgetStatus) -> dict[str, Any]:
    return {
        "category": status.budget.category,
        "amount": output.money(status.budget.amount),
        "threshold": status.budget.threshold,
        "spent": output.money(status.spent),
        "remaining": output.money(status.remaining),
        "percent": str(status.percent),
    }


def _state_style(status: BudgetStatus) -> str:
    from budgetcli.services.alerts import Level, levels_reached

    levels = levels_reached(status.spent, status.budget.amount, status.budget.threshold)
    if Level.EXCEEDED in levels:
        return "red"
    if Level.WARNING in levels:
        return "yellow"
    return "green"


def _emit_budget_table(statuses: list[BudgetStatus], *, title: str) -> None:
    """The table for people: one row per budget with a progress bar coloured by state.

    The light box of `budget list`; amounts and percents are never cut at any width:
    long categories wrap, and the bar narrows, then goes, when the width runs short.
    """
    from rich import box
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    from budgetcli.cli.reports import BarTable, amount_column

    rows = [_row(status) for status in statuses]
    styles = [_state_style(status) for status in statuses]
    warns = [f"{row['threshold']}%" for row in rows]
    used = [f"{row['percent']}%" for row in rows]

    def build(bar_width: int | None) -> Table:
        table = Table(
            title=title,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        table.add_column("Category", overflow="fold")
        amount_column(table, "Limit", [row["amount"] for row in rows])
        amount_column(table, "Warn", warns)
        amount_column(table, "Spent", [row["spent"] for row in rows])
        amount_column(table, "Remaining", [row["remaining"] for row in rows])
        amount_column(table, "Used", used)
        if bar_width is not None:
            table.add_column("", width=bar_width, no_wrap=True)
        for status, row, style, warn, percent in zip(
            statuses, rows, styles, warns, used, strict=True
        ):
            cells: list[str | ProgressBar] = [
                row["category"],
                row["amount"],
                warn,
                row["spent"],
                f"[red]{row['remaining']}[/red]" if status.remaining < 0 else row["remaining"],
                f"[{style}]{percent}[/{style}]",
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

    output.stdout_console().print(BarTable(build, min_bar=MIN_BAR_WIDTH, max_bar=BAR_WIDTH))
