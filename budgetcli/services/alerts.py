"""Budget alerts that cron can run as often as it likes.

Each (budget, month, level) has one `notification_id`, derived from those four values
(uuid5), and it is written with `attribute_not_exists`: however many runs overlap,
exactly one of them creates the notification, and only that run sends it.

Sending is claimed too. A notification that is being sent has `delivery_status`
"sending" and a `claim` token; it ends "delivered", or "failed" with the reason. A later
run with the same delivery method retries a failed one after claiming it with a
conditional update, so a retry sends once even when runs overlap. A claim left by a run
that died mid-send expires after STALE_CLAIM; only then can that message go out twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from itertools import islice
from typing import Any

from budgetcli.errors import BudgetError, InvalidInput
from budgetcli.parsing import CENT, format_month
from budgetcli.services.budgets import Budget, BudgetStatus, budget_status, percent_of
from budgetcli.services.delivery import Deliverer, DeliveryFailed
from budgetcli.services.tables import NOTIFICATIONS
from budgetcli.store import ConditionFailed, Store

BY_USER_AND_TIME = "user_id-created_at-index"
# Failed deliveries newer than this are retried; older ones are left as failed.
RETRY_WITHIN = timedelta(days=35)
STALE_CLAIM = timedelta(minutes=10)
MAX_HISTORY = 10_000
# Fixed forever: changing it would let every alert already raised fire again.
_NOTIFICATION_NAMESPACE = uuid.UUID("0f6f3f5e-2d0b-4c52-8f43-8d9a8f7b6a10")


class Level(StrEnum):
    WARNING = "warning"
    EXCEEDED = "exceeded"


class DeliveryStatus(StrEnum):
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


def levels_reached(spent: Decimal, amount: Decimal, threshold: int) -> list[Level]:
    """`warning` once spent >= threshold% of amount; `exceeded` once spent > amount.

    Compared exactly: 79.99% is below an 80% threshold, 100% of the limit is not over it.
    """
    levels = []
    if spent * 100 >= amount * threshold:
        levels.append(Level.WARNING)
    if spent > amount:
        levels.append(Level.EXCEEDED)
    return levels


def notification_id_for(user_id: str, budget_id: str, month: str, level: Level) -> str:
    return str(uuid.uuid5(_NOTIFICATION_NAMESPACE, f"{user_id}\n{budget_id}\n{month}\n{level}"))


def _cents(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_EVEN))


def alert_message(budget: Budget, month: str, spent: Decimal, level: Level) -> str:
    percent = percent_of(spent, budget.amount)
    used = f"{_cents(spent)} of {_cents(budget.amount)} spent ({percent}%)"
    if level is Level.EXCEEDED:
        over = _cents(spent - budget.amount)
        return f"Budget exceeded: {budget.category} for {month} is {over} over its limit, {used}."
    return (
        f"Budget warning: {budget.category} for {month} has reached its "
        f"{budget.threshold}% threshold, {used}."
    )


@dataclass(frozen=True)
class Alert:
    """One stored notification: a budget level reached in a month, and its delivery."""

    notification_id: str
    user_id: str
    budget_id: str
    category: str
    month: str
    level: Level
    spent: Decimal
    amount: Decimal
    threshold: int
    message: str
    delivery_method: str
    created_at: str
    delivery_status: DeliveryStatus
    delivery_error: str | None = None
    delivery_attempts: int = 0
    delivered_at: str | None = None

    @property
    def percent(self) -> Decimal:
        return percent_of(self.spent, self.amount)

    @property
    def subject(self) -> str:
        title = "over budget" if self.level is Level.EXCEEDED else "budget warning"
        return f"{self.category} {title} for {self.month} ({self.percent}%)"

    def to_item(self) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "user_id": self.user_id,
            "type": self.level.value,
            "budget_id": self.budget_id,
            "category": self.category,
            "month": self.month,
            "spent": self.spent,
            "amount": self.amount,
            "threshold": self.threshold,
            "message": self.message,
            "delivery_method": self.delivery_method,
            "created_at": self.created_at,
            "delivery_status": self.delivery_status.value,
            "delivery_error": self.delivery_error,
            "delivery_attempts": self.delivery_attempts,
            "delivered_at": self.delivered_at,
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Alert:
        return cls(
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
            delivery_status=DeliveryStatus(
                str(item.get("delivery_status", DeliveryStatus.DELIVERED))
            ),
            delivery_error=str(item["delivery_error"]) if item.get("delivery_error") else None,
            delivery_attempts=int(item.get("delivery_attempts", 0)),
            delivered_at=str(item["delivered_at"]) if item.get("delivered_at") else None,
        )


@dataclass
class AlertRun:
    """What one `budget alerts` run did."""

    raised: list[Alert] = field(default_factory=list)
    """Alerts this run raised (and stored), in budget order, with their delivery outcome."""
    retried: list[Alert] = field(default_factory=list)
    """Earlier alerts whose failed delivery this run retried, with the new outcome."""

    @property
    def failed(self) -> list[Alert]:
        return [a for a in self.raised + self.retried if a.delivery_status is DeliveryStatus.FAILED]


def _now_iso(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat()


def run_alerts(
    store: Store,
    user_id: str,
    first: date,
    last: date,
    deliverer: Deliverer,
    *,
    now: datetime | None = None,
) -> AlertRun:
    """Raise the alerts due for `first`..`last` that were never raised, and deliver them.

    Also retries earlier deliveries by the same method that failed.
    """
    run = AlertRun()
    try:
        _raise_due_alerts(store, user_id, first, last, deliverer, run, now)
    except BudgetError as exc:
        if run.raised or run.retried:
            raise AlertsInterrupted(exc, run) from exc
        raise
    return run


class AlertsInterrupted(BudgetError):
    """Storage failed part-way through a run; `run` holds what was already raised.

    Those alerts are stored, so the next run will not raise them again: they must be
    reported now.
    """

    def __init__(self, cause: BudgetError, run: AlertRun):
        super().__init__(str(cause))
        self.exit_code = cause.exit_code
        self.run = run


def _raise_due_alerts(
    store: Store,
    user_id: str,
    first: date,
    last: date,
    deliverer: Deliverer,
    run: AlertRun,
    now: datetime | None,
) -> None:
    if not deliverer.immediate:
        # Before raising anything new, so that a failure of this run waits for the next.
        run.retried = [
            _deliver(store, deliverer, alert, claim, now)
            for alert, claim in _claim_failed(store, user_id, deliverer, now)
        ]
    month = format_month(first)
    statuses = budget_status(store, user_id, first, last)
    due = [
        (status, level)
        for status in statuses
        for level in levels_reached(status.spent, status.budget.amount, status.budget.threshold)
    ]
    if due:
        # One consistent read tells which alerts already exist, so a quiet hourly run
        # makes no write at all.
        ids = [notification_id_for(user_id, s.budget.budget_id, month, lvl) for s, lvl in due]
        existing = {
            str(item["notification_id"])
            for item in store.batch_get(
                NOTIFICATIONS,
                [{"notification_id": i} for i in ids],
                projection=["notification_id"],
                consistent=True,
            )
        }
        for (status, level), notification_id in zip(due, ids, strict=True):
            if notification_id in existing:
                continue
            raised = _raise(store, deliverer, status, month, level, notification_id, now)
            if raised is not None:
                run.raised.append(_deliver(store, deliverer, *raised, now))


def _raise(
    store: Store,
    deliverer: Deliverer,
    status: BudgetStatus,
    month: str,
    level: Level,
    notification_id: str,
    now: datetime | None,
) -> tuple[Alert, str] | None:
    """Store the alert, claimed for sending, unless another run already stored it."""
    budget = status.budget
    created_at = _now_iso(now)
    alert = Alert(
        notification_id=notification_id,
        user_id=budget.user_id,
        budget_id=budget.budget_id,
        category=budget.category,
        month=month,
        level=level,
        spent=status.spent,
        amount=budget.amount,
        threshold=budget.threshold,
        message=alert_message(budget, month, status.spent, level),
        delivery_method=deliverer.method.value,
        created_at=created_at,
        delivery_status=DeliveryStatus.DELIVERED if deliverer.immediate else DeliveryStatus.SENDING,
        delivery_attempts=1,
        delivered_at=created_at if deliverer.immediate else None,
    )
    claim = _claim_token()
    item = alert.to_item()
    if not deliverer.immediate:
        item.update(claim=claim, claimed_at=created_at)
    try:
        store.put(NOTIFICATIONS, item, condition="attribute_not_exists(notification_id)")
    except ConditionFailed:
        return None
    return alert, claim


def _claim_token() -> str:
    return uuid.uuid4().hex


def _claim_failed(
    store: Store, user_id: str, deliverer: Deliverer, now: datetime | None
) -> list[tuple[Alert, str]]:
    """Claim recent notifications by this method whose delivery failed or was abandoned."""
    moment = now or datetime.now(UTC)
    stale_before = (moment - STALE_CLAIM).isoformat()
    candidates = store.query(
        NOTIFICATIONS,
        index=BY_USER_AND_TIME,
        key_condition="#user = :me AND #created >= :since",
        filter="#method = :method AND (#status = :failed OR "
        "(#status = :sending AND #claimed < :stale))",
        names={
            "#user": "user_id",
            "#created": "created_at",
            "#method": "delivery_method",
            "#status": "delivery_status",
            "#claimed": "claimed_at",
        },
        values={
            ":me": user_id,
            ":since": (moment - RETRY_WITHIN).isoformat(),
            ":method": deliverer.method.value,
            ":failed": DeliveryStatus.FAILED.value,
            ":sending": DeliveryStatus.SENDING.value,
            ":stale": stale_before,
        },
        projection=["notification_id"],
    )
    claimed = []
    for candidate in list(candidates):
        token = _claim_token()
        try:
            item = store.update(
                NOTIFICATIONS,
                {"notification_id": candidate["notification_id"]},
                update="SET #status = :sending, #claim = :token, #claimed = :now "
                "ADD #attempts :one",
                # Checked again on the base table: the index may be behind, and another
                # run may have claimed it since.
                condition="#user = :me AND #method = :method AND (#status = :failed OR "
                "(#status = :sending AND #claimed < :stale))",
                names={
                    "#user": "user_id",
                    "#method": "delivery_method",
                    "#status": "delivery_status",
                    "#claim": "claim",
                    "#claimed": "claimed_at",
                    "#attempts": "delivery_attempts",
                },
                values={
                    ":me": user_id,
                    ":method": deliverer.method.value,
                    ":failed": DeliveryStatus.FAILED.value,
                    ":sending": DeliveryStatus.SENDING.value,
                    ":stale": stale_before,
                    ":token": token,
                    ":now": moment.isoformat(),
                    ":one": 1,
                },
            )
        except ConditionFailed:
            continue
        claimed.append((Alert.from_item(item), token))
    return sorted(claimed, key=lambda pair: pair[0].created_at)


def _deliver(
    store: Store, deliverer: Deliverer, alert: Alert, claim: str, now: datetime | None
) -> Alert:
    """Send an alert this run has claimed, and record the outcome."""
    if deliverer.immediate:
        return alert
    try:
        deliverer.send(alert.subject, alert.message)
    except DeliveryFailed as failure:
        update = "SET #status = :status, #error = :error REMOVE #claim, #delivered"
        values: dict[str, Any] = {":status": DeliveryStatus.FAILED.value, ":error": str(failure)}
    else:
        update = "SET #status = :status, #delivered = :at REMOVE #claim, #error"
        values = {":status": DeliveryStatus.DELIVERED.value, ":at": _now_iso(now)}
    try:
        item = store.update(
            NOTIFICATIONS,
            {"notification_id": alert.notification_id},
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
        # Our claim went stale and another run took over; it records its own outcome.
        return replace(alert, delivery_status=DeliveryStatus.SENDING)
    return Alert.from_item(item)


def alert_history(store: Store, user_id: str, limit: int | None = None) -> list[Alert]:
    """The user's notifications, newest first; at most `limit` of them."""
    if limit is not None and not 1 <= limit <= MAX_HISTORY:
        raise InvalidInput(f"--limit {limit} is out of range: give 1 to {MAX_HISTORY}")
    items = store.query(
        NOTIFICATIONS,
        index=BY_USER_AND_TIME,
        key_condition="#user = :me",
        names={"#user": "user_id"},
        values={":me": user_id},
        newest_first=True,
        page_size=limit,
    )
    return [Alert.from_item(item) for item in islice(items, limit)]
