"""The budgets table: the seed's budget items, one monthly limit per user and category.

Items have the seed's attributes: budget_id, user_id, category, amount, alert_threshold,
created_at. A user's budget for a category is found through `user_id-category-index`,
whatever its id, so a budget the web app made is the one `budget set` updates. A budget
that budgetcli creates gets an id derived from its user and category (uuid5): two
concurrent `budget set` runs for a new category write the same item.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from budgetcli.models import Budget
from budgetcli.store import ConditionFailed, Item, Store
from budgetcli.tables.kinds import ItemKind, by_user_id, user_id_owner
from budgetcli.tables.schema import BUDGETS, BUDGETS_BY_USER, BUDGETS_BY_USER_AND_CATEGORY

DEFAULT_THRESHOLD = 80
# Fixed forever: changing it would give every new budget a second id.
_BUDGET_NAMESPACE = uuid.UUID("5b0d6c1e-7a43-4d8e-9a53-2f1d3b6c9e01")
# Every attribute goes through a name placeholder: several are reserved words.
# `threshold` and `updated_at` are what budgetcli before 0.2 wrote; a write removes them.
_NAMES = {
    "#user": "user_id",
    "#category": "category",
    "#amount": "amount",
    "#threshold": "alert_threshold",
    "#created": "created_at",
    "#legacy": "threshold",
    "#updated": "updated_at",
}


def budget_id_for(user_id: str, category: str) -> str:
    return str(uuid.uuid5(_BUDGET_NAMESPACE, f"{user_id}\n{category}"))


def from_item(item: Item) -> Budget:
    """A budget item, the web app's or budgetcli's; `threshold` is where budgetcli before
    0.2 kept the seed's `alert_threshold`."""
    threshold = item.get("alert_threshold")
    if threshold is None:
        threshold = item.get("threshold", DEFAULT_THRESHOLD)
    return Budget(
        budget_id=str(item["budget_id"]),
        user_id=str(item["user_id"]),
        category=str(item.get("category") or ""),
        amount=Decimal(item["amount"]),
        threshold=int(Decimal(str(threshold))),
        created_at=str(item.get("created_at") or ""),
    )


def create(
    store: Store, user_id: str, category: str, amount: Decimal, threshold: int, now: str
) -> Budget:
    """A new budget for `category` with the derived id; a concurrent create of the same
    category by budgetcli lands on the same item."""
    item = store.update(
        BUDGETS,
        {"budget_id": budget_id_for(user_id, category)},
        update="SET #user = :me, #category = :category, #amount = :amount, "
        "#threshold = :threshold, #created = if_not_exists(#created, :now) "
        "REMOVE #legacy, #updated",
        # The id is derived from the user, so this only guards against a foreign item.
        condition="attribute_not_exists(budget_id) OR #user = :me",
        names=_NAMES,
        values={
            ":me": user_id,
            ":category": category,
            ":amount": amount,
            ":threshold": threshold,
            ":now": now,
        },
    )
    return from_item(item)


def change(
    store: Store, user_id: str, budget_id: str, amount: Decimal, threshold: int
) -> Budget | None:
    """Set the limit and threshold of one of the user's budgets, keeping its category as
    it was stored; None when it is no longer there."""
    try:
        item = store.update(
            BUDGETS,
            {"budget_id": budget_id},
            update="SET #amount = :amount, #threshold = :threshold REMOVE #legacy, #updated",
            condition="attribute_exists(budget_id) AND #user = :me",
            names={
                key: _NAMES[key]
                for key in ("#user", "#amount", "#threshold", "#legacy", "#updated")
            },
            values={":me": user_id, ":amount": amount, ":threshold": threshold},
        )
    except ConditionFailed:
        return None
    return from_item(item)


def delete(store: Store, user_id: str, budget_id: str) -> bool:
    """Delete one of the user's budgets; False when it is not there."""
    try:
        store.delete(
            BUDGETS,
            {"budget_id": budget_id},
            condition="attribute_exists(budget_id) AND #user = :me",
            names={"#user": "user_id"},
            values={":me": user_id},
        )
    except ConditionFailed:
        return False
    return True


def for_user(store: Store, user_id: str) -> list[Budget]:
    """Every budget of the user, sorted by category, as the seed lists them (`user_id-index`)."""
    items = store.query(
        BUDGETS,
        index=BUDGETS_BY_USER,
        key_condition="#user = :me",
        names={"#user": "user_id"},
        values={":me": user_id},
    )
    return sorted((from_item(item) for item in items), key=lambda b: b.category)


def by_category(store: Store, user_id: str) -> list[Budget]:
    """Every budget of the user in category order, through `user_id-category-index`, the
    seed's way to find "the budget for this category" (the caller compares categories in
    any case, which a key condition cannot)."""
    items = store.query(
        BUDGETS,
        index=BUDGETS_BY_USER_AND_CATEGORY,
        key_condition="#user = :me",
        names={"#user": "user_id"},
        values={":me": user_id},
    )
    return [from_item(item) for item in items]


def upgrade_legacy(store: Store) -> int:
    """Give budgets written before 0.2 the seed's `alert_threshold` in place of
    `threshold` (and drop `updated_at`); returns how many. Idempotent."""
    upgraded = 0
    for old in store.scan(
        BUDGETS,
        filter="attribute_exists(#legacy) OR attribute_exists(#updated)",
        names={"#legacy": "threshold", "#updated": "updated_at"},
        projection=["budget_id", "threshold"],
    ):
        if "threshold" in old:
            update = "SET #threshold = if_not_exists(#threshold, :legacy) REMOVE #legacy, #updated"
            values: dict[str, Any] | None = {":legacy": old["threshold"]}
        else:
            update, values = "REMOVE #updated", None
        names = {"#updated": "updated_at"}
        if values:
            names |= {"#threshold": "alert_threshold", "#legacy": "threshold"}
        try:
            store.update(
                BUDGETS,
                {"budget_id": old["budget_id"]},
                update=update,
                condition="attribute_exists(budget_id)",  # never revive a removed budget
                names=names,
                values=values,
            )
        except ConditionFailed:
            continue
        upgraded += 1
    return upgraded


# --- what a backup holds of an account ----------------------------------------------------


BACKUP_KINDS = (
    ItemKind(
        "budget",
        BUDGETS,
        "budget_id",
        owner=user_id_owner,
        items_of=by_user_id(BUDGETS, BUDGETS_BY_USER),
    ),
)
