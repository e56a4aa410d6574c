"""Expenses: the model, and the one ranged Query every listing, sum and report is built on."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from budgetcli.errors import Conflict, InvalidInput, NotFound
from budgetcli.services.tables import EXPENSES
from budgetcli.store import ConditionFailed, Store, TransactionCancelled

BY_USER_AND_DATE = "user_id-date-index"
# One TransactWriteItems call; `rm` of more ids than this would no longer be all-or-nothing.
MAX_IDS_PER_REMOVAL = 100
# A removed imported expense leaves a tombstone (no `date`, so it is in no listing) that
# keeps its content-derived id taken: importing the statement again must not revive it.
OWNED_BY_ME = "user_id = :me AND attribute_exists(#date)"
OWNER_NAMES = {"#date": "date"}


def utc_now_iso() -> str:
    """A timestamp as stored in `created_at`: ISO 8601 UTC with microseconds and +00:00."""
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Expense:
    expense_id: str
    user_id: str
    amount: Decimal
    category: str
    description: str
    date: date
    created_at: str
    receipt_url: str | None = None

    def to_item(self) -> dict[str, Any]:
        """The seed's expense item; `date` as YYYY-MM-DD, amount as a DynamoDB number."""
        item: dict[str, Any] = {
            "expense_id": self.expense_id,
            "user_id": self.user_id,
            "amount": self.amount,
            "category": self.category,
            "description": self.description,
            "date": self.date.isoformat(),
            "created_at": self.created_at,
        }
        if self.receipt_url:
            item["receipt_url"] = self.receipt_url
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Expense:
        return cls(
            expense_id=str(item["expense_id"]),
            user_id=str(item["user_id"]),
            amount=Decimal(item["amount"]),
            category=str(item.get("category", "")),
            description=str(item.get("description", "")),
            date=date.fromisoformat(str(item["date"])),
            created_at=str(item.get("created_at", "")),
            receipt_url=str(item["receipt_url"]) if item.get("receipt_url") else None,
        )

    def to_record(self) -> dict[str, str]:
        """The contract's expense object: amount as a two-place decimal string, no user_id."""
        record = {
            "expense_id": self.expense_id,
            "amount": str(self.amount.quantize(Decimal("0.01"))),
            "category": self.category,
            "description": self.description,
            "date": self.date.isoformat(),
            "created_at": self.created_at,
        }
        if self.receipt_url:
            record["receipt_url"] = self.receipt_url
        return record


def add_expense(
    store: Store,
    user_id: str,
    *,
    amount: Decimal,
    category: str,
    on: date,
    description: str = "",
    receipt_url: str | None = None,
) -> Expense:
    """Write one new expense; the values are expected to be parsed already."""
    expense = Expense(
        expense_id=str(uuid.uuid4()),
        user_id=user_id,
        amount=amount,
        category=category,
        description=description,
        date=on,
        created_at=utc_now_iso(),
        receipt_url=receipt_url,
    )
    try:
        store.put(EXPENSES, expense.to_item(), condition="attribute_not_exists(expense_id)")
    except ConditionFailed:
        # botocore retried a put whose first answer was lost: the id is new, so an item
        # with it and our content is that first put, not a clash.
        stored = store.get(EXPENSES, {"expense_id": expense.expense_id}, consistent=True)
        if stored != expense.to_item():
            raise Conflict(
                "an expense with this id exists already: run the command again"
            ) from None
    return expense


def check_expense_id(text: str) -> str:
    """Expense ids are UUIDs; anything else cannot name an expense."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise InvalidInput(
            f"{text[:60]!r} is not an expense id: ids look like "
            "3f2b6c1e-8d4a-4f7e-9c2a-1b5d7e9f0a12 (see `budget list`)"
        ) from None


def edit_expense(
    store: Store,
    user_id: str,
    expense_id: str,
    *,
    amount: Decimal | None = None,
    category: str | None = None,
    description: str | None = None,
    on: date | None = None,
    receipt_url: str | None = None,
) -> Expense:
    """Change the given fields of one of `user_id`'s expenses and return it as it is now.

    Another user's id fails exactly like an id that does not exist: the condition on
    `user_id` is checked by DynamoDB in the same request as the write.
    """
    expense_id = check_expense_id(expense_id)
    changes: dict[str, Any] = {
        "amount": amount,
        "category": category,
        "description": description,
        "date": on.isoformat() if on else None,
        "receipt_url": receipt_url,
    }
    changes = {name: value for name, value in changes.items() if value is not None}
    if not changes:
        raise InvalidInput(
            "nothing to change: give --amount, --category, --description, --date or --receipt-url"
        )
    names = {f"#{name}": name for name in changes} | OWNER_NAMES
    values: dict[str, Any] = {f":{name}": value for name, value in changes.items()}
    values[":me"] = user_id
    try:
        item = store.update(
            EXPENSES,
            {"expense_id": expense_id},
            update="SET " + ", ".join(f"#{name} = :{name}" for name in changes),
            condition=OWNED_BY_ME,
            names=names,
            values=values,
        )
    except ConditionFailed:
        raise NotFound(f"no such expense: {expense_id} (see `budget list`)") from None
    return Expense.from_item(item)


def is_imported(expense_id: str) -> bool:
    """Imports derive ids from content (uuid5); `budget add` draws them at random (uuid4)."""
    return uuid.UUID(expense_id).version == 5


def _removal(store: Store, user_id: str, expense_id: str) -> dict[str, Any]:
    key = {"expense_id": expense_id}
    me = {":me": user_id}
    if is_imported(expense_id):
        tombstone = key | {"user_id": user_id, "deleted_at": utc_now_iso()}
        return store.put_op(
            EXPENSES, tombstone, condition=OWNED_BY_ME, names=OWNER_NAMES, values=me
        )
    return store.delete_op(EXPENSES, key, condition=OWNED_BY_ME, names=OWNER_NAMES, values=me)


def remove_expenses(store: Store, user_id: str, expense_ids: Iterable[str]) -> list[str]:
    """Delete `user_id`'s expenses by id, all or none; returns the ids removed."""
    unique = list(dict.fromkeys(check_expense_id(text) for text in expense_ids))
    if not unique:
        raise InvalidInput("give at least one expense id (see `budget list`)")
    if len(unique) > MAX_IDS_PER_REMOVAL:
        raise InvalidInput(
            f"at most {MAX_IDS_PER_REMOVAL} ids at a time: split the list, e.g. with xargs -n 100"
        )
    operations = [_removal(store, user_id, expense_id) for expense_id in unique]
    try:
        store.transact_write(operations)
    except TransactionCancelled as cancelled:
        missing = [
            expense_id
            for expense_id, reason in zip(unique, cancelled.reasons, strict=False)
            if reason == "ConditionalCheckFailed"
        ]
        if not missing:
            raise Conflict(
                "another change to these expenses was in progress; nothing was removed: "
                "run the command again"
            ) from None
        raise NotFound(
            f"no such expense: {', '.join(missing)} (nothing was removed; see `budget list`)"
        ) from None
    return unique


def query_expense_items(
    store: Store,
    user_id: str,
    *,
    first: date | None = None,
    last: date | None = None,
    category: str | None = None,
    projection: Sequence[str] | None = None,
    newest_first: bool = True,
) -> Iterator[dict[str, Any]]:
    """Raw items of one user's expenses dated `first`..`last` (both inclusive), every page.

    The date range is in the key condition of `user_id-date-index`, so the cost grows
    with the rows in the range, not with the user's history; `category` is a filter.
    """
    key_condition = "user_id = :user"
    values: dict[str, Any] = {":user": user_id}
    names: dict[str, str] = {}
    if first is not None and last is not None:
        key_condition += " AND #date BETWEEN :first AND :last"
        values.update({":first": first.isoformat(), ":last": last.isoformat()})
    elif first is not None:
        key_condition += " AND #date >= :first"
        values[":first"] = first.isoformat()
    elif last is not None:
        key_condition += " AND #date <= :last"
        values[":last"] = last.isoformat()
    if first is not None or last is not None:
        names["#date"] = "date"
    filter_expression = None
    if category is not None:
        names["#category"] = "category"
        values[":category"] = category
        filter_expression = "#category = :category"
    return store.query(
        EXPENSES,
        index=BY_USER_AND_DATE,
        key_condition=key_condition,
        names=names or None,
        values=values,
        filter=filter_expression,
        projection=projection,
        newest_first=newest_first,
    )


def expenses_between(
    store: Store,
    user_id: str,
    *,
    first: date | None = None,
    last: date | None = None,
    category: str | None = None,
    newest_first: bool = True,
) -> Iterator[Expense]:
    """One user's expenses in a date range as Expense objects, newest date first by default."""
    for item in query_expense_items(
        store, user_id, first=first, last=last, category=category, newest_first=newest_first
    ):
        yield Expense.from_item(item)


def spending_by_category(
    store: Store, user_id: str, first: date, last: date
) -> dict[str, tuple[Decimal, int]]:
    """Total and count per category for `first`..`last`, projecting only what is summed."""
    totals: dict[str, tuple[Decimal, int]] = {}
    for item in query_expense_items(
        store, user_id, first=first, last=last, projection=["category", "amount"]
    ):
        total, count = totals.get(item["category"], (Decimal(0), 0))
        totals[item["category"]] = (total + Decimal(item["amount"]), count + 1)
    return totals
