"""`budget add`, `list`, `edit`, `rm`."""

from datetime import date
from itertools import islice
from typing import TYPE_CHECKING, Annotated

import typer

from budgetcli import output, parsing
from budgetcli.cli.common import (
    ExcelSafeOption,
    FormatOption,
    FromOption,
    MonthOption,
    Panel,
    ToOption,
    add_command,
    current_user,
    open_store,
)
from budgetcli.errors import Field, InvalidInput
from budgetcli.output import OutputFormat
from budgetcli.output.expenses import emit_expense, emit_expenses

if TYPE_CHECKING:
    from budgetcli.models import Expense
    from budgetcli.store import Store

DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        "-d",
        help="YYYY-MM-DD, today, yesterday, a weekday (the last one) or e.g. 'Nov 3'.",
        show_default=False,
    ),
]
ReceiptOption = Annotated[
    str | None, typer.Option("--receipt-url", help="An http(s) link to the receipt.")
]


def register(app: typer.Typer) -> None:
    add_command(app, "add", add, panel=Panel.EXPENSES)
    add_command(app, "list", list_expenses, panel=Panel.EXPENSES)
    add_command(app, "edit", edit, panel=Panel.EXPENSES)
    add_command(app, "rm", remove, panel=Panel.EXPENSES)


def add(
    amount: Annotated[str, typer.Argument(help="Positive, at most two decimals: 12.50.")],
    category: Annotated[str, typer.Argument(help="Any word; stored lower-case.")],
    description: Annotated[str, typer.Argument(help="Optional note.")] = "",
    on: DateOption = None,
    receipt_url: ReceiptOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Record an expense (dated today unless --date is given).

    Example:  budget add 12.50 food "lunch with Sam" --date yesterday
    """
    from budgetcli.services.expenses import NewExpense, add_expense

    # Every input is parsed before storage is touched, so bad input reaches nothing.
    new = NewExpense(
        amount=parsing.parse_amount(amount),
        category=parsing.parse_category(category),
        description=parsing.parse_description(description),
        on=parsing.parse_date(on) if on is not None else date.today(),
        receipt_url=parsing.parse_url(receipt_url) if receipt_url is not None else None,
    )
    store = open_store()
    emit_expense(fmt, add_expense(store, current_user(store).user_id, new))


def list_expenses(
    first: FromOption = None,
    last: ToOption = None,
    month: MonthOption = None,
    category: Annotated[str | None, typer.Option("--category", "-c", help="Only this one.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="At most this many, newest first.")
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
    excel_safe: ExcelSafeOption = False,
) -> None:
    """List your expenses, newest date first, with the total.

    Example:  budget list --month 2026-11 --category food
    """
    from budgetcli.services.expenses import expenses_in

    days = parsing.parse_date_range(first, last, month)
    wanted = parsing.parse_category(category) if category is not None else None
    if excel_safe and fmt is not OutputFormat.CSV:
        raise InvalidInput(Field("excel_safe"), " applies to ", Field("fmt"), " csv only")
    store = open_store()
    user = current_user(store)
    expenses = list(islice(expenses_in(store, user.user_id, days, category=wanted), limit))
    emit_expenses(fmt, expenses, excel_safe=excel_safe)


def edit(
    expense_id: Annotated[str, typer.Argument(help="The id shown by `budget list`.")],
    amount: Annotated[str | None, typer.Option("--amount", help="New amount.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="New category.")] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="New note ('' clears it).")
    ] = None,
    on: DateOption = None,
    receipt_url: ReceiptOption = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Change one of your expenses; fields not given stay as they are.

    Example:  budget edit 3f2b6c1e-8d4a-4f7e-9c2a-1b5d7e9f0a12 --amount 13.20 --category dining
    """
    from budgetcli.services.expenses import Changes, edit_expense

    target = parsing.parse_expense_id(expense_id)
    changes = Changes(
        amount=parsing.parse_amount(amount) if amount is not None else None,
        category=parsing.parse_category(category) if category is not None else None,
        description=parsing.parse_description(description) if description is not None else None,
        on=parsing.parse_date(on) if on is not None else None,
        receipt_url=parsing.parse_url(receipt_url) if receipt_url is not None else None,
    )
    store = open_store()
    user_id = current_user(store).user_id
    edited = edit_expense(store, user_id, target, changes)
    emit_expense(fmt, edited)
    if changes.category is not None:
        _offer_a_rule(store, user_id, edited)


def _offer_a_rule(store: "Store", user_id: str, edited: "Expense") -> None:
    """A person who keeps moving one payee's imports to a category is offered a rule."""
    import shlex

    from budgetcli.errors import StorageError
    from budgetcli.services.categories.moves import count_move

    try:
        offer = count_move(store, user_id, edited)
    except StorageError as exc:
        output.note(f"warning: the edit is saved, but counting it as a correction failed: {exc}")
        return
    if offer is not None:
        rule = f"{shlex.quote(offer.payee)} {shlex.quote(offer.category)} --payee"
        output.note(
            f"you moved {offer.moves} {offer.payee!r} expenses to {offer.category}: "
            f"add a rule with `budget rules add {rule}`"
        )


def remove(
    expense_ids: Annotated[
        list[str],
        typer.Argument(metavar="EXPENSE_ID...", help="One or more ids from `budget list`."),
    ],
) -> None:
    """Delete expenses by id: all of them, or none when any id is not yours.

    Example:  budget rm 3f2b6c1e-8d4a-4f7e-9c2a-1b5d7e9f0a12
    """
    from budgetcli.services.expenses import remove_expenses

    ids = [parsing.parse_expense_id(text) for text in expense_ids]
    store = open_store()
    removed = remove_expenses(store, current_user(store).user_id, ids)
    output.note(f"removed {len(removed)} expense{'' if len(removed) == 1 else 's'}")
