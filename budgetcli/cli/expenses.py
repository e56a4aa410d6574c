"""`budget add`, `list`, `edit`, `rm`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, Annotated

import typer

from budgetcli import output, parsing
from budgetcli.cli.common import FormatOption, current_user, open_store
from budgetcli.errors import InvalidInput
from budgetcli.output import Column, OutputFormat

if TYPE_CHECKING:
    from budgetcli.services.expenses import Expense

PANEL = "Expenses"

# The contract's expense object, in the order CSV prints it.
EXPENSE_COLUMNS = [
    Column("Date", "date", no_wrap=True),
    Column("Amount", "amount", justify="right", no_wrap=True),
    Column("Category", "category"),
    Column("Description", "description"),
    Column("Id", "expense_id"),
    Column("Created", "created_at"),
    Column("Receipt", "receipt_url"),
]
# For people: the id first and whole (to copy into edit/rm), so a narrow terminal never
# cuts it; a short header leaves the description room at 80 columns.
TABLE_COLUMNS = [
    Column("Id", "expense_id", style="dim", min_width=36, no_wrap=True),
    *EXPENSE_COLUMNS[:3],
    Column("Note", "description"),
]

DateOption = Annotated[
    str | None,
    typer.Option(
        "--date", "-d", help="YYYY-MM-DD, today, yesterday or e.g. 'Nov 3'.", show_default=False
    ),
]
ReceiptOption = Annotated[
    str | None, typer.Option("--receipt-url", help="An http(s) link to the receipt.")
]


def register(app: typer.Typer) -> None:
    app.command("add", rich_help_panel=PANEL)(add)
    app.command("list", rich_help_panel=PANEL)(list_expenses)
    app.command("edit", rich_help_panel=PANEL)(edit)
    app.command("rm", rich_help_panel=PANEL)(remove)


def emit_expense(fmt: OutputFormat, expense: Expense) -> None:
    record = expense.to_record()
    if fmt is OutputFormat.CSV:  # every column, so that rows of several commands line up
        record = {column.key: record.get(column.key, "") for column in EXPENSE_COLUMNS}
    output.emit_object(fmt, record)


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
    from budgetcli.services.expenses import add_expense

    # Every input is checked before storage is touched, so bad input writes nothing.
    parsed_amount = parsing.parse_amount(amount)
    parsed_category = parsing.parse_category(category)
    parsed_description = parsing.parse_description(description)
    day = parsing.parse_date(on) if on is not None else date.today()
    receipt = parsing.parse_url(receipt_url) if receipt_url is not None else None
    store = open_store()
    expense = add_expense(
        store,
        current_user(store).user_id,
        amount=parsed_amount,
        category=parsed_category,
        description=parsed_description,
        on=day,
        receipt_url=receipt,
    )
    emit_expense(fmt, expense)


def date_range(
    first: str | None, last: str | None, month: str | None
) -> tuple[date | None, date | None]:
    """The inclusive range chosen by --from/--to or --month (not both)."""
    if month is not None:
        if first is not None or last is not None:
            raise InvalidInput("--month cannot be combined with --from/--to: choose one")
        return parsing.parse_month(month)
    start = parsing.parse_date(first) if first is not None else None
    end = parsing.parse_date(last) if last is not None else None
    if start and end and start > end:
        raise InvalidInput(f"--from {start} is after --to {end}: swap them")
    return start, end


FromOption = Annotated[
    str | None, typer.Option("--from", help="First date, inclusive.", show_default=False)
]
ToOption = Annotated[
    str | None, typer.Option("--to", help="Last date, inclusive.", show_default=False)
]
MonthOption = Annotated[
    str | None, typer.Option("--month", "-m", help="A whole month: YYYY-MM.", show_default=False)
]


def list_expenses(
    first: FromOption = None,
    last: ToOption = None,
    month: MonthOption = None,
    category: Annotated[str | None, typer.Option("--category", "-c", help="Only this one.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="At most this many, newest first.")
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List your expenses, newest date first, with the total.

    Example:  budget list --month 2026-11 --category food
    """
    from budgetcli.services.expenses import expenses_between

    start, end = date_range(first, last, month)
    wanted = parsing.parse_category(category) if category is not None else None
    store = open_store()
    user = current_user(store)
    expenses: Iterable[Expense] = expenses_between(
        store, user.user_id, first=start, last=end, category=wanted
    )
    listed = list(islice(expenses, limit))
    records = [expense.to_record() for expense in listed]
    total = sum((expense.amount for expense in listed), Decimal(0))
    noun = "expense" if len(listed) == 1 else "expenses"
    output.emit_records(
        fmt,
        TABLE_COLUMNS if fmt is OutputFormat.TABLE else EXPENSE_COLUMNS,
        records,
        footer={"expense_id": f"Total of {len(listed)} {noun}", "amount": output.money(total)},
    )


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
    from budgetcli.services.expenses import check_expense_id, edit_expense

    expense_id = check_expense_id(expense_id)
    new_amount = parsing.parse_amount(amount) if amount is not None else None
    new_category = parsing.parse_category(category) if category is not None else None
    new_description = parsing.parse_description(description) if description is not None else None
    new_date = parsing.parse_date(on) if on is not None else None
    new_receipt = parsing.parse_url(receipt_url) if receipt_url is not None else None
    if all(v is None for v in (new_amount, new_category, new_description, new_date, new_receipt)):
        raise InvalidInput(
            "nothing to change: give --amount, --category, --description, --date or --receipt-url"
        )
    store = open_store()
    expense = edit_expense(
        store,
        current_user(store).user_id,
        expense_id,
        amount=new_amount,
        category=new_category,
        description=new_description,
        on=new_date,
        receipt_url=new_receipt,
    )
    emit_expense(fmt, expense)


def remove(
    expense_ids: Annotated[
        list[str],
        typer.Argument(metavar="EXPENSE_ID...", help="One or more ids from `budget list`."),
    ],
) -> None:
    """Delete expenses by id: all of them, or none when any id is not yours.

    Example:  budget rm 3f2b6c1e-8d4a-4f7e-9c2a-1b5d7e9f0a12
    """
    from budgetcli.services.expenses import check_expense_id, remove_expenses

    ids = [check_expense_id(text) for text in expense_ids]
    store = open_store()
    removed = remove_expenses(store, current_user(store).user_id, ids)
    output.note(f"removed {len(removed)} expense{'' if len(removed) == 1 else 's'}")
