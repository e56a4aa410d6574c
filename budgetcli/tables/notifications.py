"""The notifications table: stored alerts, and the claims that make each send happen once.

A notification that is being sent has `delivery_status` "sending" and a `claim` token;
it ends "delivered", or "failed" with the reason. Every change of a claimed notification
is conditional on the claim, so two runs never both send it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from itertools import islice
from typing import Any

from budgetcli.models import Alert, DeliveryStatus
from budgetcli.store import ConditionFailed, Item, Store
from budgetcli.tables.kinds import ItemKind, by_user_id, user_id_owner
from budgetcli.tables.schema import NOTIFICATIONS, NOTIFICATIONS_BY_USER_AND_TIME

_RETRYABLE = (
    "#method = :method AND (#status = :failed OR (#status = :sending AND #claimed < :stale))"
)
_RETRYABLE_NAMES = {
    "#method": "delivery_method",
    "#status": "delivery_status",
    "#claimed": "claimed_at",
}


def to_item(alert: Alert) -> dict[str, Any]:
    """The seed's six attributes, then what budgetcli adds for the budget and the delivery."""
    return {
        "notification_id": alert.notification_id,
        "user_id": alert.user_id,
        "type": str(alert.level),
        "message": alert.message,
        "delivery_method": alert.delivery_method,
        "created_at": alert.created_at,
        "budget_id": alert.budget_id,
        "category": alert.category,
        "month": alert.month,
        "spent": alert.spent,
        "amount": alert.amount,
        "threshold": alert.threshold,
        "delivery_status": str(alert.delivery_status),
        "delivery_error": alert.delivery_error,
        "delivery_attempts": alert.delivery_attempts,
        "delivered_at": alert.delivered_at,
    }


def from_item(item: Item) -> Alert:
    """Any notification, budgetcli's or another client's: what is missing stays empty."""

    def text(name: str, default: str = "") -> str:
        value = item.get(name)
        return default if value is None else str(value)

    def number(name: str) -> Decimal | None:
        value = item.get(name)
        return Decimal(value) if isinstance(value, Decimal | int) else None

    threshold = number("threshold")
    return Alert(
        notification_id=text("notification_id"),
        user_id=text("user_id"),
        level=text("type"),
        message=text("message"),
        delivery_method=text("delivery_method"),
        created_at=text("created_at"),
        delivery_status=text("delivery_status", DeliveryStatus.DELIVERED),
        budget_id=text("budget_id"),
        category=text("category"),
        month=text("month"),
        spent=number("spent"),
        amount=number("amount"),
        threshold=int(threshold) if threshold is not None else None,
        delivery_error=text("delivery_error") or None,
        delivery_attempts=int(number("delivery_attempts") or 0),
        delivered_at=text("delivered_at") or None,
    )


def existing_ids(store: Store, ids: Iterable[str]) -> set[str]:
    """Which of `ids` are stored, read consistently."""
    return {
        str(item["notification_id"])
        for item in store.batch_get(
            NOTIFICATIONS,
            [{"notification_id": i} for i in ids],
            projection=["notification_id"],
            consistent=True,
        )
    }


def create(store: Store, alert: Alert, *, claim: str | None = None) -> bool:
    """Store a new alert, claimed for sending when `claim` is given; False when another
    run stored it first."""
    item = to_item(alert)
    if claim is not None:
        item.update(claim=claim, claimed_at=alert.created_at)
    try:
        store.put(NOTIFICATIONS, item, condition="attribute_not_exists(notification_id)")
    except ConditionFailed:
        return False
    return True


def retryable_ids(
    store: Store, user_id: str, method: str, *, since: str, stale_before: str
) -> list[str]:
    """Ids of the user's alerts since `since`, sent by `method`, whose delivery failed or
    whose claim is older than `stale_before` (a run that died mid-send)."""
    candidates = store.query(
        NOTIFICATIONS,
        index=NOTIFICATIONS_BY_USER_AND_TIME,
        key_condition="#user = :me AND #created >= :since",
        filter=_RETRYABLE,
        names={"#user": "user_id", "#created": "created_at"} | _RETRYABLE_NAMES,
        values=_retryable_values(method, stale_before) | {":me": user_id, ":since": since},
        projection=["notification_id"],
    )
    return [str(item["notification_id"]) for item in candidates]


def claim(
    store: Store,
    notification_id: str,
    user_id: str,
    method: str,
    *,
    token: str,
    now: str,
    stale_before: str,
) -> Alert | None:
    """Claim a failed or abandoned alert for sending again; None when it is no longer
    retryable (another run claimed it, or it was sent)."""
    try:
        item = store.update(
            NOTIFICATIONS,
            {"notification_id": notification_id},
            update="SET #status = :sending, #claim = :token, #claimed = :now ADD #attempts :one",
            # Checked again on the base table: the index may be behind, and another run
            # may have claimed it since.
            condition=f"#user = :me AND {_RETRYABLE}",
            names=_RETRYABLE_NAMES
            | {"#user": "user_id", "#claim": "claim", "#attempts": "delivery_attempts"},
            values=_retryable_values(method, stale_before)
            | {":me": user_id, ":token": token, ":now": now, ":one": 1},
        )
    except ConditionFailed:
        return None
    return from_item(item)


def _retryable_values(method: str, stale_before: str) -> dict[str, Any]:
    return {
        ":method": method,
        ":failed": DeliveryStatus.FAILED.value,
        ":sending": DeliveryStatus.SENDING.value,
        ":stale": stale_before,
    }


def record_delivery(
    store: Store, notification_id: str, *, claim: str, delivered_at: str | None, error: str | None
) -> Alert | None:
    """Record how a claimed send went (delivered at a time, or failed with an error);
    None when the claim was lost to another run, which records its own outcome."""
    if error is None:
        update = "SET #status = :status, #delivered = :at REMOVE #claim, #error"
        values: dict[str, Any] = {":status": DeliveryStatus.DELIVERED.value, ":at": delivered_at}
    else:
        update = "SET #status = :status, #error = :error REMOVE #claim, #delivered"
        values = {":status": DeliveryStatus.FAILED.value, ":error": error}
    try:
        item = store.update(
            NOTIFICATIONS,
            {"notification_id": notification_id},
            update=update,
            condition="#claim = :token",
            names={
                "#status": "delivery_status",
                "#error": "delivery_error",
                "#claim": "claim",
                "#delivered": "delivered_at",
            },
            values={**values, ":token": claim},
        )
    except ConditionFailed:
        return None
    return from_item(item)


def newest(store: Store, user_id: str, limit: int | None = None) -> list[Alert]:
    """The user's notifications, newest first; at most `limit` of them."""
    items = store.query(
        NOTIFICATIONS,
        index=NOTIFICATIONS_BY_USER_AND_TIME,
        key_condition="#user = :me",
        names={"#user": "user_id"},
        values={":me": user_id},
        newest_first=True,
        page_size=limit,
    )
    return [from_item(item) for item in islice(items, limit)]


# --- what a backup holds of an account ----------------------------------------------------


# Every notification, with its delivery state: a restored store must not raise again
# what was raised, nor send again what was sent.
BACKUP_KINDS = (
    ItemKind(
        "notification",
        NOTIFICATIONS,
        "notification_id",
        owner=user_id_owner,
        items_of=by_user_id(NOTIFICATIONS, NOTIFICATIONS_BY_USER_AND_TIME),
    ),
)
