"""Budgets on both engines: one per category under races, monthly status, bad input."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode, InvalidInput, NotFound
from budgetcli.services import budgets
from budgetcli.services.accounts import User
from budgetcli.services.expenses import Expense
from budgetcli.store import Store, from_item
from tests.helpers import log_in, run_in_threads

NOVEMBER = "2026-11"


def spend(
    store: Store,
    user: User,
    amount: str,
    category: str = "food",
    day: date = date(2026, 11, 5),
) -> None:
    """Store one expense directly, as `budget add` would."""
    store.put(
        "expenses",
        Expense(
            expense_id=str(uuid.uuid4()),
            user_id=user.user_id,
            amount=Decimal(amount),
            category=category,
            description="",
            date=day,
            created_at="2026-11-05T12:00:00+00:00",
        ).to_item(),
    )


def table_items(store: Store, table: str) -> list[dict[str, Any]]:
    name = store.table_name(table)
    return [
        from_item(raw) for raw in store.client.scan(TableName=name, ConsistentRead=True)["Items"]
    ]


# --- the service ----------------------------------------------------------------


def test_set_again_updates_the_one_budget_of_the_category(store: Store, alice: User) -> None:
    first = budgets.set_budget(store, alice.user_id, "Food", Decimal("400"))
    second = budgets.set_budget(store, alice.user_id, " food ", Decimal("450.50"), 90)
    assert second.budget_id == first.budget_id
    assert second.created_at == first.created_at
    assert (second.category, second.amount, second.threshold) == ("food", Decimal("450.50"), 90)
    assert budgets.budgets_for_user(store, alice.user_id) == [second]
    assert len(table_items(store, "budgets")) == 1


def test_concurrent_sets_of_one_category_leave_one_budget(store: Store, alice: User) -> None:
    amounts = [Decimal(100 + i) for i in range(4)]
    results = run_in_threads(
        4, lambda i: budgets.set_budget(store, alice.user_id, "rent", amounts[i])
    )
    assert not [r for r in results if isinstance(r, Exception)]
    items = table_items(store, "budgets")
    assert len(items) == 1
    assert items[0]["amount"] in amounts


def test_budgets_are_sorted_by_category(store: Store, alice: User) -> None:
    for category in ("travel", "food", "rent"):
        budgets.set_budget(store, alice.user_id, category, Decimal("10"))
    listed = budgets.budgets_for_user(store, alice.user_id)
    assert [b.category for b in listed] == ["food", "rent", "travel"]
    assert all(b.user_id == alice.user_id and b.threshold == 80 for b in listed)


def test_status_counts_only_the_month_and_the_category(store: Store, alice: User) -> None:
    budgets.set_budget(store, alice.user_id, "food", Decimal("100"))
    budgets.set_budget(store, alice.user_id, "rent", Decimal("50"))
    spend(store, alice, "30.10", day=date(2026, 11, 1))
    spend(store, alice, "90.00", day=date(2026, 11, 30))
    spend(store, alice, "1000", day=date(2026, 10, 31))
    spend(store, alice, "1000", day=date(2026, 12, 1))
    spend(store, alice, "7.25", category="travel")
    statuses = budgets.budget_status(store, alice.user_id, date(2026, 11, 1), date(2026, 11, 30))
    food, rent = statuses
    assert (food.spent, food.remaining, food.percent) == (
        Decimal("120.10"),
        Decimal("-20.10"),
        Decimal("120.10"),
    )
    assert (rent.spent, rent.remaining, rent.percent) == (Decimal(0), Decimal(50), Decimal(0))


def test_remove_missing_budget_is_not_found(store: Store, alice: User) -> None:
    with pytest.raises(NotFound, match="no budget for category 'food'"):
        budgets.remove_budget(store, alice.user_id, "Food")


@pytest.mark.parametrize(
    "amount, threshold", [("0", 80), ("-5", 80), ("10.001", 80), ("10", 0), ("10", 150)]
)
def test_service_refuses_bad_budgets(
    store: Store, alice: User, amount: str, threshold: int
) -> None:
    with pytest.raises(InvalidInput):
        budgets.set_budget(store, alice.user_id, "food", Decimal(amount), threshold)
    assert table_items(store, "budgets") == []


def test_bob_never_sees_or_removes_alices_budgets(store: Store, alice: User, bob: User) -> None:
    budgets.set_budget(store, alice.user_id, "food", Decimal("100"))
    spend(store, alice, "99")
    assert budgets.budgets_for_user(store, bob.user_id) == []
    with pytest.raises(NotFound):
        budgets.remove_budget(store, bob.user_id, "food")
    bobs = budgets.set_budget(store, bob.user_id, "food", Decimal("5"))
    status = budgets.budget_status(store, bob.user_id, date(2026, 11, 1), date(2026, 11, 30))
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
    updated = invoke(runner, "set", "food", "100")
    assert updated.exit_code == 0 and "budget for food updated" in updated.stderr
    spend(store, alice, "120.5")
    listed = invoke(runner, "list", "--month", NOVEMBER, "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {
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


def test_list_table_shows_a_bar_per_budget_and_csv_has_a_header(
    store: Store, alice: User, runner: CliRunner
) -> None:
    budgets.set_budget(store, alice.user_id, "food", Decimal("100"))
    budgets.set_budget(store, alice.user_id, "rent", Decimal("1000"))
    spend(store, alice, "85")
    table = invoke(runner, "list", "--month", NOVEMBER)
    assert table.exit_code == 0, table.stderr
    assert "Budgets for 2026-11" in table.stdout
    assert "85.00%" in table.stdout and "0.00%" in table.stdout
    assert "━" in table.stdout  # the progress bars
    csv_out = invoke(runner, "list", "--month", NOVEMBER, "--format", "csv")
    assert csv_out.stdout.splitlines() == [
        "category,amount,threshold,spent,remaining,percent",
        "food,100.00,80,85.00,15.00,85.00",
        "rent,1000.00,80,0.00,1000.00,0.00",
    ]


def test_list_without_budgets_prints_nothing_on_stdout(
    store: Store, alice: User, runner: CliRunner
) -> None:
    result = invoke(runner, "list")
    assert result.exit_code == 0 and result.stdout == ""
    assert "budget budget set" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["set", "food", "-5"], "amount '-5' must be positive"),
        (["set", "food", "--", "-5"], "amount '-5' must be positive"),
        (["set", "food", "0"], "amount '0' must be more than zero"),
        (["set", "food", "abc"], "amount 'abc' is not a number"),
        (["set", "food", "10", "--threshold", "0"], "threshold 0 is out of range"),
        (["set", "food", "10", "--threshold", "150"], "threshold 150 is out of range"),
        (["set", " ", "10"], "category is empty"),
        (["rm", "unknown"], "no budget for category 'unknown'"),
        (["list", "--month", "2026-13"], "month '2026-13' has no month 13"),
    ],
)
def test_bad_input_is_one_line_exit_1_and_writes_nothing(
    store: Store, alice: User, runner: CliRunner, args: list[str], message: str
) -> None:
    budgets.set_budget(store, alice.user_id, "rent", Decimal("900"))
    before = table_items(store, "budgets")
    result = invoke(runner, *args)
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert table_items(store, "budgets") == before


def test_commands_need_a_login(store: Store, runner: CliRunner) -> None:
    result = invoke(runner, "list")
    assert result.exit_code == ExitCode.AUTH
    assert "budget login" in result.stderr


def test_bob_through_the_cli_sees_only_his_budgets(
    store: Store, alice: User, bob: User, runner: CliRunner
) -> None:
    assert invoke(runner, "set", "food", "100").exit_code == 0
    log_in(store, "bob")
    assert json.loads(invoke(runner, "list", "-f", "json").stdout) == []
    refused = invoke(runner, "rm", "food")
    assert refused.exit_code == ExitCode.ERROR
    assert [b.category for b in budgets.budgets_for_user(store, alice.user_id)] == ["food"]


def test_list_table_keeps_big_amounts_whole_at_80_columns(
    store: Store, alice: User, runner: CliRunner
) -> None:
    """Piped output is 80 columns wide: amounts and percents are never cut there."""
    for args in (
        ("set", "entertainment", "100000000"),
        ("set", "food", "99999999.99"),
        ("set", "rent-and-utilities-for-the-flat-and-the-garage", "0.01"),
    ):
        assert invoke(runner, *args).exit_code == 0
    spend(store, alice, "999999999.99", "entertainment")
    spend(store, alice, "0.01", "entertainment")
    spend(store, alice, "99999999.98")
    spend(store, alice, "999999999.99", "rent-and-utilities-for-the-flat-and-the-garage")
    narrow = invoke_at(runner, 80, "list", "--month", NOVEMBER)
    assert narrow.exit_code == 0, narrow.stderr
    lines = narrow.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), narrow.stdout
    assert "…" not in narrow.stdout
    for whole in (
        "100000000.00",
        "1000000000.00",
        "-900000000.00",
        "1000.00%",
        "99999999.99",
        "99999999.98",
        "99.99%",
        "0.01",
        "-999999999.98",
        "9999999999900.00%",
    ):
        assert re.search(rf"(?<![\d.]){re.escape(whole)}(?![\d%])", narrow.stdout), whole
    # The long category wraps in its column; the bar, only decoration, gives way first.
    category = "".join(line.split()[0] for line in lines[3:] if line.split())
    assert "foodrent-and-utilities-for-the-flat-and-the-garage" in category
    assert "━" not in narrow.stdout
    wide = invoke_at(runner, 160, "list", "--month", NOVEMBER)
    assert "━" in wide.stdout
    assert "rent-and-utilities-for-the-flat-and-the-garage" in wide.stdout
    assert all(len(line) <= 160 for line in wide.stdout.splitlines()), wide.stdout


def test_list_table_has_the_light_box_of_the_expense_listing(
    store: Store, alice: User, runner: CliRunner
) -> None:
    budgets.set_budget(store, alice.user_id, "food", Decimal("400"))
    spend(store, alice, "100")
    lines = invoke_at(runner, 80, "list", "--month", NOVEMBER).stdout.splitlines()
    assert lines[0].strip() == "Budgets for 2026-11"
    assert re.fullmatch(r"Category\s+Limit\s+Warn\s+Spent\s+Remaining\s+Used", lines[1].strip())
    assert set(lines[2]) == {"─"}
    assert re.match(r"food\s+400\.00\s+80%\s+100\.00\s+300\.00\s+25\.00%\s+━+", lines[3])
    assert not any(ch in "\n".join(lines) for ch in "┃│┏└")


def invoke_at(runner: CliRunner, width: int, *args: str) -> Any:
    return runner.invoke(app, ["budget", *args], env={"COLUMNS": str(width), "NO_COLOR": "1"})
