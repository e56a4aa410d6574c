"""Dates as people type them, refused rather than guessed when a part is missing or could
be read two ways. Pure parsing: no engine, no clock (today is given)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode, InvalidInput
from budgetcli.parsing import AmbiguousDate, parse_date

FRIDAY = date(2026, 11, 27)
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("friday", FRIDAY),  # today is Friday: today, not 2026-11-06 (dateutil's first Friday)
        ("Friday", FRIDAY),
        ("FRI", FRIDAY),
        ("fri.", FRIDAY),
        ("thursday", date(2026, 11, 26)),
        ("Sat", date(2026, 11, 21)),
        ("monday", date(2026, 11, 23)),
        ("Fri, 27 Nov 2026", FRIDAY),
        ("Thursday 26 November 2026", date(2026, 11, 26)),
        ("Thu yesterday", date(2026, 11, 26)),
    ],
)
def test_a_weekday_is_the_most_recent_one_today_included(text: str, expected: date) -> None:
    assert parse_date(text, today=FRIDAY) == expected


@given(st.dates(date(1901, 1, 1), date(2099, 12, 31)), st.sampled_from(WEEKDAYS))
def test_a_weekday_is_never_in_the_future_nor_a_week_old(today: date, name: str) -> None:
    day = parse_date(name, today=today)
    assert today - timedelta(days=6) <= day <= today
    assert day.weekday() == WEEKDAYS.index(name)
    assert parse_date(name[:3].upper(), today=today) == day


def test_a_weekday_that_does_not_match_its_date_is_refused() -> None:
    with pytest.raises(InvalidInput, match="says Friday but 2026-11-03 is a Tuesday"):
        parse_date("Friday 3 Nov 2026", today=FRIDAY)
    with pytest.raises(InvalidInput, match="names two weekdays"):
        parse_date("friday monday", today=FRIDAY)


@pytest.mark.parametrize(
    "text",
    ["26-11-01", "11-26-01", "13/11/26", "26.11.01", "3 Nov 26", "Nov 3 26", "3 November 01"],
)
def test_two_digit_years_are_refused_as_ambiguous(text: str) -> None:
    """26-11-01 stored 2001-11-26; it could as well be 2026-11-01."""
    with pytest.raises(AmbiguousDate, match=r"two-digit year.*'3 Nov 2026'"):
        parse_date(text, today=FRIDAY)


@pytest.mark.parametrize(
    "text, missing",
    [
        ("2026-11", "day"),
        ("Nov", "day"),
        ("November 2026", "day"),
        ("nov 2026", "day"),
        ("2026/11", "day"),
        ("15th", "month"),
        ("3rd", "month"),
    ],
)
def test_dates_without_a_day_or_a_month_are_refused(text: str, missing: str) -> None:
    """`2026-11` and `Nov` meant the 1st without saying so."""
    with pytest.raises(InvalidInput, match=rf"has no {missing}: write the whole date"):
        parse_date(text, today=FRIDAY)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Nov 3", date(2026, 11, 3)),  # no year: this year, as documented
        ("3 Nov", date(2026, 11, 3)),
        ("3 Nov 2026", date(2026, 11, 3)),
        ("2026/11/03", date(2026, 11, 3)),
        ("13/11/2026", date(2026, 11, 13)),
        ("December 31, 2025", date(2025, 12, 31)),
    ],
)
def test_whole_dates_are_still_read(text: str, expected: date) -> None:
    assert parse_date(text, today=FRIDAY) == expected


@pytest.mark.usefixtures("no_storage")
@pytest.mark.parametrize(
    "value, message",
    [
        ("26-11-01", "error: date '26-11-01' has a two-digit year"),
        ("2026-11", "error: date '2026-11' has no day"),
        ("Nov", "error: date 'Nov' has no day"),
    ],
)
def test_add_refuses_them_before_storage(runner: CliRunner, value: str, message: str) -> None:
    result = runner.invoke(app, ["add", "12.50", "food", "--date", value])
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert result.stdout == ""
