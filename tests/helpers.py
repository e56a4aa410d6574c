"""Helpers for tests that need accounts and sessions."""

from __future__ import annotations

import functools
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from budgetcli import config
from budgetcli.models import Budget, Expense, User
from budgetcli.services import accounts, budgets
from budgetcli.store import Store, from_item, location
from budgetcli.tables import users
from budgetcli.tables.expenses import to_item as expense_item
from tests import secret_guard

PASSWORD = "correct horse battery staple"


def make_user(store: Store, username: str, phone: str | None = None) -> User:
    account = accounts.NewAccount.parse(username, f"{username}@example.com", phone)
    return accounts.register(store, account, PASSWORD)


@functools.cache
def _password_hash() -> str:
    """PASSWORD hashed once per test process, at the suite's lower scrypt cost."""
    from werkzeug.security import generate_password_hash

    from tests.conftest import TEST_SCRYPT

    hashed = str(generate_password_hash(PASSWORD, method=TEST_SCRYPT))
    secret_guard.remember(PASSWORD)
    secret_guard.remember(hashed)
    return hashed


def seed_user(store: Store, username: str, phone: str | None = None) -> User:
    """A registered account written straight to the table, as `register` leaves it: for
    tests about something else (registration itself is tested through the service)."""
    user = User(str(uuid.uuid4()), username, f"{username}@example.com", phone)
    assert users.create(store, user, _password_hash(), "2026-11-01T00:00:00+00:00") is None
    return user


def seed_session(store: Store, user: User) -> User:
    """`user` logged in: a session recorded in the table and the session file."""
    token = secrets.token_urlsafe(32)
    secret_guard.remember(token)
    secret_guard.remember(accounts.token_hash(token))
    expires_at = datetime.now(UTC) + timedelta(days=30)
    users.open_session(
        store,
        user.user_id,
        accounts.token_hash(token),
        expires=int(expires_at.timestamp()),
        expired=[],
    )
    session = accounts.Session(user.user_id, user.username, token, expires_at, where(store))
    config.write_session_file(session.to_dict())
    return user


def where(store: Store) -> dict[str, str]:
    """The location of `store`'s tables, as a session file records it."""
    return location(config.load_settings(), store)


def log_in(store: Store, username: str, password: str = PASSWORD) -> User:
    """Log `username` in through the service and write the session file, as `budget login` does."""
    session = accounts.login(store, username, password, days=30, location=where(store))
    config.write_session_file(session.to_dict())
    return accounts.verify_session(store, session)


def spend(
    store: Store,
    user: User,
    amount: str,
    category: str = "food",
    day: date = date(2026, 11, 5),
) -> Expense:
    """Store one expense directly, as `budget add` would."""
    expense = Expense(
        expense_id=str(uuid.uuid4()),
        user_id=user.user_id,
        amount=Decimal(amount),
        category=category,
        description="",
        date=day,
        created_at="2026-11-05T12:00:00+00:00",
    )
    store.put("expenses", expense_item(expense))
    return expense


def set_budget(
    store: Store, user: User, category: str, amount: str | int, threshold: int = 80
) -> Budget:
    """The user's monthly budget for `category` (as parsed already), through the service."""
    limit = budgets.Limit(Decimal(amount), threshold)
    budget, _ = budgets.set_budget(store, user.user_id, category, limit)
    return budget


def table_items(store: Store, table: str, index: str | None = None) -> list[dict[str, Any]]:
    """Every item of one table, read consistently (a test's tables are small); or every
    item on one of its indexes: what any query of that index can return."""
    kwargs: dict[str, Any] = {"TableName": store.table_name(table)}
    if index is None:
        kwargs["ConsistentRead"] = True
    else:
        kwargs["IndexName"] = index
    items: list[dict[str, Any]] = []
    while True:
        page = store.client.scan(**kwargs)
        items.extend(from_item(raw) for raw in page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@contextmanager
def moto_one_request_at_a_time() -> Iterator[None]:
    """DynamoDB applies each request atomically; moto does not lock, so concurrent
    conditional writes from threads could both pass, and its transactions copy live
    tables. Within this block moto serves one request at a time."""
    from unittest import mock

    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.RLock()
    process_request = BotocoreStubber.process_request

    def atomic_request(self: BotocoreStubber, aws_request: Any) -> Any:
        with lock:
            return process_request(self, aws_request)

    with mock.patch.object(BotocoreStubber, "process_request", atomic_request):
        yield


def run_in_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """Run `work(0..count-1)` in threads released together; exceptions are returned."""
    results: list[object] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as exc:  # collected for the assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


class SessionIds:
    """The ids a scripted session of every command learns as it goes, put into the
    arguments that name them: `{expense_id}` (the first expense added), `{profile_id}`
    (the first import profile) and `{backup}` (a backup file)."""

    def __init__(self, backup: Path) -> None:
        self.values = {"{expense_id}": "", "{profile_id}": "", "{backup}": str(backup)}

    def fill(self, args: list[str]) -> list[str]:
        filled = []
        for arg in args:
            for placeholder, value in self.values.items():
                arg = arg.replace(placeholder, value)
            filled.append(arg)
        return filled

    def learn(self, runner: Any, args: list[str]) -> None:
        """After `args` succeeded: the id they made, if the session needs it later."""
        from budgetcli.cli import app

        if args[0] == "add" and not self.values["{expense_id}"]:
            added = runner.invoke(app, [*args, "--format", "json"])
            self.values["{expense_id}"] = json.loads(added.stdout)["expense_id"]
        if args == ["import", "profiles", "list"]:
            listed = runner.invoke(app, [*args, "--format", "json"])
            self.values["{profile_id}"] = json.loads(listed.stdout)[0]["profile_id"]
