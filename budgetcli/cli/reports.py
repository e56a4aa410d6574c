"""`budget report`: spending per category or per month, with bars in the terminal."""

from typing import Annotated

import typer

from budgetcli import output, parsing
from budgetcli.cli.common import (
    FormatOption,
    FromOption,
    MonthOption,
    Panel,
    ToOption,
    add_command,
    current_user,
    open_store,
)
from budgetcli.models import ReportBy
from budgetcli.output import OutputFormat


def register(app: typer.Typer) -> None:
    add_command(app, "report", report, panel=Panel.REPORTS)


def report(
    month: MonthOption = None,
    first: FromOption = None,
    last: ToOption = None,
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
    The range is --month, or --from and --to (the end of this month by default).

    Example:  budget report --by month --from 2025-07-01 --category food
    """
    from budgetcli.output.reports import (
        CATEGORY_COLUMNS,
        MONTH_COLUMNS,
        category_records,
        category_table,
        month_records,
        month_table,
    )
    from budgetcli.services import reports

    kind = by or (ReportBy.MONTH if category is not None else ReportBy.CATEGORY)
    period = reports.report_period(kind, parsing.parse_date_range(first, last, month))
    only = parsing.parse_category(category) if category is not None else None
    store = open_store()
    user = current_user(store)
    if kind is ReportBy.CATEGORY:
        by_category = reports.category_report(store, user.user_id, period, category=only)
        if fmt is not OutputFormat.TABLE:
            output.emit_records(fmt, CATEGORY_COLUMNS, category_records(by_category))
        elif not by_category.rows and not by_category.unspent_budgets:
            output.note(
                f"no expenses from {period.first} to {period.last}: add some with `budget add`"
            )
        else:
            hint = "Budgets are monthly: use --month, or --from/--to on whole months, to see them."
            output.stdout_console().print(category_table(by_category, budgets_hidden=hint))
        return
    by_month = reports.month_report(store, user.user_id, period, category=only)
    if fmt is not OutputFormat.TABLE:
        output.emit_records(fmt, MONTH_COLUMNS, month_records(by_month))
    else:
        output.stdout_console().print(month_table(by_month))
