"""Budgets on both engines: one per category under races, monthly status, isolation, and
the commands end to end.

The rules alone (limits, status figures, refusals before storage) are in
test_budget_rules.py; the table as people see it is in test_output.py.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.dates import Period
from budgetcli.errors import ExitCode, NotFound
from budgetcli.models import User
from budgetcli.services import budgets
from budgetcli.store import Store
from tests.helpers import log_in, run_in_threads, set_budget, spend, table_items

NOVEMBER = "2026-11"


# --- the service ----------------------------------------------------------------


def test_set_again_updates_the_one_budget_of_the_category(store: Store, alice: User) -> None:
    first = set_budget(store, alice, "food", "400")
    second = set_budget(store, alice, "food", "450.50", 90)
    assert second.budget_id == first.budget_id
    assert second.created_at == first.created_at
    assert (second.category, second.amount, second.threshold) == ("food", Decimal("450.50"), 90)
    assert budgets.budgets_for_user(store, alice.user_id) == [second]
    (item,) = table_items(store, "budgets")
    # The seed's six attributes, nothing else.
    assert item == {
        "budget_id": first.budget_id,
        "user_id": alice.user_id,
        "category": "food",
        "amount": Decimal("450.5"),
        "alert_threshold": 90,
        "created_at": first.created_at,
    }


def test_concurrent_sets_of_one_category_leave_one_budget(store: Store, alice: User) -> None:
    amounts = [Decimal(100 + i) for i in range(4)]
    results = run_in_threads(4, lambda i: set_budget(store, alice, "rent", str(amounts[i])))
    assert not [r for r in results if isinstance(r, Exception)]
    items = table_items(store, "budgets")
    assert len(items) == 1
    assert items[0]["amount"] in amounts


def test_budgets_are_sorted_by_category(store: Store, alice: User) -> None:
    for category in ("travel", "food", "rent"):
        set_budget(store, alice, category, "10")
    listed = budgets.budgets_for_user(store, alice.user_id)
    assert [b.category for b in listed] == ["food", "rent", "travel"]
    assert all(b.user_id == alice.user_id and b.threshold == 80 for b in listed)


def test_status_counts_only_the_month_and_the_category(store: Store, alice: User) -> None:
    set_budget(store, alice, "food", "100")
    set_budget(store, alice, "rent", "50")
    spend(store, alice, "30.10", day=date(2026, 11, 1))
    spend(store, alice, "90.00", day=date(2026, 11, 30))
    spend(store, alice, "1000", day=date(2026, 10, 31))
    spend(store, alice, "1000", day=date(2026, 12, 1))
    spend(store, alice, "7.25", category="travel")
    statuses = budgets.budget_status(store, alice.user_id, Period.month_of(date(2026, 11, 1)))
    food, rent = statuses
    assert (food.spent, food.remaining, food.percent) == (
        Decimal("120.10"),
        Decimal("-20.10"),
        Decimal("120.10"),
    )
    assert (rent.spent, rent.remaining, rent.percent) == (Decimal(0), Decimal(50), Decimal(0))


def test_removing_a_missing_budget_is_not_found_and_removes_nothing(
    store: Store, alice: User, runner: CliRunner
) -> None:
    set_budget(store, alice, "rent", "900")
    before = table_items(store, "budgets")
    with pytest.raises(NotFound, match="no budget for category 'food'"):
        budgets.remove_budget(store, alice.user_id, "food")
    result = invoke(runner, "rm", "Unknown")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith("error: no budget for category 'unknown'")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert table_items(store, "budgets") == before


def test_bob_never_sees_or_removes_alices_budgets(store: Store, alice: User, bob: User) -> None:
    set_budget(store, alice, "food", "100")
    spend(store, alice, "99")
    assert budgets.budgets_for_user(store, bob.user_id) == []
    with pytest.raises(NotFound):
        budgets.remove_budget(store, bob.user_id, "food")
    bobs = set_budget(store, bob, "food", "5")
    status = budgets.budget_status(store, bob.user_id, Period.month_of(date(2026, 11, 1)))
    assert [(s.budget, s.spent) for s in status] == [(bobs, Decimal(0))]
    assert [b.amount for b in budgets.budgets_for_user(store, alice.user_id)] == [Decimal("100")]


# --- the commands -----------------------------------------------------------------


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, ["budget", *args])


def test_set_list_rm_round_trip(store: Store, alice: User, runner: CliRunner) -> None:
    created = invoke(runner, "set", "Food", "400", "--threshold", "75", "-f", "json")
    assert created.exit_code == 0, created.stderr
    assert json.loads(created.stdout) == {"category": "food", "amount": "400.00", "threshold": 75}
    assert "budget for food set" in created.stderr
    updated = invoke(runner, "set", " food ", "100")
    assert updated.exit_code == 0 and "budget for food updated" in updated.stderr
    spend(store, alice, "120.5")
    listed = invoke(runner, "list", "--month", NOVEMBER, "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    (item,) = table_items(store, "budgets")
    assert json.loads(listed.stdout) == [
        {
            "budget_id": item["budget_id"],
            "category": "food",
            "amount": "100.00",
            "threshold": 80,
            "spent": "120.50",
            "remaining": "-20.50",
            "percent": "120.50",
        }
    ]
    removed = invoke(runner, "rm", "FOOD")
    assert removed.exit_code == 0 and removed.stdout == ""
    assert "removed the budget for food" in removed.stderr
    assert json.loads(invoke(runner, "list", "-m", NOVEMBER, "-f", "json").stdout) == []
    assert table_items(store, "budgets") == []


def test_list_table_shows_a_bar_per_budget_and_csv_has_a_header(
    store: Store, alice: User, runner: CliRunner
) -> None:
    set_budget(store, alice, "food", "100")
    set_budget(store, alice, "rent", "1000")
    spend(store, alice, "85")
    # The table of test_output, at the terminal's width, without colour under NO_COLOR.
    table = runner.invoke(
        app, ["budget", "list", "--month", NOVEMBER], env={"COLUMNS": "80", "NO_COLOR": "1"}
    )
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].strip() == "Budgets for 2026-11"
    assert all(len(line) <= 80 for line in lines) and "\x1b[" not in table.stdout
    assert "85.00%" in table.stdout and "0.00%" in table.stdout
    assert lines[3].startswith("food") and lines[3].rstrip().endswith("━")  # the bars
    csv_out = invoke(runner, "list", "--month", NOVEMBER, "--format", "csv")
    ids = {item["category"]: item["budget_id"] for item in table_items(store, "budgets")}
    assert csv_out.stdout.splitlines() == [
        "category,amount,threshold,spent,remaining,percent,budget_id",
        f"food,100.00,80,85.00,15.00,85.00,{ids['food']}",
        f"rent,1000.00,80,0.00,1000.00,0.00,{ids['rent']}",
    ]


def test_list_without_budgets_prints_nothing_on_stdout(
    store: Store, alice: User, runner: CliRunner
) -> None:
    result = invoke(runner, "list")
    assert result.exit_code == 0 and result.stdout == ""
    assert "budget budget set" in result.stderr


def test_bob_through_the_cli_sees_only_his_budgets(
    store: Store, alice: User, bob: User, runner: CliRunner
) -> None:
    assert invoke(runner, "set", "food", "100").exit_code == 0
    log_in(store, "bob")
    assert json.loads(invoke(runner, "list", "-f", "json").stdout) == []
    refused = invoke(runner, "rm", "food")
    assert refused.exit_code == ExitCode.ERROR
    assert [b.category for b in budgets.budgets_for_user(store, alice.user_id)] == ["food"]
