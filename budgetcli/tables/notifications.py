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

from budgetcli.models import Alert, DeliveryStatus, Level
from budgetcli.store import ConditionFailed, Item, Store
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
    return {
        "notification_id": alert.notification_id,
        "user_id": alert.user_id,
        "type": alert.level.value,
        "budget_id": alert.budget_id,
        "category": alert.category,
        "month": alert.month,
        "spent": alert.spent,
        "amount": alert.amount,
        "threshold": alert.threshold,
        "message": alert.message,
        "delivery_method": alert.delivery_method,
        "created_at": alert.created_at,
        "delivery_status": alert.delivery_status.value,
        "delivery_error": alert.delivery_error,
        "delivery_attempts": alert.delivery_attempts,
        "delivered_at": alert.delivered_at,
    }


def from_item(item: Item) -> Alert:
    return Alert(
        notification_id=str(item["notification_id"]),
        user_id=str(item["user_id"]),
        budget_id=str(item.get("budget_id", "")),
        category=str(item.get("category", "")),
        month=str(item.get("month", "")),
        level=Level(str(item.get("type", Level.WARNING))),
        spent=Decimal(item.get("spent", 0)),
        amount=Decimal(item.get("amount", 1)),
        threshold=int(item.get("threshold", 0)),
        message=str(item.get("message", "")),
        delivery_method=str(item.get("delivery_method", "")),
        created_at=str(item.get("created_at", "")),
        delivery_status=DeliveryStatus(str(item.get("delivery_status", DeliveryStatus.DELIVERED))),
        delivery_error=str(item["delivery_error"]) if item.get("delivery_error") else None,
        delivery_attempts=int(item.get("delivery_attempts", 0)),
        delivered_at=str(item["delivered_at"]) if item.get("delivered_at") else None,
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
