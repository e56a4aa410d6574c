"""`budget report` on both engines: exact totals, every month, the requests it makes,
trends, budgets, and the tables through the command.

The rules alone (periods, ordering, budget scaling, month slicing, changes, refusals
before storage) are in test_report_rules.py; the tables themselves in test_output.py.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.dates import Period
from budgetcli.models import Expense, User
from budgetcli.services import reports
from budgetcli.store import Store
from budgetcli.tables.expenses import to_item as expense_item
from budgetcli.tables.schema import EXPENSES
from tests.helpers import set_budget
from tests.test_output import BAR, assert_whole, bar_cells

Row = tuple[str, str, str]  # (date, amount, category)

# Amounts that binary floats get wrong when summed, spread over Nov 2025 .. Feb 2026.
ACROSS_NEW_YEAR: list[Row] = [
    ("2025-11-14", "999.99", "food"),  # the day before the range
    ("2025-11-15", "0.10", "food"),
    ("2025-11-15", "0.20", "food"),
    ("2025-11-30", "33.33", "rent"),
    ("2025-12-01", "0.01", "fun"),
    ("2025-12-24", "19.99", "food"),
    ("2025-12-31", "0.07", "fun"),
    ("2026-01-01", "1234.56", "rent"),
    ("2026-01-01", "0.10", "food"),
    ("2026-01-31", "2.22", "travel"),
    ("2026-02-10", "7.77", "food"),  # the last day of the range
    ("2026-02-11", "555.55", "rent"),  # the day after
]
FIRST, LAST = date(2025, 11, 15), date(2026, 2, 10)
SPAN = Period(FIRST, LAST)


def add_expenses(store: Store, user: User, rows: Iterable[Row]) -> list[Expense]:
    expenses = [
        Expense(
            expense_id=str(uuid.uuid4()),
            user_id=user.user_id,
            amount=Decimal(amount),
            category=category,
            description=f"{category} on {day}",
            date=date.fromisoformat(day),
            created_at="2026-01-01T00:00:00+00:00",
        )
        for day, amount, category in rows
    ]
    store.batch_write(EXPENSES, puts=[expense_item(expense) for expense in expenses])
    return expenses


def expected_by_category(rows: Iterable[Row], first: date, last: date) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for day, amount, category in rows:
        if first <= date.fromisoformat(day) <= last:
            totals[category] += Decimal(amount)
    return dict(totals)


def invoke(runner: CliRunner, args: list[str], **kwargs: Any) -> Any:
    return runner.invoke(app, ["report", *args], **kwargs)


def json_report(runner: CliRunner, args: list[str]) -> list[dict[str, Any]]:
    result = invoke(runner, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    document: list[dict[str, Any]] = json.loads(result.stdout)
    return document


# --- totals ---------------------------------------------------------------------------


def test_category_totals_equal_the_listed_expenses_across_a_year_boundary(
    store: Store, alice: User, bob: User, runner: CliRunner
) -> None:
    add_expenses(store, alice, ACROSS_NEW_YEAR)
    add_expenses(store, bob, [("2025-12-24", "5000.00", "food")])  # someone else's
    expected = expected_by_category(ACROSS_NEW_YEAR, FIRST, LAST)

    report = reports.category_report(store, alice.user_id, SPAN)
    assert {row.category: row.total for row in report.rows} == expected
    assert report.total == sum(expected.values()) == Decimal("1298.35")
    assert report.count == 10

    document = json_report(runner, ["--from", "2025-11-15", "--to", "2026-02-10"])
    assert all(set(entry) == {"category", "total", "count"} for entry in document)
    assert {entry["category"]: entry["total"] for entry in document} == {
        category: f"{total:.2f}" for category, total in expected.items()
    }
    assert {entry["category"]: entry["count"] for entry in document} == {
        "food": 5,
        "rent": 2,
        "fun": 2,
        "travel": 1,
    }
    assert sum(Decimal(entry["total"]) for entry in document) == Decimal("1298.35")


def test_month_totals_add_up_to_the_category_totals(store: Store, alice: User) -> None:
    add_expenses(store, alice, ACROSS_NEW_YEAR)
    by_month = reports.month_report(store, alice.user_id, SPAN)
    by_category = reports.category_report(store, alice.user_id, SPAN)
    assert [row.label for row in by_month.rows] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert [row.total for row in by_month.rows] == [
        Decimal("33.63"),
        Decimal("20.07"),
        Decimal("1236.88"),
        Decimal("7.77"),
    ]
    assert by_month.total == by_category.total
    assert by_month.count == by_category.count


def test_default_period_is_the_current_month(store: Store, alice: User, runner: CliRunner) -> None:
    today = date.today()
    add_expenses(store, alice, [(today.isoformat(), "12.50", "food")])
    add_expenses(store, alice, [(date(today.year - 1, 1, 1).isoformat(), "99.00", "food")])
    assert json_report(runner, []) == [{"category": "food", "total": "12.50", "count": 1}]


# --- every month ------------------------------------------------------------------------


def test_empty_months_appear_with_zero(store: Store, alice: User, runner: CliRunner) -> None:
    add_expenses(
        store,
        alice,
        [("2025-11-03", "10.00", "food"), ("2026-02-28", "2.50", "food")],
    )
    args = ["--by", "month", "--from", "2025-10-01", "--to", "2026-03-31"]
    assert json_report(runner, args) == [
        {"month": "2025-10", "total": "0.00", "count": 0},
        {"month": "2025-11", "total": "10.00", "count": 1},
        {"month": "2025-12", "total": "0.00", "count": 0},
        {"month": "2026-01", "total": "0.00", "count": 0},
        {"month": "2026-02", "total": "2.50", "count": 1},
        {"month": "2026-03", "total": "0.00", "count": 0},
    ]
    result = invoke(runner, [*args, "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert result.stdout.splitlines()[0] == "month,total,count"
    assert [(r["month"], r["total"], r["count"]) for r in rows][:3] == [
        ("2025-10", "0.00", "0"),
        ("2025-11", "10.00", "1"),
        ("2025-12", "0.00", "0"),
    ]


def test_change_is_against_the_month_before_even_the_first_one(store: Store, alice: User) -> None:
    add_expenses(
        store,
        alice,
        [
            ("2025-12-31", "100.00", "food"),  # before the range: only the first change uses it
            ("2026-01-15", "150.00", "food"),
            ("2026-03-02", "30.00", "food"),
        ],
    )
    report = reports.month_report(store, alice.user_id, Period(date(2026, 1, 1), date(2026, 3, 31)))
    assert [(row.label, row.total, row.previous) for row in report.rows] == [
        ("2026-01", Decimal("150.00"), Decimal("100.00")),
        ("2026-02", Decimal("0"), Decimal("150.00")),
        ("2026-03", Decimal("30.00"), Decimal("0")),
    ]
    assert report.rows[0].change_ratio == Decimal("0.5")
    assert report.rows[1].change_ratio == Decimal(-1)
    assert report.rows[2].change_ratio is None  # nothing the month before: no percentage
    assert report.total == Decimal("180.00")  # the month before is not part of the total


def record_requests(store: Store) -> list[tuple[str, dict[str, Any]]]:
    """Every DynamoDB request the store's client sends from now on: operation and parameters."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def remember(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, dict(params)))

    store.client.meta.events.register("provide-client-params.dynamodb", remember)
    return calls


def test_reports_query_the_date_index_projecting_only_what_they_sum(
    store: Store, alice: User
) -> None:
    add_expenses(store, alice, ACROSS_NEW_YEAR)
    calls = record_requests(store)
    reports.category_report(store, alice.user_id, SPAN)
    expense_queries = [p for op, p in calls if p["TableName"] == store.table_name(EXPENSES)]
    # Only the expenses: budgets are monthly, so a period of part-months does not read them.
    assert [op for op, _ in calls] == ["Query"]
    assert len(expense_queries) == 1
    (query,) = expense_queries
    assert query["IndexName"] == "user_id-date-index"
    projected = {
        query["ExpressionAttributeNames"][name]
        for name in query["ProjectionExpression"].replace(" ", "").split(",")
    }
    assert projected == {"category", "amount"}

    calls.clear()
    report = reports.month_report(store, alice.user_id, SPAN, category="food")
    assert {op for op, _ in calls} == {"Query"}
    month_queries = [p for _, p in calls if p["TableName"] == store.table_name(EXPENSES)]
    # One Query for up to twelve months (here four, and the month before the first);
    # the other Query reads the food budget.
    assert len(month_queries) == 1 == len(calls) - 1
    for query in month_queries:
        assert query["IndexName"] == "user_id-date-index"
        names = query["ExpressionAttributeNames"]
        projection = query["ProjectionExpression"].replace(" ", "").split(",")
        # The category is compared in any case here, which a filter expression cannot do.
        assert [names[name] for name in projection] == ["date", "category", "amount"]
        assert "FilterExpression" not in query
    assert [row.total for row in report.rows] == [
        Decimal("0.30"),
        Decimal("19.99"),
        Decimal("0.10"),
        Decimal("7.77"),
    ]

    calls.clear()
    reports.month_report(store, alice.user_id, SPAN)
    for _, query in calls:
        names = query["ExpressionAttributeNames"]
        projection = query["ProjectionExpression"].replace(" ", "").split(",")
        assert [names[name] for name in projection] == ["date", "amount"]

    calls.clear()
    two_years = reports.month_report(
        store, alice.user_id, Period(date(2024, 1, 1), date(2025, 12, 31))
    )
    # 25 months with the one before: three Queries of at most twelve months.
    assert len([op for op, _ in calls if op == "Query"]) == 3
    assert len(two_years.rows) == 24


# --- order, trend, budgets ----------------------------------------------------------------


def test_category_trend_month_by_month(store: Store, alice: User, runner: CliRunner) -> None:
    add_expenses(
        store,
        alice,
        [
            ("2025-12-05", "10.00", "food"),
            ("2025-12-06", "500.00", "rent"),
            ("2026-01-07", "12.25", "food"),
            ("2026-01-08", "12.25", "food"),
            ("2026-01-09", "3.00", "fun"),
            ("2026-02-10", "700.00", "rent"),
        ],
    )
    expected = [
        {"month": "2025-12", "total": "10.00", "count": 1},
        {"month": "2026-01", "total": "24.50", "count": 2},
        {"month": "2026-02", "total": "0.00", "count": 0},
    ]
    span = ["--from", "2025-12-01", "--to", "2026-02-28"]
    assert json_report(runner, [*span, "--by", "month", "--category", "food"]) == expected
    # --category alone means the trend, and the category is matched as it is stored.
    assert json_report(runner, [*span, "--category", " Food "]) == expected
    # With --by category it narrows the table to that one category.
    assert json_report(runner, [*span, "--by", "category", "-c", "food"]) == [
        {"category": "food", "total": "34.50", "count": 3}
    ]


def test_budgets_are_shown_against_their_category(
    store: Store, alice: User, runner: CliRunner
) -> None:
    set_budget(store, alice, "food", "100")
    set_budget(store, alice, "travel", "300")
    add_expenses(
        store,
        alice,
        [("2026-03-03", "120.00", "food"), ("2026-03-04", "40.00", "fun")],
    )
    report = reports.category_report(
        store, alice.user_id, Period(date(2026, 3, 1), date(2026, 3, 31))
    )
    assert [(r.category, r.budget, r.over_budget) for r in report.rows] == [
        ("food", Decimal("100"), True),
        ("fun", None, False),
    ]
    assert [(r.category, r.total, r.budget) for r in report.unspent_budgets] == [
        ("travel", Decimal(0), Decimal("300"))
    ]
    # Two whole months: the monthly budgets twice over; a part of a month: none.
    two = reports.category_report(store, alice.user_id, Period(date(2026, 2, 1), date(2026, 3, 31)))
    assert two.budget_months == 2 and two.rows[0].budget == Decimal("200")
    part = reports.category_report(
        store, alice.user_id, Period(date(2026, 3, 2), date(2026, 3, 31))
    )
    assert part.budget_months is None and part.rows[0].budget is None

    table = invoke(runner, ["--month", "2026-03"], env={"COLUMNS": "100"})
    assert table.exit_code == 0, table.stderr
    food = next(line for line in table.stdout.splitlines() if line.lstrip().startswith("food"))
    assert "120% of 100.00" in food
    travel = next(line for line in table.stdout.splitlines() if "travel" in line)
    assert "0% of 300.00" in travel
    # JSON keeps the contract's shape: no budget fields, no unspent categories.
    assert json_report(runner, ["--month", "2026-03"]) == [
        {"category": "food", "total": "120.00", "count": 1},
        {"category": "fun", "total": "40.00", "count": 1},
    ]
    trend = invoke(runner, ["--month", "2026-03", "--category", "food"], env={"COLUMNS": "100"})
    assert trend.exit_code == 0, trend.stderr
    assert "120% of 100.00" in trend.stdout


def test_nothing_spent(store: Store, alice: User, runner: CliRunner) -> None:
    table = invoke(runner, ["--month", "2026-03"])
    assert table.exit_code == 0
    assert table.stdout == "" and "no expenses" in table.stderr
    assert json_report(runner, ["--month", "2026-03"]) == []
    csv_result = invoke(runner, ["--month", "2026-03", "--format", "csv"])
    assert csv_result.stdout == "category,total,count\n"


# --- the tables through the command ------------------------------------------------------


def test_report_table_through_the_command_at_80_columns(
    store: Store, alice: User, runner: CliRunner
) -> None:
    add_expenses(store, alice, ACROSS_NEW_YEAR)
    for args in (
        ["--from", "2025-11-15", "--to", "2026-02-10"],
        ["--by", "month", "--from", "2025-11-15", "--to", "2026-02-10"],
    ):
        result = invoke(runner, args, env={"COLUMNS": "80", "NO_COLOR": "1"})
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert all(len(line) <= 80 for line in lines), result.stdout
        assert "\x1b[" not in result.stdout
        data = [line for line in lines if BAR.search(line)]
        names = (
            ["rent", "food", "travel", "fun"]
            if "month" not in args
            else ["2025-11", "2025-12", "2026-01", "2026-02"]
        )
        # One line per row with a bar on it, in the report's order.
        assert [line.split()[0] for line in data] == names, result.stdout
        assert max(bar_cells(line) for line in data) >= 8


def test_big_report_through_the_command_at_80_columns(
    store: Store, alice: User, runner: CliRunner
) -> None:
    set_budget(store, alice, "entertainment", "100000000")
    set_budget(store, alice, "food", "99999999.99")
    add_expenses(
        store,
        alice,
        [
            ("2026-03-02", "999999999.99", "entertainment"),
            ("2026-03-03", "0.01", "entertainment"),
            ("2026-03-04", "99999999.98", "food"),
            ("2026-03-05", "12.50", "utilities-for-the-flat-and-the-garage"),
        ],
    )
    expected = {
        ("--month", "2026-03"): [
            "1000000000.00",
            "99999999.98",
            "12.50",
            "1100000012.48",
            "1000% of 100000000.00",
            "100% of 99999999.99",
        ],
        ("--by", "month", "--from", "2026-02-01", "--to", "2026-03-31"): [
            "0.00",
            "1100000012.48",
        ],
    }
    for args, amounts in expected.items():
        result = invoke(runner, list(args), env={"COLUMNS": "80", "NO_COLOR": "1"})
        assert result.exit_code == 0, result.stderr
        assert_whole(result.stdout, 80, amounts)
    # The long category wraps rather than ends in an ellipsis.
    assert "garage" in invoke(runner, ["--month", "2026-03"], env={"COLUMNS": "80"}).stdout
