"""What every command shares: its class, the shared options, and the way to reach storage."""

import os
import shutil
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer._click.core import Command, Context
from typer._click.exceptions import ClickException, UsageError
from typer._click.formatting import HelpFormatter
from typer.core import TyperCommand, TyperGroup, TyperOption

from budgetcli import config, output
from budgetcli.errors import AuthError, BudgetError, ExitCode
from budgetcli.output import OutputFormat

if TYPE_CHECKING:
    from budgetcli.models import User
    from budgetcli.services.accounts import Session
    from budgetcli.store import Store


def option_names(command: Command) -> dict[str, str]:
    """The options of a command by the names of their parameters: {"first": "--from"}."""
    return {
        param.name: max(param.opts, key=len)
        for param in command.params
        if isinstance(param, TyperOption) and param.name is not None
    }


def _debug_enabled(ctx: Context) -> bool:
    root = ctx.find_root()
    return bool(root.meta.get("debug")) or os.environ.get("BUDGET_DEBUG", "") not in ("", "0")


def _usage_error(exc: UsageError) -> NoReturn:
    """Click's usage errors as one line, like every other error: cron mails no box art."""
    command_path = exc.ctx.command_path if exc.ctx is not None else "budget"
    output.error(f"{exc.format_message()} (see `{command_path} --help`)")
    raise typer.Exit(ExitCode.USAGE)


def _run(command: Command, ctx: Context, invoke: Callable[[], Any]) -> Any:
    """Run a command; a domain error becomes one line naming its options, and its exit code.

    A reader of stdout that went away (`budget list | head -1`) ends the command quietly
    with exit 141, as it ends cat or grep.
    """
    try:
        result = invoke()
        sys.stdout.flush()  # a closed pipe shows here, not in Python's flush at exit
        return result
    except BrokenPipeError:
        output.forget_stdout()
        raise typer.Exit(ExitCode.BROKEN_PIPE) from None
    except BudgetError as exc:
        if _debug_enabled(ctx):
            raise
        output.error(exc.render(option_names(command)))
        raise typer.Exit(exc.exit_code) from None
    except UsageError as exc:
        _usage_error(exc)
    except (typer.Exit, typer.Abort, ClickException):
        raise
    except KeyboardInterrupt:
        if _debug_enabled(ctx):
            raise
        output.error("interrupted")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except Exception as exc:
        if _debug_enabled(ctx):
            raise
        output.error(
            f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback, "
            "and please report it)"
        )
        raise typer.Exit(ExitCode.ERROR) from None


# Below this width Rich's help tables cut option help short with "…"; plain text wraps.
NARROW_HELP_COLUMNS = 60


class _NarrowHelpFormatter(HelpFormatter):
    """Click's plain help at any width: click itself would not go below 50 columns, and
    puts an option's help beside names up to 30 columns wide, leaving it 10."""

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl(rows, col_max=min(col_max, self.width // 3), col_spacing=col_spacing)


def _narrow_help(command: Command, ctx: Context, formatter: HelpFormatter) -> bool:
    """Write `command`'s help as plain wrapped text when the terminal is narrow."""
    columns = shutil.get_terminal_size().columns
    if columns >= NARROW_HELP_COLUMNS:
        return False
    narrow = _NarrowHelpFormatter(width=max(columns - 2, 20))
    Command.format_help(command, ctx, narrow)
    formatter.write(narrow.getvalue())
    return True


class _OneLineErrors(Command):
    """What commands and groups share: errors said in one line with the command's own
    option names (see errors.Field), and help that fits a narrow terminal."""

    def invoke(self, ctx: Context) -> Any:
        return _run(self, ctx, lambda: super(_OneLineErrors, self).invoke(ctx))

    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as exc:
            _usage_error(exc)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        if not _narrow_help(self, ctx, formatter):
            super().format_help(ctx, formatter)


class BudgetCommand(_OneLineErrors, TyperCommand):
    """A command whose errors are said with its own option names (see errors.Field)."""


class Panel(StrEnum):
    """The groups of commands in `budget --help`, in the order they are shown."""

    ACCOUNT = "Account"
    EXPENSES = "Expenses"
    BUDGETS = "Budgets"
    TRANSFER = "Import and export"
    CATEGORIES = "Categories"
    REPORTS = "Reports"
    STORAGE = "Storage"


class BudgetGroup(_OneLineErrors, TyperGroup):
    """A group whose callback's errors are said with its option names, like a command's."""

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        """A command may lead to groups of its own (`budget import profiles list`): a
        first argument naming one of its `nested_groups()` runs that group instead."""
        name, command, rest = super().resolve_command(ctx, args)
        nested = getattr(command, "nested_groups", None)
        if name is not None and rest and callable(nested):
            groups: dict[str, Command] = nested()
            if rest[0] in groups:
                return f"{name} {rest[0]}", groups[rest[0]], rest[1:]
        return name, command, rest

    def list_commands(self, ctx: Context) -> list[str]:
        """Commands by panel, in Panel's order; Typer alone would put every group last."""
        order = list(Panel)

        def rank(name: str) -> int:
            panel = getattr(self.commands[name], "rich_help_panel", None)
            return order.index(panel) if panel in order else len(order)

        return sorted(super().list_commands(ctx), key=rank)


def add_command(
    app: typer.Typer,
    name: str,
    function: Callable[..., Any],
    *,
    panel: Panel | None = None,
    **settings: Any,
) -> None:
    """Register `function` as the command `name` of `app`, in the --help panel `panel`."""
    if panel is not None:
        settings["rich_help_panel"] = panel
    settings.setdefault("cls", BudgetCommand)
    app.command(name, **settings)(function)


def group(**settings: Any) -> typer.Typer:
    """A command group such as `budget budget` or `budget local`."""
    settings.setdefault("no_args_is_help", True)
    return typer.Typer(cls=BudgetGroup, **settings)


FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="table for people; json or csv for scripts.",
        case_sensitive=False,
    ),
]
FromOption = Annotated[
    str | None,
    typer.Option("--from", metavar="D", help="First date, inclusive.", show_default=False),
]
ToOption = Annotated[
    str | None,
    typer.Option("--to", metavar="D", help="Last date, inclusive.", show_default=False),
]
MonthOption = Annotated[
    str | None,
    typer.Option(
        "--month", "-m", metavar="YYYY-MM", help="A whole month, like 2026-11.", show_default=False
    ),
]
ExcelSafeOption = Annotated[
    bool,
    typer.Option(
        "--excel-safe",
        help="For spreadsheets: put a ' before cells starting with = + - @ (formulas), "
        "which `budget import` takes off again.",
    ),
]


def open_store() -> "Store":
    """A Store for the configured backend. It connects (and starts the local engine)
    only when the first request is made, so that bad input never starts anything."""
    from budgetcli.store import connect

    return connect(config.load_settings(), on_engine_start=output.terminal_note)


def saved_session() -> "Session":
    """The session in the session file, or AuthError (exit 3) when there is none."""
    from budgetcli.services.accounts import Session

    data, mode_fixed = config.read_session_file()
    if mode_fixed:
        output.note(
            f"warning: {config.session_file()} was readable by others; its mode is now 0600"
        )
    if data is None:
        raise AuthError("not logged in: run `budget login USERNAME`")
    return Session.from_dict(data)


def store_location(store: "Store") -> dict[str, str]:
    """Which tables `store` reaches, as the session file records them."""
    from budgetcli.store import location

    return location(config.load_settings(), store)


def current_user(store: "Store") -> "User":
    """The logged-in user, verified against the users table; AuthError (exit 3) otherwise.

    A session file of an earlier version, which does not say which tables it is for,
    learns them where its token is valid (its hash is in those tables only).
    """
    from dataclasses import replace

    from budgetcli.services.accounts import verify_session

    session = saved_session()
    where = store_location(store)
    user = verify_session(store, session, location=where)
    if session.store is None:
        config.write_session_file(replace(session, store=where).to_dict())
    return user
