"""Budgets: one monthly limit per user and category, and how much of it a period used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from budgetcli.dates import Period
from budgetcli.errors import Conflict, Field, InvalidInput, NotFound
from budgetcli.models import Budget, BudgetStatus, category_key
from budgetcli.money import ZERO
from budgetcli.parsing import check_amount
from budgetcli.services.expenses import spending_by_category
from budgetcli.store import Store
from budgetcli.tables import budgets as table

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


def for_category(store: Store, user_id: str, category: str) -> list[Budget]:
    """The user's budgets for `category` in any case: one, none, or more where the web
    app made several."""
    wanted = category_key(category)
    return [b for b in table.by_category(store, user_id) if category_key(b.category) == wanted]


def _the_one(budgets: list[Budget], category: str, budget_id: str | None) -> Budget | None:
    """The budget meant: the only one, or the one with `budget_id` among several."""
    if budget_id is not None:
        chosen = [budget for budget in budgets if budget.budget_id == budget_id]
        if not chosen:
            raise NotFound(
                f"no budget {budget_id} for category {category!r}: see `budget budget list`"
            )
        return chosen[0]
    if len(budgets) > 1:
        ids = ", ".join(budget.budget_id for budget in budgets)
        raise Conflict(
            f"{len(budgets)} budgets are set for {category!r} (made elsewhere, such as the web "
            f"app): {ids}; choose one with ",
            Field("budget_id"),
        )
    return budgets[0] if budgets else None


def set_budget(
    store: Store,
    user_id: str,
    category: str,
    limit: Limit,
    *,
    budget_id: str | None = None,
    now: datetime | None = None,
) -> tuple[Budget, bool]:
    """Create or update the user's monthly budget for `category` (parsed already, see
    `budgetcli.parsing`), found in any case; returns it as stored and whether it is new."""
    existing = _the_one(for_category(store, user_id, category), category, budget_id)
    if existing is not None:
        changed = table.change(store, user_id, existing.budget_id, limit.amount, limit.threshold)
        if changed is not None:
            return changed, False
    stamp = (now or datetime.now(UTC)).isoformat()
    created = table.create(store, user_id, category, limit.amount, limit.threshold, stamp)
    return created, True


def remove_budget(
    store: Store, user_id: str, category: str, *, budget_id: str | None = None
) -> Budget:
    """Delete the user's budget for `category` (in any case); NotFound when there is none."""
    budget = _the_one(for_category(store, user_id, category), category, budget_id)
    if budget is None or not table.delete(store, user_id, budget.budget_id):
        raise NotFound(f"no budget for category {category!r}: see `budget budget list`")
    return budget


def budgets_for_user(store: Store, user_id: str) -> list[Budget]:
    """Every budget of the user, sorted by category."""
    return table.for_user(store, user_id)


def budget_status(store: Store, user_id: str, period: Period) -> list[BudgetStatus]:
    """Each budget with the spending of `period` in its category, in any case."""
    budgets = table.for_user(store, user_id)
    if not budgets:
        return []
    spending = spending_by_category(store, user_id, period)
    return [
        BudgetStatus(budget, spending.get(category_key(budget.category), (ZERO, 0))[0])
        for budget in budgets
    ]
