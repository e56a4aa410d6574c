"""What every command shares: the output option and the way to reach storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from budgetcli import config, output
from budgetcli.output import OutputFormat

if TYPE_CHECKING:
    from budgetcli.store import Store

FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="table for people; json or csv for scripts.",
        case_sensitive=False,
    ),
]

STORAGE_PANEL = "Storage"


def open_store() -> Store:
    """A Store for the configured backend, starting the local engine when needed."""
    from budgetcli.store import connect

    return connect(config.load_settings(), on_engine_start=output.note)
