"""The engine dying in the middle of a command: one line, exit 4, and a re-run completes the job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.models import User
from budgetcli.store import Store
from tests.faults import EngineDeath
from tests.helpers import set_budget, spend, table_items


@pytest.fixture
def engine_death(monkeypatch: pytest.MonkeyPatch) -> EngineDeath:
    death = EngineDeath()
    death.install(monkeypatch)
    return death


def assert_storage_failure(result: object) -> None:
    assert getattr(result, "exit_code", None) == 4, getattr(result, "stderr", "")
    stderr = getattr(result, "stderr", "")
    assert stderr.startswith("error: cannot reach DynamoDB") and stderr.count("\n") == 1


def test_add_when_the_engine_dies_writes_nothing_and_a_rerun_adds_once(
    runner: CliRunner, store: Store, alice: User, engine_death: EngineDeath
) -> None:
    engine_death.die_at("PutItem")
    assert_storage_failure(runner.invoke(app, ["add", "9.99", "food"]))
    assert table_items(store, "expenses") == []
    engine_death.revive()
    assert runner.invoke(app, ["add", "9.99", "food"]).exit_code == 0
    assert [item["amount"] for item in table_items(store, "expenses")] == [Decimal("9.99")]


def test_budget_set_when_the_engine_dies_then_rerun_leaves_one_budget(
    runner: CliRunner, store: Store, alice: User, engine_death: EngineDeath
) -> None:
    set_budget(store, alice, "food", 100)
    engine_death.die_at("UpdateItem")
    assert_storage_failure(runner.invoke(app, ["budget", "set", "food", "250"]))
    engine_death.revive()
    assert runner.invoke(app, ["budget", "set", "food", "250"]).exit_code == 0
    [item] = table_items(store, "budgets")
    assert item["amount"] == Decimal("250")


def test_alerts_when_the_engine_dies_report_what_was_stored_and_rerun_sends_the_rest_once(
    runner: CliRunner, store: Store, alice: User, engine_death: EngineDeath
) -> None:
    set_budget(store, alice, "food", 100)
    set_budget(store, alice, "rent", 100)
    spend(store, alice, "150")
    spend(store, alice, "90", category="rent")
    # food: warning + exceeded, rent: warning; the engine dies as the second is stored.
    engine_death.die_at("PutItem", 2)
    first = runner.invoke(app, ["alerts", "--month", "2026-11"])
    assert_storage_failure(first)
    engine_death.revive()
    second = runner.invoke(app, ["alerts", "--month", "2026-11"])
    third = runner.invoke(app, ["alerts", "--month", "2026-11"])
    assert second.exit_code == 0 and third.exit_code == 0 and third.stdout == ""
    printed = first.stdout.splitlines() + second.stdout.splitlines()
    assert len(printed) == 3 and len(set(printed)) == 3, printed
    assert len(first.stdout.splitlines()) == 1
    assert len(table_items(store, "notifications")) == 3


def test_alerts_json_still_reports_what_was_stored_before_the_failure(
    runner: CliRunner, store: Store, alice: User, engine_death: EngineDeath
) -> None:
    set_budget(store, alice, "food", 100)
    spend(store, alice, "150")
    engine_death.die_at("PutItem", 2)
    result = runner.invoke(app, ["alerts", "--month", "2026-11", "--format", "json"])
    assert result.exit_code == 4
    assert [alert["level"] for alert in json.loads(result.stdout)] == ["warning"]


# --- concurrency through the installed command ---------------------------------------


def test_shell_loops_of_budget_add_end_with_every_expense(
    store: Store, alice: User, engine: str, isolated_env: Path
) -> None:
    """4 shell loops run `budget add` at once; STRESS_ADDS_PER_LOOP=250 for the full 4 x 250."""
    if engine == "moto":
        pytest.skip("moto lives inside this process; shell loops need a real engine")
    per_loop = int(os.environ.get("STRESS_ADDS_PER_LOOP", "4"))
    budget = str(Path(sys.executable).with_name("budget"))
    loop = (
        f'for i in $(seq {per_loop}); do "{budget}" add "$i.01" "loop$1" >/dev/null || exit 1; done'
    )
    loops = [
        subprocess.Popen(["bash", "-c", loop, "loop", str(n)], env=dict(os.environ))
        for n in range(4)
    ]
    assert [process.wait(timeout=60 + per_loop * 4) for process in loops] == [0, 0, 0, 0]
    items = table_items(store, "expenses")
    assert len(items) == 4 * per_loop
    assert {item["user_id"] for item in items} == {alice.user_id}
    expected_per_loop = sum(Decimal(f"{i}.01") for i in range(1, per_loop + 1))
    for n in range(4):
        total = sum(item["amount"] for item in items if item["category"] == f"loop{n}")
        assert total == expected_per_loop
