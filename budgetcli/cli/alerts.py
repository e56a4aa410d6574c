"""`budget alerts` (safe to run from cron) and `budget alerts history`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from budgetcli import config, output
from budgetcli.cli.common import FormatOption, current_user, open_store
from budgetcli.errors import ExitCode
from budgetcli.output import Column, OutputFormat

if TYPE_CHECKING:
    from budgetcli.services.alerts import Alert, AlertRun

PANEL = "Budgets"


app = typer.Typer()


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="alerts", rich_help_panel=PANEL)


_COLUMNS = [
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
_TABLE_COLUMNS = [
    Column("Created (UTC)", "created_at", no_wrap=True),
    Column("Month", "month", no_wrap=True),
    Column("Category", "category"),
    Column("Level", "level", no_wrap=True),
    Column("Used %", "percent", justify="right", no_wrap=True),
    Column("Delivery", "delivery"),
]


@app.callback(invoke_without_command=True)
def alerts(
    ctx: typer.Context,
    month: Annotated[
        str | None,
        typer.Option(
            "--month", "-m", help="The month as YYYY-MM (default: this month).", show_default=False
        ),
    ] = None,
    deliver: Annotated[
        str,
        typer.Option(
            "--deliver",
            "-d",
            help="console prints; email sends by Amazon SES (needs BUDGET_SES_SENDER); "
            "sms sends by Amazon SNS to your phone number.",
            metavar="console|email|sms",
        ),
    ] = "console",
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when this run raised an alert.")
    ] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Raise the budget alerts due: a warning at the threshold, exceeded over the limit.

    Each level fires once per budget and month, however often cron runs it.
    With nothing new it prints nothing, so cron mails nothing.
    Every alert is stored: see `budget alerts history`.
    A failed email or SMS is kept, and the next run retries it.

    Example:  budget alerts --deliver email --exit-code
    """
    if ctx.invoked_subcommand is not None:
        return
    from budgetcli.parsing import parse_month
    from budgetcli.services import alerts as service
    from budgetcli.services.delivery import DeliveryMethod, deliverer_for

    method = _delivery_method(deliver)
    first, last = parse_month(month) if month else _this_month()
    settings = config.load_settings()
    store = open_store()
    user = current_user(store)
    deliverer = deliverer_for(DeliveryMethod(method), user, settings)
    try:
        run = service.run_alerts(store, user.user_id, first, last, deliverer)
    except service.AlertsInterrupted as interrupted:
        _emit_run(fmt, interrupted.run)  # stored, so no later run would show them
        raise
    _emit_run(fmt, run)
    if run.retried:
        delivered = sum(1 for a in run.retried if a not in run.failed)
        if delivered:
            output.note(f"delivered {_count(delivered)} by {method} that had failed before")
    if run.failed:
        reason = run.failed[-1].delivery_error or "unknown reason"
        output.error(
            f"could not send {_count(len(run.failed))} by {method} ({reason}); "
            f"kept, and the next `budget alerts --deliver {method}` retries"
        )
        raise typer.Exit(ExitCode.ERROR)
    if exit_code and run.raised:
        raise typer.Exit(ExitCode.ERROR)


@app.command("history")
def history(
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, help="Show only the newest N.", show_default=False),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show the alerts raised so far, newest first, with how each was delivered.

    Example:  budget alerts history --limit 10
    """
    from budgetcli.services import alerts as service

    store = open_store()
    user = current_user(store)
    found = service.alert_history(store, user.user_id, limit)
    if fmt is not OutputFormat.TABLE:
        output.emit_records(fmt, _COLUMNS, [alert_json(alert) for alert in found])
    elif not found:
        output.note("no alerts yet")
    else:
        output.emit_table(_TABLE_COLUMNS, [_table_row(alert) for alert in found])


def _table_row(alert: Alert) -> dict[str, Any]:
    row = alert_json(alert)
    # "2026-11-05T12:00:00.123456+00:00" -> "2026-11-05 12:00" (UTC)
    row["created_at"] = alert.created_at[:16].replace("T", " ")
    status = alert.delivery_status.value
    row["delivery"] = alert.delivery_method + ("" if status == "delivered" else f" ({status})")
    return row


def alert_json(alert: Alert) -> dict[str, Any]:
    """The JSON object of CLI.md, with the month and the delivery outcome added."""
    fields: dict[str, Any] = {
        "notification_id": alert.notification_id,
        "category": alert.category,
        "month": alert.month,
        "level": alert.level.value,
        "spent": output.money(alert.spent),
        "amount": output.money(alert.amount),
        "percent": str(alert.percent),
        "message": alert.message,
        "delivery_method": alert.delivery_method,
        "delivery_status": alert.delivery_status.value,
        "created_at": alert.created_at,
    }
    if alert.delivery_error:
        fields["delivery_error"] = alert.delivery_error
    return fields


def _emit_run(fmt: OutputFormat, run: AlertRun) -> None:
    if fmt is not OutputFormat.TABLE:
        output.emit_records(fmt, _COLUMNS, [alert_json(alert) for alert in run.raised])
        return
    # One line per alert: readable in a terminal and in the mail cron sends.
    from rich.markup import escape

    from budgetcli.services.alerts import Level

    console = output.stdout_console()
    for alert in run.raised:
        style = "bold red" if alert.level is Level.EXCEEDED else "yellow"
        line = f"[{style}]{escape(alert.message)}[/{style}]"
        if alert.delivery_method != "console":
            line += f" ({alert.delivery_method}: {alert.delivery_status.value})"
        console.print(line, soft_wrap=True)


def _delivery_method(text: str) -> str:
    from budgetcli.errors import InvalidInput
    from budgetcli.services.delivery import DeliveryMethod

    method = text.strip().lower()
    if method not in {m.value for m in DeliveryMethod}:
        raise InvalidInput(f"--deliver {text!r} is not known: use console, email or sms")
    return method


def _count(n: int) -> str:
    return f"{n} alert" if n == 1 else f"{n} alerts"


def _this_month() -> tuple[date, date]:
    from budgetcli.parsing import month_end

    first = date.today().replace(day=1)
    return first, month_end(first)
