"""Parsers for what people type: amounts, dates, months, categories, text and URLs.

Each returns the normalised value or raises InvalidInput with a message that says
what to type instead. Nothing here touches storage or the terminal.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from budgetcli.dates import DateRange, Period
from budgetcli.errors import Field, InvalidInput
from budgetcli.models import category_key
from budgetcli.money import CENT, MAX_AMOUNT

MAX_CATEGORY_LENGTH = 64
MAX_DESCRIPTION_LENGTH = 500
MAX_URL_LENGTH = 2048
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100

_PLAIN_AMOUNT = re.compile(r"^[+-]?\d+(\.\d+)?$|^[+-]?\.\d+$", re.ASCII)
# 1,234.56 or 1,234,567.8: comma thousands groups are only unambiguous beside a decimal point.
_GROUPED_AMOUNT = re.compile(r"^[+-]?\d{1,3}(,\d{3})+\.\d+$", re.ASCII)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
# 03/11/2026, 3.11.26, 03-11: day-first or month-first depends on the country.
_NUMERIC_DATE = re.compile(
    r"^(?P<first>\d{1,2})\s*[/.-]\s*(?P<second>\d{1,2})(\s*[/.-]\s*\d{2,4})?\.?$", re.ASCII
)
_SHOWN_LENGTH = 40


def _quoted(text: str) -> str:
    """`text` as quoted in an error: a 100 KB argument must not make a 100 KB line."""
    if len(text) <= _SHOWN_LENGTH:
        return repr(text)
    return repr(text[:_SHOWN_LENGTH]) + f"... ({len(text)} characters)"


def parse_amount(text: str, *, allow_negative: bool = False) -> Decimal:
    """A positive amount of money with at most two decimal places, as an exact Decimal.

    With `allow_negative`, a negative amount is returned as it is (bank debits).
    The checks of the value itself are `check_amount`'s.
    """
    raw = text.strip()
    if _GROUPED_AMOUNT.match(raw):
        raw = raw.replace(",", "")
    elif "," in raw:
        raise InvalidInput(
            f"amount {_quoted(text)} is ambiguous: write it with a dot for cents and no "
            "thousands separator, like 1234.50"
        )
    if not _PLAIN_AMOUNT.match(raw):
        raise InvalidInput(f"amount {_quoted(text)} is not a number: write it like 12.50")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"amount {_quoted(text)} is not a number: write it like 12.50") from None
    if amount < 0 and not allow_negative:
        raise InvalidInput(f"amount {_quoted(text)} must be positive")
    return -check_amount(-amount, text) if amount < 0 else check_amount(amount, text)


def check_amount(amount: Decimal, text: str | None = None) -> Decimal:
    """A positive amount of at most MAX_AMOUNT with at most two decimal places, in cents."""
    shown = _quoted(text) if text is not None else str(amount)
    if amount < 0:
        raise InvalidInput(f"amount {shown} must be positive")
    if amount == 0:
        raise InvalidInput(f"amount {shown} must be more than zero")
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"amount {shown} is over the limit of {MAX_AMOUNT}")
    if amount != amount.quantize(CENT, rounding="ROUND_DOWN"):
        raise InvalidInput(f"amount {shown} has more than two decimal places")
    return amount.quantize(CENT)


def _check_year(day: date, text: str) -> date:
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidInput(f"date {_quoted(text)} is outside {EARLIEST_YEAR}-{LATEST_YEAR}")
    return day


def parse_date(text: str, *, today: date | None = None, date_format: str | None = None) -> date:
    """A calendar date from ISO (2026-11-03), `today`, `yesterday`, a weekday name (the
    most recent one, today included), or `Nov 3`/`3 Nov 2026` (this year when no year).

    Refused rather than guessed: day-first or month-first numbers (03/11/2026), years of
    two digits (26-11-01), and dates without a day (`2026-11`, `Nov`) or a month (`15th`).
    With `date_format`, only that strptime pattern is accepted.
    """
    raw = text.strip()
    today = today or date.today()
    if not raw:
        raise InvalidInput("date is empty: use YYYY-MM-DD, today or yesterday")
    if date_format:
        try:
            return _check_year(datetime.strptime(raw, date_format).date(), text)
        except ValueError:
            raise InvalidInput(
                f"date {_quoted(text)} does not match the format {date_format!r}"
            ) from None
    words = [word for word in re.split(r"[\s,]+", raw.lower()) if word]
    weekdays = {_WEEKDAYS[word.rstrip(".")] for word in words if word.rstrip(".") in _WEEKDAYS}
    if not weekdays:
        return _calendar_date(raw, text, today)
    if len(weekdays) > 1:
        raise InvalidInput(f"date {_quoted(text)} names two weekdays: give one date")
    [weekday] = weekdays
    rest = " ".join(word for word in words if word.rstrip(".") not in _WEEKDAYS)
    if not rest:
        return today - timedelta(days=(today.weekday() - weekday) % 7)
    day = _calendar_date(rest, text, today)
    if day.weekday() != weekday:
        raise InvalidInput(
            f"date {_quoted(text)} says {_WEEKDAY_NAMES[weekday]} but {day} is a "
            f"{_WEEKDAY_NAMES[day.weekday()]}: check the date"
        )
    return day


_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS = {
    name: number
    for number, full in enumerate(_WEEKDAY_NAMES)
    for name in (full.lower(), full[:3].lower())
}
# 26-11-01, 11/26/01, 3.11.26: which number is the year?
_TWO_DIGIT_YEAR = re.compile(r"^\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{2}\.?$", re.ASCII)
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)", re.ASCII)


def _calendar_date(raw: str, text: str, today: date) -> date:
    """`raw` (without weekday names) as a date; `text` is what the person typed."""
    lowered = raw.lower()
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    if re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", raw, re.ASCII):
        try:
            return _check_year(date.fromisoformat(_zero_pad_iso(raw)), text)
        except ValueError:
            raise InvalidInput(f"date {_quoted(text)} is not a real calendar date") from None
    if numeric := _NUMERIC_DATE.match(raw):
        first, second = int(numeric["first"]), int(numeric["second"])
        if first != second and first <= 12 and second <= 12:
            raise AmbiguousDate(
                f"date {_quoted(text)} could be day-first or month-first: write it as "
                "YYYY-MM-DD or like '3 Nov 2026'"
            )
    if _TWO_DIGIT_YEAR.match(raw):
        raise AmbiguousDate(
            f"date {_quoted(text)} has a two-digit year, so which number is the year is "
            "a guess: write it as YYYY-MM-DD or like '3 Nov 2026'"
        )
    if re.fullmatch(r"\d+", raw):
        # dateutil reads a bare number as a day of this month or a year: too surprising.
        raise InvalidInput(f"date {_quoted(text)} is not a date: use YYYY-MM-DD")
    from dateutil import parser as dateutil_parser

    # Parsed twice with defaults that differ in every field: a field that comes out
    # different in the two was not written, and dateutil would have filled it in silently.
    try:
        parsed = dateutil_parser.parse(raw, default=datetime(today.year, 1, 1), fuzzy=False)
        probe = dateutil_parser.parse(raw, default=datetime(today.year - 4, 3, 2), fuzzy=False)
    except (ValueError, OverflowError, dateutil_parser.ParserError):
        raise InvalidInput(
            f"date {_quoted(text)} is not a date: use YYYY-MM-DD, today, yesterday or 'Nov 3'"
        ) from None
    if (parsed.hour, parsed.minute, parsed.second, parsed.microsecond) != (0, 0, 0, 0):
        raise InvalidInput(f"date {_quoted(text)} has a time of day: give only the date")
    if parsed.day != probe.day:
        raise InvalidInput(
            f"date {_quoted(text)} has no day: write the whole date, like 2026-11-03 "
            "or '3 Nov 2026'"
        )
    if parsed.month != probe.month:
        raise InvalidInput(
            f"date {_quoted(text)} has no month: write the whole date, like 2026-11-03 "
            "or '3 Nov 2026'"
        )
    if parsed.year == probe.year and not _FOUR_DIGITS.search(raw):
        raise AmbiguousDate(
            f"date {_quoted(text)} has a two-digit year: write the year in full, like '3 Nov 2026'"
        )
    return _check_year(parsed.date(), text)


class AmbiguousDate(InvalidInput):
    """A date such as 03/11/2026, which is 3 November or March 11 depending on the country."""


def _zero_pad_iso(raw: str) -> str:
    year, month, day = raw.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"


def parse_month(text: str) -> Period:
    """`YYYY-MM` as the period from its first to its last day."""
    match = _MONTH.match(text.strip())
    if not match:
        raise InvalidInput(f"month {_quoted(text)} must look like 2026-11")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InvalidInput(f"month {_quoted(text)} has no month {month}")
    return Period.month_of(_check_year(date(year, month, 1), text))


def parse_date_range(
    first: str | None, last: str | None, month: str | None, *, today: date | None = None
) -> DateRange:
    """The days chosen by a first and a last date, or by a whole month (not both)."""
    if month is not None:
        if first is not None or last is not None:
            raise InvalidInput(
                Field("month"),
                " cannot be combined with ",
                Field("first"),
                " or ",
                Field("last"),
                ": use one or the other",
            )
        whole = parse_month(month)
        return DateRange(whole.first, whole.last)
    start = parse_date(first, today=today) if first is not None else None
    end = parse_date(last, today=today) if last is not None else None
    if start and end and start > end:
        raise InvalidInput(
            Field("first"), f" {start} is after ", Field("last"), f" {end}: swap them"
        )
    return DateRange(start, end)


def parse_expense_id(text: str) -> uuid.UUID:
    """Expense ids are UUIDs; anything else cannot name an expense."""
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{_quoted(text)} is not an expense id: ids look like "
            "3f2b6c1e-8d4a-4f7e-9c2a-1b5d7e9f0a12 (see `budget list`)"
        ) from None


def _first_control_character(text: str) -> str | None:
    """The first control character (Cc) or lone surrogate (Cs) in `text`, if any.

    Format characters (Cf) are text: the zero-width joiner in emoji, the ZWNJ of Persian,
    right-to-left marks. Private-use and not-yet-assigned characters are someone's text
    too (icon fonts, emoji newer than this Python).
    """
    if text.isprintable():  # the usual case, checked in C: no C* category at all
        return None
    return next((ch for ch in text if unicodedata.category(ch) in ("Cc", "Cs")), None)


def _refuse_control_characters(field: str, text: str) -> None:
    if (found := _first_control_character(text)) is not None:
        raise InvalidInput(
            f"{field} contains the control character U+{ord(found):04X}: write it as one "
            "line, without tabs or other control characters"
        )


def _visible(text: str) -> bool:
    """Whether anything in `text` shows: not only marks, spaces and format characters."""
    return any(unicodedata.category(ch)[0] not in "CZM" for ch in text)


def parse_category(text: str) -> str:
    """Trimmed, lower-cased, 1-64 characters, no control characters (see `category_key`)."""
    _refuse_control_characters("category", text.strip())
    category = category_key(text)
    if not _visible(category):
        raise InvalidInput("category is empty: name one, like food")
    if len(category) > MAX_CATEGORY_LENGTH:
        raise InvalidInput(f"category is longer than {MAX_CATEGORY_LENGTH} characters")
    return category


def parse_description(text: str | None) -> str:
    """Trimmed, at most 500 characters, no control characters; may be empty.

    Otherwise kept exactly as written: not even normalised, since NFC would change
    some CJK characters people write names with.
    """
    description = (text or "").strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput(
            f"description is {len(description)} characters long; the limit is "
            f"{MAX_DESCRIPTION_LENGTH}"
        )
    _refuse_control_characters("description", description)
    return description


def parse_url(text: str) -> str:
    """An http(s) URL with a host, such as a link to a receipt."""
    url = text.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"URL is longer than {MAX_URL_LENGTH} characters")
    if not re.match(r"^https?://[^\s/?#]+[^\s]*$", url, re.IGNORECASE):
        raise InvalidInput(
            f"URL {_quoted(text)} must start with http:// or https:// and name a host"
        )
    return url
