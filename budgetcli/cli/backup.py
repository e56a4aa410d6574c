"""`budget backup` and `budget restore`."""

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from budgetcli import output
from budgetcli.cli.common import (
    FormatOption,
    Panel,
    add_command,
    current_user,
    open_store,
    option_names,
)
from budgetcli.errors import AuthError, ExitCode, InvalidInput
from budgetcli.output import OutputFormat
from budgetcli.output.progress import ProgressBar

if TYPE_CHECKING:
    from budgetcli.models import User
    from budgetcli.store import Store


def register(app: typer.Typer) -> None:
    add_command(app, "backup", backup, panel=Panel.STORAGE)
    add_command(app, "restore", restore, panel=Panel.STORAGE)


def backup(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE|-", help="The file to write (mode 0600); - writes stdout."),
    ],
) -> None:
    """Write everything your account holds, in every table, to one file.

    Expenses (and removed imports), budgets, alert history with its delivery state,
    import profiles and categorisation rules, and your account itself with its password
    hash, but no session: keep the file private.

    FILE appears only once it is complete. `budget restore` reads it back into any store.

    Example:  budget backup ~/budget-$(date +%F).jsonl
    """
    from budgetcli.output.backup import backup_note
    from budgetcli.services import backup as service

    target: contextlib.AbstractContextManager[BinaryIO]
    if file == "-":
        if sys.stdout.isatty():
            raise InvalidInput(
                "a backup holds your password hash, so it is not shown on a terminal: give "
                "a FILE (created with mode 0600), or pipe stdout to where it should go"
            )
        target = contextlib.nullcontext(sys.stdout.buffer)
    else:
        target = service.files.written_whole(Path(file))
    with target as stream:
        store = open_store()
        user = current_user(store)
        with ProgressBar("backing up", None) as bar:
            summary = service.write_backup(store, user, stream, on_item=bar.update)
    output.note(backup_note(user.username, summary.counts, "stdout" if file == "-" else file))


def _logged_in_here(store: "Store") -> "User | None":
    """The user whose session is valid in this store, if any: a session of another
    store (the laptop's, when restoring into AWS) is not one here."""
    try:
        return current_user(store)
    except AuthError:
        return None


def restore(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(metavar="FILE|-", help="A file written by `budget backup`; - reads stdin."),
    ],
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check the file and report what would be restored."),
    ] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Restore a backup into the current store (local or AWS, any table prefix).

    The whole file is checked first: a file cut short or edited is refused, and nothing
    is written. Then what is missing here is written; an item that is here and differs
    from the backup is kept as it is and reported as a conflict (exit 1). Running it
    again changes nothing.

    An account that does not exist here is restored without logging in; then log in
    with the same password. Into an existing account, log in as that account first.

    Example:  BUDGET_BACKEND=aws budget restore budget-2026-11-27.jsonl
    """
    from budgetcli.output.backup import conflicts_message, emit_restore
    from budgetcli.services import backup as service

    with service.checked_backup(None if file == "-" else Path(file)) as checked:
        store = open_store()
        logged_in = _logged_in_here(store)
        with ProgressBar("restoring", checked.items) as bar:
            summary = service.restore_backup(
                store, checked, logged_in, dry_run=dry_run, on_progress=bar.update
            )
    emit_restore(fmt, summary, option_names(ctx.command))
    if summary.total.conflicts:
        output.error(conflicts_message(summary))
        raise typer.Exit(ExitCode.ERROR)
