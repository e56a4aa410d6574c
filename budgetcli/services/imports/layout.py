"""Detect the layout: budgetcli's own format, or a bank statement's layout.

A file whose header names budgetcli's own columns (what `budget export` writes, or a
hand-made `date,amount,category,description` list) is read as it always was: columns
by name, every amount an expense, dates as `budget add` reads them. Any other file is a
bank statement: `budgetcli.statements` detects its layout from its whole content, with
what the options say and, before that, what a profile remembered of the same bank.

What detection cannot tell it asks (`LayoutQuestion`): the question becomes an error
naming the option that answers it.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass, replace
from typing import BinaryIO

from budgetcli.errors import Field, InvalidInput
from budgetcli.services.imports.model import FIELDS, ImportOptions
from budgetcli.services.imports.profiles import PROFILE_ID, Profile, chosen, for_fingerprint
from budgetcli.services.imports.reading import check_encoding, detect_delimiter
from budgetcli.statements import (
    Layout,
    LayoutQuestion,
    Overrides,
    Role,
    SignRule,
    detect,
    layout_fingerprint,
)
from budgetcli.statements.cells import money_parts
from budgetcli.statements.detect import SAMPLE_BYTES
from budgetcli.statements.model import normalise_name
from budgetcli.statements.text import choose_encoding
from budgetcli.statements.vocabulary import role_ranks

# Amounts as budgetcli's own format writes them: 12.50, 1,234.56 (or 12,50 and 1.234,56
# with a decimal comma); a sign only where the options say spending is negative.
_PLAIN = re.compile(r"^(?P<sign>[+-]?)(?:\d+(?:\.\d*)?|\.\d+|\d{1,3}(?:,\d{3})+\.\d+)$")
_DECIMAL_COMMA = re.compile(
    r"^(?P<sign>[+-]?)(?:\d+(?:,\d*)?|\d{1,3}(?:([. ])\d{3})(?:\2\d{3})*(?:,\d+)?)$"
)
# Columns budgetcli's export writes besides the fields.
OWN_EXTRA_COLUMNS = ("receipt_url", "expense_id", "created_at")
# A header with a column of one of these roles is a bank statement's, whatever else it has.
BANK_ROLES = frozenset(
    {Role.BALANCE, Role.DEBIT, Role.CREDIT, Role.DIRECTION, Role.BANK_ID, Role.STATUS}
)
# Which option answers each of the statements package's questions, by its field.
_ANSWERS: dict[str, tuple[str | Field, ...]] = {
    "encoding": (Field("encoding"),),
    "delimiter": (Field("delimiter"),),
    "skip_lines": (Field("skip_lines"), " N (the lines before the header row)"),
    "date_format": (Field("date_format"),),
    "decimal_mark": (Field("decimal_mark"), " . or ", Field("decimal_mark"), " ,"),
    "sign_rule": (
        Field("debits_negative"),
        " for an account statement, or ",
        Field("card"),
        " for a card statement",
    ),
    "skip_patterns": (Field("skip_patterns"),),
    "columns": (Field("columns"), " ROLE=HEADER"),
}


@dataclass(frozen=True)
class OwnFormat:
    """A file in budgetcli's own format, and how to read it."""

    encoding: str
    delimiter: str


@dataclass(frozen=True)
class Chosen:
    """How to read a bank statement, and the profile it came from (if any)."""

    layout: Layout
    profile: Profile | None


def question(asked: LayoutQuestion) -> InvalidInput:
    """The package's question as an error that names the option answering it."""
    role = asked.field.partition(".")[2]
    if role == Role.BALANCE:
        answer: tuple[str | Field, ...] = (Field("columns"), " balance= says there is none")
    elif role:
        answer = (Field("columns"), f" {role}=HEADER")
    else:
        answer = _ANSWERS.get(asked.field, ())
    if not answer:
        return InvalidInput(str(asked))
    return InvalidInput(str(asked), " (", *answer, ")")


# --- budgetcli's own format -------------------------------------------------------------


def own_format(stream: BinaryIO, options: ImportOptions) -> OwnFormat | None:
    """OwnFormat when the file is in budgetcli's own format, None for a bank statement.

    Its header names `date`, `amount` and `category` (or the columns the options name
    for them; a `category` option stands for the last), and no column that only a bank's
    statement has (a balance, debits, credits, a direction, the bank's ids, a status);
    and no amount in the first part of the file is written as only banks write them
    (negative, with a currency sign, with a decimal comma) unless the options say so.
    Reads the start of `stream` and puts it back.
    """
    if _statement_options(options):
        return None
    start = stream.tell()
    head = stream.read(SAMPLE_BYTES)
    try:
        if options.encoding is not None:
            encoding = check_encoding(options.encoding)
        else:
            rest = None if len(head) < SAMPLE_BYTES else stream
            encoding = choose_encoding(head, rest, None)[0]
    finally:
        stream.seek(start)
    for delimiter in _delimiters(head, encoding, options.delimiter):
        records = _sample_records(head, encoding, delimiter)
        if not records:
            return None
        header, *rows = records
        amount_at = _own_columns(header, options)
        if amount_at is not None:
            if any(_bank_amount(_cell(row, amount_at), options) for row in rows):
                return None
            return OwnFormat(encoding, delimiter)
    return None


def _delimiters(head: bytes, encoding: str, given: str | None) -> list[str]:
    """The delimiters to try on the header line: the one given, else the one the header
    line suggests (see `detect_delimiter`), then the others it has."""
    if given is not None:
        return [given]
    line = head[:4096].decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 1)[0]
    first = detect_delimiter(line)
    return [first] + [d for d in (";", "\t", "|") if d != first and d in line]


def _statement_options(options: ImportOptions) -> bool:
    """Options only a bank statement has a use for."""
    return bool(
        options.skip_lines is not None
        or options.no_header
        or options.column_names
        or options.sign_rule is SignRule.POSITIVE_OUT
        or options.debit_value is not None
        or options.credit_value is not None
        or options.skip_patterns
        or options.profile is not None
        or any(
            role not in FIELDS or not isinstance(value, str)
            for role, value in options.columns.items()
        )
    )


def _sample_records(head: bytes, encoding: str, delimiter: str) -> list[list[str]]:
    """The CSV records of the sample (its last line may be cut), the header first."""
    text = head.decode(encoding, errors="replace").removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if len(head) == SAMPLE_BYTES and len(lines) > 1:
        lines.pop()
    if not lines or not lines[0].strip():
        return []
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for cells in reader:
            if cells and any(cell.strip() for cell in cells):
                records.append(cells)
    except csv.Error:
        pass  # a malformed row is the row reader's to report
    return records


def _own_columns(header: list[str], options: ImportOptions) -> int | None:
    """The amount column's position when the header names budgetcli's columns."""
    cells = [cell.strip().casefold() for cell in header]

    def named(field: str) -> str:
        given = options.columns.get(field)
        return (given if isinstance(given, str) else field).strip().casefold()

    wanted = {field: named(field) for field in FIELDS}
    has_category = wanted["category"] in cells or options.category is not None
    if wanted["date"] not in cells or wanted["amount"] not in cells or not has_category:
        return None
    own = set(wanted.values()) | set(OWN_EXTRA_COLUMNS)
    for cell in cells:
        if cell and cell not in own and role_ranks(normalise_name(cell)).keys() & BANK_ROLES:
            return None
    return cells.index(wanted["amount"])


def _cell(cells: list[str], index: int) -> str:
    return cells[index] if index < len(cells) else ""


def _bank_amount(cell: str, options: ImportOptions) -> bool:
    """An amount written as banks write them and budgetcli's own format does not."""
    text = cell.strip()
    if money_parts(text) is None:
        return False  # not an amount at all: the row reader rejects it
    plain = _DECIMAL_COMMA if options.decimal_comma else _PLAIN
    match = plain.match(text)
    return match is None or (match["sign"] == "-" and not options.debits_negative)


# --- bank statements --------------------------------------------------------------------


def overrides_of(options: ImportOptions) -> Overrides:
    """What the options pin down, in the statements package's terms."""
    columns = dict(options.columns)
    if "description" in columns and "payee" not in columns:
        # A description column named by hand is the whole description, as it always was.
        columns["payee"] = None
    if options.skip_empty_amount and isinstance(columns.get("amount"), str):
        if "debit" not in columns:
            # `--column amount="Paid out" --skip-empty-amount`: the column of money out.
            columns["debit"] = columns.pop("amount")
    return Overrides(
        encoding=check_encoding(options.encoding) if options.encoding else None,
        delimiter=options.delimiter,
        skip_lines=options.skip_lines,
        no_header=options.no_header,
        column_names=options.column_names,
        columns=columns,
        date_format=options.date_format,
        decimal_mark=options.decimal_mark,
        sign_rule=options.sign_rule,
        debit_value=options.debit_value,
        credit_value=options.credit_value,
        skip_patterns=options.skip_patterns,
    )


def merged(remembered: Overrides, given: Overrides) -> Overrides:
    """A profile's overrides with what the options say on top."""
    changes: dict[str, object] = {}
    for name, value in vars(given).items():
        if name == "columns":
            changes[name] = {**remembered.columns, **given.columns}
        elif value not in (None, False, ()):
            changes[name] = value
    return replace(remembered, **changes)  # type: ignore[arg-type]


def fingerprint_of(stream: BinaryIO, options: ImportOptions) -> str:
    """The fingerprint of the file's layout (its header and delimiter), to find a profile."""
    start = stream.tell()
    try:
        return layout_fingerprint(stream, overrides_of(options))
    except LayoutQuestion as asked:
        raise question(asked) from None
    finally:
        stream.seek(start)


def choose_layout(
    stream: BinaryIO, options: ImportOptions, profiles: list[Profile], fingerprint: str
) -> Chosen:
    """The layout to read a bank statement with.

    A profile (the one named by the options, else the one for this file's fingerprint)
    goes first, under the options; if the file does not fit it, the file is detected
    afresh. Reads the whole stream and puts it back at its start.
    """
    given = overrides_of(options)
    wanted = options.profile
    if wanted is not None and (_named_profile_exists(profiles, wanted) or PROFILE_ID.match(wanted)):
        profile: Profile | None = chosen(profiles, wanted)  # NotFound for an unknown id
    else:
        profile = for_fingerprint(profiles, fingerprint)
    start = stream.tell()
    try:
        if profile is not None:
            # The encoding is found again: each file says its own (a byte-order mark, or
            # bytes that are no UTF-8), and one read wrongly would spoil every description.
            remembered = replace(profile.layout.as_overrides(), encoding=None)
            try:
                layout = _detected(stream, merged(remembered, given), start)
                return Chosen(_remembered(layout, given, profile.label), profile)
            except LayoutQuestion:
                if options.profile is not None:
                    raise
        return Chosen(_detected_with_old_signs(stream, given, options, start), None)
    except LayoutQuestion as asked:
        raise question(asked) from None
    finally:
        stream.seek(start)


# What each of a layout's reasons is about, among the overrides.
_REASON_FIELDS = {
    "encoding": "encoding",
    "delimiter": "delimiter",
    "header": "skip_lines",
    "date_format": "date_format",
    "amount": "decimal_mark",
    "debit": "decimal_mark",
    "credit": "decimal_mark",
    "balance": "decimal_mark",
    "sign_rule": "sign_rule",
    "direction": "debit_value",
}


def _remembered(layout: Layout, given: Overrides, label: str) -> Layout:
    """The layout with "given" said as "from the profile" where the options gave nothing."""
    reasons = dict(layout.reasons)
    for key, reason in layout.reasons.items():
        if reason == "given" and not getattr(given, _REASON_FIELDS.get(key, key), None):
            reasons[key] = f"remembered in profile {label}"
    return replace(layout, reasons=reasons)


def _named_profile_exists(profiles: list[Profile], wanted: str) -> bool:
    """A name given that no profile has yet is the name to remember this layout by."""
    return any(wanted in (p.profile_id, p.name) for p in profiles)


def _detected(stream: BinaryIO, overrides: Overrides, start: int) -> Layout:
    stream.seek(start)
    layout = detect(stream, overrides)
    if layout.kind == "ofx" and importlib.util.find_spec("ofxtools") is None:
        raise InvalidInput(
            "reading OFX and QFX files needs the ofxtools package: install budgetcli with "
            "its 'ofx' extra (pip install 'budgetcli[ofx]')"
        )
    return layout


def _detected_with_old_signs(
    stream: BinaryIO, given: Overrides, options: ImportOptions, start: int
) -> Layout:
    """Detection; where the options name the amount column as they did before bank files
    were detected, an all-positive amount column is money out, as it was then."""
    try:
        return _detected(stream, given, start)
    except LayoutQuestion as asked:
        names_amount = isinstance(options.columns.get("amount"), str)
        if asked.field != "sign_rule" or not names_amount or options.sign_rule is not None:
            raise
        return _detected(stream, replace(given, sign_rule=SignRule.POSITIVE_OUT), start)
