"""Faults on the real call paths: throttling, hung endpoints, unprocessed batches."""

from __future__ import annotations

import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from budgetcli.errors import ExitCode, StorageError
from budgetcli.store import Store
from tests.faults import failing_calls, silent_server

THROTTLING = ["ProvisionedThroughputExceededException", "ThrottlingException"]


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's standard mode sleeps up to 20 s between retries; tests need not wait."""
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda *a: 0)


@pytest.mark.parametrize("code", THROTTLING)
def test_throttled_writes_are_retried_and_succeed(store: Store, code: str) -> None:
    item = {"expense_id": "e1", "user_id": "u1", "amount": Decimal("1.10")}
    with failing_calls(store.client, "PutItem", code, times=2) as attempts:
        store.put("expenses", item)
    assert attempts == ["injected", "injected", "passed"]
    assert store.get("expenses", {"expense_id": "e1"}, consistent=True) == item


@pytest.mark.parametrize("code", THROTTLING)
def test_throttled_queries_are_retried_and_succeed(store: Store, code: str) -> None:
    store.put("expenses", {"expense_id": "e1", "user_id": "u1", "date": "2026-01-01"})
    with failing_calls(store.client, "Query", code, times=2) as attempts:
        found = list(
            store.query(
                "expenses", index="user_id-index", key_condition="user_id = :u", values={":u": "u1"}
            )
        )
    assert [item["expense_id"] for item in found] == ["e1"]
    assert attempts.count("injected") == 2


def test_throttling_that_does_not_stop_is_exit_4(store: Store, engine: str) -> None:
    with failing_calls(store.client, "PutItem", "ThrottlingException", times=100) as attempts:
        with pytest.raises(StorageError, match="throttling requests") as raised:
            store.put("expenses", {"expense_id": "e1", "user_id": "u1"})
    assert raised.value.exit_code == ExitCode.STORAGE
    # 3 tries in all against a local endpoint, 5 through the AWS chain (moto stands in for it)
    assert attempts == ["injected"] * (5 if engine == "moto" else 3)
    assert store.get("expenses", {"expense_id": "e1"}, consistent=True) is None


def test_throttled_batch_get_is_retried(store: Store) -> None:
    store.batch_write("expenses", puts=[{"expense_id": f"e{n}", "user_id": "u"} for n in range(5)])
    keys: list[dict[str, Any]] = [{"expense_id": f"e{n}"} for n in range(5)]
    with failing_calls(
        store.client, "BatchGetItem", "ProvisionedThroughputExceededException", times=2
    ):
        assert len(store.batch_get("expenses", keys)) == 5


def test_a_hung_endpoint_is_exit_4_in_bounded_time(monkeypatch: pytest.MonkeyPatch) -> None:
    budget = str(Path(sys.executable).with_name("budget"))
    with silent_server() as endpoint:
        monkeypatch.setenv("BUDGET_ENDPOINT_URL", endpoint)
        monkeypatch.setenv("BUDGET_TIMEOUT", "1")
        started = time.monotonic()
        result = subprocess.run([budget, "init-tables"], capture_output=True, text=True, timeout=60)
        elapsed = time.monotonic() - started
    assert result.returncode == ExitCode.STORAGE
    assert result.stderr.startswith(f"error: DynamoDB at {endpoint} did not answer in time")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    # three attempts of one second each, plus back-off and start-up
    assert elapsed < 15
