"""`budget init-tables`."""

from typing import Annotated

import typer

from budgetcli import output
from budgetcli.cli.common import FormatOption, Panel, add_command, open_store
from budgetcli.errors import ExitCode
from budgetcli.output import Column, OutputFormat


def register(app: typer.Typer) -> None:
    add_command(app, "init-tables", init_tables, panel=Panel.STORAGE)


def init_tables(
    migrate: Annotated[
        bool,
        typer.Option(
            "--migrate",
            help="Also bring data written by budgetcli before 0.2 to the shapes the web app "
            "reads (safe to run again; reads the expenses and budgets tables whole).",
        ),
    ] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Create the four tables and their indexes, then wait until they are ACTIVE.

    Safe to run again: existing tables are left as they are. A table that exists
    with a different key schema is reported and the command exits 1.

    Example:  budget init-tables --migrate
    """
    from budgetcli.services import setup
    from budgetcli.services.setup import TableOutcome

    store = open_store()
    reports = setup.init_tables(store)
    if migrate and not any(r.outcome is TableOutcome.WRONG_SCHEMA for r in reports):
        reports += setup.migrate(store)
    rows = [{"table": r.table, "status": str(r.outcome), "detail": r.detail} for r in reports]
    columns = [Column("Table", "table"), Column("Status", "status"), Column("Detail", "detail")]
    output.emit_records(fmt, columns, rows, title="DynamoDB tables")
    if any(r.outcome is TableOutcome.WRONG_SCHEMA for r in reports):
        output.error(
            "some tables exist with a different schema: delete them or use another "
            "BUDGET_TABLE_PREFIX, then run `budget init-tables` again"
        )
        raise typer.Exit(ExitCode.ERROR)
