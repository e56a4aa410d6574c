"""`budget export` on both engines: every page, newest first, and a CSV that imports back."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode
from budgetcli.services import exports
from budgetcli.services.accounts import User
from budgetcli.services.expenses import Expense
from budgetcli.store import Store
from tests.helpers import log_in
from tests.test_import import expenses_of, total

TRICKY = [
    ("12.50", "food", "coffee, large", date(2026, 3, 2), None),
    ("12.50", "food", "coffee, large", date(2026, 3, 2), None),
    ("0.01", "misc", 'a "quoted" word', date(2026, 3, 1), "https://example.com/r/1"),
    ("999999.99", "rent", "café – naïve ünïcode", date(2026, 2, 28), None),
    ("7.00", "transport", "", date(2025, 12, 31), None),
]


def add_expenses(store: Store, user: User, rows: list[tuple[Any, ...]]) -> list[Expense]:
    """Expenses as `budget add` makes them: random ids."""
    made = []
    for amount, category, description, day, receipt_url in rows:
        expense = Expense(
            expense_id=str(uuid.uuid4()),
            user_id=user.user_id,
            amount=Decimal(amount),
            category=category,
            description=description,
            date=day,
            created_at="2026-03-03T10:00:00+00:00",
            receipt_url=receipt_url,
        )
        store.put("expenses", expense.to_item())
        made.append(expense)
    return made


def export(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 0, result.stderr
    return result


def test_csv_export_imports_into_another_user_with_the_same_count_and_total(
    store: Store, alice: User, bob: User, runner: CliRunner, tmp_path: Path
) -> None:
    add_expenses(store, alice, TRICKY)
    bank = "date,amount,category,description\n2026-01-05,3.50,food,tea\n2026-01-05,3.50,food,tea\n"
    (tmp_path / "bank.csv").write_text(bank)
    assert runner.invoke(app, ["import", str(tmp_path / "bank.csv")]).exit_code == 0
    alice_items = expenses_of(store, alice.user_id)
    assert len(alice_items) == 7

    exported = export(runner, "--format", "csv").stdout
    assert exported.splitlines()[0] == (
        "date,amount,category,description,expense_id,created_at,receipt_url"
    )
    path = tmp_path / "alice.csv"
    path.write_text(exported, encoding="utf-8")

    log_in(store, "bob")
    into_bob = runner.invoke(app, ["import", str(path), "--format", "json"])
    assert into_bob.exit_code == 0, into_bob.stderr
    assert json.loads(into_bob.stdout)["imported"] == 7
    bob_items = expenses_of(store, bob.user_id)
    assert len(bob_items) == 7
    assert total(bob_items) == total(alice_items) == Decimal("1000039.00")

    def contents(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        fields = ("date", "amount", "category", "description", "receipt_url")
        return sorted(tuple(str(item.get(f, "")) for f in fields) for item in items)

    assert contents(bob_items) == contents(alice_items)
    assert not {i["expense_id"] for i in bob_items} & {i["expense_id"] for i in alice_items}

    # Back into alice, whose expenses they are: nothing new, even those added by hand.
    log_in(store, "alice")
    into_alice = runner.invoke(app, ["import", str(path), "--format", "json"])
    assert json.loads(into_alice.stdout)["duplicates"] == 7
    assert len(expenses_of(store, alice.user_id)) == 7


def test_json_export_is_the_contract_array_newest_first(
    store: Store, alice: User, runner: CliRunner
) -> None:
    made = add_expenses(store, alice, TRICKY)
    document = json.loads(export(runner, "--format", "json").stdout)
    assert [e["date"] for e in document] == sorted((e["date"] for e in document), reverse=True)
    assert len(document) == 5
    by_id = {e["expense_id"]: e for e in document}
    receipt = next(e for e in made if e.receipt_url)
    assert by_id[receipt.expense_id] == {
        "expense_id": receipt.expense_id,
        "amount": "0.01",
        "category": "misc",
        "description": 'a "quoted" word',
        "date": "2026-03-01",
        "created_at": "2026-03-03T10:00:00+00:00",
        "receipt_url": "https://example.com/r/1",
    }
    assert all("receipt_url" not in e for e in document if e["expense_id"] != receipt.expense_id)
    assert {e["amount"] for e in document} == {"12.50", "0.01", "999999.99", "7.00"}


def test_a_date_range_is_inclusive(store: Store, alice: User, runner: CliRunner) -> None:
    add_expenses(store, alice, TRICKY)
    document = json.loads(
        export(runner, "--from", "2026-02-28", "--to", "2026-03-01", "-f", "json").stdout
    )
    assert sorted(e["date"] for e in document) == ["2026-02-28", "2026-03-01"]
    rows = list(csv.DictReader(io.StringIO(export(runner, "--from", "2026-03-02").stdout)))
    assert [r["description"] for r in rows] == ["coffee, large", "coffee, large"]


def test_export_follows_every_page(
    store: Store, alice: User, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [("1.25", "food", f"item {n}", date(2026, 1, 1 + n % 28), None) for n in range(60)]
    add_expenses(store, alice, rows)
    real_query = Store.query
    pages: list[int] = []

    def small_pages(self: Store, table: str, **kwargs: Any) -> Any:
        kwargs["page_size"] = 7
        pages.append(1)
        return real_query(self, table, **kwargs)

    monkeypatch.setattr(Store, "query", small_pages)
    document = json.loads(export(runner, "-f", "json").stdout)
    assert pages and len(document) == 60
    assert sorted(e["description"] for e in document) == sorted(f"item {n}" for n in range(60))


def test_an_empty_export(store: Store, alice: User, runner: CliRunner) -> None:
    assert export(runner, "-f", "json").stdout == "[]\n"
    assert export(runner).stdout == (
        "date,amount,category,description,expense_id,created_at,receipt_url\n"
    )


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--from", "2026-03-02", "--to", "2026-03-01"], ExitCode.ERROR, "is after --to"),
        (["--from", "someday"], ExitCode.ERROR, "is not a date"),
        (["--format", "table"], ExitCode.USAGE, "table"),
    ],
)
def test_bad_export_options(
    store: Store, alice: User, runner: CliRunner, args: list[str], code: int, message: str
) -> None:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == code
    assert message in result.stderr and result.stdout == ""


def test_export_needs_a_login(store: Store, runner: CliRunner) -> None:
    result = runner.invoke(app, ["export"])
    assert result.exit_code == ExitCode.AUTH and result.stdout == ""


def test_streamed_json_is_what_json_dumps_would_print() -> None:
    expenses = [
        Expense("e1", "u", Decimal("1.5"), "food", 'tea "green" ☕', date(2026, 1, 2), "t"),
        Expense("e2", "u", Decimal("3"), "misc", "", date(2026, 1, 1), "t", "https://x.io/r"),
    ]
    for count in (0, 1, 2):
        stream = io.StringIO()
        exports.write_json(stream, expenses[:count])
        records = [exports.expense_record(e) for e in expenses[:count]]
        assert stream.getvalue() == json.dumps(records, indent=2, ensure_ascii=False) + "\n"
