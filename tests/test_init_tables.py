"""`budget init-tables` on both engines."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.services.setup import TableOutcome, init_tables
from budgetcli.store import IndexSpec, Store, TableSpec
from budgetcli.tables.schema import TABLES


def test_creates_the_four_tables_of_the_model(bare_store: Store, runner: CliRunner) -> None:
    result = runner.invoke(app, ["init-tables", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    prefix = bare_store.prefix
    assert [(r["table"], r["status"]) for r in rows] == [
        (f"{prefix}-users", "created"),
        (f"{prefix}-expenses", "created"),
        (f"{prefix}-budgets", "created"),
        (f"{prefix}-notifications", "created"),
    ]
    expected = {
        "users": (
            "user_id",
            {IndexSpec("username-index", "username"), IndexSpec("email-index", "email")},
        ),
        "expenses": (
            "expense_id",
            {
                IndexSpec("user_id-index", "user_id"),
                IndexSpec("user_id-date-index", "user_id", "date"),
            },
        ),
        "budgets": (
            "budget_id",
            {
                IndexSpec("user_id-index", "user_id"),
                IndexSpec("user_id-category-index", "user_id", "category"),
            },
        ),
        "notifications": (
            "notification_id",
            {IndexSpec("user_id-created_at-index", "user_id", "created_at")},
        ),
    }
    for name, (hash_key, indexes) in expected.items():
        state = bare_store.describe_table(name)
        assert state is not None and state.active
        assert state.hash_key == hash_key
        assert set(state.indexes) == indexes
    description = bare_store.client.describe_table(TableName=f"{prefix}-expenses")["Table"]
    assert description["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_running_again_is_a_no_op(store: Store, runner: CliRunner) -> None:
    result = runner.invoke(app, ["init-tables"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("already existed") == 4
    assert "created" not in result.stdout


def test_a_table_with_the_wrong_key_is_reported(bare_store: Store, runner: CliRunner) -> None:
    bare_store.create_table(TableSpec("users", "id"))
    bare_store.wait_until_active(["users"])
    result = runner.invoke(app, ["init-tables", "--format", "json"])
    assert result.exit_code == 1
    rows = {r["table"]: r for r in json.loads(result.stdout)}
    users = rows[f"{bare_store.prefix}-users"]
    assert users["status"] == "wrong schema"
    assert "key is 'id', expected 'user_id'" in users["detail"]
    assert "index username-index is missing" in users["detail"]
    assert result.stderr.startswith("error: some tables exist with a different schema")
    assert result.stderr.count("\n") == 1
    # The other three were still created.
    assert all(rows[f"{bare_store.prefix}-{s.name}"]["status"] == "created" for s in TABLES[1:])


def test_service_reports_each_outcome(bare_store: Store) -> None:
    first = init_tables(bare_store)
    second = init_tables(bare_store)
    assert {r.outcome for r in first} == {TableOutcome.CREATED}
    assert {r.outcome for r in second} == {TableOutcome.EXISTED}


def test_parallel_init_tables_all_succeed(bare_store: Store, engine: str) -> None:
    """A table created by another init-tables between our look and our create is fine."""
    from tests.helpers import run_in_threads

    results = run_in_threads(3, lambda _: init_tables(bare_store))
    assert all(isinstance(r, list) for r in results), results
    outcomes = [report.outcome for result in results for report in result]  # type: ignore[attr-defined]
    assert outcomes.count(TableOutcome.CREATED) == 4
    assert set(outcomes) == {TableOutcome.CREATED, TableOutcome.EXISTED}


def test_a_table_created_since_we_looked_counts_as_existing(
    bare_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_tables(bare_store)
    monkeypatch.setattr(bare_store, "describe_table", _missing_the_first_time(bare_store))
    reports = init_tables(bare_store)
    assert {r.outcome for r in reports} == {TableOutcome.EXISTED}


def _missing_the_first_time(store: Store) -> Any:
    real = store.describe_table
    asked: set[str] = set()

    def describe(table: str) -> Any:
        if table not in asked:
            asked.add(table)
            return None
        return real(table)

    return describe
