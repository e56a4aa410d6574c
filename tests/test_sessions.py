"""Sessions and passwords on both engines: a session belongs to its tables, `logout --all`
revokes every session, `passwd` changes the password and revokes the others, and a login
upgrades a weak hash.

What is refused before storage is in test_account_input.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import config
from budgetcli.cli import app
from budgetcli.errors import AuthError, ExitCode
from budgetcli.models import User
from budgetcli.services import accounts
from budgetcli.store import Store, connect
from budgetcli.tables.schema import TABLES
from tests.conftest import TEST_SCRYPT
from tests.helpers import PASSWORD, log_in, make_user, table_items, where

NEW_PASSWORD = "a much better passphrase"


def invoke(runner: CliRunner, *args: str, stdin: str | None = None, **env: str) -> Any:
    return runner.invoke(app, list(args), input=stdin, env=env or None)


def session_file() -> dict[str, Any]:
    data = json.loads(config.session_file().read_text())
    assert isinstance(data, dict)
    return data


def user_item(store: Store, username: str) -> dict[str, Any]:
    (item,) = [i for i in table_items(store, "users") if i.get("username") == username]
    return item


@pytest.fixture
def elsewhere(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Tables of another prefix on the same engine, left to it as the `store` fixture's are."""
    monkeypatch.setenv("BUDGET_TABLE_PREFIX", f"{store.prefix}-other")
    other = connect(config.load_settings())
    monkeypatch.setenv("BUDGET_TABLE_PREFIX", store.prefix)
    for spec in TABLES:
        other.create_table(spec)
    return other


# --- a session belongs to its tables --------------------------------------------------


def test_the_session_file_records_its_tables(store: Store, runner: CliRunner) -> None:
    make_user(store, "alice")
    assert invoke(runner, "login", "alice", "--password-stdin", stdin=PASSWORD).exit_code == 0
    assert session_file()["store"] == where(store)
    assert session_file()["store"]["table_prefix"] == store.prefix


def test_other_tables_refuse_the_session_and_revoke_nothing(
    store: Store, alice: User, elsewhere: Store, runner: CliRunner
) -> None:
    saved = config.session_file().read_text()
    for command in (["whoami"], ["logout"], ["logout", "--all"], ["passwd", "--password-stdin"]):
        refused = invoke(
            runner,
            *command,
            stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n",
            BUDGET_TABLE_PREFIX=elsewhere.prefix,
        )
        assert refused.exit_code == ExitCode.AUTH, command
        assert f"the session is for tables {store.prefix}-* " in refused.stderr
        assert f"not tables {elsewhere.prefix}-* " in refused.stderr
        assert config.session_file().read_text() == saved
    assert invoke(runner, "whoami").exit_code == 0  # still valid where it belongs


def legacy_session_file() -> dict[str, Any]:
    """The session file as budgetcli wrote it before it recorded its tables."""
    data = session_file()
    del data["store"]
    config.write_session_file(data)
    return data


def test_a_session_file_of_an_earlier_version_learns_its_tables_where_it_is_valid(
    store: Store, alice: User, runner: CliRunner
) -> None:
    legacy_session_file()
    assert invoke(runner, "whoami").exit_code == 0
    assert session_file()["store"] == where(store)


def test_logout_of_an_earlier_versions_session_elsewhere_revokes_nothing(
    store: Store, alice: User, elsewhere: Store, runner: CliRunner
) -> None:
    legacy = legacy_session_file()
    refused = invoke(runner, "logout", BUDGET_TABLE_PREFIX=elsewhere.prefix)
    assert refused.exit_code == ExitCode.AUTH
    assert "nothing was revoked" in refused.stderr
    assert session_file() == legacy
    assert invoke(runner, "logout").exit_code == 0
    config.write_session_file(legacy)
    assert invoke(runner, "whoami").exit_code == ExitCode.AUTH  # revoked where it was valid


def test_logout_of_a_session_that_had_ended_removes_the_file(
    store: Store, alice: User, runner: CliRunner
) -> None:
    saved = session_file()
    assert invoke(runner, "logout").stderr == "logged out alice\n"
    config.write_session_file(saved)
    again = invoke(runner, "logout")
    assert (again.exit_code, again.stderr) == (0, "logged out alice (the session had ended)\n")
    assert not config.session_file().exists()


def test_logging_in_to_other_tables_says_the_old_session_was_not_revoked(
    store: Store, alice: User, elsewhere: Store, runner: CliRunner
) -> None:
    old = session_file()
    make_user(elsewhere, "alice")
    logged_in = invoke(
        runner,
        "login",
        "alice",
        "--password-stdin",
        stdin=PASSWORD,
        BUDGET_TABLE_PREFIX=elsewhere.prefix,
    )
    assert logged_in.exit_code == 0, logged_in.stderr
    assert (
        f"for tables {store.prefix}-* " in logged_in.stderr
        and "was not revoked" in logged_in.stderr
    )
    config.write_session_file(old)
    assert invoke(runner, "whoami").exit_code == 0


# --- logout --all ---------------------------------------------------------------------


def test_logout_all_revokes_every_session_of_the_account(
    store: Store, alice: User, bob: User, runner: CliRunner
) -> None:
    other_machine = session_file()
    log_in(store, "bob")
    bobs = session_file()
    log_in(store, "alice")  # this machine: a second session of alice
    result = invoke(runner, "logout", "--all")
    assert (result.exit_code, result.stderr) == (
        0,
        "logged out alice everywhere: 2 sessions revoked\n",
    )
    assert not config.session_file().exists()
    assert user_item(store, "alice")["sessions"] == {}
    config.write_session_file(other_machine)
    assert invoke(runner, "whoami").exit_code == ExitCode.AUTH
    config.write_session_file(bobs)
    assert invoke(runner, "whoami").exit_code == 0  # another account is untouched


def test_logout_all_needs_a_valid_session(store: Store, alice: User, runner: CliRunner) -> None:
    saved = session_file()
    assert invoke(runner, "logout").exit_code == 0
    config.write_session_file(saved)
    log_in(store, "alice")
    other = session_file()
    config.write_session_file(saved)
    result = invoke(runner, "logout", "--all")
    assert result.exit_code == ExitCode.AUTH and "no longer valid" in result.stderr
    config.write_session_file(other)
    assert invoke(runner, "whoami").exit_code == 0


# --- passwd ---------------------------------------------------------------------------


def test_passwd_changes_the_password_and_revokes_the_other_sessions(
    store: Store, alice: User, runner: CliRunner
) -> None:
    other_machine = session_file()
    log_in(store, "alice")
    here = session_file()
    result = invoke(runner, "passwd", "--password-stdin", stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n")
    assert (result.exit_code, result.stderr) == (
        0,
        "password changed for alice; other sessions revoked: 1\n",
    )
    assert invoke(runner, "whoami").exit_code == 0  # this session stays
    config.write_session_file(other_machine)
    assert invoke(runner, "whoami").exit_code == ExitCode.AUTH
    with pytest.raises(AuthError, match="wrong username or password"):
        accounts.login(store, "alice", PASSWORD, days=1)
    assert accounts.login(store, "alice", NEW_PASSWORD, days=1).username == "alice"
    assert session_file() != here


def test_passwd_with_a_wrong_current_password_changes_nothing_and_counts(
    store: Store, alice: User, runner: CliRunner
) -> None:
    before = user_item(store, "alice")
    result = invoke(
        runner, "passwd", "--password-stdin", stdin=f"not the password\n{NEW_PASSWORD}\n"
    )
    assert (result.exit_code, result.stderr) == (
        ExitCode.AUTH,
        "error: the current password is wrong\n",
    )
    after = user_item(store, "alice")
    assert after["password_hash"] == before["password_hash"]
    assert after["sessions"] == before["sessions"]
    assert after["failed_logins"] == 1
    assert invoke(runner, "whoami").exit_code == 0


def test_passwd_asks_on_a_terminal(
    store: Store, alice: User, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_accounts import _TerminalSys

    monkeypatch.setattr("budgetcli.cli.accounts.sys", _TerminalSys())
    result = invoke(runner, "passwd", stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.stderr
    assert "Current password" in result.stdout and "New password" in result.stdout
    assert accounts.login(store, "alice", NEW_PASSWORD, days=1)


# --- hashes get stronger --------------------------------------------------------------


def weak_user(store: Store, method: str) -> User:
    from werkzeug.security import generate_password_hash

    user = make_user(store, "alice")
    store.update(
        "users",
        {"user_id": user.user_id},
        update="SET password_hash = :weak",
        values={":weak": generate_password_hash(PASSWORD, method=method)},
    )
    return user


@pytest.mark.parametrize(
    "stored, upgraded",
    [
        ("scrypt:512:8:1", TEST_SCRYPT),  # the suite's stand-in for Werkzeug's default
        ("scrypt:1024:4:1", TEST_SCRYPT),
        ("pbkdf2:sha256:1000", "pbkdf2:sha256:2000"),  # pbkdf2 stays pbkdf2
    ],
)
def test_a_login_upgrades_a_hash_weaker_than_the_default(
    store: Store, monkeypatch: pytest.MonkeyPatch, stored: str, upgraded: str
) -> None:
    import werkzeug.security

    monkeypatch.setattr(werkzeug.security, "DEFAULT_PBKDF2_ITERATIONS", 2000)
    weak_user(store, stored)
    log_in(store, "alice")
    new_hash = str(user_item(store, "alice")["password_hash"])
    assert new_hash.startswith(upgraded + "$")
    # The web app checks passwords with Werkzeug too: it still accepts the password.
    assert werkzeug.security.check_password_hash(new_hash, PASSWORD)
    assert log_in(store, "alice").username == "alice"


@pytest.mark.parametrize("stored", [TEST_SCRYPT, "scrypt:2048:8:1"])
def test_a_hash_as_strong_as_the_default_is_kept(store: Store, stored: str) -> None:
    weak_user(store, stored)
    before = user_item(store, "alice")["password_hash"]
    log_in(store, "alice")
    assert user_item(store, "alice")["password_hash"] == before


def test_a_failed_login_never_touches_the_hash(store: Store) -> None:
    weak_user(store, "scrypt:512:8:1")
    before = user_item(store, "alice")["password_hash"]
    with pytest.raises(AuthError):
        accounts.login(store, "alice", "not the password!", days=1)
    assert user_item(store, "alice")["password_hash"] == before
