"""Tables and bars as people see them, without an engine: reports, budgets and alert lines
built from their dataclasses and rendered by Rich at a fixed width (40, 66, 80, 120, 160).

Amounts and percents are data: they are never cut. Long categories wrap inside their
column, and the bar, only decoration, narrows and then goes when the width runs short.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from rich.console import Console

from budgetcli import output
from budgetcli.dates import Period
from budgetcli.models import Alert, Budget, BudgetStatus, DeliveryStatus, Level
from budgetcli.output import OutputFormat
from budgetcli.output.alerts import emit_raised
from budgetcli.output.budgets import status_table
from budgetcli.output.reports import category_table, month_table
from budgetcli.services.reports import CategoryReport, CategoryTotal, MonthReport, MonthTotal

pytestmark = pytest.mark.usefixtures("no_storage")

BAR = re.compile(r"[█▏▎▍▌▋▊▉]+")
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def bar_cells(line: str) -> float:
    """The length of the bar on a line, in cells (eighths counted)."""
    found = BAR.search(line)
    if not found:
        return 0.0
    text = found.group()
    partial = "▏▎▍▌▋▊▉"
    return text.count("█") + sum((partial.index(ch) + 1) / 8 for ch in text if ch in partial)


def render(renderable: Any, width: int) -> list[str]:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return [line.rstrip() for line in console.export_text().splitlines()]


def assert_whole(text: str, width: int, amounts: Iterable[str]) -> None:
    """Every amount printed whole, nothing cut with an ellipsis, no line too long."""
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), text
    for amount in amounts:
        assert re.search(rf"(?<![\d.]){re.escape(amount)}(?![\d])", text), (amount, text)
    assert not re.search(r"\d…|…\d", text), text
    assert "…" not in text, text


# --- the category report ---------------------------------------------------------------

SAMPLE = CategoryReport(
    MARCH,
    (
        CategoryTotal("rent and utilities for the flat", Decimal("1200.00"), 1, Decimal("1200")),
        CategoryTotal("food", Decimal("412.50"), 31, Decimal("400")),
        CategoryTotal("fun", Decimal("3.10"), 2),
    ),
    (CategoryTotal("travel", Decimal(0), 0, Decimal("300")),),
    budget_months=1,
)


@pytest.mark.parametrize("width", [80, 120])
def test_category_table_at_a_fixed_width(width: int) -> None:
    lines = render(category_table(SAMPLE), width)
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    assert lines[0].startswith("Spending by category, 2026-03")
    header = next(line for line in lines if "Category" in line)
    assert re.search(r"Category\s+Total\s+Count\s+Share\s+Budget", header)
    rows = {
        name: [line for line in lines if line.startswith(name)]
        for name in ("rent and", "food", "fun", "travel", "Total")
    }
    # One line per row; a long name wraps inside its column, never cut with an ellipsis.
    assert all(len(found) == 1 for found in rows.values()), rows
    assert "…" not in "\n".join(lines)
    wrapped = lines[lines.index(rows["rent and"][0]) + 1]
    assert wrapped.split() == ["for", "the", "flat"]
    assert re.search(r"1200\.00\s+1\s+74\.3%\s+100% of 1200\.00\s+█+", rows["rent and"][0])
    assert re.search(r"412\.50\s+31\s+25\.5%\s+103% of 400\.00\s+█", rows["food"][0])
    assert re.search(r"0\.00\s+0\s+0\.0%\s+0% of 300\.00$", rows["travel"][0])
    assert re.search(r"1615\.60\s+34\s+100\.0%", rows["Total"][0])
    # Bars scale to the largest row; a tiny amount still shows; nothing spent shows none.
    rent, food, fun = (bar_cells(rows[name][0]) for name in ("rent and", "food", "fun"))
    assert rent >= 8 and abs(food / rent - 412.50 / 1200) < 1 / rent
    assert 0 < fun <= 1 / 8 + 1e-9
    assert bar_cells(rows["travel"][0]) == 0
    if width == 120:
        assert rent == 48  # bars stop growing at a readable length


def test_the_bar_goes_first_when_the_width_runs_short() -> None:
    wide = render(category_table(SAMPLE), 80)
    narrow = render(category_table(SAMPLE), 66)
    assert any(BAR.search(line) for line in wide)
    assert not any(BAR.search(line) for line in narrow), "\n".join(narrow)
    assert_whole("\n".join(narrow), 66, ["1200.00", "412.50", "3.10", "1615.60", "100% of 1200.00"])


def test_a_part_month_report_says_why_it_has_no_budgets() -> None:
    part = CategoryReport(
        Period(date(2026, 3, 2), date(2026, 3, 31)),
        (CategoryTotal("food", Decimal("412.50"), 31), CategoryTotal("fun", Decimal("3.10"), 2)),
    )
    lines = render(
        category_table(part, budgets_hidden="Budgets are monthly: see them by month."), 80
    )
    assert lines[0] == "Spending by category, 2026-03-02 to 2026-03-31"
    assert "Budget" not in lines[1]
    assert lines[-1] == "Budgets are monthly: see them by month."


SMALL = CategoryReport(
    MARCH,
    (
        CategoryTotal("groceries and household", Decimal("412.50"), 31),
        CategoryTotal("fun", Decimal("3.10"), 2),
    ),
)


def test_category_table_at_40_columns_drops_the_bar_and_wraps_the_name() -> None:
    lines = render(category_table(SMALL), 40)
    text = "\n".join(lines)
    assert_whole(text, 40, ["412.50", "3.10", "415.60", "99.3%", "0.7%", "100.0%"])
    assert not BAR.search(text)
    assert re.fullmatch(r"Category\s+Total\s+Count\s+Share", lines[1])
    assert re.fullmatch(r"groceries and\s+412\.50\s+31\s+99\.3%", lines[3])
    assert lines[4] == "household"
    assert re.fullmatch(r"fun\s+3\.10\s+2\s+0\.7%", lines[5])


# --- big amounts ---------------------------------------------------------------------

BIG = CategoryReport(
    MARCH,
    (
        CategoryTotal("entertainment", Decimal("1000000000.00"), 2, Decimal("100000000")),
        CategoryTotal("utilities-for-the-flat-and-the-garage", Decimal("99999999.98"), 1),
        CategoryTotal("food", Decimal("12.50"), 1, Decimal("99999999.99")),
    ),
    (),
    budget_months=1,
)


@pytest.mark.parametrize("width", [80, 120])
def test_big_amounts_and_long_categories_are_never_cut(width: int) -> None:
    lines = render(category_table(BIG), width)
    text = "\n".join(lines)
    assert_whole(
        text,
        width,
        ["1000000000.00", "99999999.98", "12.50", "1100000012.48"],
    )
    assert "1000% of 100000000.00" in text and "0% of 99999999.99" in text
    # The long name wraps inside its column instead of being cut.
    assert "utilities-for-the-f" in text and "garage" in text
    if width == 120:
        assert bar_cells(next(line for line in lines if "1000000000.00" in line)) >= 8


# --- the month report ------------------------------------------------------------------


def test_month_table_at_80_columns() -> None:
    months = tuple(
        MonthTotal(date(2025 + (m + 6) // 12, (m + 6) % 12 + 1, 1), Decimal(total), count, prev)
        for m, (total, count, prev) in enumerate(
            [
                ("120000.00", 300, Decimal(0)),
                ("0.00", 0, Decimal("120000.00")),
                ("60000.00", 150, Decimal(0)),
                ("90000.00", 200, Decimal("60000.00")),
            ]
        )
    )
    report = MonthReport(
        Period(date(2025, 7, 1), date(2025, 10, 31)), months, "food", Decimal("100000")
    )
    lines = render(month_table(report), 80)
    assert all(len(line) <= 80 for line in lines), "\n".join(lines)
    assert lines[0] == "Spending on food by month, 2025-07-01 to 2025-10-31"
    month_lines = [line for line in lines if re.match(r"2025-\d\d ", line)]
    assert [line.split()[0] for line in month_lines] == ["2025-07", "2025-08", "2025-09", "2025-10"]
    jul, aug, sep, octo = month_lines
    assert re.search(r"120000\.00\s+300\s+new\s+44\.4%\s+120% of 100000\.00\s+█+$", jul)
    assert re.search(r"0\.00\s+0\s+-100\.0%\s+0\.0%\s+0% of 100000\.00$", aug)
    assert re.search(r"\+50\.0%", octo)
    assert bar_cells(octo) == pytest.approx(bar_cells(jul) * 0.75, abs=1 / 8)
    assert bar_cells(sep) == pytest.approx(bar_cells(jul) * 0.5, abs=1 / 8)


def test_month_table_keeps_a_big_total_whole_at_80_columns() -> None:
    months = (
        MonthTotal(date(2026, 2, 1), Decimal("999999999.99"), 1, Decimal(0)),
        MonthTotal(date(2026, 3, 1), Decimal("0.01"), 1, Decimal("999999999.99")),
    )
    report = MonthReport(
        Period(date(2026, 2, 1), date(2026, 3, 31)), months, "food", Decimal("0.01")
    )
    text = "\n".join(render(month_table(report), 80))
    assert_whole(text, 80, ["999999999.99", "0.01", "1000000000.00"])
    assert "9999999999900% of 0.01" in text and "-100.0%" in text


THREE_MONTHS = MonthReport(
    Period(date(2025, 7, 1), date(2025, 9, 30)),
    (
        MonthTotal(date(2025, 7, 1), Decimal("120.00"), 3, Decimal(0)),
        MonthTotal(date(2025, 8, 1), Decimal("0.00"), 0, Decimal("120.00")),
        MonthTotal(date(2025, 9, 1), Decimal("60.00"), 1, Decimal(0)),
    ),
)


def test_month_table_at_40_columns_drops_the_bar_and_keeps_every_figure() -> None:
    lines = render(month_table(THREE_MONTHS), 40)
    text = "\n".join(lines)
    assert_whole(text, 40, ["120.00", "0.00", "60.00", "180.00", "66.7%", "33.3%", "-100.0%"])
    assert not BAR.search(text)
    # The title wraps rather than being cut.
    assert " ".join(lines[:2]).split() == "Spending by month, 2025-07-01 to 2025-09-30".split()
    assert [line.split()[0] for line in lines if re.match(r"2025-\d\d ", line)] == [
        "2025-07",
        "2025-08",
        "2025-09",
    ]
    assert re.search(r"^2025-07\s+120\.00\s+3\s+new\s+66\.7%$", text, re.M)
    assert re.search(r"^Total\s+180\.00\s+4\s+100\.0%$", text, re.M)


# --- budgets ----------------------------------------------------------------------------


def budget_status(category: str, amount: str, spent: str, threshold: int = 80) -> BudgetStatus:
    budget = Budget(f"budget-{category}", "user-1", category, Decimal(amount), threshold, "")
    return BudgetStatus(budget, Decimal(spent))


BIG_BUDGETS = [
    budget_status("entertainment", "100000000", "1000000000.00"),
    budget_status("food", "99999999.99", "99999999.98"),
    budget_status("rent-and-utilities-for-the-flat-and-the-garage", "0.01", "999999999.99"),
]


def test_budget_table_keeps_big_amounts_whole_at_80_columns() -> None:
    """Piped output is 80 columns wide: amounts and percents are never cut there."""
    lines = render(status_table(BIG_BUDGETS, title="Budgets for 2026-11"), 80)
    text = "\n".join(lines)
    assert all(len(line) <= 80 for line in lines), text
    assert "…" not in text
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
        assert re.search(rf"(?<![\d.]){re.escape(whole)}(?![\d%])", text), whole
    # The long category wraps in its column; the bar, only decoration, gives way first.
    category = "".join(line.split()[0] for line in lines[3:] if line.split())
    assert "foodrent-and-utilities-for-the-flat-and-the-garage" in category
    assert "━" not in text
    wide = render(status_table(BIG_BUDGETS, title="Budgets for 2026-11"), 160)
    assert "━" in "\n".join(wide)
    assert any("rent-and-utilities-for-the-flat-and-the-garage" in line for line in wide)
    assert all(len(line) <= 160 for line in wide)


def test_budget_table_has_the_light_box_of_the_expense_listing() -> None:
    lines = render(status_table([budget_status("food", "400", "100")], title="Budgets for X"), 80)
    assert lines[0].strip() == "Budgets for X"
    assert re.fullmatch(r"Category\s+Limit\s+Warn\s+Spent\s+Remaining\s+Used", lines[1].strip())
    assert set(lines[2]) == {"─"}
    assert re.match(r"food\s+400\.00\s+80%\s+100\.00\s+300\.00\s+25\.00%\s+━+", lines[3])
    assert not any(ch in "\n".join(lines) for ch in "┃│┏└")


def test_budget_bars_fill_with_the_percent_used_up_to_the_limit() -> None:
    statuses = [
        budget_status("empty", "100", "0"),
        budget_status("half", "100", "50"),
        budget_status("full", "100", "100"),
        budget_status("over", "100", "250"),
    ]
    lines = render(status_table(statuses, title="Budgets"), 100)
    bars = {line.split()[0]: line.split()[-1] for line in lines[3:]}
    assert bars["empty"].count("━") == 0
    assert bars["full"] == bars["over"] and set(bars["full"]) == {"━"}
    assert 0 < bars["half"].count("━") < len(bars["full"])


# --- 40 columns: tables that do not fit even without their bar are stacked ---------------


def narrow_tables() -> dict[str, Any]:
    with_budgets = CategoryReport(
        MARCH,
        (
            CategoryTotal("groceries", Decimal("412.50"), 31, Decimal("400")),
            CategoryTotal("fun", Decimal("3.10"), 2),
        ),
        budget_months=1,
    )
    month_budget = MonthReport(THREE_MONTHS.period, THREE_MONTHS.rows, "food", Decimal("100"))
    statuses = [budget_status("food", "400", "100"), budget_status("rent", "1000", "1200.50")]
    return {
        # In a table, Rich gave the name column one cell: "g", "r", "o", ... down the page.
        "category report with budgets": (
            category_table(with_budgets),
            ["groceries", "fun", "412.50", "103% of 400.00", "415.60"],
        ),
        # In a table, month labels ended in "2025…" and the budget column in "1".
        "month report with a budget": (
            month_table(month_budget),
            ["2025-07", "120.00", "120% of 100.00", "0% of 100.00"],
        ),
        # In a table, the Category column disappeared and Used was cut to "25." and "120.".
        "budget list": (
            status_table(statuses, title="Budgets for 2026-11"),
            ["food", "rent", "400.00", "1200.50", "-200.50", "25.00%", "120.05%"],
        ),
    }


@pytest.mark.parametrize(
    "name", ["category report with budgets", "month report with a budget", "budget list"]
)
def test_tables_at_40_columns_keep_every_name_and_figure(name: str) -> None:
    table, words = narrow_tables()[name]
    text = "\n".join(render(table, 40))
    assert_whole(text, 40, [])
    for word in words:
        assert re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w%])", text), (word, text)


# --- text from outside is shown literally ----------------------------------------------

STRANGE = "[red]fo\x1bod[/red]"


def test_categories_are_shown_literally_in_every_table() -> None:
    report = CategoryReport(MARCH, (CategoryTotal(STRANGE, Decimal("1.00"), 1),))
    budgets = [budget_status(STRANGE, "10", "1")]
    for table in (category_table(report), status_table(budgets, title=STRANGE)):
        text = "\n".join(render(table, 160))
        assert "[red]fo\\x1bod[/red]" in text, text
        assert "\x1b" not in text


def alert(method: str, status: DeliveryStatus, level: Level = Level.WARNING) -> Alert:
    return Alert(
        notification_id="n-1",
        user_id="user-1",
        budget_id="budget-1",
        category="food",
        month="2026-11",
        level=level,
        spent=Decimal("90"),
        amount=Decimal("100"),
        threshold=80,
        message=f"Budget {level}: {STRANGE}.",
        delivery_method=method,
        created_at="2026-11-05T12:00:00+00:00",
        delivery_status=status,
    )


def test_raised_alerts_are_one_line_each_with_how_they_went_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    emit_raised(
        OutputFormat.TABLE,
        [
            alert("console", DeliveryStatus.DELIVERED),
            alert("email", DeliveryStatus.FAILED, Level.EXCEEDED),
        ],
    )
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [
        "Budget warning: [red]fo\\x1bod[/red].",
        "Budget exceeded: [red]fo\\x1bod[/red]. (email: failed)",
    ]
    assert printed.err == ""
    emit_raised(OutputFormat.TABLE, [])
    assert capsys.readouterr().out == ""


class _Stderr(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


@pytest.mark.parametrize("terminal", [True, False])
def test_terminal_notes_reach_a_terminal_and_never_cron(monkeypatch: Any, terminal: bool) -> None:
    stderr = _Stderr(terminal)
    monkeypatch.setattr("sys.stderr", stderr)
    output.terminal_note("started DynamoDB Local")
    assert stderr.getvalue() == ("started DynamoDB Local\n" if terminal else "")


def test_a_caption_keeps_its_lines_and_shows_control_characters_literally() -> None:
    from budgetcli.output import Column, listing

    console = Console(width=60, record=True, color_system=None, file=io.StringIO())
    console.print(
        listing([Column("Read", "read")], [{"read": "x" * 30}], caption="skipped: 6\nbad\x1b[31m")
    )
    lines = [line.strip() for line in console.export_text().splitlines()]
    assert "skipped: 6" in lines and "bad\\x1b[31m" in lines
    assert "\\x0a" not in console.export_text()
