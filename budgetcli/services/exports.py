"""Every cent out: one user's expenses as CSV or JSON, streamed page by page.

The CSV imports back as it is (`budget import` finds date, amount, category and
description by name, and uses `expense_id` to recognise expenses that are already
the importing user's). The JSON is the array of expense objects of CLI.md, newest
date first, written one object at a time so memory does not grow with the history.
"""

from __future__ import annotations

import csv
import json
import textwrap
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, TextIO

from budgetcli.services.expenses import Expense, expenses_between
from budgetcli.store import Store

CSV_COLUMNS = (
    "date",
    "amount",
    "category",
    "description",
    "expense_id",
    "created_at",
    "receipt_url",
)


def expenses_to_export(
    store: Store, user_id: str, *, first: date | None = None, last: date | None = None
) -> Iterator[Expense]:
    """Every expense of `user_id` dated `first`..`last` (inclusive), newest date first."""
    return expenses_between(store, user_id, first=first, last=last, newest_first=True)


def expense_record(expense: Expense) -> dict[str, str]:
    """The expense object of CLI.md, as `budget list --format json` prints it."""
    return expense.to_record()


def write_csv(stream: TextIO, expenses: Iterable[Expense]) -> int:
    """CSV with a header row; returns how many expenses were written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for expense in expenses:
        record = expense_record(expense)
        writer.writerow([record.get(column, "") for column in CSV_COLUMNS])
        count += 1
    return count


def write_json(stream: TextIO, expenses: Iterable[Expense]) -> int:
    """A JSON array laid out as json.dumps(indent=2) would, one object at a time."""
    count = 0
    for expense in expenses:
        stream.write("[\n" if count == 0 else ",\n")
        stream.write(textwrap.indent(_dumps(expense_record(expense)), "  "))
        count += 1
    stream.write("[]\n" if count == 0 else "\n]\n")
    return count


def _dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)
