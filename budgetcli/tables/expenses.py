"""The expenses table: the seed's expense items, and the ranged Query everything is built on.

A removed imported expense leaves a tombstone in place of the item that keeps its
content-derived id taken: importing the statement again must not revive it. Its owner is
`deleted_by`; it has no `date`, and its `user_id` is `REMOVED#<owner>`, so it stands on
`user_id-index` in a partition of its own: none of the web app's queries, nor any
listing, ever returns one, and a backup finds a user's tombstones with one Query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from budgetcli.dates import utc_now_iso
from budgetcli.models import CategoryOrigin, CategorySource, Expense
from budgetcli.store import ConditionFailed, Item, Store, TransactionCancelled
from budgetcli.tables.kinds import ItemKind, by_user_id
from budgetcli.tables.schema import EXPENSES, EXPENSES_BY_USER, EXPENSES_BY_USER_AND_DATE

# Tombstones never have a `date`; those written before 0.2 kept the owner's `user_id`.
_OWNED_BY_ME = "user_id = :me AND attribute_exists(#date)"
_TOMBSTONE_PARTITION = "REMOVED#"
_OWNER_NAMES = {"#date": "date"}
# One TransactWriteItems call.
MAX_REMOVALS = 100


def tombstone_partition(user_id: str) -> str:
    """The `user_id` of a user's tombstones: on `user_id-index`, but never a user's id."""
    return f"{_TOMBSTONE_PARTITION}{user_id}"


def tombstone(expense_id: str, owner: str, deleted_at: str) -> dict[str, Any]:
    return {
        "expense_id": expense_id,
        "user_id": tombstone_partition(owner),
        "deleted_by": owner,
        "deleted_at": deleted_at,
    }


def to_item(expense: Expense) -> dict[str, Any]:
    """The seed's expense item; `date` as YYYY-MM-DD, amount as a DynamoDB number."""
    item: dict[str, Any] = {
        "expense_id": expense.expense_id,
        "user_id": expense.user_id,
        "amount": expense.amount,
        "category": expense.category,
        "description": expense.description,
        "date": expense.date.isoformat(),
        "created_at": expense.created_at,
    }
    if expense.receipt_url:
        item["receipt_url"] = expense.receipt_url
    if expense.category_origin is not None:
        item[ORIGIN] = origin_attribute(expense.category_origin)
    return item


# An attribute of budgetcli's own beside the seed's: where the category came from.
ORIGIN = "category_origin"


def origin_attribute(origin: CategoryOrigin) -> dict[str, str]:
    """`{source, category[, rule]}`: the map stored as `category_origin`."""
    attribute = {"source": str(origin.source), "category": origin.category}
    if origin.rule is not None:
        attribute["rule"] = origin.rule
    return attribute


def origin_from(attribute: Any) -> CategoryOrigin | None:
    """The origin in a `category_origin` map; None when there is none or it is unreadable
    (see `Expense.category_source`)."""
    if not isinstance(attribute, dict):
        return None
    try:
        source = CategorySource(str(attribute.get("source")))
    except ValueError:
        return None
    rule = attribute.get("rule")
    return CategoryOrigin(source, str(attribute.get("category") or ""), str(rule) if rule else None)


def from_item(item: Item, user_id: str | None = None) -> Expense:
    """An expense item, budgetcli's or the web app's (whose description may be null).
    `user_id` for items read without it (a projection)."""
    return Expense(
        expense_id=str(item["expense_id"]),
        user_id=str(item["user_id"]) if user_id is None else user_id,
        amount=Decimal(item["amount"]),
        category=str(item.get("category") or ""),
        description=str(item.get("description") or ""),
        date=date.fromisoformat(str(item["date"])),
        created_at=str(item.get("created_at") or ""),
        receipt_url=str(item["receipt_url"]) if item.get("receipt_url") else None,
        category_origin=origin_from(item.get(ORIGIN)),
    )


def put_new(store: Store, expense: Expense) -> bool:
    """Write a new expense; False when its id is taken by another item."""
    item = to_item(expense)
    try:
        store.put(EXPENSES, item, condition="attribute_not_exists(expense_id)")
    except ConditionFailed:
        # botocore retried a put whose first answer was lost: the id is new, so an item
        # with it and our content is that first put, not a clash.
        return store.get(EXPENSES, {"expense_id": expense.expense_id}, consistent=True) == item
    return True


def update_owned(
    store: Store, user_id: str, expense_id: str, changes: dict[str, Any]
) -> Expense | None:
    """Set the given attributes of one of `user_id`'s expenses; None when it is not theirs
    (or does not exist): the owner is checked in the same request as the write."""
    values = {f":{name}": value for name, value in changes.items()} | {":me": user_id}
    try:
        item = store.update(
            EXPENSES,
            {"expense_id": expense_id},
            update="SET " + ", ".join(f"#{name} = :{name}" for name in changes),
            condition=_OWNED_BY_ME,
            names={f"#{name}": name for name in changes} | _OWNER_NAMES,
            values=values,
        )
    except ConditionFailed:
        return None
    return from_item(item)


def remove_owned(store: Store, user_id: str, removals: Sequence[tuple[str, bool]]) -> list[str]:
    """Remove `user_id`'s expenses, all or none: (expense_id, leave_tombstone) pairs.

    Returns the ids that are not the user's (nothing was removed then); [] on success.
    Raises TransactionCancelled when another write got in the way.
    """
    me = {":me": user_id}
    operations = []
    for expense_id, leave_tombstone in removals:
        key = {"expense_id": expense_id}
        if leave_tombstone:
            operations.append(
                store.put_op(
                    EXPENSES,
                    tombstone(expense_id, user_id, utc_now_iso()),
                    condition=_OWNED_BY_ME,
                    names=_OWNER_NAMES,
                    values=me,
                )
            )
        else:
            operations.append(
                store.delete_op(
                    EXPENSES, key, condition=_OWNED_BY_ME, names=_OWNER_NAMES, values=me
                )
            )
    try:
        store.transact_write(operations)
    except TransactionCancelled as cancelled:
        missing = [
            expense_id
            for (expense_id, _), reason in zip(removals, cancelled.reasons, strict=False)
            if reason == "ConditionalCheckFailed"
        ]
        if not missing:
            raise
        return missing
    return []


def query(
    store: Store,
    user_id: str,
    *,
    first: date | None = None,
    last: date | None = None,
    projection: Sequence[str] | None = None,
    newest_first: bool = True,
) -> Iterator[Item]:
    """Raw items of one user's expenses dated `first`..`last` (both inclusive), every page.

    The date range is in the key condition of `user_id-date-index`, so the cost grows
    with the rows in the range, not with the user's history.
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
    return store.query(
        EXPENSES,
        index=EXPENSES_BY_USER_AND_DATE,
        key_condition=key_condition,
        names=names or None,
        values=values,
        projection=projection,
        newest_first=newest_first,
    )


def between(
    store: Store,
    user_id: str,
    *,
    first: date | None = None,
    last: date | None = None,
    newest_first: bool = True,
) -> Iterator[Expense]:
    """One user's expenses in a date range, newest date first by default."""
    for item in query(store, user_id, first=first, last=last, newest_first=newest_first):
        yield from_item(item)


def amounts(
    store: Store,
    user_id: str,
    first: date,
    last: date,
    *,
    categories: bool = True,
    dates: bool = True,
) -> Iterator[tuple[str, str, Decimal]]:
    """(date, category, amount) of each expense dated `first`..`last`, oldest first,
    projecting only what is asked for: a date or category not read is ""."""
    projection = [
        name for name, wanted in (("date", dates), ("category", categories)) if wanted
    ] + ["amount"]
    for item in query(
        store, user_id, first=first, last=last, projection=projection, newest_first=False
    ):
        yield (
            str(item.get("date") or ""),
            str(item.get("category") or ""),
            Decimal(item["amount"]),
        )


# What learning and review read of each expense.
_CATEGORISING = ("expense_id", "amount", "category", "description", "date", ORIGIN)


def for_categories(
    store: Store, user_id: str, first: date, last: date, *, newest_first: bool = False
) -> Iterator[Expense]:
    """One user's expenses dated `first`..`last`, oldest (or newest) first, with only what
    categorising needs (no receipt, no created_at)."""
    for item in query(
        store,
        user_id,
        first=first,
        last=last,
        projection=_CATEGORISING,
        newest_first=newest_first,
    ):
        yield from_item(item, user_id)


def set_category(store: Store, expense: Expense, category: str, origin: CategoryOrigin) -> bool:
    """Give one of its owner's expenses `category`, only if its category and origin are
    still those of `expense` (as read): False when anything changed them since."""
    names = {"#date": "date", "#category": "category", "#origin": ORIGIN}
    values: dict[str, Any] = {
        ":me": expense.user_id,
        ":seen": expense.category,
        ":category": category,
        ":origin": origin_attribute(origin),
    }
    condition = f"{_OWNED_BY_ME} AND #category = :seen AND "
    seen = expense.category_origin
    if seen is None:
        condition += "attribute_not_exists(#origin)"
    else:
        names |= {"#source": "source", "#origin_category": "category"}
        values |= {":seen_source": str(seen.source), ":seen_origin_category": seen.category}
        condition += (
            "#origin.#source = :seen_source AND #origin.#origin_category = :seen_origin_category"
        )
    try:
        store.update(
            EXPENSES,
            {"expense_id": expense.expense_id},
            update="SET #category = :category, #origin = :origin",
            condition=condition,
            names=names,
            values=values,
        )
    except ConditionFailed:
        return False
    return True


def existing_ids(store: Store, ids: Iterable[str], *, owner: str | None = None) -> set[str]:
    """Which of `ids` exist (as an expense or a tombstone), read consistently; with
    `owner`, only those that are that user's."""
    attributes = ["expense_id", "user_id"] if owner else ["expense_id"]
    return {
        str(item["expense_id"])
        for item in store.batch_get(
            EXPENSES, [{"expense_id": i} for i in ids], projection=attributes, consistent=True
        )
        if owner is None or item.get("user_id") == owner
    }


def put_if_absent(store: Store, expenses: Sequence[Expense]) -> int:
    """Write the expenses whose id is not taken; an existing item is never overwritten.
    Returns how many were written."""
    written = store.put_if_absent(
        EXPENSES, [to_item(expense) for expense in expenses], key="expense_id"
    )
    return sum(written)


def upgrade_tombstones(store: Store) -> int:
    """Move tombstones of earlier versions into their owner's tombstone partition: those
    of 0.1 kept the owner's `user_id`, so stood on the seed's "all expenses for a user";
    later ones had no `user_id`, so no Query found them. Returns how many. Idempotent."""
    upgraded = 0
    for old in store.scan(
        EXPENSES,
        filter="attribute_exists(deleted_at) AND attribute_not_exists(#date) "
        "AND NOT begins_with(user_id, :removed)",
        names={"#date": "date"},
        values={":removed": _TOMBSTONE_PARTITION},
    ):
        owner = old.get("deleted_by") or old.get("user_id")
        if not isinstance(owner, str):
            continue
        try:
            store.put(
                EXPENSES,
                tombstone(str(old["expense_id"]), owner, str(old["deleted_at"])),
                condition="attribute_exists(deleted_at) AND attribute_not_exists(#date)",
                names={"#date": "date"},
            )
        except ConditionFailed:
            continue  # no longer a tombstone: leave it
        upgraded += 1
    return upgraded


# --- what a backup holds of an account ----------------------------------------------------


def _expense_owner(item: Item) -> str | None:
    owner = item.get("user_id")
    if isinstance(owner, str) and not owner.startswith(_TOMBSTONE_PARTITION):
        return owner
    return None


def _tombstone_owner(item: Item) -> str | None:
    owner = item.get("deleted_by")
    if isinstance(owner, str) and item.get("user_id") == tombstone_partition(owner):
        return owner
    return None


BACKUP_KINDS = (
    # The seed's "all expenses for a user": also a 0.1 tombstone not yet migrated.
    ItemKind(
        "expense",
        EXPENSES,
        "expense_id",
        owner=_expense_owner,
        items_of=by_user_id(EXPENSES, EXPENSES_BY_USER),
    ),
    ItemKind(
        "tombstone",
        EXPENSES,
        "expense_id",
        owner=_tombstone_owner,
        items_of=by_user_id(EXPENSES, EXPENSES_BY_USER, tombstone_partition),
    ),
)
