"""The stages of `budget import` that need no engine: bytes to lines, lines to CSV records
with their line numbers, where each field is, a row's values and identity, and what the
command says about them (messages name the options of `budget import`)."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import uuid
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_group

from budgetcli import config
from budgetcli.cli import app
from budgetcli.cli.common import option_names
from budgetcli.cli.transfer import parse_columns, parse_delimiter
from budgetcli.errors import BudgetError, ExitCode, Field, InvalidInput, StorageUnavailable
from budgetcli.output import OutputFormat
from budgetcli.output.imports import emit_summary
from budgetcli.parsing import parse_category
from budgetcli.services.imports import (
    ImportOptions,
    ImportStopped,
    ImportSummary,
    Source,
    check_encoding,
    import_expenses,
    reading,
)
from budgetcli.services.imports.model import RowError
from budgetcli.services.imports.reading import decoded_lines, detect_delimiter, records
from budgetcli.services.imports.rows import (
    Columns,
    ParsedRow,
    RowIds,
    RowValues,
    decimal_comma_to_plain,
    find_columns,
    parsed_rows,
    row_identity,
    row_values,
)
from budgetcli.store import connect

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
EUROPEAN = (
    "Buchungstag;Empfänger;Verwendungszweck;Betrag\r\n"
    "02.01.2026;Bäckerei Müller;Brötchen;-4,35\r\n"
    "03.01.2026;Arbeitgeber;Gehalt;2.500,00\r\n"
    "04.01.2026;Möbelhaus;Sofa;-1.234,56\r\n"
    "05.01.2026;Café Zürich;Kaffee €;-3,80\r\n"
)
BANK = (
    "Booking date,Payee,Memo,Value,Balance\n"
    "03/01/2026,Cafe,Flat white,-3.80,996.20\n"
    "04/01/2026,Employer,Salary,2500.00,3496.20\n"
    '05/01/2026,Grocer,Weekly shop,"-1,234.56",2261.64\n'
)
PAID_OUT_PAID_IN = """Date,Description,Paid out,Paid in,Balance
01/02/2026,Tesco,23.10,,976.90
02/02/2026,Salary,,2000.00,2976.90
03/02/2026,Rent,950.00,,2026.90
"""
HEADER = ["date", "amount", "category", "description", "receipt_url"]


def said(error: BudgetError) -> str:
    """The message as `budget import` prints it."""
    return error.render(IMPORT_OPTIONS)


def lines_of(text: str) -> Iterator[str]:
    return decoded_lines(io.BytesIO(text.encode()))


def parse(
    lines: str | Iterable[str], options: ImportOptions | None = None, user_id: str = "u1"
) -> tuple[list[ParsedRow], ImportSummary]:
    summary = ImportSummary()
    text = lines_of(lines) if isinstance(lines, str) else lines
    rows = list(parsed_rows(text, user_id, options or ImportOptions(), summary))
    return rows, summary


def refusal(lines: str, options: ImportOptions | None = None) -> str:
    with pytest.raises(InvalidInput) as raised:
        parse(lines, options)
    return said(raised.value)


def values_of(cells: list[str], options: ImportOptions | None = None) -> RowValues | None:
    options = options or ImportOptions()
    return row_values(cells, find_columns(HEADER, options), options)


def values_refused(cells: list[str], options: ImportOptions | None = None) -> str:
    with pytest.raises(InvalidInput) as raised:
        values_of(cells, options)
    return said(raised.value)


def ids(text: str, user_id: str = "u1") -> list[str]:
    return [row.expense.expense_id for row in parse(text, user_id=user_id)[0]]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- bytes to lines -------------------------------------------------------------------


def test_a_byte_order_mark_is_dropped_and_line_ends_are_kept() -> None:
    data = ("\ufeff" + COFFEES.replace("\n", "\r\n")).encode()
    lines = list(decoded_lines(io.BytesIO(data)))
    assert lines[0] == "date,amount,category,description\r\n" and len(lines) == 4
    rows, summary = parse(lines)
    assert summary.read == 3 and [r.expense.description for r in rows] == [
        "coffee",
        "coffee",
        "train",
    ]


def test_undecodable_bytes_name_their_line_and_column_after_the_lines_before() -> None:
    data = b"date,amount\n2026-01-01,1.00\n2026-01-02,caf\xe9\n"
    lines = decoded_lines(io.BytesIO(data))
    assert [next(lines), next(lines)] == ["date,amount\n", "2026-01-01,1.00\n"]
    with pytest.raises(InvalidInput) as raised:
        next(lines)
    assert said(raised.value) == (
        "line 3 is not UTF-8 text (byte 0xe9 at column 15): give the file's encoding with "
        "--encoding (banks often use --encoding cp1252), or save it as UTF-8"
    )
    with pytest.raises(InvalidInput) as raised:
        list(decoded_lines(io.BytesIO(b"a\n\x81b\n"), "windows-1252"))
    assert said(raised.value) == (
        "line 2 is not cp1252 text (byte 0x81 at column 1): give the file's real encoding "
        "with --encoding"
    )


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


def test_a_file_is_counted_before_the_import_and_what_reads_once_is_not(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", COFFEES.encode())
    assert Source(path).check() == 3
    with Source(path).lines() as lines:
        assert "".join(lines) == COFFEES
    assert Source(write(tmp_path, "empty.csv", b"")).check() == 0
    fifo = tmp_path / "statement.fifo"
    os.mkfifo(fifo)
    assert not Source(fifo).readable_twice and not Source(None).readable_twice
    assert Source(tmp_path / "missing.csv").readable_twice  # so that check() says so


def test_a_file_in_another_encoding_is_read_with_it(tmp_path: Path) -> None:
    latin1 = write(tmp_path, "latin1.csv", COFFEES.replace("train", "café").encode("latin-1"))
    with Source(latin1, check_encoding("latin-1")).lines() as lines:
        rows, _ = parse(lines)
    assert [r.expense.description for r in rows] == ["coffee", "coffee", "café"]
    text = COFFEES.replace(",", "\t").replace("coffee", "café").replace("\n", "\r\n")
    excel = write(tmp_path, "unicode.txt", text.encode("utf-16"))
    with Source(excel, check_encoding("UTF-16")).lines() as lines:
        rows, _ = parse(lines)
    assert [r.expense.description for r in rows] == ["café", "café", "train"]


# --- lines to records ------------------------------------------------------------------


@pytest.mark.parametrize(
    "header_line, delimiter",
    [
        ("date,amount,category\n", ","),
        ("date;amount;category\n", ";"),
        ("date\tamount\tcategory\n", "\t"),
        ("date;amount\tcategory\n", ";"),
        ("date;amount,category\n", ","),  # a comma anywhere: ','
        ("date|amount|category\n", ","),  # '|' is never guessed
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


def test_a_pipe_file_is_one_column_without_its_delimiter() -> None:
    pipes = COFFEES.replace(",", "|")
    assert refusal(pipes).startswith(
        "the header row has no 'date' column (it has 'date|amount|category|description')"
    )
    rows, summary = parse(pipes, ImportOptions(delimiter="|"))
    assert len(rows) == summary.read == 3


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


# --- where each field is ----------------------------------------------------------------


@pytest.mark.parametrize(
    "header, columns, message",
    [
        (
            "when,amount,category",
            {},
            "the header row has no 'date' column (it has 'when', 'amount', 'category'): "
            "name the right one with --column date=HEADER",
        ),
        ("date,sum,category", {}, "the header row has no 'amount' column (it has 'date', "),
        (
            "date,amount,category",
            {"amount": "Debit"},
            "--column amount=Debit: the header has no column 'Debit' "
            "(it has 'date', 'amount', 'category')",
        ),
        (",,", {}, "the file has no header row: the first line must name the columns"),
        (" , ", {}, "the header row has no 'date' column (it has nothing): name the right one"),
        ("", {}, "the file has no header row: the first line must name the columns, like "),
    ],
)
def test_an_unusable_header_says_how_to_name_the_columns(
    header: str, columns: dict[str, str], message: str
) -> None:
    text = f"{header}\n2026-01-01,1.00,food\n" if header else ""
    assert refusal(text, ImportOptions(columns=columns)).startswith(message)


def test_columns_are_found_by_name_in_any_case_and_order() -> None:
    header = [" Description ", "AMOUNT", "x", "Date", "Category", "receipt_url", "expense_id"]
    assert find_columns([*header, "amount"], ImportOptions()) == Columns(
        date=3, amount=1, category=4, description=0, receipt_url=5, expense_id=6
    )
    mapped = ImportOptions(columns={"date": "posted", "amount": "DEBIT"}, category="bank")
    assert find_columns(["Debit", "Posted", "Memo"], mapped) == Columns(
        date=1, amount=0, category=None, description=None, receipt_url=None, expense_id=None
    )


def test_column_mappings_are_checked() -> None:
    assert parse_columns(["Amount = Debit", "date=Posted"]) == {
        "amount": "Debit",
        "date": "Posted",
    }
    for spec in ("amount=", "amount", "=Debit"):
        with pytest.raises(InvalidInput) as raised:
            ImportOptions(columns=parse_columns([spec]))
        assert said(raised.value).startswith("--column ")
    with pytest.raises(InvalidInput) as raised:
        ImportOptions(columns={"price": "amount"})
    assert said(raised.value) == (
        "--column 'price': the field must be one of date, amount, category, description"
    )


# --- a row's values -----------------------------------------------------------------------


def test_debits_negative_turns_spending_positive_and_skips_credits() -> None:
    debits = ImportOptions(debits_negative=True)
    spent = values_of(["2026-01-03", "-3.80", "food"], debits)
    assert spent is not None and spent.amount == Decimal("3.80")
    assert values_of(["2026-01-04", "2500.00", "food"], debits) is None
    assert values_refused(["2026-01-03", "-3.80", "food"]) == (
        "amount '-3.80' is negative: if the bank shows spending as negative numbers, "
        "import with --debits-negative"
    )


@pytest.mark.parametrize("cell", ["", "  "])
def test_an_empty_amount_is_refused_or_skipped(cell: str) -> None:
    assert values_refused(["2026-02-02", cell, "bank", "Salary"]) == (
        "amount is empty: if the file has separate columns for money out and in, import with "
        "--skip-empty-amount to skip such rows"
    )
    assert values_of(["2026-02-02", cell, "bank"], ImportOptions(skip_empty_amount=True)) is None


def test_paid_out_and_paid_in_columns_import_the_money_out() -> None:
    options = ImportOptions(columns={"amount": "Paid out"}, date_format="%d/%m/%Y", category="bank")
    rows, summary = parse(PAID_OUT_PAID_IN, options)
    assert (summary.read, summary.rejected) == (3, 1) and summary.errors[0].line == 3
    rows, summary = parse(PAID_OUT_PAID_IN, dataclasses.replace(options, skip_empty_amount=True))
    assert (summary.read, summary.skipped, summary.rejected) == (3, 1, 0)
    assert [(r.expense.amount, r.expense.date) for r in rows] == [
        (Decimal("23.10"), date(2026, 2, 1)),
        (Decimal("950.00"), date(2026, 2, 3)),
    ]


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


@pytest.mark.parametrize("text", ["12.50", "1.23,4", "1.234 567,00", "1,2,3", "abc", ",50", ""])
def test_decimal_comma_refuses_what_is_not_one(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        decimal_comma_to_plain(text)
    assert said(raised.value) == (
        f"amount {text!r} is not a number with a decimal comma: with --decimal-comma write it "
        "like 1234,50 or 1.234,50"
    )


def test_decimal_comma_amounts_are_checked_as_the_file_writes_them() -> None:
    comma = ImportOptions(decimal_comma=True)
    parsed = values_of(["2026-01-01", "1.234,5", "food"], comma)
    assert parsed is not None and str(parsed.amount) == "1234.50"
    assert values_refused(["2026-01-01", "12,345", "food"], comma) == (
        "amount '12,345' has more than two decimal places"
    )


def test_an_ambiguous_date_names_the_date_format_option() -> None:
    message = values_refused(["03/11/2026", "1.00", "food"])
    assert message.startswith("date '03/11/2026' could be day-first or month-first")
    assert message.endswith(" (give the file's date format with --date-format)")
    day_first = values_of(["03/11/2026", "1.00", "food"], ImportOptions(date_format="%d/%m/%Y"))
    assert day_first is not None and day_first.day == date(2026, 11, 3)


def test_the_default_category_fills_empty_cells_only() -> None:
    default = ImportOptions(category="bank")
    assert [
        values.category
        for cell in ("", "  ", " Food ")
        if (values := values_of(["2026-01-01", "1", cell], default)) is not None
    ] == ["bank", "bank", "food"]
    fallback = values_of(["2026-01-01", "1", ""])
    assert fallback is not None and fallback.category == "uncategorized"
    assert not fallback.category_from_file


def test_descriptions_are_one_line_and_receipts_are_links() -> None:
    parsed = values_of(["2026-01-01", "1", "food", " coffee\r\nwith\tmilk ", " https://x.io/r "])
    assert parsed == RowValues(
        date(2026, 1, 1), Decimal("1.00"), "food", "coffee with milk", "https://x.io/r"
    )
    short = row_values(
        ["2026-01-01", "1", "food"], find_columns(HEADER[:3], ImportOptions()), ImportOptions()
    )
    assert short == RowValues(date(2026, 1, 1), Decimal("1.00"), "food", "", None)
    assert "must start with http:// or https://" in values_refused(
        ["2026-01-01", "1", "food", "", "ftp://x.io/r"]
    )


def test_a_bank_export_with_negative_debits_and_its_own_column_names() -> None:
    options = ImportOptions(
        columns=parse_columns(["date=Booking Date", "amount=value", "description=Memo"]),
        date_format="%d/%m/%Y",
        category=parse_category("Bank"),
        debits_negative=True,
    )
    rows, summary = parse(BANK, options)
    assert (summary.read, summary.skipped, summary.rejected) == (3, 1, 0)
    assert {r.expense.description: (r.expense.amount, r.expense.date) for r in rows} == {
        "Flat white": (Decimal("3.80"), date(2026, 1, 3)),
        "Weekly shop": (Decimal("1234.56"), date(2026, 1, 5)),
    }
    assert {r.expense.category for r in rows} == {"bank"}


def test_a_semicolon_cp1252_file_with_decimal_commas(tmp_path: Path) -> None:
    path = write(tmp_path, "konto.csv", EUROPEAN.encode("cp1252"))
    options = ImportOptions(
        columns=parse_columns(
            ["date=Buchungstag", "amount=Betrag", "description=Verwendungszweck"]
        ),
        date_format="%d.%m.%Y",
        category="bank",
        debits_negative=True,
        decimal_comma=True,
    )

    def read() -> tuple[list[ParsedRow], ImportSummary]:
        with Source(path, check_encoding("cp1252")).lines() as lines:
            return parse(lines, options)

    rows, summary = read()
    assert (summary.read, summary.skipped, summary.rejected) == (4, 1, 0)
    assert {r.expense.description: r.expense.amount for r in rows} == {
        "Brötchen": Decimal("4.35"),
        "Sofa": Decimal("1234.56"),
        "Kaffee €": Decimal("3.80"),
    }
    assert {r.expense.description: r.expense.date for r in rows}["Sofa"] == date(2026, 1, 4)
    # Read again, the rows are the same expenses: a re-import finds them all.
    assert [r.expense.expense_id for r in read()[0]] == [r.expense.expense_id for r in rows]


# --- a row's identity ------------------------------------------------------------------


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


def test_a_later_statement_row_with_another_amount_or_category_is_not_an_earlier_one() -> None:
    earlier = "date,amount,category,description\n2026-01-05,3.50,food,coffee\n"
    later = (
        "date,amount,category,description\n"
        "2026-01-05,12.00,food,coffee\n"
        "2026-01-05,3.50,drinks,coffee\n"
    )
    assert len(set(ids(earlier) + ids(later))) == 3


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


# --- --strict before storage -------------------------------------------------------------


def test_strict_reads_a_one_shot_input_once_and_refuses_it_before_storage(
    no_storage: None,
) -> None:
    store = connect(config.load_settings())
    rows = "".join(f"2026-01-{1 + n % 28:02d},1.{n:02d},food,item {n}\n" for n in range(99))
    one_shot = lines_of(COFFEES + rows + "2026-01-31,-,food,oops\n")
    summary = import_expenses(store, "u1", one_shot, ImportOptions(strict=True))
    assert summary.strict_failed and (summary.read, summary.imported, summary.rejected) == (
        103,
        0,
        1,
    )
    assert summary.errors[0].line == 104
    assert next(one_shot, None) is None


def test_strict_refuses_a_bad_header_before_storage(no_storage: None) -> None:
    store = connect(config.load_settings())
    with pytest.raises(InvalidInput, match="no 'date' column"):
        import_expenses(store, "u1", lines_of("when,amount\n"), ImportOptions(strict=True))


# --- what the command says ------------------------------------------------------------------


def test_a_stopped_import_says_what_was_written_and_to_run_it_again() -> None:
    interrupted = ImportStopped(ImportSummary(imported=1), None)
    assert interrupted.exit_code == ExitCode.INTERRUPTED and interrupted.summary.imported == 1
    assert str(interrupted) == (
        "import interrupted (1 row imported so far): run the same command again to finish; "
        "rows already imported are skipped"
    )
    dry = ImportStopped(ImportSummary(imported=7, dry_run=True), None)
    assert str(dry).startswith("import interrupted (dry run: nothing was written): ")
    failed = ImportStopped(ImportSummary(imported=200), StorageUnavailable("engine gone"))
    assert failed.exit_code == ExitCode.STORAGE
    assert str(failed) == (
        "engine gone (200 rows imported so far); then run the same import again: "
        "rows already imported are skipped"
    )


def emitted(
    capsys: pytest.CaptureFixture[str], summary: ImportSummary, fmt: OutputFormat
) -> tuple[str, str]:
    capsys.readouterr()
    emit_summary(fmt, summary, IMPORT_OPTIONS)
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_a_dry_run_says_what_would_be_imported(capsys: pytest.CaptureFixture[str]) -> None:
    out, err = emitted(capsys, ImportSummary(read=1, imported=1, dry_run=True), OutputFormat.TABLE)
    assert "Dry run: nothing written" in out and "Would import" in out and "Imported" not in out
    assert err == "dry run: 1 row would be imported; nothing was written\n"
    summary = ImportSummary(read=2, duplicates=2, dry_run=True)
    _, err = emitted(capsys, summary, OutputFormat.TABLE)
    assert err == "dry run: 0 rows would be imported; nothing was written\n"
    out, err = emitted(capsys, ImportSummary(read=2, imported=2), OutputFormat.TABLE)
    assert "Imported" in out and "Would import" not in out and "Skipped" not in out
    assert err == ""


def test_rejected_rows_are_listed_with_the_commands_option_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = ImportSummary(read=61, imported=1, skipped=1)
    empty = InvalidInput("amount is empty: use ", Field("skip_empty_amount"))
    for line in range(2, 62):
        summary.reject(line, empty)
    out, err = emitted(capsys, summary, OutputFormat.JSON)
    assert out.startswith('{\n  "read": 61,\n  "imported": 1,\n  "duplicates": 0,\n')
    assert '"rejected": 60,\n  "skipped": 1,\n  "category_file": 0,\n' in out
    assert '"category_fallback": 0,\n  "errors": [\n' in out
    assert '{\n      "line": 2,\n      "error": "amount is empty: use --skip-empty-amount"\n' in out
    assert err == ""
    out, err = emitted(capsys, summary, OutputFormat.TABLE)
    assert "Skipped" in out and "Rejected because" in out
    assert out.count("amount is empty: use --skip-empty-amount") == 50
    assert "and 10 more: --format json lists them all" in out
    assert err == (
        "fix the rejected rows and run the same command again: rows already imported are skipped\n"
    )
    out, err = emitted(capsys, summary, OutputFormat.CSV)
    assert out == (
        "read,imported,duplicates,rejected,skipped,"
        "category_file,category_rule,category_learned,category_fallback\n61,1,0,60,1,0,0,0,0\n"
    )
    assert err.splitlines()[0] == "line 2: amount is empty: use --skip-empty-amount"


@pytest.mark.parametrize("rejected, said_so", [(1, "1 row is wrong"), (2, "2 rows are wrong")])
def test_a_strict_refusal_counts_the_wrong_rows(
    capsys: pytest.CaptureFixture[str], rejected: int, said_so: str
) -> None:
    summary = ImportSummary(read=3, strict_failed=True)
    for line in range(rejected):
        summary.errors.append(RowError(line + 2, InvalidInput("bad")))
    summary.rejected = rejected
    _, err = emitted(capsys, summary, OutputFormat.JSON)
    assert err == f"--strict: nothing was imported because {said_so}\n"
