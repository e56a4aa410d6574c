"""The rules of reports, without an engine: the period a report covers, how categories
are ordered and budgets scaled, how a range is cut into months, the change against the
month before, the record shapes, and options refused before any request."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.dates import DateRange, Period
from budgetcli.errors import ExitCode, InvalidInput
from budgetcli.models import ReportBy
from budgetcli.output.reports import category_records, month_records
from budgetcli.parsing import parse_date_range
from budgetcli.services.reports import (
    CategoryReport,
    CategoryTotal,
    MonthReport,
    MonthTotal,
    category_rows,
    report_period,
)

pytestmark = pytest.mark.usefixtures("no_storage")

TODAY = date(2026, 3, 18)


def period(by: ReportBy, first: str | None = None, last: str | None = None) -> Period:
    days = DateRange(
        date.fromisoformat(first) if first else None, date.fromisoformat(last) if last else None
    )
    return report_period(by, days, today=TODAY)


# --- the period ---------------------------------------------------------------------------


def test_default_periods() -> None:
    assert period(ReportBy.CATEGORY) == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert period(ReportBy.MONTH) == Period(date(2025, 4, 1), date(2026, 3, 31))
    february = parse_date_range(None, None, "2024-02")
    assert report_period(ReportBy.MONTH, february, today=TODAY) == Period(
        date(2024, 2, 1), date(2024, 2, 29)
    )
    assert period(ReportBy.CATEGORY, first="2026-01-10") == Period(
        date(2026, 1, 10), date(2026, 3, 31)
    )
    assert period(ReportBy.CATEGORY, last="2025-12-24") == Period(
        date(2025, 12, 1), date(2025, 12, 24)
    )
    assert period(ReportBy.MONTH, last="2025-12-24") == Period(date(2025, 1, 1), date(2025, 12, 24))


def test_a_start_after_this_month_needs_an_end() -> None:
    with pytest.raises(InvalidInput) as refused:
        period(ReportBy.CATEGORY, first="2027-01-01")
    assert refused.value.render({"first": "--from", "last": "--to"}) == (
        "--from 2027-01-01 is after the end of the current month: give --to as well"
    )
    # With an end it is an ordinary period.
    assert period(ReportBy.CATEGORY, "2027-01-01", "2027-01-31") == Period(
        date(2027, 1, 1), date(2027, 1, 31)
    )


def test_a_month_report_spans_at_most_1200_months() -> None:
    assert period(ReportBy.MONTH, "1926-04-01", "2026-03-31").months()[0] == Period(
        date(1926, 4, 1), date(1926, 4, 30)
    )
    with pytest.raises(InvalidInput) as refused:
        period(ReportBy.MONTH, "1926-03-31", "2026-03-31")
    assert str(refused.value) == (
        "1926-03-31..2026-03-31 spans more than 1200 months: choose a shorter range"
    )
    # A category report is one Query whatever its length.
    assert period(ReportBy.CATEGORY, "1900-01-01", "2100-12-31").first == date(1900, 1, 1)


# --- months -----------------------------------------------------------------------------


def test_a_period_is_cut_at_month_boundaries() -> None:
    across_new_year = Period(date(2025, 11, 15), date(2026, 2, 10))
    assert across_new_year.months() == [
        Period(date(2025, 11, 15), date(2025, 11, 30)),
        Period(date(2025, 12, 1), date(2025, 12, 31)),
        Period(date(2026, 1, 1), date(2026, 1, 31)),
        Period(date(2026, 2, 1), date(2026, 2, 10)),
    ]
    one_day = Period(date(2024, 2, 29), date(2024, 2, 29))
    assert one_day.months() == [one_day]
    leap = Period(date(2024, 1, 31), date(2024, 3, 1)).months()
    assert [(p.first, p.last) for p in leap] == [
        (date(2024, 1, 31), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 1)),
    ]


def test_whole_months_and_labels() -> None:
    assert Period(date(2026, 2, 1), date(2026, 3, 31)).whole_months == 2
    assert Period(date(2025, 12, 1), date(2026, 1, 31)).whole_months == 2
    assert Period(date(2026, 3, 2), date(2026, 3, 31)).whole_months is None
    assert Period(date(2026, 3, 1), date(2026, 3, 30)).whole_months is None
    assert Period(date(2026, 3, 1), date(2026, 3, 31)).label == "2026-03"
    assert Period(date(2024, 2, 1), date(2024, 2, 29)).label == "2024-02"
    assert Period(date(2026, 2, 1), date(2026, 3, 31)).label == "2026-02-01 to 2026-03-31"
    assert Period(date(2026, 3, 2), date(2026, 3, 31)).label == "2026-03-02 to 2026-03-31"


def test_change_is_against_the_month_before() -> None:
    rows = [
        MonthTotal(date(2026, 1, 1), Decimal("150.00"), 1, Decimal("100.00")),
        MonthTotal(date(2026, 2, 1), Decimal("0"), 0, Decimal("150.00")),
        MonthTotal(date(2026, 3, 1), Decimal("30.00"), 1, Decimal("0")),
        MonthTotal(date(2026, 4, 1), Decimal("0"), 0, Decimal("0")),
    ]
    assert [row.label for row in rows] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert [row.change for row in rows] == [
        Decimal("50.00"),
        Decimal("-150.00"),
        Decimal("30.00"),
        Decimal(0),
    ]
    assert rows[0].change_ratio == Decimal("0.5")
    assert rows[1].change_ratio == Decimal(-1)
    assert rows[2].change_ratio is None  # nothing the month before: no percentage
    assert rows[3].change_ratio is None
    report = MonthReport(Period(date(2026, 1, 1), date(2026, 4, 30)), tuple(rows))
    assert (report.total, report.count) == (Decimal("180.00"), 2)  # not the month before
    assert month_records(report)[:2] == [
        {"month": "2026-01", "total": "150.00", "count": 1},
        {"month": "2026-02", "total": "0.00", "count": 0},
    ]


# --- categories and budgets -------------------------------------------------------------


def test_categories_are_sorted_by_total_then_name() -> None:
    totals = {
        "books": (Decimal("5.00"), 1),
        "rent": (Decimal("80.00"), 1),
        "food": (Decimal("60.00"), 2),
        "coffee": (Decimal("60.00"), 1),  # ties with food: name decides
        "apps": (Decimal("0.99"), 1),
    }
    rows, unspent = category_rows(totals, {}, 1)
    report = CategoryReport(Period(date(2026, 3, 1), date(2026, 3, 31)), tuple(rows))
    assert [(e["category"], e["total"]) for e in category_records(report)] == [
        ("rent", "80.00"),
        ("coffee", "60.00"),
        ("food", "60.00"),
        ("books", "5.00"),
        ("apps", "0.99"),
    ]
    assert unspent == []
    assert (report.total, report.count) == (Decimal("205.99"), 6)


def test_budgets_are_scaled_to_the_whole_months_of_the_period() -> None:
    totals = {"food": (Decimal("120.00"), 1), "fun": (Decimal("40.00"), 1)}
    limits = {"food": Decimal("100"), "travel": Decimal("300"), "art": Decimal("5")}
    rows, unspent = category_rows(totals, limits, 1)
    assert [(r.category, r.budget, r.over_budget) for r in rows] == [
        ("food", Decimal("100"), True),
        ("fun", None, False),
    ]
    # Budgets with nothing spent, by name.
    assert [(r.category, r.total, r.count, r.budget) for r in unspent] == [
        ("art", Decimal(0), 0, Decimal("5")),
        ("travel", Decimal(0), 0, Decimal("300")),
    ]
    # Two whole months: the monthly budgets twice over, so 120 is not over 200.
    two, unspent_in_two = category_rows(totals, limits, 2)
    assert [(r.category, r.budget, r.over_budget) for r in two] == [
        ("food", Decimal("200"), False),
        ("fun", None, False),
    ]
    assert [r.budget for r in unspent_in_two] == [Decimal("10"), Decimal("600")]
    # A part of a month: budgets cannot be compared, so none are shown.
    part, unspent_in_part = category_rows(totals, limits, None)
    assert [r.budget for r in part] == [None, None] and unspent_in_part == []


def test_at_the_limit_is_not_over_budget() -> None:
    assert not CategoryTotal("food", Decimal("100.00"), 1, Decimal("100")).over_budget
    assert CategoryTotal("food", Decimal("100.01"), 1, Decimal("100")).over_budget
    assert not CategoryTotal("food", Decimal("1E+9"), 1).over_budget


def test_json_keeps_the_contracts_shape_without_budgets_or_unspent_categories() -> None:
    report = CategoryReport(
        Period(date(2026, 3, 1), date(2026, 3, 31)),
        (CategoryTotal("food", Decimal("120"), 1, Decimal("100")),),
        (CategoryTotal("travel", Decimal(0), 0, Decimal("300")),),
        budget_months=1,
    )
    assert category_records(report) == [{"category": "food", "total": "120.00", "count": 1}]


# --- options refused before any request --------------------------------------------------


def invoke(runner: CliRunner, args: list[str]) -> Any:
    return runner.invoke(app, ["report", *args])


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--month", "2026-03", "--from", "2026-03-01"],
            "--month cannot be combined with --from or --to: use one or the other",
        ),
        (
            ["--month", "2026-03", "--to", "2026-03-09"],
            "--month cannot be combined with --from or --to: use one or the other",
        ),
        (
            ["--from", "2026-03-02", "--to", "2026-03-01"],
            "--from 2026-03-02 is after --to 2026-03-01: swap them",
        ),
        (
            ["--by", "month", "--from", "2026-05-01", "--to", "2025-05-01"],
            "--from 2026-05-01 is after --to 2025-05-01: swap them",
        ),
        (["--month", "2026-13"], "month '2026-13' has no month 13"),
        (["--month", "March"], "month 'March' must look like 2026-11"),
        (["--from", "soon"], "date 'soon' is not a date"),
        (
            ["--by", "month", "--from", "1900-01-01", "--to", "2100-12-31"],
            "1900-01-01..2100-12-31 spans more than 1200 months",
        ),
        (["--category", "   "], "category is empty"),
        (
            ["--from", "2100-01-01"],
            "--from 2100-01-01 is after the end of the current month: give --to as well",
        ),
    ],
)
def test_bad_option_combinations_are_refused(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = invoke(runner, args)
    assert result.exit_code == ExitCode.ERROR, result.stdout
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1


def test_unknown_grouping_is_a_usage_error(runner: CliRunner) -> None:
    result = invoke(runner, ["--by", "week"])
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""


def test_report_needs_a_login(runner: CliRunner) -> None:
    result = invoke(runner, ["--month", "2026-03"])
    assert result.exit_code == ExitCode.AUTH
    assert result.stdout == ""
    assert result.stderr == "error: not logged in: run `budget login USERNAME`\n"
