"""Expenses on both engines: exact money, real filters, every page, only your own.

Input refused before storage is tested without an engine in test_expense_input.py.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.dates import DateRange, utc_now_iso
from budgetcli.models import Expense, User
from budgetcli.services.expenses import NewExpense, add_expense, expenses_in
from budgetcli.store import Store
from budgetcli.tables.expenses import to_item as expense_item
from tests.helpers import log_in, table_items

pytestmark = pytest.mark.usefixtures("engine")


def all_expense_items(store: Store) -> list[dict[str, Any]]:
    return table_items(store, "expenses")


def add(store: Store, user: User, amount: str, category: str, on: date) -> Expense:
    return add_expense(store, user.user_id, NewExpense(Decimal(amount), category, on))


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, list(args))


def seed(store: Store, user: User, rows: list[tuple[str, str, str]], description: str = "") -> None:
    """Write (date, amount, category) rows for `user` straight to the table."""
    store.batch_write(
        "expenses",
        puts=(
            expense_item(
                Expense(
                    expense_id=str(uuid.uuid4()),
                    user_id=user.user_id,
                    amount=Decimal(amount),
                    category=category,
                    description=description,
                    date=date.fromisoformat(day),
                    created_at=utc_now_iso(),
                )
            )
            for day, amount, category in rows
        ),
    )


def listed(runner: CliRunner, *args: str) -> list[dict[str, str]]:
    result = invoke(runner, "list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    records: list[dict[str, str]] = json.loads(result.stdout)
    return records


# --- add ----------------------------------------------------------------------


def test_add_writes_the_seed_item_and_prints_the_expense(
    runner: CliRunner, store: Store, alice: User
) -> None:
    result = invoke(
        runner,
        "add",
        "12.50",
        "  Food ",
        "lunch with Sam",
        "--date",
        "2026-11-03",
        "--receipt-url",
        "https://example.com/r/1",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["amount"] == "12.50"
    assert printed["category"] == "food"
    assert printed["date"] == "2026-11-03"
    assert "user_id" not in printed
    [item] = all_expense_items(store)
    assert item["expense_id"] == printed["expense_id"]
    assert uuid.UUID(item["expense_id"])
    assert item["user_id"] == alice.user_id
    assert item["amount"] == Decimal("12.50") and isinstance(item["amount"], Decimal)
    assert item["description"] == "lunch with Sam"
    assert item["receipt_url"] == "https://example.com/r/1"
    assert item["created_at"].endswith("+00:00")


def test_add_defaults_to_today_and_prints_a_table(
    runner: CliRunner, store: Store, alice: User
) -> None:
    result = invoke(runner, "add", "3", "coffee")
    assert result.exit_code == 0, result.stderr
    assert "3.00" in result.stdout and date.today().isoformat() in result.stdout
    [item] = all_expense_items(store)
    assert item["date"] == date.today().isoformat()
    assert "receipt_url" not in item


def test_amounts_round_trip_exactly(runner: CliRunner, store: Store, alice: User) -> None:
    for amount in ("0.10", "0.20", "999999999.99", "1,234.56"):
        assert invoke(runner, "add", amount, "misc").exit_code == 0
    records = listed(runner)
    assert sorted(r["amount"] for r in records) == ["0.10", "0.20", "1234.56", "999999999.99"]
    table = invoke(runner, "list")
    assert "1000001234.85" in table.stdout
    small = listed(runner, "--category", "misc", "--limit", "4")
    total = sum((Decimal(r["amount"]) for r in small if Decimal(r["amount"]) < 1), Decimal(0))
    assert total == Decimal("0.30")
    stored = sorted(item["amount"] for item in all_expense_items(store))
    assert stored[:2] == [Decimal("0.1"), Decimal("0.2")]
    assert sum(stored[:2]) == Decimal("0.30")


# --- list ---------------------------------------------------------------------


def test_list_range_is_inclusive_newest_first_with_category_filter(
    runner: CliRunner, store: Store, alice: User
) -> None:
    seed(
        store,
        alice,
        [
            ("2026-10-31", "1.00", "food"),
            ("2026-11-01", "2.00", "food"),
            ("2026-11-15", "3.00", "rent"),
            ("2026-11-30", "4.00", "food"),
            ("2026-12-01", "5.00", "food"),
        ],
    )
    november = listed(runner, "--from", "2026-11-01", "--to", "2026-11-30")
    assert [r["date"] for r in november] == ["2026-11-30", "2026-11-15", "2026-11-01"]
    assert listed(runner, "--month", "2026-11") == november
    food = listed(runner, "--month", "2026-11", "--category", "FOOD")
    assert [r["amount"] for r in food] == ["4.00", "2.00"]
    assert [r["date"] for r in listed(runner, "--from", "2026-11-30")] == [
        "2026-12-01",
        "2026-11-30",
    ]
    assert [r["date"] for r in listed(runner, "--to", "2026-10-31")] == ["2026-10-31"]
    assert [r["date"] for r in listed(runner, "--limit", "2")] == ["2026-12-01", "2026-11-30"]


def test_list_table_ends_with_total_and_count(runner: CliRunner, store: Store, alice: User) -> None:
    seed(store, alice, [("2026-11-01", "0.10", "food"), ("2026-11-02", "0.20", "food")])
    result = invoke(runner, "list", "--month", "2026-11")
    assert result.exit_code == 0
    last_line = result.stdout.rstrip().splitlines()[-1]
    assert "Total" in last_line and "0.30" in last_line and "2 expenses" in last_line


def test_list_csv_has_a_header_and_every_field(
    runner: CliRunner, store: Store, alice: User
) -> None:
    seed(store, alice, [("2026-11-01", "7.5", "food")], description='say "hi", then')
    result = invoke(runner, "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1
    assert rows[0]["amount"] == "7.50" and rows[0]["description"] == 'say "hi", then'
    assert set(rows[0]) >= {"expense_id", "date", "amount", "category", "description"}


def test_listing_over_one_megabyte_returns_every_item(
    runner: CliRunner, store: Store, alice: User, bob: User, dynamodb_calls: list[str], engine: str
) -> None:
    start = date(2026, 1, 1)
    rows = [((start + timedelta(days=i % 300)).isoformat(), f"{i}.01", "bulk") for i in range(2600)]
    seed(store, alice, rows, description="x" * 450)  # about 1.4 MB of items
    seed(store, bob, rows[:50], description="bob")
    records = listed(runner)
    assert len(records) == 2600
    assert {r["expense_id"] for r in records} == {
        i["expense_id"] for i in all_expense_items(store) if i["user_id"] == alice.user_id
    }
    assert sum(Decimal(r["amount"]) for r in records) == sum(Decimal(a) for _, a, _ in rows)
    dates = [r["date"] for r in records]
    assert dates == sorted(dates, reverse=True)
    if engine == "dynamodb-local":  # moto does not cut pages at 1 MB
        assert dynamodb_calls.count("Query") >= 2


def test_list_cost_follows_the_range_not_the_history(
    store: Store, alice: User, dynamodb_calls: list[str]
) -> None:
    from budgetcli import config
    from budgetcli.store import connect

    seed(store, alice, [(f"2020-01-{d:02d}", "1.00", "old") for d in range(1, 29)] * 20)
    seed(store, alice, [("2026-11-05", "1.00", "new")])
    recording_store = connect(config.load_settings())
    november = DateRange(date(2026, 11, 1), date(2026, 11, 30))
    found = list(expenses_in(recording_store, alice.user_id, november))
    assert [e.category for e in found] == ["new"]
    assert dynamodb_calls == ["Query"]


# --- edit and rm: only your own -------------------------------------------------


def test_edit_changes_only_the_given_fields(runner: CliRunner, store: Store, alice: User) -> None:
    expense = add(store, alice, "5.00", "food", date(2026, 11, 3))
    result = invoke(
        runner, "edit", expense.expense_id, "--amount", "6.10", "--date", "Nov 4", "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["amount"] == "6.10" and printed["category"] == "food"
    [item] = all_expense_items(store)
    assert item["amount"] == Decimal("6.10") and item["date"].endswith("-11-04")
    assert item["created_at"] == expense.created_at and item["user_id"] == alice.user_id


def test_another_users_expense_is_like_one_that_does_not_exist(
    runner: CliRunner, store: Store, alice: User, bob: User
) -> None:
    bobs = add(store, bob, "9.99", "secret", date(2026, 11, 3))
    before = all_expense_items(store)
    unknown = str(uuid.uuid4())
    for target in (bobs.expense_id, unknown):
        edited = invoke(runner, "edit", target, "--amount", "0.01")
        removed = invoke(runner, "rm", target)
        for result in (edited, removed):
            assert result.exit_code == 1
            assert result.stderr == f"error: no such expense: {target}" + (
                " (see `budget list`)\n"
                if result is edited
                else " (nothing was removed; see `budget list`)\n"
            )
    assert all_expense_items(store) == before
    assert listed(runner) == []


def test_rm_is_all_or_nothing(runner: CliRunner, store: Store, alice: User, bob: User) -> None:
    mine = [add(store, alice, "1", "a", date(2026, 1, 1)) for _ in range(3)]
    bobs = add(store, bob, "1", "b", date(2026, 1, 1))
    result = invoke(runner, "rm", mine[0].expense_id, bobs.expense_id)
    assert result.exit_code == 1 and bobs.expense_id in result.stderr
    assert len(all_expense_items(store)) == 4
    result = invoke(runner, "rm", mine[0].expense_id, mine[1].expense_id, mine[0].expense_id)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "removed 2 expenses\n"
    remaining = {item["expense_id"] for item in all_expense_items(store)}
    assert remaining == {mine[2].expense_id, bobs.expense_id}


def test_switching_users_switches_what_is_listed(
    runner: CliRunner, store: Store, alice: User, bob: User
) -> None:
    seed(store, alice, [("2026-11-01", "1.00", "a")])
    seed(store, bob, [("2026-11-01", "2.00", "b")])
    assert [r["category"] for r in listed(runner)] == ["a"]
    log_in(store, "bob")
    assert [r["category"] for r in listed(runner)] == ["b"]


def test_add_survives_a_lost_response_without_a_duplicate(store: Store, alice: User) -> None:
    from tests.faults import lost_responses

    with lost_responses(store.client, "PutItem", times=1) as attempts:
        expense = add(store, alice, "7.00", "taxi", date(2026, 11, 3))
    assert attempts == ["lost", "passed"]
    [item] = all_expense_items(store)
    assert item["expense_id"] == expense.expense_id and item["amount"] == Decimal("7.00")


def test_a_removed_imported_expense_stays_removed_when_imported_again(
    runner: CliRunner, store: Store, alice: User
) -> None:
    statement = "date,amount,category\n2026-11-01,1.00,food\n2026-11-02,2.00,food\n"
    first = runner.invoke(app, ["import", "-", "--format", "json"], input=statement)
    assert json.loads(first.stdout)["imported"] == 2
    gone = next(r for r in listed(runner) if r["amount"] == "1.00")["expense_id"]
    assert invoke(runner, "rm", gone).exit_code == 0
    again = runner.invoke(app, ["import", "-", "--format", "json"], input=statement)
    assert (json.loads(again.stdout)["imported"], json.loads(again.stdout)["duplicates"]) == (0, 2)
    assert [r["amount"] for r in listed(runner)] == ["2.00"]
    for args in (["edit", gone, "--amount", "5"], ["rm", gone]):
        result = invoke(runner, *args)
        assert result.exit_code == 1 and "no such expense" in result.stderr
    assert listed(runner, "--month", "2026-11")[0]["amount"] == "2.00"
