"""Property-based tests of every parser of user input: accept exactly, or refuse cleanly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from budgetcli.errors import InvalidInput
from budgetcli.parsing import (
    MAX_AMOUNT,
    parse_amount,
    parse_category,
    parse_date,
    parse_description,
    parse_month,
    parse_url,
)
from budgetcli.services.accounts import normalise_email, normalise_phone, normalise_username

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
    first, last = parse_month(f"{year:04d}-{month:02d}")
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


@given(any_text)
def test_urls_are_http_or_refused(text: str) -> None:
    try:
        url = parse_url(text)
    except InvalidInput:
        return
    assert url.lower().startswith(("http://", "https://"))


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


# --- CSV rows and column mappings, through DynamoDB and back out -------------------


@given(st.lists(st.text(max_size=20), max_size=4))
def test_column_mappings_are_parsed_or_refused(specs: list[str]) -> None:
    from budgetcli.services.imports import FIELDS, parse_column_mappings

    try:
        mapping = parse_column_mappings(specs)
    except InvalidInput as exc:
        assert "\n" not in str(exc)
        return
    assert set(mapping) <= set(FIELDS) and all(h.strip() == h and h for h in mapping.values())


csv_cell = st.one_of(any_text, st.sampled_from(["", " ", "\n", '"', ",", "\ufeff", "\x00"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    amount=st.one_of(amountish, cents.map(str)),
    day=st.one_of(any_text, st.dates(date(1890, 1, 1), date(2110, 1, 1)).map(str)),
    category=st.one_of(csv_cell, st.sampled_from(["food", " Rent ", "CAFÉ"])),
    description=csv_cell,
)
def test_csv_rows_import_exactly_or_are_rejected_with_their_line(
    amount: str, day: str, category: str, description: str
) -> None:
    """Any row: imported, and its export imports back identically; or rejected on line 2."""
    import csv
    import io
    import uuid

    from moto import mock_aws

    from budgetcli import config
    from budgetcli.services.exports import expenses_to_export, write_csv
    from budgetcli.services.imports import import_expenses
    from budgetcli.services.tables import init_tables
    from budgetcli.store import connect
    from tests.helpers import moto_one_request_at_a_time

    text = io.StringIO()
    csv.writer(text).writerows(
        [["date", "amount", "category", "description"], [day, amount, category, description]]
    )
    with mock_aws(), moto_one_request_at_a_time():
        store = connect(config.Settings(backend="aws", region="us-east-1"))
        init_tables(store)
        owner, other = str(uuid.uuid4()), str(uuid.uuid4())
        summary = import_expenses(store, owner, io.StringIO(text.getvalue()))
        if not any(cell.strip() for cell in (day, amount, category, description)):
            assert summary.read == 0 and summary.imported == 0  # a blank line
            return
        assert summary.read == 1
        if summary.rejected:
            [error] = summary.errors
            assert error.line == 2 and error.error and "\n" not in error.error
            assert list(expenses_to_export(store, owner)) == []
            return
        assert summary.imported == 1
        [stored] = list(expenses_to_export(store, owner))
        assert stored.amount == parse_amount(amount)
        assert stored.category == parse_category(category)
        exported = io.StringIO()
        write_csv(exported, [stored])
        again = import_expenses(store, other, io.StringIO(exported.getvalue()))
        assert again.imported == 1, again.errors
        [copy] = list(expenses_to_export(store, other))
        assert copy.to_record() | {"expense_id": "", "created_at": ""} == stored.to_record() | {
            "expense_id": "",
            "created_at": "",
        }
        assert import_expenses(store, owner, io.StringIO(text.getvalue())).duplicates == 1
