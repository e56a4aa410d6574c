"""Expenses: the contract's expense object, the listing, and the export streams."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterable
from typing import TextIO

from budgetcli import output, spreadsheets
from budgetcli.models import Expense
from budgetcli.money import ZERO, cents
from budgetcli.output import Column, OutputFormat
from budgetcli.spreadsheets import EXCEL_SAFE_COLUMN

# The expense object's fields, in the order every CSV of expenses has them:
# `budget export`, `list --format csv`, `add`/`edit --format csv`.
EXPENSE_FIELDS = (
    "date",
    "amount",
    "category",
    "description",
    "expense_id",
    "created_at",
    "receipt_url",
)
_HEADERS = {
    "date": "Date",
    "amount": "Amount",
    "category": "Category",
    "description": "Description",
    "expense_id": "Id",
    "created_at": "Created",
    "receipt_url": "Receipt",
}
EXPENSE_COLUMNS = [Column(_HEADERS[name], name) for name in EXPENSE_FIELDS]
# For people: the id first and whole (to copy into edit/rm), so a narrow terminal never
# cuts it; a short header leaves the description room at 80 columns.
TABLE_COLUMNS = [
    Column("Id", "expense_id", style="dim", min_width=36, no_wrap=True),
    Column("Date", "date", no_wrap=True),
    Column("Amount", "amount", justify="right", no_wrap=True),
    Column("Category", "category"),
    Column("Note", "description"),
]


def expense_record(expense: Expense) -> dict[str, str]:
    """The contract's expense object: amount as a two-place decimal string, no user_id."""
    record = {
        "expense_id": expense.expense_id,
        "amount": cents(expense.amount),
        "category": expense.category,
        "description": expense.description,
        "date": expense.date.isoformat(),
        "created_at": expense.created_at,
    }
    if expense.receipt_url:
        record["receipt_url"] = expense.receipt_url
    return record


def emit_expense(fmt: OutputFormat, expense: Expense) -> None:
    """One expense, as `add` and `edit` print it."""
    record = expense_record(expense)
    if fmt is OutputFormat.CSV:  # every column, so that rows of several commands line up
        record = {name: record.get(name, "") for name in EXPENSE_FIELDS}
    output.emit_object(fmt, record)


def emit_expenses(fmt: OutputFormat, expenses: list[Expense], *, excel_safe: bool = False) -> None:
    """A listing with the total: the table for people, all fields for scripts."""
    if fmt is OutputFormat.CSV:
        write_csv(sys.stdout, expenses, excel_safe=excel_safe)
        return
    total = sum((expense.amount for expense in expenses), ZERO)
    noun = "expense" if len(expenses) == 1 else "expenses"
    output.emit_records(
        fmt,
        TABLE_COLUMNS if fmt is OutputFormat.TABLE else EXPENSE_COLUMNS,
        [expense_record(expense) for expense in expenses],
        footer={"expense_id": f"Total of {len(expenses)} {noun}", "amount": cents(total)},
    )


def write_csv(stream: TextIO, expenses: Iterable[Expense], *, excel_safe: bool = False) -> int:
    """CSV with a header row, one row at a time; returns how many expenses were written.

    `excel_safe`: cells a spreadsheet would run as formulas get a leading `'`, and an
    empty `excel_safe` column tells `budget import` to take it off (see spreadsheets).
    """
    write = output.csv_rows(stream)
    if excel_safe:
        write([*EXPENSE_FIELDS, EXCEL_SAFE_COLUMN])
    else:
        write(EXPENSE_FIELDS)
    count = 0
    for expense in expenses:
        record = expense_record(expense)
        cells = [record.get(name, "") for name in EXPENSE_FIELDS]
        write([*map(spreadsheets.excel_safe, cells), ""] if excel_safe else cells)
        count += 1
    return count


def write_json(stream: TextIO, expenses: Iterable[Expense]) -> int:
    """A JSON array laid out as json.dumps(indent=2) would, one object at a time."""
    count = 0
    for expense in expenses:
        stream.write("[\n" if count == 0 else ",\n")
        document = output.json_text(expense_record(expense))
        stream.write(textwrap.indent(document, "  "))
        count += 1
    stream.write("[]\n" if count == 0 else "\n]\n")
    return count
