"""What every command shares: the output option and the way to reach storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from budgetcli import config, output
from budgetcli.output import OutputFormat

if TYPE_CHECKING:
    from budgetcli.services.accounts import Session, User
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


def saved_session() -> Session:
    """The session in the session file, or AuthError (exit 3) when there is none."""
    from budgetcli.errors import AuthError
    from budgetcli.services.accounts import Session

    data, mode_fixed = config.read_session_file()
    if mode_fixed:
        output.note(
            f"warning: {config.session_file()} was readable by others; its mode is now 0600"
        )
    if data is None:
        raise AuthError("not logged in: run `budget login USERNAME`")
    return Session.from_dict(data)


def current_user(store: Store) -> User:
    """The logged-in user, verified against the users table; AuthError (exit 3) otherwise."""
    from budgetcli.services.accounts import verify_session

    return verify_session(store, saved_session())
