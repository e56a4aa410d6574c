"""The stages of `budget import` that need no engine: the bytes, which format a file is in,
a row of budgetcli's own format, the options as the statements package's overrides, its
questions said with the command's options, a statement's row as an expense, each row's
identity, and what the command says about an import.

The 18 real bank exports are in test_import_banks.py; input refused before storage in
test_import_input.py; storage on both engines in test_import.py.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_group

from budgetcli.cli import app
from budgetcli.cli.common import option_names
from budgetcli.cli.transfer import parse_columns, parse_delimiter
from budgetcli.errors import BudgetError, ExitCode, Field, InvalidInput, StorageUnavailable
from budgetcli.models import Expense
from budgetcli.output import OutputFormat
from budgetcli.output.imports import emit_summary, summary_record
from budgetcli.parsing import parse_category
from budgetcli.services.imports import (
    ImportOptions,
    ImportPlan,
    ImportStopped,
    ImportSummary,
    RowsRejected,
    Source,
    check_encoding,
    count_lines,
    reading,
)
from budgetcli.services.imports.layout import (
    merged,
    overrides_of,
    own_format,
    question,
)
from budgetcli.services.imports.model import ProfileUse, RowError, Skip
from budgetcli.services.imports.profiles import (
    Profile,
    chosen,
    parse_profile_name,
    same_reading,
)
from budgetcli.services.imports.reading import decoded_lines, detect_delimiter, records
from budgetcli.services.imports.rows import (
    Columns,
    ParsedRow,
    RowIds,
    RowValues,
    decimal_comma_to_plain,
    find_columns,
    row_identity,
    row_values,
    statement_rows,
    statement_values,
)
from budgetcli.statements import (
    BadRow,
    LayoutQuestion,
    Overrides,
    Row,
    SignRule,
    SkippedRow,
    SkipReason,
    StatementRow,
    detect,
)

IMPORT_OPTIONS = option_names(get_group(app).commands["import"])

COFFEES = """date,amount,category,description
2026-01-05,3.50,food,coffee
2026-01-05,3.50,food,coffee
2026-01-06,12.00,transport,train
"""
MIXED = (
    "Date,Amount,Category,Description\n"  # 1
    '2026-01-02,12.50,food,"coffee\n'  # 2: a quoted field over three lines
    "with\n"  # 3
    'milk"\n'  # 4
    "2026-13-02,3.00,food,bad month\n"  # 5
    "\n"  # 6: blank, ignored
    "2026-01-03,abc,food,not a number\n"  # 7
    "2026-01-04,4.00,,no category\n"  # 8
    "2026-01-04,4.001,food,three places\n"  # 9
    "2026-01-05,5.00,Food,fine\n"  # 10
)
HEADER = ["date", "amount", "category", "description", "receipt_url"]
# The namespace of budgetcli's import ids, as main had it before bank statements were
# detected: copied here so that a change to the code cannot change what it is checked by.
OLD_IMPORT_NAMESPACE = uuid.UUID("5b0f3c52-6f1e-5d8a-9a43-0c7d1b6e2f11")


def said(error: BudgetError) -> str:
    """The message as `budget import` prints it."""
    return error.render(IMPORT_OPTIONS)


def lines_of(text: str) -> Iterator[str]:
    return decoded_lines(io.BytesIO(text.encode()))


def parse(
    text: str, options: ImportOptions | None = None, user_id: str = "u1"
) -> tuple[list[ParsedRow], ImportSummary]:
    """The expenses of a file through every stage but storage (no profiles)."""
    summary = ImportSummary()
    plan = ImportPlan(io.BytesIO(text.encode()), user_id, options or ImportOptions(), list)
    rows = list(plan.rows(summary))
    plan.finish(summary)
    return rows, summary


def refusal(text: str, options: ImportOptions | None = None) -> str:
    with pytest.raises(InvalidInput) as raised:
        parse(text, options)
    return said(raised.value)


def values_of(cells: list[str], options: ImportOptions | None = None) -> RowValues | str:
    options = options or ImportOptions()
    return row_values(cells, find_columns(HEADER, options), options)


def values_refused(cells: list[str], options: ImportOptions | None = None) -> str:
    with pytest.raises(InvalidInput) as raised:
        values_of(cells, options)
    return said(raised.value)


def ids(text: str, user_id: str = "u1") -> list[str]:
    return [row.expense.expense_id for row in parse(text, user_id=user_id)[0]]


def old_ids(user_id: str, rows: list[tuple[str, str, str, str]]) -> list[str]:
    """The ids main gave the rows (date, amount, category, description) of an import."""
    seen: Counter[str] = Counter()
    found = []
    for row in rows:
        content = "\x1f".join((user_id, *row))
        found.append(str(uuid.uuid5(OLD_IMPORT_NAMESPACE, f"{content}\x1f{seen[content]}")))
        seen[content] += 1
    return found


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- the bytes ------------------------------------------------------------------------


def test_a_byte_order_mark_is_dropped_and_line_ends_are_kept() -> None:
    data = ("\ufeff" + COFFEES.replace("\n", "\r\n")).encode()
    lines = list(decoded_lines(io.BytesIO(data)))
    assert lines[0] == "date,amount,category,description\r\n" and len(lines) == 4
    rows, summary = parse("\ufeff" + COFFEES.replace("\n", "\r\n"))
    assert summary.read == 3
    assert [r.expense.description for r in rows] == ["coffee", "coffee", "train"]


def test_undecodable_bytes_in_a_given_encoding_name_their_line_and_column() -> None:
    data = b"date,amount\n2026-01-01,1.00\n2026-01-02,caf\xe9\n"
    lines = decoded_lines(io.BytesIO(data))
    assert [next(lines), next(lines)] == ["date,amount\n", "2026-01-01,1.00\n"]
    with pytest.raises(InvalidInput) as raised:
        next(lines)
    assert said(raised.value) == (
        "line 3 is not UTF-8 text (byte 0xe9 at column 15): give the file's encoding with "
        "--encoding (banks often use --encoding cp1252), or save it as UTF-8"
    )


def test_windows_1252_reads_its_five_unused_bytes_as_latin_1() -> None:
    assert list(decoded_lines(io.BytesIO(b"a\n\x81b\n"), "cp1252")) == ["a\n", "\x81b\n"]


def test_utf16_is_decoded_in_blocks_and_a_truncated_file_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = COFFEES.replace(",", "\t").replace("coffee", "café").replace("\n", "\r\n")
    monkeypatch.setattr(reading, "READ_SIZE", 7)  # blocks end inside lines and characters
    lines = list(decoded_lines(io.BytesIO(text.encode("utf-16")), "UTF-16"))
    assert lines == text.splitlines(keepends=True)
    with pytest.raises(InvalidInput) as raised:
        list(decoded_lines(io.BytesIO(text.encode("utf-16")[:-1]), "utf-16"))
    assert said(raised.value) == (
        "the file is not utf-16 text (truncated data): give the file's real encoding with "
        "--encoding"
    )


@pytest.mark.parametrize(
    "name, canonical",
    [("utf-8", "utf-8"), ("UTF8", "utf-8"), ("windows-1252", "cp1252"), ("latin-1", "iso8859-1")]
    + [("UTF-16", "utf-16"), ("utf-8-sig", "utf-8-sig")],
)
def test_encodings_are_known_by_their_codec_name(name: str, canonical: str) -> None:
    assert check_encoding(name) == canonical


@pytest.mark.parametrize("name", ["klingon", "rot13", "base64", ""])
def test_what_is_not_a_text_encoding_is_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_encoding(name)
    assert said(raised.value) == (
        f"--encoding {name!r} is not a text encoding Python knows: try utf-8, cp1252 (Windows), "
        "latin-1 or utf-16"
    )


def test_a_file_is_read_in_place_and_what_reads_once_is_copied_first(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", COFFEES.encode())
    with Source(path).opened() as stream:
        assert count_lines(stream) == 4 and stream.read() == COFFEES.encode()
        assert getattr(stream, "name", None) == str(path)
    fifo = tmp_path / "statement.fifo"
    os.mkfifo(fifo)
    writer = os.fork()
    if writer == 0:  # pragma: no cover - the child only writes and exits
        with fifo.open("wb") as out:
            out.write(COFFEES.encode())
        os._exit(0)
    try:
        with Source(fifo).opened() as stream:
            assert stream.read() == COFFEES.encode()
            stream.seek(0)
            assert stream.read(4) == b"date"
    finally:
        os.waitpid(writer, 0)


@pytest.mark.parametrize(
    "name, message",
    [("missing.csv", "does not exist"), ("", "is a directory: give a CSV or OFX file")],
)
def test_an_unreadable_source_is_one_line(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised, Source(tmp_path / name).opened():
        pass
    assert message in said(raised.value)


# --- which format: budgetcli's own, or a bank statement ---------------------------------


@pytest.mark.parametrize(
    "text, options, own",
    [
        (COFFEES, ImportOptions(), True),
        ("Date,Amount,Category\n2026-01-01,1.00,food\n", ImportOptions(), True),
        ("date,amount,category,notes,tags\n2026-01-01,1.00,food,x,y\n", ImportOptions(), True),
        # budgetcli's export, as it writes it
        (
            "date,amount,category,description,expense_id,created_at,receipt_url\n"
            "2026-01-01,1.00,food,,5f9c...,2026-01-01T00:00:00Z,\n",
            ImportOptions(),
            True,
        ),
        ("date,amount\n2026-01-01,1.00\n", ImportOptions(category="bank"), True),
        ("date,amount\n2026-01-01,1.00\n", ImportOptions(), False),
        # a column only a bank statement has
        ("date,amount,category,balance\n2026-01-01,1.00,food,5\n", ImportOptions(), False),
        ("date,amount,category,id\n2026-01-01,1.00,food,7\n", ImportOptions(), False),
        # amounts only a bank writes
        ("date,amount,category\n2026-01-01,-1.00,food\n", ImportOptions(), False),
        ("date,amount,category\n2026-01-01,$1.00,food\n", ImportOptions(), False),
        ('date,amount,category\n2026-01-01,"1,50",food\n', ImportOptions(), False),
        ("date;amount;category\n2026-01-01;1,50;food\n", ImportOptions(decimal_mark=","), True),
        (
            "date,amount,category\n2026-01-01,-1.00,food\n",
            ImportOptions(sign_rule=SignRule.NEGATIVE_OUT),
            True,
        ),
        # rows budgetcli's own format rejects are not a bank's
        ("date,amount,category\n2026-01-01,abc,food\n2026-01-02,4.001,food\n", None, True),
        # old options naming the columns of a file without a bank's columns
        (
            "Buchungstag;Verwendungszweck;Betrag\n02.01.2026;Brötchen;-4,35\n",
            ImportOptions(
                columns={"date": "Buchungstag", "amount": "Betrag"},
                category="bank",
                sign_rule=SignRule.NEGATIVE_OUT,
                decimal_mark=",",
            ),
            True,
        ),
        # options only a statement has a use for
        (COFFEES, ImportOptions(skip_lines=0), False),
        (COFFEES, ImportOptions(sign_rule=SignRule.POSITIVE_OUT), False),
        (COFFEES, ImportOptions(columns={"balance": None}), False),
        ("Date,Description,Amount\n2026-01-01,Coffee,-3.00\n", ImportOptions(), False),
    ],
)
def test_budgetcli_own_format_is_told_from_a_bank_statement(
    text: str, options: ImportOptions | None, own: bool
) -> None:
    found = own_format(io.BytesIO(text.encode()), options or ImportOptions())
    assert (found is not None) is own


def test_the_own_format_check_reads_the_start_and_puts_it_back() -> None:
    stream = io.BytesIO(b"xx" + COFFEES.encode())
    stream.seek(2)
    assert own_format(stream, ImportOptions()) is not None and stream.tell() == 2


# --- budgetcli's own format: columns by name, rows as they always were ---------------------


@pytest.mark.parametrize(
    "header_line, delimiter",
    [
        ("date,amount,category\n", ","),
        ("date;amount;category\n", ";"),
        ("date\tamount\tcategory\n", "\t"),
        ("date;amount\tcategory\n", ";"),
        ("date;amount,category\n", ","),
        ("date|amount|category\n", ","),
        ("date\n", ","),
    ],
)
def test_the_delimiter_is_read_from_the_header_line(header_line: str, delimiter: str) -> None:
    assert detect_delimiter(header_line) == delimiter


@pytest.mark.parametrize(
    "option, delimiter",
    [(",", ","), (";", ";"), ("tab", "\t"), ("TAB", "\t"), ("\\t", "\t"), ("\t", "\t"), ("|", "|")],
)
def test_every_delimiter_option_reads_its_file(option: str, delimiter: str) -> None:
    assert parse_delimiter(option) == delimiter
    text = delimiter.join(["date", "amount", "category", "description"]) + "\n"
    text += delimiter.join(["2026-01-02", "3.50", "food", "coffee, large"]) + "\n"
    if delimiter == ",":
        text = text.replace("coffee, large", '"coffee, large"')
    rows, _ = parse(text, ImportOptions(delimiter=parse_delimiter(option)))
    assert [(r.expense.amount, r.expense.description) for r in rows] == [
        (Decimal("3.50"), "coffee, large")
    ]


def test_records_begin_on_their_first_line_when_fields_span_lines() -> None:
    found = list(records(lines_of(MIXED)))
    assert [line for line, _ in found] == [1, 2, 5, 6, 7, 8, 9, 10]
    assert found[1][1] == ["2026-01-02", "12.50", "food", "coffee\nwith\nmilk"]
    assert found[3][1] == []


def test_a_malformed_record_is_rejected_on_its_line_and_the_rest_is_read() -> None:
    text = f'date,amount,category\n2026-01-01,1.00,"{"x" * 200_000}"\n2026-01-02,2.00,food\n'
    assert isinstance(list(records(lines_of(text)))[1][1], csv.Error)
    rows, summary = parse(text)
    assert (summary.read, summary.rejected, [r.line for r in rows]) == (2, 1, [3])
    [error] = summary.errors
    assert error.line == 2
    assert said(error.error) == "not valid CSV (field larger than field limit (131072))"


def test_bad_rows_are_reported_by_line_and_the_rest_parsed() -> None:
    rows, summary = parse(MIXED)
    assert (summary.read, summary.rejected, len(rows)) == (6, 3, 3)
    assert [e.line for e in summary.errors] == [5, 7, 9]
    messages = [said(e.error) for e in summary.errors]
    assert "not a real calendar date" in messages[0]
    assert "'abc' is not a number" in messages[1]
    assert "more than two decimal places" in messages[2]
    assert [(r.line, r.expense.description, r.expense.category) for r in rows] == [
        (2, "coffee with milk", "food"),
        (8, "no category", "uncategorized"),
        (10, "fine", "food"),
    ]
    origins = [r.expense.category_origin for r in rows]
    assert [origin and str(origin.source) for origin in origins] == ["file", "fallback", "file"]


def test_columns_are_found_by_name_in_any_case_and_order() -> None:
    header = [" Description ", "AMOUNT", "x", "Date", "Category", "receipt_url", "expense_id"]
    assert find_columns([*header, "amount"], ImportOptions()) == Columns(
        date=3, amount=1, category=4, description=0, receipt_url=5, expense_id=6
    )
    mapped = ImportOptions(columns={"date": "posted", "amount": "DEBIT"}, category="bank")
    assert find_columns(["Debit", "Posted", "Memo"], mapped) == Columns(
        date=1, amount=0, category=None, description=None, receipt_url=None, expense_id=None
    )


def test_column_options_take_a_name_a_number_or_nothing() -> None:
    assert parse_columns(["Amount = Debit", "date=Posted", "balance=", "amount=3"]) == {
        "amount": 3,
        "date": "Posted",
        "balance": None,
    }
    for spec in ("amount", "=Debit"):
        with pytest.raises(InvalidInput) as raised:
            parse_columns([spec])
        assert said(raised.value).startswith("--column ")
    with pytest.raises(InvalidInput) as raised:
        ImportOptions(columns={"price": "amount"})
    assert said(raised.value) == (
        "--column 'price': the field must be one of date, amount, debit, credit, direction, "
        "balance, description, payee, category, bank_id, currency, status"
    )


def test_debits_negative_turns_spending_positive_and_skips_credits() -> None:
    debits = ImportOptions(sign_rule=SignRule.NEGATIVE_OUT)
    spent = values_of(["2026-01-03", "-3.80", "food"], debits)
    assert isinstance(spent, RowValues) and spent.amount == Decimal("3.80")
    assert values_of(["2026-01-04", "2500.00", "food"], debits) == Skip.CREDIT
    assert values_refused(["2026-01-03", "-3.80", "food"]) == (
        "amount '-3.80' is negative: if the bank shows spending as negative numbers, "
        "import with --debits-negative"
    )


@pytest.mark.parametrize("cell", ["0", "0.00", "-0,00", ".0"])
def test_a_zero_amount_is_skipped_not_rejected(cell: str) -> None:
    assert values_of(["2026-01-03", cell, "food"]) == Skip.ZERO


@pytest.mark.parametrize("cell", ["", "  "])
def test_an_empty_amount_is_refused_or_skipped(cell: str) -> None:
    assert values_refused(["2026-02-02", cell, "bank", "Salary"]) == (
        "amount is empty: if the file has separate columns for money out and in, import with "
        "--skip-empty-amount to skip such rows"
    )
    assert values_of(["2026-02-02", cell, "bank"], ImportOptions(skip_empty_amount=True)) == (
        Skip.EMPTY
    )


def test_a_comma_amount_without_decimal_comma_names_the_option() -> None:
    assert values_refused(["2026-01-01", "12,50", "food"]) == (
        "amount '12,50' is ambiguous: write it with a dot for cents and no thousands "
        "separator, like 1234.50; or, if the file writes 12,50 for 12.50, import with "
        "--decimal-comma"
    )
    assert "--decimal-comma" not in values_refused(["2026-01-01", "abc", "food"])


@pytest.mark.parametrize(
    "text, plain",
    [
        ("-45,30", "-45.30"),
        ("2.500,00", "2500.00"),
        ("2.500", "2500"),
        ("1.234.567,8", "1234567.8"),
        (" 1 234,56 ", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("+7", "+7"),
        ("0,5", "0.5"),
    ],
)
def test_decimal_comma_amounts_become_plain(text: str, plain: str) -> None:
    assert decimal_comma_to_plain(text) == plain


def test_decimal_comma_amounts_are_checked_as_the_file_writes_them() -> None:
    comma = ImportOptions(decimal_mark=",")
    parsed = values_of(["2026-01-01", "1.234,5", "food"], comma)
    assert isinstance(parsed, RowValues) and str(parsed.amount) == "1234.50"
    assert values_refused(["2026-01-01", "12,345", "food"], comma) == (
        "amount '12,345' has more than two decimal places"
    )


def test_an_ambiguous_date_names_the_date_format_option() -> None:
    message = values_refused(["03/11/2026", "1.00", "food"])
    assert message.startswith("date '03/11/2026' could be day-first or month-first")
    assert message.endswith(" (give the file's date format with --date-format)")
    day_first = values_of(["03/11/2026", "1.00", "food"], ImportOptions(date_format="%d/%m/%Y"))
    assert isinstance(day_first, RowValues) and day_first.day == date(2026, 11, 3)


def test_the_default_category_fills_empty_cells_only() -> None:
    default = ImportOptions(category="bank")
    found = [values_of(["2026-01-01", "1", cell], default) for cell in ("", "  ", " Food ")]
    assert [v.category for v in found if isinstance(v, RowValues)] == ["bank", "bank", "food"]
    fallback = values_of(["2026-01-01", "1", ""])
    assert isinstance(fallback, RowValues) and fallback.category == "uncategorized"
    assert not fallback.category_from_file


def test_descriptions_are_one_line_and_receipts_are_links() -> None:
    parsed = values_of(["2026-01-01", "1", "food", " coffee\r\nwith\tmilk ", " https://x.io/r "])
    assert parsed == RowValues(
        date(2026, 1, 1), Decimal("1.00"), "food", "coffee with milk", "https://x.io/r"
    )
    assert "must start with http:// or https://" in values_refused(
        ["2026-01-01", "1", "food", "", "ftp://x.io/r"]
    )


def test_an_exported_expense_id_is_kept_to_recognise_the_expense() -> None:
    known = str(uuid.uuid4())
    text = (
        "date,amount,category,description,expense_id\n"
        f"2026-01-05,3.50,food,coffee, {known} \n"
        "2026-01-05,3.50,food,coffee,not an id\n"
        f"2026-01-05,3.50,food,coffee,{'x' * 129}\n"
        "2026-01-05,3.50,food,coffee,\n"
    )
    rows, _ = parse(text)
    assert [row.exported_id for row in rows] == [known, None, None, None]


def test_a_semicolon_cp1252_file_read_with_the_options_of_before(tmp_path: Path) -> None:
    european = (
        "Buchungstag;Empfänger;Verwendungszweck;Betrag\r\n"
        "02.01.2026;Bäckerei Müller;Brötchen;-4,35\r\n"
        "03.01.2026;Arbeitgeber;Gehalt;2.500,00\r\n"
        "04.01.2026;Möbelhaus;Sofa;-1.234,56\r\n"
    )
    options = ImportOptions(
        columns=parse_columns(
            ["date=Buchungstag", "amount=Betrag", "description=Verwendungszweck"]
        ),
        date_format="%d.%m.%Y",
        category="bank",
        sign_rule=SignRule.NEGATIVE_OUT,
        decimal_mark=",",
        encoding="cp1252",
    )
    stream = io.BytesIO(european.encode("cp1252"))
    plan = ImportPlan(stream, "u1", options, list)
    assert plan.own is not None  # read as it always was: the same ids as before
    summary = ImportSummary()
    rows = list(plan.rows(summary))
    assert (summary.read, summary.skipped_by_reason) == (3, Counter({Skip.CREDIT: 1}))
    assert {r.expense.description: r.expense.amount for r in rows} == {
        "Brötchen": Decimal("4.35"),
        "Sofa": Decimal("1234.56"),
    }
    assert [r.expense.expense_id for r in rows] == old_ids(
        "u1",
        [("2026-01-02", "4.35", "bank", "Brötchen"), ("2026-01-04", "1234.56", "bank", "Sofa")],
    )


# --- a row's identity ---------------------------------------------------------------------


def test_ids_of_budgetcli_own_format_are_those_main_gave() -> None:
    """A file imported before bank statements were detected is found again, row by row."""
    assert ids(COFFEES, "u1") == old_ids(
        "u1",
        [
            ("2026-01-05", "3.50", "food", "coffee"),
            ("2026-01-05", "3.50", "food", "coffee"),
            ("2026-01-06", "12.00", "transport", "train"),
        ],
    )


def test_ids_depend_on_content_and_occurrence_only() -> None:
    header, *rows = COFFEES.splitlines()
    first = ids(COFFEES)
    reordered = ids("\n".join([header, *reversed(rows)]))
    respelled = ids(COFFEES.replace("3.50,food,coffee", "3.5, Food ,  coffee "))
    spaced = ids(COFFEES.replace("\n2026-01-06", "\n\n\n2026-01-06"))
    assert len(set(first)) == 3
    assert set(first) == set(reordered) == set(respelled) == set(spaced)
    assert all(uuid.UUID(expense_id).version == 5 for expense_id in first)


def test_identical_rows_are_numbered_so_a_later_copy_adds_one() -> None:
    more = COFFEES.replace("train", "train\n2026-01-05,3.50,food,coffee")
    first, later = ids(COFFEES), ids(more)
    assert set(first) < set(later) and len(set(later)) == 4


def test_the_same_file_gives_each_user_their_own_ids() -> None:
    alice, bob = ids(COFFEES, "alice-id"), ids(COFFEES, "bob-id")
    assert len(set(alice)) == len(set(bob)) == 3 and not set(alice) & set(bob)


@pytest.mark.parametrize(
    "field, value",
    [
        ("day", date(2026, 1, 6)),
        ("amount", Decimal("12.00")),
        ("category", "drinks"),
        ("description", "tea"),
    ],
)
def test_a_row_that_differs_in_one_field_is_another_row(field: str, value: Any) -> None:
    coffee = RowValues(date(2026, 1, 5), Decimal("3.50"), "food", "coffee")
    changed = dataclasses.replace(coffee, **{field: value})
    assert row_identity("u1", changed) != row_identity("u1", coffee)
    assert RowIds("u1").next_id(changed) != RowIds("u1").next_id(coffee)


def test_a_bank_id_identifies_a_row_whatever_its_description_and_date() -> None:
    coffee = RowValues(date(2026, 1, 5), Decimal("3.50"), "food", "coffee")
    renamed = dataclasses.replace(coffee, description="COFFEE SHOP", day=date(2026, 1, 6))
    assert RowIds("u1").next_id(coffee, "T1") == RowIds("u1").next_id(renamed, "T1")
    assert RowIds("u1").next_id(coffee, "T1") != RowIds("u1").next_id(coffee, "T2")
    assert RowIds("u1").next_id(coffee, "T1") != RowIds("u1").next_id(coffee)
    other_amount = dataclasses.replace(coffee, amount=Decimal("3.60"))
    assert RowIds("u1").next_id(coffee, "T1") != RowIds("u1").next_id(other_amount, "T1")
    twice = RowIds("u1")  # a bank that repeats an id keeps both rows
    assert twice.next_id(coffee, "T1") != twice.next_id(coffee, "T1")


# --- a bank statement: the options as overrides, the questions as options ----------------


def test_the_options_become_the_statements_overrides() -> None:
    options = ImportOptions(
        columns={"date": "Booking date", "description": "Memo", "balance": None},
        date_format="%d/%m/%Y",
        sign_rule=SignRule.NEGATIVE_OUT,
        delimiter=";",
        decimal_mark=",",
        encoding="windows-1252",
        skip_lines=3,
        column_names=("date", "memo", "amount"),
        no_header=True,
        debit_value="Af",
        credit_value="Bij",
        skip_patterns=("Pending",),
    )
    assert overrides_of(options) == Overrides(
        encoding="cp1252",
        delimiter=";",
        skip_lines=3,
        no_header=True,
        column_names=("date", "memo", "amount"),
        # a description named by hand is the whole description, as before
        columns={"date": "Booking date", "description": "Memo", "balance": None, "payee": None},
        date_format="%d/%m/%Y",
        decimal_mark=",",
        sign_rule=SignRule.NEGATIVE_OUT,
        debit_value="Af",
        credit_value="Bij",
        skip_patterns=("Pending",),
    )


def test_an_amount_column_with_skip_empty_amount_is_the_money_out_column() -> None:
    options = ImportOptions(columns={"amount": "Paid out"}, skip_empty_amount=True)
    assert overrides_of(options).columns == {"debit": "Paid out"}
    assert overrides_of(ImportOptions(columns={"amount": "X"})).columns == {"amount": "X"}


def test_a_profile_is_read_under_the_options() -> None:
    remembered = Overrides(
        encoding="cp1252", delimiter=";", columns={"date": 1, "amount": 5}, date_format="%d.%m.%Y"
    )
    given = Overrides(columns={"amount": "Soll"}, date_format="%d.%m.%y")
    assert merged(remembered, given) == Overrides(
        encoding="cp1252",
        delimiter=";",
        columns={"date": 1, "amount": "Soll"},
        date_format="%d.%m.%y",
    )


@pytest.mark.parametrize(
    "field, answer",
    [
        ("date_format", "(--date-format)"),
        ("decimal_mark", "(--decimal-mark . or --decimal-mark ,)"),
        ("sign_rule", "(--debits-negative for an account statement, or --card for a card"),
        ("skip_lines", "(--skip-lines N (the lines before the header row))"),
        ("columns.amount", "(--column amount=HEADER)"),
        ("columns.balance", "(--column balance= says there is none)"),
        ("columns", "(--column ROLE=HEADER)"),
        ("encoding", "(--encoding)"),
        ("delimiter", "(--delimiter)"),
        ("skip_patterns", "(--skip-row)"),
    ],
)
def test_every_question_names_the_option_that_answers_it(field: str, answer: str) -> None:
    message = said(question(LayoutQuestion(field, "cannot tell: give it")))
    assert message.startswith(f"cannot tell: give it {answer}")


def test_every_question_the_package_can_ask_has_an_option() -> None:
    """The fields a LayoutQuestion names, read from the package's own source."""
    import re

    import budgetcli.statements as package

    source = "".join(p.read_text() for p in Path(package.__file__).parent.glob("*.py"))
    fields = set(re.findall(r'LayoutQuestion\(\s*f?"([a-z_.{}]+)"', source))
    assert fields
    for field in fields:
        example = field.replace("{name}", "amount").replace("{role}", "amount")
        assert "--" in said(question(LayoutQuestion(example, "x"))), field


# --- a statement's row as an expense -------------------------------------------------------


def statement_row(**changes: Any) -> StatementRow:
    row = StatementRow(line=5, date=date(2024, 3, 1), amount=Decimal("12.5"), description="Shop")
    return dataclasses.replace(row, **changes)


def test_a_statement_row_becomes_an_expense_in_cents() -> None:
    assert statement_values(statement_row(), None) == RowValues(
        date(2024, 3, 1), Decimal("12.50"), "uncategorized", "Shop", category_from_file=False
    )
    banks = statement_values(statement_row(category="Eating Out"), "bank")
    assert (banks.category, banks.category_from_file) == ("eating out", True)
    assert statement_values(statement_row(), "bank").category == "bank"
    # A bank's category that is no category here: the fallback, for rules and learning.
    unusable = statement_values(statement_row(category="x" * 80), "bank")
    assert (unusable.category, unusable.category_from_file) == ("bank", False)
    payee = statement_values(statement_row(payee="CAFE NERO", description="card 1234"), None)
    assert payee.description == "CAFE NERO - card 1234"
    long = statement_values(statement_row(description="word " * 200), None)
    assert len(long.description) <= 500 and long.description.endswith("word")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"amount": Decimal("1.005")}, "more than two decimal places"),
        ({"amount": Decimal("2000000000")}, "is over the limit"),
        ({"date": date(1800, 1, 1)}, "date 1800-01-01 is outside 1900-2100"),
    ],
)
def test_a_statement_row_that_is_no_expense_is_refused(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        statement_values(statement_row(**changes), None)
    assert message in said(raised.value)


def test_skipped_and_bad_rows_are_counted_by_reason() -> None:
    rows: list[Row] = [
        statement_row(line=2),
        SkippedRow(3, SkipReason.CREDIT, "5 in"),
        SkippedRow(4, SkipReason.PENDING),
        SkippedRow(5, SkipReason.ZERO),
        SkippedRow(6, SkipReason.SUMMARY),
        SkippedRow(7, SkipReason.PATTERN, "Pending"),
        SkippedRow(8, SkipReason.DECLINED),
        BadRow(9, "the amount ('Amount') is empty", empty_amount=True),
        BadRow(10, "date 'x' does not match the format %Y-%m-%d"),
        statement_row(line=11, amount=Decimal("0.001")),
    ]
    summary = ImportSummary()
    found = list(statement_rows(rows, "u1", ImportOptions(), summary, bank_ids=False))
    assert [row.line for row in found] == [2]
    assert (summary.read, summary.skipped, summary.rejected) == (10, 6, 3)
    assert summary.skipped_by_reason == Counter(
        {
            "credit": 1,
            "pending": 1,
            "zero_amount": 1,
            "summary_line": 1,
            "skip_pattern": 1,
            "declined": 1,
        }
    )
    assert [e.line for e in summary.errors] == [9, 10, 11]
    skipping = ImportSummary()
    options = ImportOptions(skip_empty_amount=True)
    list(statement_rows(rows, "u1", options, skipping, bank_ids=False))
    assert (skipping.skipped_by_reason["empty_amount"], skipping.rejected) == (1, 2)


def test_bank_ids_make_the_expense_id_only_when_asked() -> None:
    rows: list[Row] = [
        statement_row(bank_id="FIT1"),
        statement_row(bank_id="FIT1", description="Other"),
    ]
    by_content = [
        r.expense.expense_id
        for r in statement_rows(rows, "u", ImportOptions(), ImportSummary(), bank_ids=False)
    ]
    by_bank = [
        r.expense.expense_id
        for r in statement_rows(rows, "u", ImportOptions(), ImportSummary(), bank_ids=True)
    ]
    assert len(set(by_content)) == len(set(by_bank)) == 2 and not set(by_content) & set(by_bank)


# --- the package's fixtures through every stage but storage, with no options -------------

FIXTURES = Path(__file__).parent / "fixtures" / "statements"
# file: (rows out, total out, skipped by reason) or the option its question asks for
FIXTURE_RESULTS: dict[str, tuple[int, str, dict[str, int]] | str] = {
    "ambiguous-dates.csv": "--date-format",
    "ambiguous-signs.csv": "--debits-negative",
    "balance-contradicted.csv": "--column balance=",
    "balance-lines.csv": (2, "1200.40", {"credit": 1, "summary_line": 1}),
    "bank.ofx": (2, "52.09", {"credit": 1}),
    "card-cr-flag.csv": (2, "1058.19", {"credit": 1}),
    "card-signs.csv": (3, "112.19", {"credit": 1}),
    "card.qfx": (1, "64.00", {"credit": 1}),
    "cr-cr-lf.csv": (2, "50.00", {"credit": 1}),
    "debit-credit.csv": (2, "45.00", {"credit": 1, "zero_amount": 1}),
    "direction.csv": (2, "27.55", {"credit": 1}),
    "card-cr-suffix.csv": (2, "1058.19", {"credit": 1}),
    "dr-cr-suffix.csv": (3, "1566.70", {"credit": 1}),
    "excel-quoted.csv": (2, "84.80", {"credit": 1}),
    "money-forms.csv": (5, "1279.06", {"credit": 1}),
    "month-names.csv": (2, "79.21", {"credit": 1}),
    "no-header.csv": (3, "795.20", {"credit": 1}),
    "pending.csv": (1, "15.00", {"pending": 2, "zero_amount": 1, "credit": 1}),
    "pipe.csv": (2, "5.30", {"credit": 1}),
    "preamble.csv": (2, "100.00", {"credit": 1, "summary_line": 1}),
    "soll-haben.csv": (2, "68.35", {"credit": 1, "summary_line": 1}),
    "swiss.csv": (2, "1300.00", {"credit": 1}),
    "tab.tsv": (2, "32.00", {"credit": 1}),
    "timestamps.csv": (2, "12.35", {"credit": 1}),
    "trailing-summary.csv": (2, "57.10", {"credit": 1, "summary_line": 2}),
    "utf16-bom.csv": (2, "6.60", {"credit": 1}),
    "utf8-bom.csv": (2, "6.60", {"credit": 1}),
    "windows-1252.csv": (2, "15.70", {"credit": 1}),
}


def test_every_fixture_has_its_expected_result() -> None:
    assert sorted(FIXTURE_RESULTS) == sorted(p.name for p in FIXTURES.iterdir())


@pytest.mark.parametrize("name", sorted(FIXTURE_RESULTS))
def test_a_statement_with_each_trait_imports_right_with_no_options(name: str) -> None:
    expected = FIXTURE_RESULTS[name]
    text = (FIXTURES / name).read_bytes()

    def plan_of() -> ImportPlan:
        return ImportPlan(io.BytesIO(text), "u1", ImportOptions(), list)

    if isinstance(expected, str):
        with pytest.raises(InvalidInput) as raised:
            plan_of()
        assert expected in said(raised.value)
        return
    count, spent, skipped = expected
    plan = plan_of()
    summary = ImportSummary()
    rows = list(plan.rows(summary))
    assert (
        len(rows),
        str(sum(r.expense.amount for r in rows)),
        dict(summary.skipped_by_reason),
    ) == (
        count,
        spent,
        skipped,
    )
    assert summary.rejected == 0 and summary.read == count + summary.skipped


def test_a_question_is_answered_by_the_option_it_names() -> None:
    dates = (FIXTURES / "ambiguous-dates.csv").read_text()
    rows, _ = parse(dates, ImportOptions(date_format="%d/%m/%Y"))
    assert [r.expense.date for r in rows] == [date(2024, 4, 3), date(2024, 4, 3), date(2024, 6, 5)]
    signs = (FIXTURES / "ambiguous-signs.csv").read_text()
    card, _ = parse(signs, ImportOptions(sign_rule=SignRule.POSITIVE_OUT))
    account, _ = parse(signs, ImportOptions(sign_rule=SignRule.NEGATIVE_OUT))
    assert [r.expense.description for r in card] == ["Item A"]
    assert [r.expense.description for r in account] == ["Item B"]
    contradicted = (FIXTURES / "balance-contradicted.csv").read_text()
    rows, summary = parse(contradicted, ImportOptions(columns={"balance": None}))
    assert len(rows) == 3 and summary.proof is not None and summary.proof.status == "unproven"


def test_old_options_on_a_bank_file_read_it_as_they_did() -> None:
    """`--column amount="Paid out" --skip-empty-amount`, and a named amount column whose
    amounts are all positive: as before, those amounts are the money out."""
    paid = (
        "Date,Description,Paid out,Paid in,Balance\n"
        "01/02/2026,Tesco,23.10,,976.90\n"
        "02/02/2026,Salary,,2000.00,2976.90\n"
        "03/02/2026,Rent,950.00,,2026.90\n"
    )
    options = ImportOptions(
        columns={"amount": "Paid out"}, skip_empty_amount=True, date_format="%d/%m/%Y"
    )
    rows, summary = parse(paid, options)
    assert [(r.expense.description, r.expense.amount) for r in rows] == [
        ("Tesco", Decimal("23.10")),
        ("Rent", Decimal("950.00")),
    ]
    assert summary.proof is not None and summary.proof.status == "proven"
    debits = "Day,Memo,Debit\n2026-02-01,Tesco,23.10\n2026-02-03,Rent,950.00\n"
    rows, _ = parse(debits, ImportOptions(columns={"date": "Day", "amount": "Debit"}))
    assert [r.expense.amount for r in rows] == [Decimal("23.10"), Decimal("950.00")]


def test_old_options_on_a_bank_file_give_the_ids_they_gave() -> None:
    bank = (
        "Booking date,Payee,Memo,Value,Balance\n"
        "03/01/2026,Cafe,Flat white,-3.80,996.20\n"
        "04/01/2026,Employer,Salary,2500.00,3496.20\n"
        '05/01/2026,Grocer,Weekly shop,"-1,234.56",2261.64\n'
    )
    options = ImportOptions(
        columns=parse_columns(["date=Booking Date", "amount=value", "description=Memo"]),
        date_format="%d/%m/%Y",
        category=parse_category("Bank"),
        sign_rule=SignRule.NEGATIVE_OUT,
    )
    rows, summary = parse(bank, options, user_id="u1")
    assert summary.skipped_by_reason == Counter({"credit": 1})
    assert [r.expense.expense_id for r in rows] == old_ids(
        "u1",
        [
            ("2026-01-03", "3.80", "bank", "Flat white"),
            ("2026-01-05", "1234.56", "bank", "Weekly shop"),
        ],
    )


def test_a_statement_needs_no_profile_store_when_it_is_budgetcli_format() -> None:
    def no_profiles() -> list[Profile]:
        raise AssertionError("profiles were looked up")

    plan = ImportPlan(io.BytesIO(COFFEES.encode()), "u1", ImportOptions(), no_profiles)
    assert plan.own is not None and plan.layout is None


def test_a_profile_reads_the_next_file_of_its_bank() -> None:
    """A day-first file proves its date order; the next one (days <= 12) cannot alone."""
    first = (
        "Date,Description,Amount\n28/02/2026,Shop,-3.00\n01/03/2026,Bus,-2.00\n"
        "02/03/2026,Pay,1000.00\n"
    )
    second = "Date,Description,Amount\n03/04/2026,Shop,-5.00\n03/04/2026,Bus,-2.00\n"
    assert "--date-format" in refusal(second)
    layout = detect(first.encode())
    profile = Profile(layout.fingerprint, layout, "2026-03-02T00:00:00+00:00", "mybank")
    plan = ImportPlan(io.BytesIO(second.encode()), "u1", ImportOptions(), lambda: [profile])
    summary = ImportSummary()
    rows = list(plan.rows(summary))
    assert plan.profile == profile and [r.expense.date for r in rows] == [date(2026, 4, 3)] * 2
    assert plan.layout is not None and "remembered in profile mybank" in str(plan.layout.reasons)
    # The options still win over the profile.
    plan = ImportPlan(
        io.BytesIO(second.encode()), "u1", ImportOptions(date_format="%m/%d/%Y"), lambda: [profile]
    )
    assert [r.expense.date for r in plan.rows(ImportSummary())] == [date(2026, 3, 4)] * 2


def test_a_profile_finds_each_files_encoding_again() -> None:
    first = "Datum;Empfänger;Betrag\n28.02.2026;Bäcker;-3,00\n01.03.2026;Café;-2,00\n"
    layout = detect(first.encode("cp1252"))
    assert layout.encoding == "cp1252"
    profile = Profile(layout.fingerprint, layout, "2026-03-02T00:00:00+00:00")
    second = "Datum;Empfänger;Betrag\n03.04.2026;Müller;-5,00\n".encode()
    plan = ImportPlan(io.BytesIO(second), "u1", ImportOptions(), lambda: [profile])
    assert plan.profile == profile
    assert [row.expense.description for row in plan.rows(ImportSummary())] == ["Müller"]


def test_a_profile_that_does_not_fit_gives_way_to_detection() -> None:
    layout = detect(b"Date,Description,Amount\n2026-02-28,Shop,-3.00\n2026-03-01,Bus,-2.00\n")
    profile = Profile(layout.fingerprint, layout, "2026-03-02T00:00:00+00:00")
    other = "Date,Description,Amount\n28.02.2026,Shop,-3.00\n01.03.2026,Bus,-2.00\n"
    plan = ImportPlan(io.BytesIO(other.encode()), "u1", ImportOptions(), lambda: [profile])
    assert plan.profile is None and plan.layout is not None
    assert plan.layout.date_format == "%d.%m.%Y"


def test_a_profile_asked_for_by_an_id_that_no_profile_has_is_an_error() -> None:
    text = b"Date,Description,Amount\n2026-02-28,Shop,-3.00\n"
    with pytest.raises(BudgetError) as raised:
        ImportPlan(io.BytesIO(text), "u1", ImportOptions(profile="0123456789abcdef"), list)
    assert str(raised.value) == (
        "no import profile is called '0123456789abcdef' (profiles: none yet)"
    )


# --- profiles, without storage -------------------------------------------------------------


@pytest.mark.parametrize("name", ["ing", "amex-card", "UBS.ch", "a+b_c"])
def test_profile_names_are_words(name: str) -> None:
    assert parse_profile_name(f" {name} ") == name


@pytest.mark.parametrize("name", ["", "two words", "x" * 41, "0123456789abcdef", "-x"])
def test_a_name_that_is_no_word_or_looks_like_an_id_is_refused(name: str) -> None:
    with pytest.raises(InvalidInput):
        parse_profile_name(name)


def test_a_profile_is_chosen_by_name_or_id() -> None:
    layout = detect(b"Date,Description,Amount\n2026-02-28,Shop,-3.00\n")
    named = Profile(layout.fingerprint, layout, "t", "ing")
    assert chosen([named], "ing") == chosen([named], layout.fingerprint) == named
    with pytest.raises(BudgetError) as raised:
        chosen([named], "ubs")
    assert str(raised.value) == "no import profile is called 'ubs' (profiles: ing)"
    assert same_reading(layout, detect(b"Date,Description,Amount\n2026-01-02,Bus,-2.00\n"))
    assert not same_reading(layout, detect(b"Date,Description,Amount\n2.1.2026,Bus,-2.00\n"))


# --- what the command says ------------------------------------------------------------------


def test_a_stopped_import_says_what_was_written_and_to_run_it_again() -> None:
    interrupted = ImportStopped(ImportSummary(imported=1), None)
    assert interrupted.exit_code == ExitCode.INTERRUPTED and interrupted.summary.imported == 1
    assert str(interrupted) == (
        "import interrupted (1 row imported so far): run the same command again to finish; "
        "rows already imported are skipped"
    )
    dry = ImportStopped(ImportSummary(would_import=7, dry_run=True), None)
    assert str(dry).startswith("import interrupted (dry run: nothing was written): ")
    failed = ImportStopped(ImportSummary(imported=200), StorageUnavailable("engine gone"))
    assert failed.exit_code == ExitCode.STORAGE
    assert str(failed) == (
        "engine gone (200 rows imported so far); then run the same import again: "
        "rows already imported are skipped"
    )


@pytest.mark.parametrize(
    "summary, message",
    [
        (
            ImportSummary(rejected=1),
            "1 row is wrong and was left out (listed with their lines): fix the file and run "
            "the same command again; rows already imported are skipped",
        ),
        (ImportSummary(rejected=2), "2 rows are wrong and were left out"),
        (
            ImportSummary(rejected=2, strict_failed=True),
            "--strict: nothing was imported because 2 rows are wrong (listed with their lines)",
        ),
    ],
)
def test_rejected_rows_are_an_error(summary: ImportSummary, message: str) -> None:
    error = RowsRejected(summary)
    assert error.exit_code == ExitCode.ERROR and said(error).startswith(message)


def emitted(
    capsys: pytest.CaptureFixture[str], summary: ImportSummary, fmt: OutputFormat
) -> tuple[str, str]:
    capsys.readouterr()
    emit_summary(fmt, summary, IMPORT_OPTIONS)
    captured = capsys.readouterr()
    return captured.out, captured.err


def preview() -> list[Expense]:
    return [Expense("e1", "u1", Decimal("3.5"), "food", "coffee", date(2026, 1, 5), "t")]


def test_the_json_summary_counts_skipped_rows_by_reason() -> None:
    summary = ImportSummary(read=4, imported=1, skipped=3)
    summary.skipped_by_reason.update({"pending": 1, "credit": 2})
    assert summary_record(summary, IMPORT_OPTIONS) == {
        "read": 4,
        "imported": 1,
        "duplicates": 0,
        "rejected": 0,
        "skipped": 3,
        "skipped_by_reason": {"credit": 2, "pending": 1},
        "category_file": 0,
        "category_rule": 0,
        "category_learned": 0,
        "category_fallback": 0,
        "errors": [],
        "dry_run": False,
        "layout": {
            "format": "budgetcli",
            "profile": None,
            "remembered_as": None,
            "proof": None,
            "guessed": [],
        },
    }


def test_a_dry_run_says_would_import_and_shows_its_layout_and_first_rows() -> None:
    text = "Date,Description,Amount,Balance\n2026-01-05,coffee,-3.50,96.50\n"
    plan = ImportPlan(io.BytesIO(text.encode()), "u1", ImportOptions(dry_run=True), list)
    summary = plan.new_summary()
    list(plan.rows(summary))
    plan.finish(summary)
    summary.would_import, summary.preview = 1, preview()
    summary.profile = ProfileUse(used="mybank")
    record = summary_record(summary, IMPORT_OPTIONS)
    assert (record["imported"], record["would_import"], record["dry_run"]) == (0, 1, True)
    assert record["preview"] == [
        {"date": "2026-01-05", "amount": "3.50", "category": "food", "description": "coffee"}
    ]
    layout = record["layout"]
    assert (layout["format"], layout["profile"], layout["proof"]) == ("csv", "mybank", "unproven")
    choices = {choice["what"]: choice["how"] for choice in layout["choices"]}
    assert choices["profile"] == "mybank"
    assert choices["header"].startswith("line 1: 'Date', 'Description', 'Amount', 'Balance'")
    assert choices["date"] == "'Date', format %Y-%m-%d (year first)"
    assert choices["proof"].startswith("unproven: fewer than two rows have a balance")


def test_a_dry_run_table_shows_the_layout_the_rows_and_the_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = ImportSummary(read=2, would_import=1, skipped=1, dry_run=True, preview=preview())
    summary.skipped_by_reason |= {"credit": 1, "zero_amount": 2}
    out, err = emitted(capsys, summary, OutputFormat.TABLE)
    assert "budgetcli's own columns" in out and "First rows as they would be stored" in out
    assert "coffee" in out and "Would import" in out and "Imported" not in out
    assert "skipped: 1 credit, 2 zero amount" in out  # words for people; JSON keeps the keys
    assert err == ""  # not a terminal: nothing but errors on stderr


def test_notes_for_people_go_to_a_terminal_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "Date,Description,Amount\n2026-01-05,coffee,-3.50\n"
    plan = ImportPlan(io.BytesIO(text.encode()), "u1", ImportOptions(), list)
    summary = plan.new_summary()
    list(plan.rows(summary))
    plan.finish(summary)
    summary.profile = ProfileUse(used="mybank", saved="0123456789abcdef")
    _, err = emitted(capsys, summary, OutputFormat.JSON)
    assert err == ""
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    _, err = emitted(capsys, summary, OutputFormat.JSON)
    assert err.splitlines() == [
        "read with the layout remembered for this bank (profile mybank)",
        "the layout is a guess (no running balance column: the reading is a guess): "
        "check it with --dry-run",
        "layout remembered as profile 0123456789abcdef: the next file like this one needs no "
        "options",
    ]


def test_rejected_rows_are_listed_with_the_commands_option_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = ImportSummary(read=61, imported=1)
    summary.skip("empty_amount")
    empty = InvalidInput("amount is empty: use ", Field("skip_empty_amount"))
    for line in range(2, 61):
        summary.reject(line, empty)
    out, err = emitted(capsys, summary, OutputFormat.JSON)
    assert out.startswith('{\n  "read": 61,\n  "imported": 1,\n  "duplicates": 0,\n')
    assert '"rejected": 59,\n  "skipped": 1,\n' in out
    assert '"category_fallback": 0,\n  "errors": [\n' in out
    assert '{\n      "line": 2,\n      "error": "amount is empty: use --skip-empty-amount"\n' in out
    assert err == ""
    out, err = emitted(capsys, summary, OutputFormat.TABLE)
    assert "Skipped" in out and "Rejected because" in out
    assert out.count("amount is empty: use --skip-empty-amount") == 50
    assert "and 9 more: --format json lists them all" in out
    assert err == ""
    out, err = emitted(capsys, summary, OutputFormat.CSV)
    assert out == (
        "read,imported,duplicates,rejected,skipped,"
        "category_file,category_rule,category_learned,category_fallback\n61,1,0,59,1,0,0,0,0\n"
    )
    assert err.splitlines()[0] == "line 2: amount is empty: use --skip-empty-amount"


def test_a_strict_refusal_lists_the_wrong_rows(capsys: pytest.CaptureFixture[str]) -> None:
    summary = ImportSummary(read=3, strict_failed=True)
    summary.errors.append(RowError(2, InvalidInput("bad")))
    summary.rejected = 1
    out, err = emitted(capsys, summary, OutputFormat.JSON)
    assert '"line": 2' in out and err == ""
