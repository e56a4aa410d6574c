"""Expenses: the model, and the one ranged Query every listing, sum and report is built on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from budgetcli.services.tables import EXPENSES
from budgetcli.store import Store

BY_USER_AND_DATE = "user_id-date-index"


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
