"""`budget alerts` (safe to run from cron) and `budget alerts history`."""

from datetime import date
from typing import Annotated

import typer
from typer._click.core import Context, ParameterSource

from budgetcli import config, output, parsing
from budgetcli.cli.common import FormatOption, Panel, add_command, current_user, group, open_store
from budgetcli.dates import Period
from budgetcli.errors import BadUsage, ExitCode, Field
from budgetcli.models import DeliveryMethod
from budgetcli.output import OutputFormat
from budgetcli.output.alerts import emit_history, emit_raised

app = group(invoke_without_command=True, no_args_is_help=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="alerts", rich_help_panel=Panel.BUDGETS)


@app.callback()
def alerts(
    ctx: typer.Context,
    month: Annotated[
        str | None,
        typer.Option(
            "--month",
            "-m",
            metavar="YYYY-MM",
            help="The month, like 2026-11 (default: this month).",
            show_default=False,
        ),
    ] = None,
    method: Annotated[
        DeliveryMethod,
        typer.Option(
            "--deliver",
            "-d",
            case_sensitive=False,
            help="console prints; email sends by Amazon SES (needs BUDGET_SES_SENDER); "
            "sms sends by Amazon SNS to your phone number.",
        ),
    ] = DeliveryMethod.CONSOLE,
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
        _only_format_for(ctx)
        return
    from budgetcli.services import alerts as service
    from budgetcli.services.delivery import deliverer_for

    period = parsing.parse_month(month) if month else Period.month_of(date.today())
    settings = config.load_settings()
    store = open_store()
    user = current_user(store)
    deliverer = deliverer_for(method, user, settings)
    try:
        run = service.run_alerts(store, user.user_id, period, deliverer)
    except service.AlertsInterrupted as interrupted:
        emit_raised(fmt, interrupted.run.raised)  # stored, so no later run would show them
        raise
    emit_raised(fmt, run.raised)
    if run.retried:
        delivered = sum(1 for a in run.retried if a not in run.failed)
        if delivered:
            output.terminal_note(
                f"delivered {_count(delivered)} by {method} that had failed before"
            )
    if run.failed:
        reason = run.failed[-1].delivery_error or "unknown reason"
        output.error(
            f"could not send {_count(len(run.failed))} by {method} ({reason}); "
            f"kept, and the next `budget alerts --deliver {method}` retries"
        )
        raise typer.Exit(ExitCode.ERROR)
    if exit_code and run.raised:
        raise typer.Exit(ExitCode.ERROR)


def _given(ctx: Context, name: str) -> bool:
    return ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE


def _only_format_for(ctx: typer.Context) -> None:
    """Before a subcommand, the group takes --format (for the subcommand) and nothing else:
    `alerts --deliver email history` must not look as if it did something."""
    for name in ("month", "method", "exit_code"):
        if _given(ctx, name):
            raise BadUsage(
                Field(name),
                f" is for `budget alerts` itself, not `budget alerts {ctx.invoked_subcommand}`",
            )


def history(
    ctx: typer.Context,
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

    fmt = _format_with_group(ctx, fmt)
    store = open_store()
    emit_history(fmt, service.alert_history(store, current_user(store).user_id, limit))


def _format_with_group(ctx: typer.Context, fmt: OutputFormat) -> OutputFormat:
    """`alerts --format json history` means `alerts history --format json`."""
    group = ctx.parent
    if group is None or not _given(group, "fmt"):
        return fmt
    chosen = OutputFormat(group.params["fmt"])
    if _given(ctx, "fmt") and fmt is not chosen:
        raise BadUsage(f"--format is given twice, as {chosen} and {fmt}: give it once")
    return chosen


def _count(n: int) -> str:
    return f"{n} alert" if n == 1 else f"{n} alerts"


add_command(app, "history", history)
