"""The `budget` command: one Typer app, one module per command group."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from budgetcli import __version__, output
from budgetcli.cli import accounts, alerts, budgets, expenses, local, reports, tables, transfer
from budgetcli.errors import BudgetError, ExitCode


def _debug_enabled(ctx: typer.Context) -> bool:
    return bool(ctx.meta.get("debug")) or os.environ.get("BUDGET_DEBUG", "") not in ("", "0")


class BudgetGroup(TyperGroup):
    """Turns every domain error into one line on stderr and its exit code."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except BudgetError as exc:
            if _debug_enabled(ctx):
                raise
            output.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            # typer's own usage errors are subclasses of ClickException and handled by it.
            if _debug_enabled(ctx) or _is_click_exception(exc):
                raise
            output.error(
                f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback, "
                "and please report it)"
            )
            raise typer.Exit(ExitCode.ERROR) from None


def _is_click_exception(exc: BaseException) -> bool:
    from typer._click.exceptions import ClickException

    return isinstance(exc, ClickException)


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


# Each group module adds its own commands; the order here is the order in --help.
for group in (accounts, expenses, budgets, alerts, transfer, reports, tables):
    group.register(app)
app.add_typer(local.app, name="local", rich_help_panel="Storage")


def main() -> None:
    app()
