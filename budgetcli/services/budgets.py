"""Budgets: one monthly limit per user and category, and how much of it a period used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from budgetcli.dates import Period
from budgetcli.errors import Field, InvalidInput, NotFound
from budgetcli.models import Budget, BudgetStatus
from budgetcli.parsing import check_amount
from budgetcli.store import Store
from budgetcli.tables import budgets as table
from budgetcli.tables import expenses

DEFAULT_THRESHOLD = table.DEFAULT_THRESHOLD
MIN_THRESHOLD = 1
MAX_THRESHOLD = 100


@dataclass(frozen=True)
class Limit:
    """A monthly limit and the percentage of it at which to warn."""

    amount: Decimal
    threshold: int = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        check_amount(self.amount)
        if not MIN_THRESHOLD <= self.threshold <= MAX_THRESHOLD:
            raise InvalidInput(
                Field("threshold"),
                f" {self.threshold} is out of range: give a percentage from "
                f"{MIN_THRESHOLD} to {MAX_THRESHOLD}, like 80",
            )


def set_budget(
    store: Store, user_id: str, category: str, limit: Limit, *, now: datetime | None = None
) -> Budget:
    """Create or update the user's monthly budget for `category` (parsed already, see
    `budgetcli.parsing`); returns it as stored."""
    stamp = (now or datetime.now(UTC)).isoformat()
    return table.put(store, user_id, category, limit.amount, limit.threshold, stamp)


def remove_budget(store: Store, user_id: str, category: str) -> None:
    """Delete the user's budget for `category`; NotFound when there is none."""
    if not table.delete(store, user_id, category):
        raise NotFound(f"no budget for category {category!r}: see `budget budget list`")


def budgets_for_user(store: Store, user_id: str) -> list[Budget]:
    """Every budget of the user, sorted by category."""
    return table.for_user(store, user_id)


def budget_status(store: Store, user_id: str, period: Period) -> list[BudgetStatus]:
    """Each budget with the spending of `period` in its category (one Query)."""
    budgets = table.for_user(store, user_id)
    if not budgets:
        return []
    spending = expenses.totals_by_category(store, user_id, period.first, period.last)
    return [
        BudgetStatus(budget, spending.get(budget.category, (Decimal(0), 0))[0])
        for budget in budgets
    ]
