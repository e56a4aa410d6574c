"""Expenses: the contract's expense object, the listing, and the export streams."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterable
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from budgetcli import output, spreadsheets
from budgetcli.models import Expense
from budgetcli.money import ZERO, cents
from budgetcli.output import Column, OutputFormat, literal
from budgetcli.output.layout import GAP, Block, Fitted, Layout, Pair, Stacked
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
# For people: the id whole (to copy into edit/rm), yet never at the expense of the note.
ID_WIDTH = 36
CATEGORY_WIDTH = 20
NOTE_NEEDS = 30


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
    elif fmt is not OutputFormat.TABLE:
        output.emit_records(fmt, EXPENSE_COLUMNS, [expense_record(e) for e in expenses])
    else:
        output.stdout_console().print(expense_listing(expenses))


def expense_listing(expenses: list[Expense]) -> Fitted:
    """Expenses for people, in the first of three layouts that fits the width:

    - one line each: date, amount, category, note (at least NOTE_NEEDS wide), id;
    - the id under the note, when the note column can hold it (80 columns);
    - stacked: "date  amount  category", then the note and the id on lines of their own.

    Dates, amounts and ids are never cut; categories and notes wrap.
    """
    records = [expense_record(expense) for expense in expenses]
    total = cents(sum((expense.amount for expense in expenses), ZERO))
    noun = "expense" if len(expenses) == 1 else "expenses"
    count = f"{len(expenses)} {noun}"
    categories = [_wrapped(literal(record["category"]), CATEGORY_WIDTH) for record in records]

    def table(*, id_column: bool) -> Table:
        table = Table(
            box=box.SIMPLE_HEAD,
            show_footer=True,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
        )
        table.add_column("Date", "Total", no_wrap=True)
        table.add_column("Amount", total, justify="right", no_wrap=True)
        # Pre-wrapped: the note is the one column Rich narrows, so the check is exact.
        table.add_column("Category", no_wrap=True, min_width=len("Category"))
        table.add_column("Note", count, overflow="fold")
        if id_column:
            table.add_column("Id", style="dim", no_wrap=True)
        for record, category in zip(records, categories, strict=True):
            note = literal(record["description"])
            expense_id = _dim(literal(record["expense_id"]))
            if id_column:
                table.add_row(record["date"], record["amount"], category, note, expense_id)
            else:
                under = note + Text("\n") + expense_id if note.plain else expense_id
                table.add_row(record["date"], record["amount"], category, under)
        return table

    def one_line() -> Layout:
        return Layout(table(id_column=True), {3: NOTE_NEEDS})

    def id_under_note() -> Layout:
        return Layout(table(id_column=False), {3: ID_WIDTH})

    def stacked() -> Stacked:
        blocks = []
        for record in records:
            heading = Text(GAP).join(
                [Text(record["date"]), Text(record["amount"]), literal(record["category"])]
            )
            heading.stylize("bold")
            pairs = [Pair(None, literal(record["description"]))] if record["description"] else []
            pairs.append(Pair(None, _dim(literal(record["expense_id"]))))
            blocks.append(Block(heading, pairs))
        blocks.append(Block(Text(f"Total{GAP}{total}{GAP}({count})", style="bold")))
        return Stacked(blocks)

    return Fitted(one_line, id_under_note, stacked=stacked)


def _dim(text: Text) -> Text:
    text.stylize("dim")
    return text


def _wrapped(text: Text, width: int) -> Text:
    """`text` broken into lines of at most `width` cells, at spaces where it can."""
    if text.cell_len <= width:
        return text
    lines = text.wrap(Console(width=width), width, overflow="fold")
    return Text("\n").join(lines)


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
