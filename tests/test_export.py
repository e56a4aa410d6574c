"""`budget export`: every page, newest first, and a CSV that imports back (on both engines);
its options and streams, which need no engine."""

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
from budgetcli.models import Expense, User
from budgetcli.output.expenses import EXPENSE_FIELDS, expense_record, write_csv, write_json
from budgetcli.store import Store
from budgetcli.tables.expenses import to_item as expense_item
from tests.helpers import log_in
from tests.test_import import expenses_of, total

TRICKY = [
    ("12.50", "food", "coffee, large", date(2026, 3, 2), None),
    ("12.50", "food", "coffee, large", date(2026, 3, 2), None),
    ("0.01", "misc", 'a "quoted" word', date(2026, 3, 1), "https://example.com/r/1"),
    ("999999.99", "rent", "café – naïve ünïcode", date(2026, 2, 28), None),
    ("7.00", "transport", "", date(2025, 12, 31), None),
]
HEADER = "date,amount,category,description,expense_id,created_at,receipt_url"


def add_expenses(store: Store, user: User, rows: list[tuple[Any, ...]]) -> list[Expense]:
    """Expenses as `budget add` makes them: random ids."""
    made = [
        Expense(
            expense_id=str(uuid.uuid4()),
            user_id=user.user_id,
            amount=Decimal(amount),
            category=category,
            description=description,
            date=day,
            created_at="2026-03-03T10:00:00+00:00",
            receipt_url=receipt_url,
        )
        for amount, category, description, day, receipt_url in rows
    ]
    store.batch_write("expenses", puts=[expense_item(expense) for expense in made])
    return made


def export(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 0, result.stderr
    return result


# --- on both engines ------------------------------------------------------------------


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
    assert exported.splitlines()[0] == HEADER
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


def test_a_date_range_is_inclusive_and_an_empty_one_is_an_empty_document(
    store: Store, alice: User, runner: CliRunner
) -> None:
    assert export(runner, "-f", "json").stdout == "[]\n"
    assert export(runner).stdout == HEADER + "\n"
    add_expenses(store, alice, TRICKY)
    document = json.loads(
        export(runner, "--from", "2026-02-28", "--to", "2026-03-01", "-f", "json").stdout
    )
    assert sorted(e["date"] for e in document) == ["2026-02-28", "2026-03-01"]
    rows = list(csv.DictReader(io.StringIO(export(runner, "--from", "2026-03-02").stdout)))
    assert [r["description"] for r in rows] == ["coffee, large", "coffee, large"]
    assert export(runner, "--to", "2025-12-30", "-f", "json").stdout == "[]\n"
    assert export(runner, "--from", "2026-03-03").stdout == HEADER + "\n"


def test_export_follows_every_page(
    store: Store,
    alice: User,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    dynamodb_calls: list[str],
) -> None:
    rows = [("1.25", "food", f"item {n}", date(2026, 1, 1 + n % 28), None) for n in range(60)]
    add_expenses(store, alice, rows)
    real_query = Store.query

    def small_pages(self: Store, table: str, **kwargs: Any) -> Any:
        kwargs["page_size"] = 7
        return real_query(self, table, **kwargs)

    monkeypatch.setattr(Store, "query", small_pages)
    document = json.loads(export(runner, "-f", "json").stdout)
    assert dynamodb_calls.count("Query") >= 60 // 7 + 1
    assert len(document) == 60
    assert sorted(e["description"] for e in document) == sorted(f"item {n}" for n in range(60))


# --- refused before storage -------------------------------------------------------------


@pytest.mark.usefixtures("no_storage")
@pytest.mark.parametrize(
    "args, code, message",
    [
        (
            ["--from", "2026-03-02", "--to", "2026-03-01"],
            ExitCode.ERROR,
            "error: --from 2026-03-02 is after --to 2026-03-01: swap them\n",
        ),
        (["--from", "someday"], ExitCode.ERROR, "error: date 'someday' is not a date"),
        (["--to", "2026-02-30"], ExitCode.ERROR, "error: date '2026-02-30' is not a real"),
        (["--format", "table"], ExitCode.USAGE, "table"),
    ],
)
def test_bad_export_options(runner: CliRunner, args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == code
    assert message in result.stderr and result.stdout == ""
    if code == ExitCode.ERROR:
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


@pytest.mark.usefixtures("no_storage")
def test_export_needs_a_login(runner: CliRunner) -> None:
    result = runner.invoke(app, ["export"])
    assert result.exit_code == ExitCode.AUTH and result.stdout == ""
    assert result.stderr == "error: not logged in: run `budget login USERNAME`\n"


# --- the streams --------------------------------------------------------------------------

EXPENSES = [
    Expense("e1", "u", Decimal("1.5"), "food", 'tea "green" ☕', date(2026, 1, 2), "t"),
    Expense("e2", "u", Decimal("3"), "misc", "", date(2026, 1, 1), "t", "https://x.io/r"),
]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_streamed_json_is_what_json_dumps_would_print(count: int) -> None:
    stream = io.StringIO()
    assert write_json(stream, iter(EXPENSES[:count])) == count
    records = [expense_record(e) for e in EXPENSES[:count]]
    assert stream.getvalue() == json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def test_the_csv_has_every_column_in_the_contracts_order() -> None:
    stream = io.StringIO()
    assert write_csv(stream, iter(EXPENSES)) == 2
    assert ",".join(EXPENSE_FIELDS) == HEADER
    assert stream.getvalue() == (
        f"{HEADER}\n"
        '2026-01-02,1.50,food,"tea ""green"" ☕",e1,t,\n'
        "2026-01-01,3.00,misc,,e2,t,https://x.io/r\n"
    )
