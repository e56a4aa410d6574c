"""Budgets: one monthly limit per user and category, and how much of it a month used.

A budget's `budget_id` is derived from its user and category (uuid5), so two
concurrent `budget set` runs for the same category write the same item: one budget
per category holds without a transaction, and setting it again updates it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from budgetcli.errors import InvalidInput, NotFound
from budgetcli.parsing import CENT, MAX_AMOUNT, parse_category
from budgetcli.services.expenses import spending_by_category
from budgetcli.services.tables import BUDGETS
from budgetcli.store import ConditionFailed, Store

BY_USER = "user_id-index"
DEFAULT_THRESHOLD = 80
MIN_THRESHOLD = 1
MAX_THRESHOLD = 100
# Fixed forever: changing it would give every existing budget a new id.
_BUDGET_NAMESPACE = uuid.UUID("5b0d6c1e-7a43-4d8e-9a53-2f1d3b6c9e01")


@dataclass(frozen=True)
class Budget:
    budget_id: str
    user_id: str
    category: str
    amount: Decimal
    threshold: int
    created_at: str
    updated_at: str

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Budget:
        return cls(
            budget_id=str(item["budget_id"]),
            user_id=str(item["user_id"]),
            category=str(item["category"]),
            amount=Decimal(item["amount"]),
            threshold=int(item.get("threshold", DEFAULT_THRESHOLD)),
            created_at=str(item.get("created_at", "")),
            updated_at=str(item.get("updated_at", item.get("created_at", ""))),
        )


@dataclass(frozen=True)
class BudgetStatus:
    """A budget and what one month spent against it."""

    budget: Budget
    spent: Decimal

    @property
    def remaining(self) -> Decimal:
        """Negative when the month is over the limit."""
        return self.budget.amount - self.spent

    @property
    def percent(self) -> Decimal:
        """Percent of the limit used, cut (not rounded) to two places."""
        return percent_of(self.spent, self.budget.amount)


def percent_of(spent: Decimal, amount: Decimal) -> Decimal:
    # Cut rather than rounded so that 79.999% never reads as 80.00%.
    return (spent * 100 / amount).quantize(CENT, rounding=ROUND_DOWN)


def budget_id_for(user_id: str, category: str) -> str:
    return str(uuid.uuid5(_BUDGET_NAMESPACE, f"{user_id}\n{category}"))


def check_amount(amount: Decimal) -> Decimal:
    if amount <= 0:
        raise InvalidInput(f"budget amount {amount} must be more than zero")
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"budget amount {amount} is over the limit of {MAX_AMOUNT}")
    if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise InvalidInput(f"budget amount {amount} has more than two decimal places")
    return amount.quantize(CENT)


def check_threshold(threshold: int) -> int:
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise InvalidInput(
            f"threshold {threshold} is out of range: give a percentage from "
            f"{MIN_THRESHOLD} to {MAX_THRESHOLD}, like 80"
        )
    return threshold


def set_budget(
    store: Store,
    user_id: str,
    category: str,
    amount: Decimal,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    now: datetime | None = None,
) -> Budget:
    """Create or update the user's monthly budget for `category`; returns it as stored."""
    category = parse_category(category)
    amount = check_amount(amount)
    threshold = check_threshold(threshold)
    stamp = (now or datetime.now(UTC)).isoformat()
    budget_id = budget_id_for(user_id, category)
    item = store.update(
        BUDGETS,
        {"budget_id": budget_id},
        # Every attribute goes through a name placeholder: several are reserved words.
        update=(
            "SET #user = :me, #category = :category, #amount = :amount, "
            "#threshold = :threshold, #updated = :now, "
            "#created = if_not_exists(#created, :now)"
        ),
        # The id is derived from the user, so this only guards against a foreign item.
        condition="attribute_not_exists(budget_id) OR #user = :me",
        names={
            "#user": "user_id",
            "#category": "category",
            "#amount": "amount",
            "#threshold": "threshold",
            "#updated": "updated_at",
            "#created": "created_at",
        },
        values={
            ":me": user_id,
            ":category": category,
            ":amount": amount,
            ":threshold": threshold,
            ":now": stamp,
        },
    )
    return Budget.from_item(item)


def remove_budget(store: Store, user_id: str, category: str) -> None:
    """Delete the user's budget for `category`; NotFound when there is none."""
    category = parse_category(category)
    try:
        store.delete(
            BUDGETS,
            {"budget_id": budget_id_for(user_id, category)},
            condition="attribute_exists(budget_id) AND #user = :me",
            names={"#user": "user_id"},
            values={":me": user_id},
        )
    except ConditionFailed:
        raise NotFound(f"no budget for category {category!r}: see `budget budget list`") from None


def budgets_for_user(store: Store, user_id: str) -> list[Budget]:
    """Every budget of the user, sorted by category."""
    items = store.query(
        BUDGETS,
        index=BY_USER,
        key_condition="#user = :me",
        names={"#user": "user_id"},
        values={":me": user_id},
    )
    return sorted((Budget.from_item(item) for item in items), key=lambda b: b.category)


def budget_status(store: Store, user_id: str, first: date, last: date) -> list[BudgetStatus]:
    """Each budget with the spending of `first`..`last` in its category (one Query)."""
    budgets = budgets_for_user(store, user_id)
    if not budgets:
        return []
    spending = spending_by_category(store, user_id, first, last)
    return [
        BudgetStatus(budget, spending.get(budget.category, (Decimal(0), 0))[0])
        for budget in budgets
    ]
