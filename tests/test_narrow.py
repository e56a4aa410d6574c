"""Every table at 40, 60, 80 and 120 columns: its key column (category, date, month,
level) readable, every figure and id whole, long text wrapped; below the width a table
needs it is stacked, one record per block. Rendered by Rich at a fixed width, and by the
commands themselves with COLUMNS set."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.dates import Period
from budgetcli.models import (
    Alert,
    Budget,
    BudgetStatus,
    CategorySource,
    DeliveryStatus,
    Direction,
    Expense,
    MatchKind,
    Rule,
    RuleField,
    User,
)
from budgetcli.output import Column, listing
from budgetcli.output.alerts import HISTORY_COLUMNS, _history_row
from budgetcli.output.budgets import status_table
from budgetcli.output.categories import (
    EVALUATION_COLUMNS,
    PROPOSAL_COLUMNS,
    RULE_COLUMNS,
    evaluation_rows,
    proposal_rows,
    rule_rows,
)
from budgetcli.output.expenses import expense_listing
from budgetcli.output.reports import category_table, month_table
from budgetcli.services.categories import Decision
from budgetcli.services.categories.evaluation import Evaluation
from budgetcli.services.categories.review import Proposal
from budgetcli.services.reports import CategoryReport, CategoryTotal, MonthReport, MonthTotal
from budgetcli.store import Store
from tests.helpers import set_budget, spend

WIDTHS = [40, 60, 80, 120]
ID = "3f2b6c1e-8d4a-4f7e-9c2a-1b5d7e9f0a12"
OTHER_ID = "8a1b6c1e-8d4a-4f7e-9c2a-1b5d7e9f0a99"
LONG_NOTE = "lunch with Sam at the place near the station, with dessert and coffee"


def render(renderable: Any, width: int) -> str:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def whole(text: str, word: str) -> bool:
    """`word` appears on one line, not cut or joined to a neighbour."""
    return re.search(rf"(?<![\w.%-]){re.escape(word)}(?![\w%])", text) is not None


EXPENSES = [
    Expense(ID, "u", Decimal("12.50"), "food", LONG_NOTE, date(2026, 11, 5), "x"),
    Expense(
        OTHER_ID,
        "u",
        Decimal("1234.00"),
        "rent and utilities for the flat",
        "",
        date(2026, 11, 1),
        "x",
    ),
]
STATUSES = [
    BudgetStatus(Budget("b-1", "u", "food", Decimal("400"), 80, ""), Decimal("100")),
    BudgetStatus(Budget("b-2", "u", "groceries", Decimal("1000"), 90, ""), Decimal("1200.50")),
]
ALERTS = [
    Alert(
        "n-1",
        "u",
        "warning",
        "m",
        "console",
        "2026-11-05T12:00:00+00:00",
        category="food",
        month="2026-11",
        spent=Decimal("90"),
        amount=Decimal("100"),
    ),
    Alert(
        "n-2",
        "u",
        "exceeded",
        "m",
        "email",
        "2026-11-06T12:00:00+00:00",
        delivery_status=DeliveryStatus.FAILED,
        category="groceries",
        month="2026-10",
        spent=Decimal("1200.50"),
        amount=Decimal("1000"),
    ),
]
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
CATEGORIES = CategoryReport(
    MARCH,
    (
        CategoryTotal("groceries", Decimal("412.50"), 31, Decimal("400")),
        CategoryTotal("fun", Decimal("3.10"), 2),
    ),
    (CategoryTotal("travel", Decimal(0), 0, Decimal("300")),),
    budget_months=1,
)
MONTHS = MonthReport(
    Period(date(2025, 7, 1), date(2025, 9, 30)),
    (
        MonthTotal(date(2025, 7, 1), Decimal("120.00"), 3, Decimal(0)),
        MonthTotal(date(2025, 8, 1), Decimal("0.00"), 0, Decimal("120.00")),
        MonthTotal(date(2025, 9, 1), Decimal("60.00"), 1, Decimal(0)),
    ),
    "food",
    Decimal("100"),
)
OBJECT = [
    {"field": "expense_id", "value": ID},
    {"field": "amount", "value": "12.50"},
    {"field": "description", "value": LONG_NOTE},
]

RULES = [
    Rule(
        "tesco stores",
        "tesco stores",
        "groceries",
        RuleField.PAYEE,
        MatchKind.TEXT,
        Decimal(20),
        Decimal(100),
    ),
    Rule("pret", "^pret a manger", "coffee", match=MatchKind.REGEX, direction=Direction.OUT),
]
PROPOSALS = [
    Proposal(
        EXPENSES[0],
        Decision("coffee", CategorySource.RULE, 1.0, rule=RULES[1]),
        (Decision("coffee", CategorySource.RULE, 1.0, rule=RULES[1]),),
    ),
    Proposal(
        EXPENSES[1],
        None,
        (
            Decision("subscriptions", CategorySource.LEARNED, 0.63),
            Decision("groceries", CategorySource.LEARNED, 0.37),
        ),
    ),
]
EVALUATION = Evaluation(
    months=3, rows=18, decided=15, correct=15, seen_rows=15, seen_decided=15, seen_correct=15
)

TABLES: dict[str, tuple[Callable[[], Any], list[str]]] = {
    "list": (
        lambda: expense_listing(EXPENSES),
        ["2026-11-05", "2026-11-01", "12.50", "1234.00", "1246.50", "food", ID, OTHER_ID],
    ),
    "budget list": (
        lambda: status_table(STATUSES, title="Budgets for 2026-11"),
        ["food", "groceries", "400.00", "1200.50", "-200.50", "25.00%", "120.05%", "80%"],
    ),
    "alerts history": (
        lambda: listing(HISTORY_COLUMNS, [_history_row(alert) for alert in ALERTS]),
        ["2026-11", "2026-10", "food", "groceries", "warning", "exceeded", "90.00", "120.05"],
    ),
    "report": (
        lambda: category_table(CATEGORIES),
        ["groceries", "fun", "travel", "412.50", "3.10", "415.60", "103% of 400.00", "0.7%"],
    ),
    "report by month": (
        lambda: month_table(MONTHS),
        ["2025-07", "2025-08", "2025-09", "120.00", "180.00", "120% of 100.00", "-100.0%"],
    ),
    "rules list": (
        lambda: listing(RULE_COLUMNS, rule_rows(RULES), title="Rules, first match wins"),
        ["tesco stores", "groceries", "20.00-100.00", "coffee", "pret"],
    ),
    "categorize": (
        lambda: listing(PROPOSAL_COLUMNS, proposal_rows(PROPOSALS), title="2 expenses"),
        ["2026-11-05", "12.50", "1234.00", "coffee", "rule 'pret'", "subscriptions 63%"],
    ),
    "categorize --eval": (
        lambda: listing(EVALUATION_COLUMNS, evaluation_rows(EVALUATION), show_header=False),
        ["83.3%", "100.0%", "0.0%", "18", "15"],
    ),
    "whoami and add": (
        lambda: listing(
            [
                Column("", "field", no_wrap=True, heading=True),
                Column("", "value", own_line=True, needs=40),
            ],
            OBJECT,
            show_header=False,
        ),
        ["expense_id", ID, "12.50", "description"],
    ),
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_keeps_its_keys_and_figures_whole(name: str, width: int) -> None:
    make, words = TABLES[name]
    text = render(make(), width)
    assert all(len(line) <= width for line in text.splitlines()), text
    assert "…" not in text
    for word in words:
        assert whole(text, word), (word, text)


def test_the_expense_id_does_not_starve_the_note_at_80_columns() -> None:
    """The id goes under the note when both do not fit side by side."""
    text = render(expense_listing(EXPENSES), 80)
    header = text.splitlines()[0]
    assert re.fullmatch(r"Date\s+Amount\s+Category\s+Note", header), text
    assert "lunch with Sam at the place near the" in text  # the note is 36+ wide
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("2026-11-05"))
    assert lines[first + 2].strip() == ID, text


@pytest.mark.parametrize("width", WIDTHS)
def test_a_note_is_never_squeezed_to_make_room_for_the_id(width: int) -> None:
    """A note of 19 characters was wrapped into "expense / number / 1160" at 80 columns."""
    note = "expense number 1160"
    text = render(
        expense_listing([Expense(ID, "u", Decimal("1"), "c", note, date(2026, 11, 5), "x")]), width
    )
    assert note in text and whole(text, ID), text


def test_at_120_columns_each_expense_is_one_line_with_its_id() -> None:
    text = render(expense_listing(EXPENSES), 120)
    assert re.match(r"Date\s+Amount\s+Category\s+Note\s+Id$", text.splitlines()[0])
    assert re.search(rf"^2026-11-05\s+12\.50\s+food\s+lunch with Sam.*{ID}$", text, re.M)
    assert re.search(rf"^2026-11-01\s+1234\.00\s+rent and utilities\s+{OTHER_ID}$", text, re.M)


@pytest.mark.parametrize("width", [40, 60])
def test_narrow_expense_listings_are_stacked(width: int) -> None:
    lines = render(expense_listing(EXPENSES), width).splitlines()
    assert lines[0] == "2026-11-05  12.50  food"
    assert lines[1].startswith("  lunch with Sam")
    assert f"  {ID}" in lines and f"  {OTHER_ID}" in lines
    assert lines[-1] == "Total  1246.50  (2 expenses)"


def test_a_stacked_budget_keeps_each_pair_on_one_line() -> None:
    lines = render(status_table(STATUSES, title="Budgets for 2026-11"), 40).splitlines()
    assert lines[:4] == [
        "Budgets for 2026-11",
        "food",
        "  Limit 400.00  Warn 80%  Spent 100.00",
        "  Remaining 300.00  Used 25.00%",
    ]


# --- the commands, at the width COLUMNS gives them -----------------------------------------


@pytest.fixture
def spending(store: Store, alice: User) -> User:
    spend(store, alice, "412.50", "groceries", date.today())
    spend(store, alice, "3.10", "fun", date.today())
    set_budget(store, alice, "groceries", "400")
    return alice


@pytest.mark.usefixtures("spending")
def test_commands_fit_the_terminal_width(runner: CliRunner) -> None:
    assert runner.invoke(app, ["alerts"]).exit_code == 0
    commands = [
        (["list"], ["412.50", "3.10", "415.60", "groceries"]),
        (["budget", "list"], ["groceries", "400.00", "412.50", "-12.50", "103.12%"]),
        (["alerts", "history"], ["groceries", "warning", "exceeded", "103.12"]),
        (["report"], ["groceries", "fun", "412.50", "415.60", "103% of 400.00"]),
    ]
    for width in WIDTHS:
        for args, words in commands:
            result = runner.invoke(app, args, env={"COLUMNS": str(width), "NO_COLOR": "1"})
            assert result.exit_code == 0, result.stderr
            lines = result.stdout.splitlines()
            assert all(len(line.rstrip()) <= width for line in lines), (width, result.stdout)
            for word in words:
                assert whole(result.stdout, word), (width, args, word, result.stdout)


def _command_paths(group: Any, prefix: list[str]) -> list[list[str]]:
    paths = [prefix]
    for name, command in getattr(group, "commands", {}).items():
        paths += _command_paths(command, [*prefix, name])
    return paths


@pytest.mark.usefixtures("no_storage")
@pytest.mark.parametrize("width", [40, 59])
def test_help_wraps_to_a_narrow_terminal_and_cuts_nothing(runner: CliRunner, width: int) -> None:
    from typer.main import get_command

    for path in _command_paths(get_command(app), []):
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(width)})
        assert result.exit_code == 0, (path, result.output)
        assert "…" not in result.stdout, (path, result.stdout)
        too_long = [line for line in result.stdout.splitlines() if len(line) > width]
        assert not too_long, (path, too_long)
        for option in ("--help", "-h"):
            assert option in result.stdout, (path, result.stdout)


STATEMENT = (
    "Buchung;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Saldo\n"
    "02.03.2026;Bäckerei Müller am Marktplatz;Brötchen und Kaffee für das Büro;-12,50;987,50\n"
    "28.02.2026;Stadtwerke;Abschlag Strom Februar 2026, Kundennummer 1234567890;-84,00;1000,00\n"
)


@pytest.mark.usefixtures("alice")
def test_an_import_dry_run_and_its_profiles_fit_the_terminal_width(
    runner: CliRunner, tmp_path: Any
) -> None:
    statement = tmp_path / "konto.csv"
    statement.write_text(STATEMENT, encoding="utf-8")
    assert runner.invoke(app, ["import", str(statement)]).exit_code == 0
    listed = runner.invoke(app, ["import", "profiles", "list", "--format", "json"])
    profile_id = json.loads(listed.stdout)[0]["profile_id"]
    commands = [
        (["import", str(statement), "--dry-run"], ["2026-03-02", "12.50", "84.00", "%d.%m.%Y"]),
        (["import", "profiles", "list"], [profile_id, "Buchung"]),
        (["import", "profiles", "show", profile_id], [profile_id, "'Betrag'", "%d.%m.%Y"]),
    ]
    for width in WIDTHS:
        for args, words in commands:
            result = runner.invoke(app, args, env={"COLUMNS": str(width), "NO_COLOR": "1"})
            assert result.exit_code == 0, result.stderr
            lines = result.stdout.splitlines()
            assert all(len(line.rstrip()) <= width for line in lines), (width, result.stdout)
            assert "…" not in result.stdout
            for word in words:
                assert whole(result.stdout, word), (width, args, word, result.stdout)
    narrow = runner.invoke(app, ["import", str(statement), "--dry-run"], env={"COLUMNS": "40"})
    # Stacked, a row keeps its date, amount and category together, as `budget list` does.
    assert "2026-03-02  12.50  uncategorized" in narrow.stdout, narrow.stdout
