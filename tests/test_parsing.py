"""The parsers of user input: what they accept, how they normalise, what they refuse."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from budgetcli.dates import DateRange, Period
from budgetcli.errors import InvalidInput
from budgetcli.parsing import (
    AmbiguousDate,
    check_amount,
    parse_amount,
    parse_category,
    parse_date,
    parse_date_range,
    parse_description,
    parse_expense_id,
    parse_month,
    parse_url,
)

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12.50", "12.50"),
        ("12.5", "12.50"),
        ("12", "12.00"),
        (" 0.01 ", "0.01"),
        (".5", "0.50"),
        ("+3", "3.00"),
        ("1,234.56", "1234.56"),
        ("1,234,567.8", "1234567.80"),
        ("1000000000", "1000000000.00"),
        ("12.10000", "12.10"),
    ],
)
def test_amounts_accepted_exactly(text: str, expected: str) -> None:
    amount = parse_amount(text)
    assert amount == Decimal(expected) and str(amount) == expected


@pytest.mark.parametrize(
    "text, reason",
    [
        ("abc", "not a number"),
        ("", "not a number"),
        ("0", "more than zero"),
        ("0.00", "more than zero"),
        ("-5", "must be positive"),
        ("NaN", "not a number"),
        ("inf", "not a number"),
        ("-Infinity", "not a number"),
        ("1e400", "not a number"),
        ("1E3", "not a number"),
        ("12.345", "more than two decimal places"),
        ("1,234", "ambiguous"),
        ("12,50", "ambiguous"),
        ("1.234,56", "ambiguous"),
        ("1,23.45", "ambiguous"),
        ("1000000000.01", "over the limit"),
        ("9" * 60, "over the limit"),
        ("$12", "not a number"),
        ("12 50", "not a number"),
        ("١٢", "not a number"),
    ],
)
def test_amounts_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_amount(text)


def test_negative_amounts_only_when_allowed() -> None:
    assert parse_amount("-12.5", allow_negative=True) == Decimal("-12.50")
    with pytest.raises(InvalidInput, match="more than zero"):
        parse_amount("-0", allow_negative=True)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-03", date(2026, 11, 3)),
        ("2026-1-3", date(2026, 1, 3)),
        ("today", TODAY),
        ("Yesterday", date(2026, 11, 23)),
        ("Nov 3", date(2026, 11, 3)),
        ("3 Nov 2026", date(2026, 11, 3)),
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_dates_accepted(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    "text, reason",
    [
        ("2026-02-30", "not a real calendar date"),
        ("2025-02-29", "not a real calendar date"),
        ("2026-13-01", "not a real calendar date"),
        ("", "empty"),
        ("soon", "not a date"),
        ("3", "not a date"),
        ("20261103", "not a date"),
        ("Nov 3 2026 10:30", "time of day"),
        ("1066-10-14", "outside"),
        ("Feb 30", "not a date"),
    ],
)
def test_dates_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_date(text, today=TODAY)


def test_date_format_is_strict() -> None:
    assert parse_date("03/11/2026", date_format="%d/%m/%Y") == date(2026, 11, 3)
    with pytest.raises(InvalidInput, match="does not match the format"):
        parse_date("2026-11-03", date_format="%d/%m/%Y")


def test_months() -> None:
    assert parse_month("2026-02") == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert parse_month("2024-02") == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert parse_month("2026-12") == Period(date(2026, 12, 1), date(2026, 12, 31))
    for bad in ("2026-13", "2026-00", "2026-1", "Nov", "2026/11"):
        with pytest.raises(InvalidInput):
            parse_month(bad)


def test_categories() -> None:
    assert parse_category("  Food ") == "food"
    assert parse_category("Café & Bar") == "café & bar"
    for bad, reason in [("", "empty"), ("   ", "empty"), ("x" * 65, "longer"), ("a\tb", "control")]:
        with pytest.raises(InvalidInput, match=reason):
            parse_category(bad)
    assert parse_category("x" * 64) == "x" * 64


def test_descriptions() -> None:
    assert parse_description(None) == ""
    assert parse_description("  lunch with Sam ") == "lunch with Sam"
    assert parse_description("é" * 500) == "é" * 500
    with pytest.raises(InvalidInput, match="limit is 500"):
        parse_description("x" * 501)
    with pytest.raises(InvalidInput, match="control"):
        parse_description("two\nlines")


def test_urls() -> None:
    assert parse_url("https://example.com/r/1.pdf") == "https://example.com/r/1.pdf"
    assert parse_url("HTTP://example.com") == "HTTP://example.com"
    for bad in (
        "ftp://example.com/x",
        "javascript:alert(1)",
        "https://",
        "example.com",
        "http:// x",
    ):
        with pytest.raises(InvalidInput, match="http"):
            parse_url(bad)


@pytest.mark.parametrize("text", ["03/11/2026", "3.11.26", "11-03", "01/02/2026", "1/2"])
def test_day_or_month_first_dates_are_refused_not_guessed(text: str) -> None:
    with pytest.raises(InvalidInput, match="day-first or month-first"):
        parse_date(text, today=date(2026, 11, 25))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("13/11/2026", date(2026, 11, 13)),
        ("11/13/2026", date(2026, 11, 13)),
        ("05/05/2026", date(2026, 5, 5)),
        ("03/11/2026", date(2026, 3, 11)),
    ],
)
def test_unambiguous_or_formatted_numeric_dates(text: str, expected: date) -> None:
    date_format = "%m/%d/%Y" if text == "03/11/2026" else None
    assert parse_date(text, today=date(2026, 11, 25), date_format=date_format) == expected


def test_errors_quote_only_the_start_of_huge_input() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_date("x" * 100_000)
    assert len(str(raised.value)) < 200 and "100000 characters" in str(raised.value)


def test_categories_are_one_whatever_the_unicode_form() -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert parse_category(decomposed) == parse_category(composed.upper()) == composed


def test_a_date_range_is_two_dates_or_a_month() -> None:
    assert parse_date_range("2026-03-01", "2026-03-01", None) == DateRange(
        date(2026, 3, 1), date(2026, 3, 1)
    )
    assert parse_date_range(None, "today", None, today=TODAY) == DateRange(None, TODAY)
    assert parse_date_range(None, None, None) == DateRange(None, None)
    assert parse_date_range(None, None, "2024-02") == DateRange(date(2024, 2, 1), date(2024, 2, 29))


@pytest.mark.parametrize(
    "first, last, month, message",
    [
        ("2026-03-02", "2026-03-01", None, "--from 2026-03-02 is after --to 2026-03-01: swap them"),
        (
            "2026-03-01",
            None,
            "2026-03",
            "--month cannot be combined with --from or --to: use one or the other",
        ),
        (None, "2026-03-01", "2026-03", "--month cannot be combined with --from or --to"),
        ("someday", None, None, "date 'someday' is not a date"),
        (None, None, "2026-13", "month '2026-13' has no month 13"),
    ],
)
def test_a_bad_date_range_names_the_options_it_came_from(
    first: str | None, last: str | None, month: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_date_range(first, last, month)
    names = {"first": "--from", "last": "--to", "month": "--month"}
    assert raised.value.render(names).startswith(message)


def test_expense_ids_are_uuids() -> None:
    known = uuid.uuid4()
    assert parse_expense_id(f" {known} ") == known
    for bad in ("", "42", "not-an-id", str(known)[:-1]):
        with pytest.raises(InvalidInput, match="is not an expense id: ids look like"):
            parse_expense_id(bad)


def test_amounts_already_numbers_are_checked_alike() -> None:
    assert str(check_amount(Decimal("12.5"))) == "12.50"
    for amount, reason in [
        (Decimal("0"), "amount 0 must be more than zero"),
        (Decimal("-1"), "amount -1 must be positive"),
        (Decimal("0.001"), "amount 0.001 has more than two decimal places"),
        (Decimal("1000000000.01"), "amount 1000000000.01 is over the limit"),
    ]:
        with pytest.raises(InvalidInput, match=reason):
            check_amount(amount)


def test_an_ambiguous_date_is_its_own_error() -> None:
    with pytest.raises(AmbiguousDate):
        parse_date("03/11/2026", today=TODAY)
    with pytest.raises(InvalidInput) as raised:
        parse_date("2026-02-30", today=TODAY)
    assert not isinstance(raised.value, AmbiguousDate)
