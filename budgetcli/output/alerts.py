"""Alerts: the lines a run prints, the history table, and the alert object of the contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from budgetcli import output
from budgetcli.models import Alert, Level
from budgetcli.money import cents
from budgetcli.output import Column, OutputFormat, literal

ALERT_COLUMNS = [
    Column("Created", "created_at"),
    Column("Month", "month"),
    Column("Category", "category"),
    Column("Level", "level"),
    Column("Spent", "spent", justify="right"),
    Column("Limit", "amount", justify="right"),
    Column("Used %", "percent", justify="right"),
    Column("Delivery", "delivery_method"),
    Column("Status", "delivery_status"),
    Column("Message", "message"),
    Column("Notification id", "notification_id"),
]
# People get the message's figures in columns; scripts get every field.
HISTORY_COLUMNS = [
    Column("Created (UTC)", "created_at", no_wrap=True),
    Column("Month", "month", no_wrap=True, heading=True),
    Column("Category", "category", heading=True),
    Column("Level", "level", no_wrap=True, heading=True),
    Column("Used %", "percent", justify="right", no_wrap=True),
    Column("Delivery", "delivery", no_wrap=True),
]


def alert_record(alert: Alert) -> dict[str, Any]:
    """The alert object of the contract, with the month and the delivery outcome added."""
    percent = alert.percent
    fields: dict[str, Any] = {
        "notification_id": alert.notification_id,
        "category": alert.category,
        "month": alert.month,
        "level": alert.level,
        "spent": cents(alert.spent) if alert.spent is not None else None,
        "amount": cents(alert.amount) if alert.amount is not None else None,
        "percent": str(percent) if percent is not None else None,
        "message": alert.message,
        "delivery_method": alert.delivery_method,
        "delivery_status": alert.delivery_status,
        "created_at": alert.created_at,
    }
    if alert.delivery_error:
        fields["delivery_error"] = alert.delivery_error
    return fields


def _history_row(alert: Alert) -> dict[str, Any]:
    row = alert_record(alert)
    # "2026-11-05T12:00:00.123456+00:00" -> "2026-11-05 12:00" (UTC)
    row["created_at"] = alert.created_at[:16].replace("T", " ")
    status = alert.delivery_status
    row["delivery"] = alert.delivery_method + ("" if status == "delivered" else f" ({status})")
    return row


def emit_history(fmt: OutputFormat, alerts: Sequence[Alert]) -> None:
    if fmt is not OutputFormat.TABLE:
        output.emit_records(fmt, ALERT_COLUMNS, [alert_record(alert) for alert in alerts])
    elif not alerts:
        output.note("no alerts yet")
    else:
        output.emit_table(HISTORY_COLUMNS, [_history_row(alert) for alert in alerts])


def emit_raised(fmt: OutputFormat, alerts: Sequence[Alert]) -> None:
    """What a run raised: records for scripts; for people one line per alert, readable in
    a terminal and in the mail cron sends, and nothing at all when there is none."""
    if fmt is not OutputFormat.TABLE:
        output.emit_records(fmt, ALERT_COLUMNS, [alert_record(alert) for alert in alerts])
        return
    console = output.stdout_console()
    for alert in alerts:
        line = literal(alert.message)
        line.stylize("bold red" if alert.level == Level.EXCEEDED else "yellow")
        if alert.delivery_method != "console":
            line.append_text(literal(f" ({alert.delivery_method}: {alert.delivery_status})"))
        console.print(line, soft_wrap=True)
