"""A failed login tells nothing about whether the username exists: an unknown name and a
wrong password make the same DynamoDB requests and one hash check each.

Their time is compared in bench/bench_login.py (a benchmark, not a timed test).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import store as store_module
from budgetcli.cli import app
from budgetcli.errors import ExitCode
from budgetcli.services import passwords
from budgetcli.store import Store
from budgetcli.tables import users
from tests.helpers import PASSWORD, make_user, table_items
from tests.seed_client import DynamoDBClient

Request = tuple[str, str, str]


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[Request]:
    """(operation, table, index) of every DynamoDB request budgetcli sends from now on."""
    sent: list[Request] = []
    real_client = store_module.dynamodb_client

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        sent.append((model.name, params.get("TableName", ""), params.get("IndexName", "")))

    def recording_client(*args: Any, **kwargs: Any) -> Any:
        client = real_client(*args, **kwargs)
        client.meta.events.register("before-parameter-build.dynamodb", record)
        return client

    monkeypatch.setattr(store_module, "dynamodb_client", recording_client)
    return sent


@pytest.fixture
def hash_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes that passwords were checked against, from now on."""
    import werkzeug.security

    checked: list[str] = []
    real: Callable[[str, str], bool] = werkzeug.security.check_password_hash

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(werkzeug.security, "check_password_hash", counting)
    return checked


def failed_login(
    runner: CliRunner, username: str, password: str, requests: list[Request], checks: list[str]
) -> tuple[list[Request], list[str]]:
    requests.clear()
    checks.clear()
    result = runner.invoke(app, ["login", username, "--password-stdin"], input=password + "\n")
    assert result.exit_code == ExitCode.AUTH
    assert result.stderr == "error: wrong username or password\n"
    return list(requests), list(checks)


def web_app_user(store: Store, username: str) -> None:
    from werkzeug.security import generate_password_hash

    web = DynamoDBClient(store.prefix, os.environ.get("BUDGET_ENDPOINT_URL"))
    web.create_user(username, f"{username}@example.com", generate_password_hash(PASSWORD))  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(
    "account, typed, unknown",
    [
        ("budgetcli", "alice", "nobody"),
        ("budgetcli", "Alice", "Nobody"),  # typed and lower-cased: two index queries each
        ("web app", "Carol", "Nobody"),
        ("web app", "Carol Smith", "Nobody Else"),  # a name budgetcli would not allow
    ],
)
def test_unknown_user_and_wrong_password_do_the_same_work(
    store: Store,
    runner: CliRunner,
    requests: list[Request],
    hash_checks: list[str],
    account: str,
    typed: str,
    unknown: str,
) -> None:
    if account == "budgetcli":
        make_user(store, "alice")
    else:
        web_app_user(store, typed)
    users_before = table_items(store, "users")
    wrong = failed_login(runner, typed, "not the password!", requests, hash_checks)
    nobody = failed_login(runner, unknown, PASSWORD, requests, hash_checks)
    assert wrong[0] == nobody[0]
    assert len(wrong[1]) == len(nobody[1]) == 1
    assert nobody[1] == [passwords.UNKNOWN_USER_HASH]
    # Each attempt was counted: the wrong password on the account, the unknown name on
    # an item that is no account.
    changed = {i["user_id"]: i for i in table_items(store, "users") if i not in users_before}
    unknown_logins = changed.pop(users.UNKNOWN_LOGINS)
    assert unknown_logins["failed_logins"] == 1 and "username" not in unknown_logins
    assert [item["failed_logins"] for item in changed.values()] == [1]
