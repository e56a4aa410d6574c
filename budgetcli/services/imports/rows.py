"""Parse a row: a file's row to an expense with its identity, or a reason to leave it out.

Each valid row becomes an expense whose `expense_id` is a uuid5 of the user, the row's
normalised fields (date, amount, category, description) and its occurrence number among
identical rows of the file. So a re-import finds every row already there, an overlapping
statement adds only its new rows, and two identical coffees stay two expenses. An OFX
transaction is recognised by the bank's own id (FITID) and amount instead, where the file
gives every transaction its own. Memory does not grow with the file beyond a 16-byte
digest per distinct row (to number identical rows).

Rows come from budgetcli's own format (`own_format_rows`: columns by name, read as they
always were, so the ids of files imported before stay the same) or from a bank statement
read by `budgetcli.statements` (`statement_rows`).
"""

from __future__ import annotations

import csv
import hashlib
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from budgetcli.dates import utc_now_iso
from budgetcli.errors import Field, InvalidInput
from budgetcli.models import CategoryOrigin, CategorySource, Expense
from budgetcli.parsing import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    MAX_DESCRIPTION_LENGTH,
    AmbiguousDate,
    check_amount,
    parse_amount,
    parse_category,
    parse_date,
    parse_description,
    parse_url,
)
from budgetcli.services.imports.model import (
    DEFAULT_CATEGORY,
    SKIP_KEYS,
    ImportOptions,
    ImportSummary,
    Skip,
)
from budgetcli.services.imports.reading import records
from budgetcli.spreadsheets import marks_excel_safe, undo_excel_safe
from budgetcli.statements import BadRow, Row, SkippedRow, StatementRow

# Fixed forever: changing it would make every earlier import look new.
IMPORT_NAMESPACE = uuid.UUID("5b0f3c52-6f1e-5d8a-9a43-0c7d1b6e2f11")
_FOREIGN_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$", re.ASCII)
_LINE_BREAKS = re.compile(r"\s*[\r\n\t]+\s*")
_ZERO = re.compile(r"^[+-]?(?:0+(?:[.,]0*)?|[.,]0+)$")
# 1.234,56 / 1 234,56 / 1234,56 / -45,30 / 2.500: '.' or a space groups thousands.
_DECIMAL_COMMA_AMOUNT = re.compile(
    r"^([+-]?)(\d{1,3}(?:([. \u00a0\u202f])\d{3})(?:\3\d{3})*|\d+)(?:,(\d+))?$"
)


@dataclass(frozen=True)
class ParsedRow:
    line: int
    expense: Expense
    exported_id: str | None
    """The `expense_id` column of a `budget export`: the expense may already be this user's."""


@dataclass(frozen=True)
class RowValues:
    """A row's normalised fields: what an expense is made of, and what identifies it."""

    day: date
    amount: Decimal
    category: str
    description: str
    receipt_url: str | None = None
    category_from_file: bool = True
    """False: the file left it empty, and `category` is the fallback (the options'
    category, or uncategorized), which identifies the row whatever category it is given."""


def row_identity(user_id: str, values: RowValues) -> str:
    """The content an imported row is recognised by: every field that tells two rows apart."""
    return "\x1f".join(
        (
            user_id,
            values.day.isoformat(),
            str(values.amount),
            values.category,
            values.description,
        )
    )


def bank_identity(user_id: str, bank_id: str, values: RowValues) -> str:
    """What a transaction with the bank's own id is recognised by: that id and its amount
    (a bank's descriptions and booking dates change between downloads; its ids do not)."""
    return "\x1f".join((user_id, "bank id", bank_id, str(values.amount)))


class RowIds:
    """Deterministic expense ids for the rows of one file, in order."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.occurrences: dict[bytes, int] = {}

    def next_id(self, values: RowValues, bank_id: str | None = None) -> str:
        """The id of this row: its content (or the bank's id for it) and how many
        identical rows came before it."""
        if bank_id is None:
            content = row_identity(self.user_id, values)
        else:
            content = bank_identity(self.user_id, bank_id, values)
        digest = hashlib.blake2b(content.encode(), digest_size=16).digest()
        occurrence = self.occurrences.get(digest, 0)
        self.occurrences[digest] = occurrence + 1
        return str(uuid.uuid5(IMPORT_NAMESPACE, f"{content}\x1f{occurrence}"))


@dataclass(frozen=True)
class Columns:
    """Where each field is in a row; None when the file has no such column."""

    date: int
    amount: int
    category: int | None
    description: int | None
    receipt_url: int | None
    expense_id: int | None


def find_columns(header: list[str], options: ImportOptions) -> Columns:
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        positions.setdefault(cell.strip().casefold(), index)
    found = ", ".join(repr(cell.strip()) for cell in header if cell.strip()) or "nothing"

    def position(name: str) -> int | None:
        given = options.columns.get(name)
        wanted = given if isinstance(given, str) else name
        index = positions.get(wanted.casefold())
        if index is None and name in options.columns:
            raise InvalidInput(
                Field("columns"),
                f" {name}={wanted}: the header has no column {wanted!r} (it has {found})",
            )
        return index

    def required(name: str) -> int:
        index = position(name)
        if index is None:
            raise InvalidInput(
                f"the header row has no {name!r} column (it has {found}): name the right one with ",
                Field("columns"),
                f" {name}=HEADER",
            )
        return index

    date_at, amount_at = required("date"), required("amount")
    return Columns(
        date=date_at,
        amount=amount_at,
        category=position("category"),
        description=position("description"),
        receipt_url=positions.get("receipt_url"),
        expense_id=positions.get("expense_id"),
    )


def own_format_rows(
    lines: Iterable[str], user_id: str, options: ImportOptions, summary: ImportSummary
) -> Iterator[ParsedRow]:
    """The valid rows of a file in budgetcli's own format as expenses with their ids;
    bad and skipped rows go into `summary`. A row without a category has the fallback,
    for `categorising` to decide."""
    rows = records(lines, options.delimiter)
    header = next(rows, None)
    if header is None or isinstance(header[1], csv.Error) or not any(header[1]):
        raise InvalidInput(
            "the file has no header row: the first line must name the columns, "
            "like date,amount,category,description"
        )
    columns = find_columns(header[1], options)
    excel_safe = marks_excel_safe(header[1])
    ids = RowIds(user_id)
    created_at = utc_now_iso()
    for line, cells in rows:
        if isinstance(cells, csv.Error):
            summary.read += 1
            summary.reject(line, InvalidInput(f"not valid CSV ({cells})"))
            continue
        if excel_safe:  # written by `budget export --excel-safe`: the cells as they were
            cells = [undo_excel_safe(cell) for cell in cells]
        if not any(cell.strip() for cell in cells):
            continue
        summary.read += 1
        try:
            values = row_values(cells, columns, options)
        except InvalidInput as exc:
            summary.reject(line, exc)
            continue
        if isinstance(values, str):
            summary.skip(values)
            continue
        exported_id = _cell(cells, columns.expense_id).strip()
        origin = category_origin(values)
        yield ParsedRow(
            line=line,
            expense=Expense(
                expense_id=ids.next_id(values),
                user_id=user_id,
                amount=values.amount,
                category=origin.category,
                description=values.description,
                date=values.day,
                created_at=created_at,
                receipt_url=values.receipt_url,
                category_origin=origin,
            ),
            exported_id=exported_id if _FOREIGN_ID.match(exported_id) else None,
        )


def category_origin(values: RowValues) -> CategoryOrigin:
    """The row's category as parsed and where it came from: the file, or the fallback."""
    if values.category_from_file:
        return CategoryOrigin(CategorySource.FILE, values.category)
    return CategoryOrigin(CategorySource.FALLBACK, values.category)


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def row_values(cells: list[str], columns: Columns, options: ImportOptions) -> RowValues | str:
    """The row's normalised fields, or why it is skipped (a `Skip` key)."""
    amount_text = _cell(cells, columns.amount)
    if not amount_text.strip():
        if options.skip_empty_amount:
            return Skip.EMPTY
        raise InvalidInput(
            "amount is empty: if the file has separate columns for money out and in, import with ",
            Field("skip_empty_amount"),
            " to skip such rows",
        )
    if _ZERO.match(amount_text.strip()):
        return Skip.ZERO
    amount = _amount(amount_text, options.decimal_comma)
    if options.debits_negative:
        if amount > 0:
            return Skip.CREDIT
        amount = -amount
    elif amount < 0:
        raise InvalidInput(
            f"amount {amount_text.strip()!r} is negative: if the bank shows spending as "
            "negative numbers, import with ",
            Field("debits_negative"),
        )
    try:
        day = parse_date(_cell(cells, columns.date), date_format=options.date_format)
    except AmbiguousDate as exc:
        raise InvalidInput(
            *exc.parts, " (give the file's date format with ", Field("date_format"), ")"
        ) from None
    category_text = _cell(cells, columns.category)
    from_file = bool(category_text.strip())
    category = parse_category(category_text) if from_file else options.category or DEFAULT_CATEGORY
    # Banks put line breaks in memo fields; one line of text is what an expense keeps.
    description = parse_description(_LINE_BREAKS.sub(" ", _cell(cells, columns.description)))
    url_text = _cell(cells, columns.receipt_url).strip()
    receipt_url = parse_url(url_text) if url_text else None
    return RowValues(day, amount, category, description, receipt_url, from_file)


def _amount(text: str, decimal_comma: bool) -> Decimal:
    """`parse_amount` of a cell, which may be written with a decimal comma."""
    if not decimal_comma:
        try:
            return parse_amount(text, allow_negative=True)
        except InvalidInput as exc:
            if "," not in text:
                raise
            raise InvalidInput(
                *exc.parts,
                "; or, if the file writes 12,50 for 12.50, import with ",
                Field("decimal_comma"),
            ) from None
    plain = decimal_comma_to_plain(text)
    try:
        return parse_amount(plain, allow_negative=True)
    except InvalidInput as exc:
        # Quote the cell as the file has it, not its normalised form.
        raise InvalidInput(str(exc).replace(repr(plain), repr(text), 1)) from None


def decimal_comma_to_plain(text: str) -> str:
    """'-1.234,56' -> '-1234.56': ',' is the decimal mark, '.' or a space groups thousands."""
    match = _DECIMAL_COMMA_AMOUNT.match(text.strip())
    if match is None:
        raise InvalidInput(
            f"amount {text!r} is not a number with a decimal comma: with ",
            Field("decimal_comma"),
            " write it like 1234,50 or 1.234,50",
        )
    sign, whole, separator, cents = match.groups()
    if separator:
        whole = whole.replace(separator, "")
    return f"{sign}{whole}.{cents}" if cents is not None else f"{sign}{whole}"


def statement_rows(
    rows: Iterable[Row],
    user_id: str,
    options: ImportOptions,
    summary: ImportSummary,
    *,
    bank_ids: bool,
) -> Iterator[ParsedRow]:
    """The rows of money going out of a bank statement as expenses with their ids; rows
    that are not expenses are counted as skipped, malformed ones as rejected. A row
    without the bank's category has the fallback, for `categorising` to decide.

    With `bank_ids`, a row with the bank's own id for it is identified by that id.
    """
    ids = RowIds(user_id)
    created_at = utc_now_iso()
    for row in rows:
        summary.read += 1
        if isinstance(row, SkippedRow):
            summary.skip(SKIP_KEYS[row.reason])
            continue
        if isinstance(row, BadRow):
            if row.empty_amount and options.skip_empty_amount:
                summary.skip(Skip.EMPTY)
            else:
                summary.reject(row.line, InvalidInput(row.error))
            continue
        try:
            values = statement_values(row, options.category)
        except InvalidInput as exc:
            summary.reject(row.line, exc)
            continue
        bank_id = row.bank_id if bank_ids and row.bank_id else None
        yield ParsedRow(
            line=row.line,
            expense=Expense(
                expense_id=ids.next_id(values, bank_id),
                user_id=user_id,
                amount=values.amount,
                category=values.category,
                description=values.description,
                date=values.day,
                created_at=created_at,
                category_origin=category_origin(values),
            ),
            exported_id=None,
        )


def statement_values(row: StatementRow, category: str | None) -> RowValues:
    """An expense's fields from a row of money going out: the amount in cents, the bank's
    category (else `category`, else "uncategorized"), payee and description in one line."""
    if not EARLIEST_YEAR <= row.date.year <= LATEST_YEAR:
        raise InvalidInput(f"date {row.date.isoformat()} is outside {EARLIEST_YEAR}-{LATEST_YEAR}")
    amount = check_amount(row.amount)
    chosen, from_file = category or DEFAULT_CATEGORY, False
    if row.category:
        try:
            chosen, from_file = parse_category(row.category), True
        except InvalidInput:
            pass  # a bank's category that is no category here: the default one
    # A bank's memo is kept, cut to the length a description may have.
    text = row.text[:MAX_DESCRIPTION_LENGTH].rstrip()
    return RowValues(row.date, amount, chosen, parse_description(text), None, from_file)
