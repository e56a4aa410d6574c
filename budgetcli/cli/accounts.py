"""`budget register`, `login`, `logout`, `whoami`."""

import sys
from typing import Annotated

import typer

from budgetcli import config, output
from budgetcli.cli.common import (
    FormatOption,
    Panel,
    add_command,
    current_user,
    open_store,
    saved_session,
    store_location,
)
from budgetcli.errors import AuthError, Field, Interrupted, InvalidInput
from budgetcli.output import OutputFormat
from budgetcli.output.accounts import user_record

PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password as one line from stdin (for scripts) instead of prompting.",
    ),
]


def register(app: typer.Typer) -> None:
    add_command(app, "register", register_account, panel=Panel.ACCOUNT)
    add_command(app, "login", login, panel=Panel.ACCOUNT)
    add_command(app, "logout", logout, panel=Panel.ACCOUNT)
    add_command(app, "whoami", whoami, panel=Panel.ACCOUNT)
    add_command(app, "passwd", change_password, panel=Panel.ACCOUNT)


def read_password(from_stdin: bool, *, confirm: bool, prompt: str = "Password") -> str:
    """From one line of stdin, or a hidden prompt on a terminal; never from argv."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise InvalidInput(Field("password_stdin"), " read no password: pipe it as one line")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise InvalidInput(
            "no terminal to ask for the password: pipe it with ", Field("password_stdin")
        )
    try:
        password: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    except typer.Abort as aborted:
        # click makes Ctrl-C and Ctrl-D alike "Aborted." and exit 1; the cause tells them apart.
        if isinstance(aborted.__context__, KeyboardInterrupt):
            raise Interrupted("stopped at the password prompt: nothing was changed") from None
        raise InvalidInput(
            "no password: the input ended at the prompt (Ctrl-D); nothing was changed"
        ) from None
    return password


def register_account(
    username: Annotated[
        str,
        typer.Argument(help="3-32 of a-z, 0-9, '.', '_' or '-' (any case; stored in lower case)."),
    ],
    email: Annotated[str, typer.Option("--email", help="Where email alerts go.")],
    phone: Annotated[
        str | None, typer.Option("--phone", help="For SMS alerts, in E.164 form: +15551234567.")
    ] = None,
    password_stdin: PasswordStdinOption = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Create an account. The password (10+ characters) is asked twice, hidden.

    Usernames and emails are unique whatever their case.

    Example:  budget register alice --email alice@example.com --phone +15551234567
    """
    from budgetcli.services import accounts

    account = accounts.NewAccount.parse(username, email, phone)  # before asking for a password
    password = read_password(password_stdin, confirm=True)
    user = accounts.register(open_store(), account, password)
    output.note(f"registered {user.username}: now run `budget login {user.username}`")
    output.emit_object(fmt, user_record(user))


def login(
    username: Annotated[str, typer.Argument(help="Your username (any case).")],
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Log in and keep a session for this OS user (30 days unless `session_days` is set).

    Cron jobs and scripts running as the same OS user share the session.

    Example:  budget login alice
    """
    from budgetcli.services import accounts

    password = read_password(password_stdin, confirm=False)
    settings = config.load_settings()
    try:
        previous = saved_session()
    except AuthError:
        previous = None
    store = open_store()
    session = accounts.login(
        store,
        username,
        password,
        days=settings.session_days,
        replacing=previous,
        location=store_location(store),
    )
    path = config.write_session_file(session.to_dict())
    output.note(
        f"logged in as {session.username} until {session.expires_at:%Y-%m-%d %H:%M} UTC "
        f"(session in {path})"
    )
    if previous is not None and previous.store not in (None, session.store):
        output.note(
            f"the session it replaced, for {accounts.describe(previous.store)}, was not "
            f"revoked there: it lasts until {previous.expires_at:%Y-%m-%d}"
        )
    if location := config.remember_location():
        output.note(
            f"cron jobs, which lack XDG_CONFIG_HOME and XDG_DATA_HOME, will use the same "
            f"{config.config_dir()} and {config.data_dir()} (recorded in {location})"
        )


def logout(
    everywhere: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Revoke every session of your account, on every machine, not only this one.",
        ),
    ] = False,
) -> None:
    """Revoke this session in the table and remove the session file.

    The session must belong to the tables this command uses (the settings you logged in
    with); elsewhere nothing is revoked and the file is kept.

    Example:  budget logout --all
    """
    from budgetcli.services import accounts

    try:
        session = saved_session()
    except AuthError as exc:
        removed = config.remove_session_file()
        output.note("removed an unusable session file" if removed else str(exc).split(":")[0])
        return
    store = open_store()
    where = store_location(store)
    if everywhere:
        live = accounts.logout_everywhere(store, session, location=where)
        config.remove_session_file()
        output.note(f"logged out {session.username} everywhere: {_sessions(live)} revoked")
        return
    revoked = accounts.logout(store, session, location=where)
    config.remove_session_file()
    output.note(f"logged out {session.username}" + ("" if revoked else " (the session had ended)"))


def change_password(password_stdin: PasswordStdinOption = False) -> None:
    """Change your password; every other session of your account is revoked.

    Asks for the current password, then the new one twice. With --password-stdin, reads
    two lines: the current password, then the new one.

    Example:  budget passwd
    """
    from budgetcli.services import accounts

    session = saved_session()
    current = read_password(password_stdin, confirm=False, prompt="Current password")
    new = read_password(password_stdin, confirm=True, prompt="New password")
    store = open_store()
    revoked = accounts.change_password(store, session, current, new, location=store_location(store))
    output.note(f"password changed for {session.username}; other sessions revoked: {revoked}")


def _sessions(count: int) -> str:
    return f"{count} session" if count == 1 else f"{count} sessions"


def whoami(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show who is logged in: user id, username and email.

    Example:  budget whoami --format json
    """
    output.emit_object(fmt, user_record(current_user(open_store())))
