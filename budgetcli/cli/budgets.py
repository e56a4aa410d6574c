"""`budget budget set|list|rm`: monthly limits per category."""

from datetime import date
from typing import Annotated

import typer

from budgetcli import output, parsing
from budgetcli.cli.common import FormatOption, Panel, add_command, current_user, group, open_store
from budgetcli.dates import Period
from budgetcli.money import cents
from budgetcli.output import OutputFormat
from budgetcli.output.budgets import budget_record, emit_statuses

app = group(help="Monthly spending limits per category, and how much of each this month used.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="budget", rich_help_panel=Panel.BUDGETS)


MonthOption = Annotated[
    str | None,
    typer.Option(
        "--month",
        "-m",
        metavar="YYYY-MM",
        help="The month, like 2026-11 (default: this month).",
        show_default=False,
    ),
]


BudgetIdOption = Annotated[
    str | None,
    typer.Option(
        "--id",
        metavar="BUDGET_ID",
        help="Which budget, when another client made two for one category "
        "(see `budget budget list --format json`).",
        show_default=False,
    ),
]


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
    budget_id: BudgetIdOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Set the monthly budget for a category; setting it again updates it.

    The category matches in any case, so a budget made in the web app for Food is the
    one that `budget budget set food` updates.

    Example:  budget budget set food 400 --threshold 75
    """
    from budgetcli.services import budgets

    name = parsing.parse_category(category)
    limit = budgets.Limit(parsing.parse_amount(amount), threshold)
    store = open_store()
    user_id = current_user(store).user_id
    budget, created = budgets.set_budget(store, user_id, name, limit, budget_id=budget_id)
    verb = "set" if created else "updated"
    output.note(
        f"budget for {budget.category} {verb}: {cents(budget.amount)} a month, "
        f"warning at {budget.threshold}%"
    )
    output.emit_object(fmt, budget_record(budget))


def list_budgets(month: MonthOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show each budget with this month's spending: limit, spent, remaining and percent used.

    Remaining is negative when a budget is over its limit.

    Example:  budget budget list --month 2026-11
    """
    from budgetcli.services import budgets

    period = parsing.parse_month(month) if month else Period.month_of(date.today())
    store = open_store()
    statuses = budgets.budget_status(store, current_user(store).user_id, period)
    if fmt is OutputFormat.TABLE and not statuses:
        output.note("no budgets yet: set one with `budget budget set food 400`")
        return
    emit_statuses(fmt, statuses, title=f"Budgets for {period.label}")


def remove_budget(
    category: Annotated[str, typer.Argument(help="The category whose budget to remove.")],
    budget_id: BudgetIdOption = None,
) -> None:
    """Remove the budget for a category (in any case). Expenses are not touched.

    Example:  budget budget rm food
    """
    from budgetcli.services import budgets

    name = parsing.parse_category(category)
    store = open_store()
    removed = budgets.remove_budget(store, current_user(store).user_id, name, budget_id=budget_id)
    output.note(f"removed the budget for {removed.category}")


# A negative AMOUNT such as -5 must reach the parser (exit 1), not be taken for an option.
add_command(app, "set", set_budget, context_settings={"ignore_unknown_options": True})
add_command(app, "list", list_budgets)
add_command(app, "rm", remove_budget)
