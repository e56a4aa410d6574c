"""The `budget` command: one Typer app, one module per command group."""

import sys
from typing import Annotated

import typer

from budgetcli import __version__, output
from budgetcli.cli import (
    accounts,
    alerts,
    backup,
    budgets,
    categories,
    expenses,
    local,
    reports,
    tables,
    transfer,
)
from budgetcli.cli.common import BudgetGroup
from budgetcli.cli.lean_help import import_typer_help

import_typer_help()
app = typer.Typer(
    cls=BudgetGroup,
    name="budget",
    help="Track spending in the terminal, stored in DynamoDB (local or AWS).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"budget {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Track spending in the terminal, stored in DynamoDB (local or AWS).

    Start with `budget init-tables`, then `budget register NAME --email E`.
    """
    ctx.meta["debug"] = debug


# --help lists the panels in the order their first command is registered.
for module in (
    accounts,
    expenses,
    budgets,
    alerts,
    transfer,
    categories,
    reports,
    tables,
    backup,
    local,
):
    module.register(app)


def main() -> None:
    try:
        app()
    finally:
        # After an error line, stdout may still hold output for a reader that has gone.
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            output.forget_stdout()
