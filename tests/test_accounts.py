"""Accounts and sessions on both engines: uniqueness, lockout, unforgeable sessions.

Input and session files refused before storage are tested without an engine in
test_account_input.py.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import config
from budgetcli.cli import app
from budgetcli.errors import AuthError, Conflict, ExitCode
from budgetcli.models import User
from budgetcli.services import accounts
from budgetcli.services.accounts import MAX_FAILED_LOGINS
from budgetcli.store import Store
from tests.helpers import PASSWORD, log_in, make_user, run_in_threads, table_items


def all_user_items(store: Store) -> list[dict[str, Any]]:
    return table_items(store, "users")


def accounts_named(store: Store, username: str) -> list[dict[str, Any]]:
    return [item for item in all_user_items(store) if item.get("username") == username]


def invoke(runner: CliRunner, args: list[str], stdin: str | None = None) -> Any:
    return runner.invoke(app, args, input=stdin)


# --- register -----------------------------------------------------------------


def test_register_login_whoami_logout_round_trip(store: Store, runner: CliRunner) -> None:
    registered = invoke(
        runner,
        ["register", "Alice", "--email", "Alice@Example.com", "--password-stdin", "-f", "json"],
        f"{PASSWORD}\n",
    )
    assert registered.exit_code == 0, registered.stderr
    user = json.loads(registered.stdout)
    assert user["username"] == "alice" and user["email"] == "Alice@Example.com"
    assert "budget login alice" in registered.stderr

    login = invoke(runner, ["login", "ALICE", "--password-stdin"], f"{PASSWORD}\n")
    assert login.exit_code == 0, login.stderr
    assert login.stdout == "" and "logged in as alice" in login.stderr

    whoami = invoke(runner, ["whoami", "--format", "json"])
    assert whoami.exit_code == 0
    assert json.loads(whoami.stdout) == user

    logout = invoke(runner, ["logout"])
    assert logout.exit_code == 0 and "logged out alice" in logout.stderr
    assert not config.session_file().exists()
    after = invoke(runner, ["whoami"])
    assert after.exit_code == ExitCode.AUTH
    assert after.stderr == "error: not logged in: run `budget login USERNAME`\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["register", "Alice", "--email", "new@example.com"], "username 'alice' is taken"),
        (
            ["register", "carol", "--email", "ALICE@EXAMPLE.COM"],
            "email 'ALICE@EXAMPLE.COM' is already",
        ),
    ],
)
def test_duplicates_in_any_case_are_refused_naming_the_field(
    store: Store, runner: CliRunner, args: list[str], message: str
) -> None:
    make_user(store, "alice")
    before = all_user_items(store)
    result = invoke(runner, [*args, "--password-stdin"], f"{PASSWORD}\n")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert sorted(map(str, all_user_items(store))) == sorted(map(str, before))


def test_prompt_asks_twice_on_a_terminal(
    store: Store, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("budgetcli.cli.accounts.sys", _TerminalSys())
    result = invoke(
        runner, ["register", "alice", "--email", "a@example.com"], f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("Password") == 1 and "Repeat for confirmation" in result.stdout
    assert len(accounts_named(store, "alice")) == 1


class _TerminalSys:
    """Stands in for `sys` in the accounts CLI so stdin looks like a terminal."""

    class _Stdin:
        def isatty(self) -> bool:
            return True

        def readline(self) -> str:
            return sys.stdin.readline()

    stdin = _Stdin()


def test_eight_concurrent_registrations_make_one_account(store: Store) -> None:
    def register(index: int) -> object:
        account = accounts.NewAccount.parse("Carol", f"carol{index}@example.com")
        return accounts.register(store, account, PASSWORD)

    results = run_in_threads(8, register)
    created = [r for r in results if isinstance(r, User)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(created) == 1, results
    assert len(refused) == 7 and all("username 'carol' is taken" in str(r) for r in refused)
    assert len(accounts_named(store, "carol")) == 1
    markers = [i for i in all_user_items(store) if str(i["user_id"]).startswith("EMAIL#")]
    assert len(markers) == 1


def test_no_plaintext_password_in_the_table(store: Store) -> None:
    make_user(store, "alice")
    log_in(store, "alice")
    dump = repr(all_user_items(store))
    assert PASSWORD not in dump
    (user_item,) = accounts_named(store, "alice")
    assert str(user_item["password_hash"]).startswith("scrypt:")
    markers = [i for i in all_user_items(store) if "owner_user_id" in i]
    assert all("username" not in m and "email" not in m for m in markers)


def test_passwords_get_werkzeugs_default_hash(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite hashes at a lower scrypt cost for speed; budgetcli itself passes no
    method, so users get Werkzeug's default (scrypt:32768:8:1 today)."""
    import werkzeug.security

    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
    cheaper = werkzeug.security.generate_password_hash

    def spy(*args: object, **kwargs: object) -> str:
        calls.append((args[1:], kwargs))
        return str(cheaper(*args, **kwargs))  # type: ignore[arg-type]

    monkeypatch.setattr(werkzeug.security, "generate_password_hash", spy)
    make_user(store, "alice")
    assert calls == [((), {})]


# --- login and lockout ----------------------------------------------------------


def test_wrong_password_and_unknown_user_look_the_same(store: Store, runner: CliRunner) -> None:
    make_user(store, "alice")
    wrong = invoke(runner, ["login", "alice", "--password-stdin"], "not the password\n")
    unknown = invoke(runner, ["login", "nobody", "--password-stdin"], f"{PASSWORD}\n")
    assert wrong.exit_code == unknown.exit_code == ExitCode.AUTH
    assert wrong.stderr == unknown.stderr == "error: wrong username or password\n"
    assert not config.session_file().exists()


def test_sixth_attempt_in_the_window_is_refused_even_with_the_right_password(
    store: Store, runner: CliRunner
) -> None:
    make_user(store, "alice")
    now = datetime.now(UTC)
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthError, match="wrong username or password"):
            accounts.login(store, "alice", "wrong password!", days=1, now=now)
    result = invoke(runner, ["login", "alice", "--password-stdin"], f"{PASSWORD}\n")
    assert result.exit_code == ExitCode.AUTH
    assert "account locked after 5 failed logins" in result.stderr
    with pytest.raises(AuthError, match="locked"):
        accounts.login(store, "alice", PASSWORD, days=1, now=now + timedelta(minutes=14))
    later = now + timedelta(minutes=15, seconds=1)
    session = accounts.login(store, "alice", PASSWORD, days=1, now=later)
    assert session.username == "alice"
    (item,) = accounts_named(store, "alice")
    assert item["failed_logins"] == 0 and "locked_until" not in item


def test_a_success_resets_the_failure_count(store: Store) -> None:
    make_user(store, "alice")
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthError):
            accounts.login(store, "alice", "wrong password!", days=1)
    accounts.login(store, "alice", PASSWORD, days=1)
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthError, match="wrong"):
            accounts.login(store, "alice", "wrong password!", days=1)
    assert accounts.login(store, "alice", PASSWORD, days=1)


def test_concurrent_failures_cannot_exceed_the_limit(store: Store) -> None:
    make_user(store, "alice")

    def attempt(index: int) -> object:
        return accounts.login(store, "alice", f"wrong password {index}", days=1)

    results = run_in_threads(10, attempt)
    assert all(isinstance(r, AuthError) for r in results), results
    (item,) = accounts_named(store, "alice")
    assert item["failed_logins"] == MAX_FAILED_LOGINS
    assert int(item["locked_until"]) > datetime.now(UTC).timestamp()
    with pytest.raises(AuthError, match="locked"):
        accounts.login(store, "alice", PASSWORD, days=1)


# --- sessions ---------------------------------------------------------------------


def session_data() -> dict[str, str]:
    data = json.loads(config.session_file().read_text())
    assert isinstance(data, dict)
    return data


def test_session_file_is_private_and_holds_no_password(alice: User) -> None:
    path = config.session_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = session_data()
    assert set(data) == {"user_id", "username", "token", "expires_at", "store"}
    assert PASSWORD not in path.read_text()


def test_only_a_hash_of_the_token_is_stored(store: Store, alice: User) -> None:
    token = session_data()["token"]
    (item,) = accounts_named(store, "alice")
    assert token not in repr(item)
    assert accounts.token_hash(token) in item["sessions"]


def edit_session(**changes: str) -> None:
    data = session_data() | changes
    config.write_session_file(data)


@pytest.mark.parametrize("tamper", ["forged", "expired-in-table", "revoked"])
def test_tampered_sessions_are_refused(
    store: Store, alice: User, bob: User, runner: CliRunner, tamper: str
) -> None:
    if tamper == "forged":
        edit_session(user_id=bob.user_id, username="bob")
    elif tamper == "expired-in-table":
        # The file claims a later expiry than the table granted: the table wins.
        edit_session(expires_at=(datetime.now(UTC) + timedelta(days=3650)).isoformat())
        token_key = accounts.token_hash(session_data()["token"])
        store.update(
            "users",
            {"user_id": alice.user_id},
            update="SET sessions.#t = :past",
            names={"#t": token_key},
            values={":past": 1},
        )
    else:
        saved = config.session_file().read_text()
        assert invoke(runner, ["logout"]).exit_code == 0
        config.write_session_file(json.loads(saved))
    result = invoke(runner, ["whoami"])
    assert result.exit_code == ExitCode.AUTH
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "budget login" in result.stderr


def test_world_readable_session_file_is_tightened_with_a_warning(
    alice: User, runner: CliRunner
) -> None:
    os.chmod(config.session_file(), 0o644)
    result = invoke(runner, ["whoami", "-f", "json"])
    assert result.exit_code == 0
    assert "was readable by others; its mode is now 0600" in result.stderr
    assert stat.S_IMODE(config.session_file().stat().st_mode) == 0o600


def test_logging_in_again_revokes_the_replaced_session(
    store: Store, alice: User, runner: CliRunner
) -> None:
    first = config.session_file().read_text()
    assert invoke(runner, ["login", "alice", "--password-stdin"], f"{PASSWORD}\n").exit_code == 0
    config.write_session_file(json.loads(first))
    assert invoke(runner, ["whoami"]).exit_code == ExitCode.AUTH


def test_round_trip_through_the_installed_command(dynamodb_local: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BUDGET_ENDPOINT_URL": dynamodb_local,
        "BUDGET_TABLE_PREFIX": f"t{uuid.uuid4().hex[:12]}",
    }
    budget = str(Path(sys.executable).with_name("budget"))

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [budget, *args], input=stdin, env=env, capture_output=True, text=True, timeout=60
        )

    assert run("init-tables").returncode == 0
    register = run(
        "register", "dave", "--email", "dave@example.com", "--password-stdin", stdin=PASSWORD
    )
    assert register.returncode == 0, register.stderr
    assert run("login", "dave", "--password-stdin", stdin=f"{PASSWORD}\n").returncode == 0
    whoami = run("whoami", "--format", "json")
    assert whoami.returncode == 0 and json.loads(whoami.stdout)["username"] == "dave"
    assert run("logout").returncode == 0
    assert run("whoami").returncode == ExitCode.AUTH
    for result in (register, whoami):
        assert PASSWORD not in result.stdout + result.stderr
