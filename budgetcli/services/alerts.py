"""Budget alerts that cron can run as often as it likes.

Each (budget, month, level) has one `notification_id`, derived from those four values
(uuid5), and it is written only if absent: however many runs overlap, exactly one of
them creates the notification, and only that run sends it.

Sending is claimed too (see `tables.notifications`). A later run with the same delivery
method retries a failed send after claiming it, so a retry sends once even when runs
overlap. A claim left by a run that died mid-send expires after STALE_CLAIM; only then
can that message go out twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from budgetcli.dates import Period, format_month
from budgetcli.errors import BudgetError, Field, InvalidInput
from budgetcli.models import Alert, BudgetStatus, DeliveryStatus, Level
from budgetcli.money import cents
from budgetcli.services.budgets import budget_status
from budgetcli.services.delivery import Deliverer, DeliveryFailed
from budgetcli.store import Store
from budgetcli.tables import notifications

# Failed deliveries newer than this are retried; older ones are left as failed.
RETRY_WITHIN = timedelta(days=35)
STALE_CLAIM = timedelta(minutes=10)
MAX_HISTORY = 10_000
# Fixed forever: changing it would let every alert already raised fire again.
_NOTIFICATION_NAMESPACE = uuid.UUID("0f6f3f5e-2d0b-4c52-8f43-8d9a8f7b6a10")


def notification_id_for(user_id: str, budget_id: str, month: str, level: Level) -> str:
    return str(uuid.uuid5(_NOTIFICATION_NAMESPACE, f"{user_id}\n{budget_id}\n{month}\n{level}"))


def alert_message(status: BudgetStatus, month: str, level: Level) -> str:
    budget = status.budget
    used = f"{cents(status.spent)} of {cents(budget.amount)} spent ({status.percent}%)"
    if level is Level.EXCEEDED:
        over = cents(-status.remaining)
        return f"Budget exceeded: {budget.category} for {month} is {over} over its limit, {used}."
    return (
        f"Budget warning: {budget.category} for {month} has reached its "
        f"{budget.threshold}% threshold, {used}."
    )


def due_alerts(user_id: str, statuses: list[BudgetStatus], month: str) -> dict[str, Alert]:
    """Every alert the statuses call for in `month`, by notification id (not yet stored
    or delivered: `delivery_method` and the times are filled in when raised)."""
    due = {}
    for status in statuses:
        for level in status.levels:
            budget = status.budget
            notification_id = notification_id_for(user_id, budget.budget_id, month, level)
            due[notification_id] = Alert(
                notification_id=notification_id,
                user_id=user_id,
                budget_id=budget.budget_id,
                category=budget.category,
                month=month,
                level=level,
                spent=status.spent,
                amount=budget.amount,
                threshold=budget.threshold,
                message=alert_message(status, month, level),
                delivery_method="",
                created_at="",
                delivery_status=DeliveryStatus.SENDING,
            )
    return due


@dataclass
class AlertRun:
    """What one `budget alerts` run did."""

    raised: list[Alert] = field(default_factory=list)
    """Alerts this run raised (and stored), in budget order, with their delivery outcome."""
    retried: list[Alert] = field(default_factory=list)
    """Earlier alerts whose failed delivery this run retried, with the new outcome."""

    @property
    def failed(self) -> list[Alert]:
        return [a for a in self.raised + self.retried if a.delivery_status == DeliveryStatus.FAILED]


class AlertsInterrupted(BudgetError):
    """Storage failed part-way through a run; `run` holds what was already raised.

    Those alerts are stored, so the next run will not raise them again: they must be
    reported now.
    """

    def __init__(self, cause: BudgetError, run: AlertRun):
        super().__init__(*cause.parts)
        self.exit_code = cause.exit_code
        self.run = run


def run_alerts(
    store: Store,
    user_id: str,
    period: Period,
    deliverer: Deliverer,
    *,
    now: datetime | None = None,
) -> AlertRun:
    """Raise the alerts due for `period` that were never raised, and deliver them.

    Also retries earlier deliveries by the same method that failed.
    """
    run = AlertRun()
    try:
        _raise_due_alerts(store, user_id, period, deliverer, run, now)
    except BudgetError as exc:
        if run.raised or run.retried:
            raise AlertsInterrupted(exc, run) from exc
        raise
    return run


def _raise_due_alerts(
    store: Store,
    user_id: str,
    period: Period,
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
    due = due_alerts(user_id, budget_status(store, user_id, period), format_month(period.first))
    if not due:
        return
    # One consistent read tells which alerts already exist, so a quiet hourly run makes
    # no write at all.
    existing = notifications.existing_ids(store, due)
    for notification_id, alert in due.items():
        if notification_id in existing:
            continue
        created_at = _now_iso(now)
        stored = replace(
            alert,
            delivery_method=deliverer.method.value,
            created_at=created_at,
            delivery_status=DeliveryStatus.DELIVERED
            if deliverer.immediate
            else alert.delivery_status,
            delivery_attempts=1,
            delivered_at=created_at if deliverer.immediate else None,
        )
        claim = None if deliverer.immediate else uuid.uuid4().hex
        if notifications.create(store, stored, claim=claim):
            run.raised.append(_deliver(store, deliverer, stored, claim, now))


def _now_iso(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat()


def _claim_failed(
    store: Store, user_id: str, deliverer: Deliverer, now: datetime | None
) -> list[tuple[Alert, str]]:
    """Claim recent notifications by this method whose delivery failed or was abandoned."""
    moment = now or datetime.now(UTC)
    stale_before = (moment - STALE_CLAIM).isoformat()
    method = deliverer.method.value
    claimed = []
    for notification_id in notifications.retryable_ids(
        store,
        user_id,
        method,
        since=(moment - RETRY_WITHIN).isoformat(),
        stale_before=stale_before,
    ):
        token = uuid.uuid4().hex
        alert = notifications.claim(
            store,
            notification_id,
            user_id,
            method,
            token=token,
            now=moment.isoformat(),
            stale_before=stale_before,
        )
        if alert is not None:
            claimed.append((alert, token))
    return sorted(claimed, key=lambda pair: pair[0].created_at)


def _deliver(
    store: Store, deliverer: Deliverer, alert: Alert, claim: str | None, now: datetime | None
) -> Alert:
    """Send an alert this run has claimed, and record the outcome."""
    if deliverer.immediate or claim is None:
        return alert
    try:
        deliverer.send(alert.subject, alert.message)
    except DeliveryFailed as failure:
        recorded = notifications.record_delivery(
            store, alert.notification_id, claim=claim, delivered_at=None, error=str(failure)
        )
    else:
        recorded = notifications.record_delivery(
            store, alert.notification_id, claim=claim, delivered_at=_now_iso(now), error=None
        )
    # None: our claim went stale and another run took over; it records its own outcome.
    return recorded or replace(alert, delivery_status=DeliveryStatus.SENDING)


def alert_history(store: Store, user_id: str, limit: int | None = None) -> list[Alert]:
    """The user's notifications, newest first; at most `limit` of them."""
    if limit is not None and not 1 <= limit <= MAX_HISTORY:
        raise InvalidInput(Field("limit"), f" {limit} is out of range: give 1 to {MAX_HISTORY}")
    return notifications.newest(store, user_id, limit)
