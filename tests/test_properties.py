"""Property-based tests of every parser of user input: accept exactly, or refuse cleanly."""

from __future__ import annotations

import csv
import io
import operator
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

from budgetcli.cli.transfer import parse_columns
from budgetcli.errors import InvalidInput
from budgetcli.models import Expense
from budgetcli.money import MAX_AMOUNT
from budgetcli.output.expenses import expense_record, write_csv
from budgetcli.parsing import (
    parse_amount,
    parse_category,
    parse_date,
    parse_description,
    parse_month,
    parse_url,
)
from budgetcli.services.accounts import normalise_email, normalise_phone, normalise_username
from budgetcli.services.imports import ROLES, ImportOptions, ImportSummary
from budgetcli.services.imports.rows import ParsedRow, own_format_rows
from budgetcli.store import from_item, to_item
from budgetcli.tables.expenses import from_item as expense_from_item
from budgetcli.tables.expenses import to_item as expense_item

cents = st.integers(min_value=1, max_value=int(MAX_AMOUNT * 100)).map(
    lambda n: Decimal(n).scaleb(-2)
)
any_text = st.text(max_size=80)
amountish = st.from_regex(r"\A[-+]?[0-9,.eE]{0,14}[a-zA-Z]{0,3}\Z")


@given(cents)
def test_every_valid_amount_round_trips_exactly(amount: Decimal) -> None:
    assert parse_amount(str(amount)) == amount
    assert str(parse_amount(str(amount))) == f"{amount:.2f}"
    assert parse_amount(f"{amount:,.2f}") == amount


@given(st.one_of(any_text, amountish))
@example("NaN")
@example("sNaN")
@example("-0.00")
@example("1e400")
@example("9" * 5000)
@example("0." + "0" * 40 + "1")
def test_amount_parser_accepts_only_money_and_refuses_the_rest_cleanly(text: str) -> None:
    try:
        amount = parse_amount(text)
    except InvalidInput as refused:
        assert "\n" not in str(refused)
        return
    assert 0 < amount <= MAX_AMOUNT
    assert amount.as_tuple().exponent == -2


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_iso_date_round_trips(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d %b %Y")) == day


@given(any_text)
@example("31 Feb")
@example("9999999999999999999")
@example("Nov 31 2026")
@example("2026-02-30")
@example("00:00")
@settings(max_examples=300)
def test_date_parser_returns_a_date_or_refuses_cleanly(text: str) -> None:
    try:
        day = parse_date(text, today=date(2026, 11, 24))
    except InvalidInput as refused:
        assert "\n" not in str(refused)
        return
    assert 1900 <= day.year <= 2100


@given(st.integers(1900, 2100), st.integers(1, 12))
def test_months_cover_exactly_their_days(year: int, month: int) -> None:
    period = parse_month(f"{year:04d}-{month:02d}")
    first, last = period.first, period.last
    assert first == date(year, month, 1) and last.month == month
    assert (
        (last.toordinal() + 1 == date(year + 1, 1, 1).toordinal())
        if month == 12
        else (last.toordinal() + 1 == date(year, month + 1, 1).toordinal())
    )


@given(any_text)
def test_categories_are_normalised_or_refused(text: str) -> None:
    try:
        category = parse_category(text)
    except InvalidInput:
        return
    assert category == category.strip().lower() and 0 < len(category) <= 64
    assert parse_category(category) == category


@given(st.text(max_size=600))
def test_descriptions_are_bounded_or_refused(text: str) -> None:
    try:
        description = parse_description(text)
    except InvalidInput:
        return
    assert len(description) <= 500 and parse_description(description) == description


url_prefixes = st.sampled_from(
    ["http://", "HTTPS://", "https://", "ftp://", "javascript:", "http:/"]
)


@given(st.one_of(any_text, st.builds(operator.add, url_prefixes, any_text)))
@example("https://")
@example("http:// x")
@example("https://x.io/" + "a" * 2048)
def test_urls_are_http_with_a_host_or_refused(text: str) -> None:
    try:
        url = parse_url(text)
    except InvalidInput as refused:
        assert "\n" not in str(refused)
        return
    assert url == text.strip() and url.lower().startswith(("http://", "https://"))
    host = url.partition("://")[2]
    assert host[:1] not in ("", "/", "?", "#") and not any(ch.isspace() for ch in url)


@given(urls(), st.sampled_from([str, str.upper]), st.sampled_from(["", " ", "\t", " \n"]))
def test_every_http_url_is_accepted_as_it_is(url: str, case: Any, space: str) -> None:
    scheme, sep, rest = url.partition("://")
    url = case(scheme) + sep + rest
    assert parse_url(f"{space}{url}{space}") == url
    assert parse_url(parse_url(url)) == url


@given(any_text)
def test_usernames_are_normalised_or_refused(text: str) -> None:
    try:
        username = normalise_username(text)
    except InvalidInput as refused:
        assert "\n" not in str(refused)
        return
    assert username == username.casefold() and 3 <= len(username) <= 32
    assert normalise_username(username.upper()) == username


@given(st.one_of(any_text, st.emails()))
def test_emails_are_validated_or_refused(text: str) -> None:
    try:
        email = normalise_email(text)
    except InvalidInput:
        return
    local, _, domain = email.partition("@")
    assert local and "." in domain and len(email) <= 254


@given(st.one_of(any_text, st.from_regex(r"\A\+[0-9 ()-]{6,18}\Z")))
def test_phones_are_e164_or_refused(text: str) -> None:
    try:
        phone = normalise_phone(text)
    except InvalidInput:
        return
    assert phone.startswith("+") and phone[1:].isdigit() and 8 <= len(phone) <= 16


@given(st.emails().filter(lambda e: len(e) <= 254))
def test_ordinary_email_addresses_are_accepted(text: str) -> None:
    assert normalise_email(text) == text


@given(st.from_regex(r"\A[a-z0-9][a-z0-9._-]{2,31}\Z"))
def test_every_well_formed_username_is_accepted(text: str) -> None:
    assert normalise_username(f"  {text.upper()} ") == text


# --- CSV rows and column mappings: imported, exported and imported back -------------------


@given(st.lists(st.text(max_size=20), max_size=4))
def test_column_mappings_are_parsed_or_refused(specs: list[str]) -> None:
    try:
        options = ImportOptions(columns=parse_columns(specs))
    except InvalidInput as exc:
        assert "\n" not in str(exc)
        return
    assert set(options.columns) <= set(ROLES)
    assert all(
        h is None or isinstance(h, int) or (h.strip() == h and h) for h in options.columns.values()
    )


csv_cell = st.one_of(any_text, st.sampled_from(["", " ", "\n", '"', ",", "\ufeff", "\x00"]))


def import_rows(text: str, user_id: str) -> tuple[list[ParsedRow], ImportSummary]:
    summary = ImportSummary()
    rows = list(own_format_rows(io.StringIO(text), user_id, ImportOptions(), summary))
    return rows, summary


def csv_of(*cells: str) -> str:
    text = io.StringIO()
    csv.writer(text).writerows(
        [["date", "amount", "category", "description", "receipt_url"], cells]
    )
    return text.getvalue()


def assert_round_trips(text: str, expense: Expense) -> None:
    """`expense`, imported by "owner" from `text`, is stored and read back as it is, and
    its export imports back identically: for another user as a new expense, and for its
    owner as the same one."""
    assert expense_from_item(from_item(to_item(expense_item(expense)))) == expense
    exported = io.StringIO()
    write_csv(exported, [expense])
    [copy], again = import_rows(exported.getvalue(), "other")
    assert again.read == 1 and not again.errors
    assert expense_record(copy.expense) | {"expense_id": "", "created_at": ""} == expense_record(
        expense
    ) | {"expense_id": "", "created_at": ""}
    assert copy.expense.expense_id != expense.expense_id
    assert copy.exported_id == expense.expense_id
    [same], _ = import_rows(text, "owner")
    assert same.expense.expense_id == expense.expense_id


@settings(max_examples=200)
@given(
    amount=st.one_of(amountish, cents.map(str)),
    day=st.one_of(any_text, st.dates(date(1890, 1, 1), date(2110, 1, 1)).map(str)),
    category=st.one_of(csv_cell, st.sampled_from(["food", " Rent ", "CAFÉ"])),
    description=csv_cell,
    receipt_url=st.one_of(st.just(""), urls(), csv_cell),
)
def test_csv_rows_import_exactly_or_are_rejected_with_their_line(
    amount: str, day: str, category: str, description: str, receipt_url: str
) -> None:
    """Any row: imported exactly and round-trips, or rejected on line 2 in one line."""
    text = csv_of(day, amount, category, description, receipt_url)
    rows, summary = import_rows(text, "owner")
    if not any(cell.strip() for cell in (day, amount, category, description, receipt_url)):
        assert summary.read == 0 and rows == []  # a blank line
        return
    assert summary.read == 1
    if summary.rejected:
        [error] = summary.errors
        assert error.line == 2 and str(error.error) and "\n" not in str(error.error)
        assert rows == []
        return
    if summary.skipped:  # a zero amount is no expense, and no error either
        assert dict(summary.skipped_by_reason) == {"zero_amount": 1} and rows == []
        return
    [row] = rows
    assert row.expense.amount == parse_amount(amount)
    assert row.expense.category == (
        parse_category(category) if category.strip() else "uncategorized"
    )
    assert row.expense.receipt_url == (parse_url(receipt_url) if receipt_url.strip() else None)
    assert_round_trips(text, row.expense)


def accepted(parse: Any) -> Any:
    def check(text: str) -> bool:
        try:
            parse(text)
        except InvalidInput:
            return False
        return True

    return check


@given(
    day=st.dates(date(1900, 1, 1), date(2100, 12, 31)),
    amount=cents,
    grouped=st.booleans(),
    category=st.text(min_size=1, max_size=64).filter(accepted(parse_category)),
    description=st.text(max_size=200).filter(accepted(parse_description)),
    receipt_url=st.one_of(st.just(""), urls()),
)
def test_every_valid_row_imports_exactly_and_round_trips(
    day: date,
    amount: Decimal,
    grouped: bool,
    category: str,
    description: str,
    receipt_url: str,
) -> None:
    text = csv_of(
        day.isoformat(),
        f"{amount:,.2f}" if grouped else str(amount),
        category,
        description,
        receipt_url,
    )
    [row], summary = import_rows(text, "owner")
    assert (summary.read, summary.rejected) == (1, 0)
    assert (row.expense.date, row.expense.amount) == (day, amount)
    assert row.expense.category == parse_category(category)
    assert row.expense.description == parse_description(description)
    assert row.expense.receipt_url == (receipt_url or None)
    assert_round_trips(text, row.expense)
