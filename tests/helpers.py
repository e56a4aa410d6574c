"""Helpers for tests that need accounts and sessions."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from budgetcli import config
from budgetcli.services import accounts
from budgetcli.services.accounts import User
from budgetcli.store import Store

PASSWORD = "correct horse battery staple"


def make_user(store: Store, username: str, phone: str | None = None) -> User:
    return accounts.register(store, username, f"{username}@example.com", PASSWORD, phone)


def log_in(store: Store, username: str, password: str = PASSWORD) -> User:
    """Log `username` in through the service and write the session file, as `budget login` does."""
    session = accounts.login(store, username, password, days=30)
    config.write_session_file(session.to_dict())
    return accounts.verify_session(store, session)


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
