"""Expenses: add, edit, remove and list one user's spending."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import groupby
from typing import Any

from budgetcli.dates import DateRange, Period, utc_now_iso
from budgetcli.errors import Conflict, Field, InvalidInput, NotFound
from budgetcli.models import CategoryOrigin, CategorySource, Expense, category_key
from budgetcli.money import ZERO
from budgetcli.store import Store, TransactionCancelled
from budgetcli.tables import expenses as table

MAX_IDS_PER_REMOVAL = table.MAX_REMOVALS


@dataclass(frozen=True)
class NewExpense:
    """What `add` records; every value parsed already (see `budgetcli.parsing`)."""

    amount: Decimal
    category: str
    on: date
    description: str = ""
    receipt_url: str | None = None


@dataclass(frozen=True)
class Changes:
    """What `edit` changes: the fields given, each parsed already; at least one."""

    amount: Decimal | None = None
    category: str | None = None
    description: str | None = None
    on: date | None = None
    receipt_url: str | None = None

    def __post_init__(self) -> None:
        if not self.attributes():
            raise InvalidInput(
                "nothing to change: give ",
                Field("amount"),
                ", ",
                Field("category"),
                ", ",
                Field("description"),
                ", ",
                Field("on"),
                " or ",
                Field("receipt_url"),
            )

    def attributes(self) -> dict[str, Any]:
        """The attributes of the expense item to set."""
        changes: dict[str, Any] = {
            "amount": self.amount,
            "category": self.category,
            "description": self.description,
            "date": self.on.isoformat() if self.on else None,
            "receipt_url": self.receipt_url,
        }
        if self.category is not None:
            # A category a person sets is theirs: never proposed over, and it teaches.
            origin = CategoryOrigin(CategorySource.PERSON, self.category)
            changes[table.ORIGIN] = table.origin_attribute(origin)
        return {name: value for name, value in changes.items() if value is not None}


def add_expense(store: Store, user_id: str, new: NewExpense) -> Expense:
    """Write one new expense with a random id."""
    expense = Expense(
        expense_id=str(uuid.uuid4()),
        user_id=user_id,
        amount=new.amount,
        category=new.category,
        description=new.description,
        date=new.on,
        created_at=utc_now_iso(),
        receipt_url=new.receipt_url,
    )
    if not table.put_new(store, expense):
        raise Conflict("an expense with this id exists already: run the command again")
    return expense


def edit_expense(store: Store, user_id: str, expense_id: uuid.UUID, changes: Changes) -> Expense:
    """Change one of `user_id`'s expenses and return it as it is now.

    Another user's id fails exactly like an id that does not exist.
    """
    edited = table.update_owned(store, user_id, str(expense_id), changes.attributes())
    if edited is None:
        raise NotFound(f"no such expense: {expense_id} (see `budget list`)")
    return edited


def remove_expenses(store: Store, user_id: str, expense_ids: Iterable[uuid.UUID]) -> list[str]:
    """Delete `user_id`'s expenses by id, all or none; returns the ids removed.

    A removed import leaves a tombstone, so that importing the same file again does not
    bring it back.
    """
    unique = list(dict.fromkeys(str(expense_id) for expense_id in expense_ids))
    if not unique:
        raise InvalidInput("give at least one expense id (see `budget list`)")
    if len(unique) > MAX_IDS_PER_REMOVAL:
        raise InvalidInput(
            f"at most {MAX_IDS_PER_REMOVAL} ids at a time: split the list, e.g. with xargs -n 100"
        )
    removals = [(expense_id, uuid.UUID(expense_id).version == 5) for expense_id in unique]
    try:
        missing = table.remove_owned(store, user_id, removals)
    except TransactionCancelled:
        raise Conflict(
            "another change to these expenses was in progress; nothing was removed: "
            "run the command again"
        ) from None
    if missing:
        raise NotFound(
            f"no such expense: {', '.join(missing)} (nothing was removed; see `budget list`)"
        )
    return unique


def expenses_in(
    store: Store, user_id: str, days: DateRange, *, category: str | None = None
) -> Iterator[Expense]:
    """One user's expenses in a date range, newest date first and, within a date, the
    latest added first; with `category`, those of that category in any case (`Food`
    from the web app is `food`)."""
    listed = latest_added_first(table.between(store, user_id, first=days.first, last=days.last))
    if category is None:
        return listed
    wanted = category_key(category)
    return (expense for expense in listed if category_key(expense.category) == wanted)


def latest_added_first(by_date: Iterable[Expense]) -> Iterator[Expense]:
    """Expenses in date order, each date's sorted by when they were added, latest first.

    The index orders one date's expenses by id, which is random. Each date is read to
    its end (one expense past it) before it is sorted, so the first N need no more.
    """
    for _, same_date in groupby(by_date, key=lambda expense: expense.date):
        yield from sorted(same_date, key=_when_added, reverse=True)


_NEVER = datetime.min.replace(tzinfo=UTC)


def _when_added(expense: Expense) -> tuple[datetime, str]:
    """`created_at` as a time (budgetcli's and the web app's forms differ), then the id."""
    try:
        added = datetime.fromisoformat(expense.created_at)
    except ValueError:
        added = _NEVER
    if added.tzinfo is None:
        added = added.replace(tzinfo=UTC)
    return added, expense.expense_id


def spending_by_category(
    store: Store, user_id: str, period: Period, *, category: str | None = None
) -> dict[str, tuple[Decimal, int]]:
    """Total and count per category (by `category_key`) over `period`."""
    wanted = category_key(category) if category is not None else None
    totals: dict[str, tuple[Decimal, int]] = {}
    for _, name, amount in table.amounts(store, user_id, period.first, period.last, dates=False):
        key = category_key(name)
        if wanted is None or key == wanted:
            total, count = totals.get(key, (ZERO, 0))
            totals[key] = (total + amount, count + 1)
    return totals
