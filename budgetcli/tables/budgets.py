"""The budgets table: one monthly limit per user and category.

A budget's `budget_id` is derived from its user and category (uuid5), so two
concurrent `budget set` runs for the same category write the same item: one budget
per category holds without a transaction, and setting it again updates it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from budgetcli.models import Budget
from budgetcli.store import ConditionFailed, Item, Store
from budgetcli.tables.schema import BUDGETS, BUDGETS_BY_USER

DEFAULT_THRESHOLD = 80
# Fixed forever: changing it would give every existing budget a new id.
_BUDGET_NAMESPACE = uuid.UUID("5b0d6c1e-7a43-4d8e-9a53-2f1d3b6c9e01")


def budget_id_for(user_id: str, category: str) -> str:
    return str(uuid.uuid5(_BUDGET_NAMESPACE, f"{user_id}\n{category}"))


def from_item(item: Item) -> Budget:
    return Budget(
        budget_id=str(item["budget_id"]),
        user_id=str(item["user_id"]),
        category=str(item["category"]),
        amount=Decimal(item["amount"]),
        threshold=int(item.get("threshold", DEFAULT_THRESHOLD)),
        created_at=str(item.get("created_at", "")),
        updated_at=str(item.get("updated_at", item.get("created_at", ""))),
    )


def put(
    store: Store, user_id: str, category: str, amount: Decimal, threshold: int, now: str
) -> Budget:
    """Create or update the user's budget for `category`; returns it as stored."""
    item = store.update(
        BUDGETS,
        {"budget_id": budget_id_for(user_id, category)},
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
            ":now": now,
        },
    )
    return from_item(item)


def delete(store: Store, user_id: str, category: str) -> bool:
    """Delete the user's budget for `category`; False when there is none."""
    try:
        store.delete(
            BUDGETS,
            {"budget_id": budget_id_for(user_id, category)},
            condition="attribute_exists(budget_id) AND #user = :me",
            names={"#user": "user_id"},
            values={":me": user_id},
        )
    except ConditionFailed:
        return False
    return True


def for_user(store: Store, user_id: str) -> list[Budget]:
    """Every budget of the user, sorted by category."""
    items = store.query(
        BUDGETS,
        index=BUDGETS_BY_USER,
        key_condition="#user = :me",
        names={"#user": "user_id"},
        values={":me": user_id},
    )
    return sorted((from_item(item) for item in items), key=lambda b: b.category)
