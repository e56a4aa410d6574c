"""budgetcli.statements: layouts detected from content, proven by balances, rows read.

The 18 real exports in ../shared/data/banks are used in place (skipped when absent);
tests/fixtures/statements has one small file of ours per format trait.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tracemalloc
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from budgetcli.errors import InvalidInput
from budgetcli.statements import (
    BadLayout,
    BadRow,
    Layout,
    LayoutQuestion,
    Overrides,
    ProofStatus,
    Row,
    SignRule,
    SkippedRow,
    SkipReason,
    StatementReader,
    StatementRow,
    detect,
    layout_fingerprint,
    read_rows,
)
from budgetcli.statements.cells import (
    CellError,
    compile_date_format,
    debit_or_credit,
    mark_evidence,
    money_parts,
    parse_money,
)
from budgetcli.statements.detect import SAMPLE_BYTES

FIXTURES = Path(__file__).parent / "fixtures" / "statements"
BANKS = Path(
    os.environ.get("BUDGET_BANK_EXPORTS", Path(__file__).resolve().parents[2] / "shared/data/banks")
)


def read_all(data: bytes, overrides: Overrides | None = None) -> tuple[Layout, list[Row]]:
    layout = detect(data, overrides)
    return layout, list(read_rows(data, layout))


def out_rows(rows: Sequence[Row]) -> list[StatementRow]:
    return [row for row in rows if isinstance(row, StatementRow)]


def skip_counts(rows: Sequence[Row]) -> Counter[SkipReason]:
    return Counter(row.reason for row in rows if isinstance(row, SkippedRow))


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# -- the 18 real exports -----------------------------------------------------------------

D = Decimal
REAL = {
    # file: (rows out, skipped by reason, [(line, date, amount)], proof)
    "ch-ubs.csv": (
        2,
        {SkipReason.CREDIT: 1},
        [(2, "2019-03-31", "10.00"), (4, "2019-04-27", "200.00")],
        ProofStatus.PROVEN,
    ),
    "de-c24.csv": (
        2,
        {SkipReason.CREDIT: 1},
        [(2, "2025-12-05", "123.45"), (4, "2026-01-05", "50.00")],
        ProofStatus.UNPROVEN,
    ),
    "de-ing.csv": (
        5,
        {SkipReason.CREDIT: 1},
        [(15, "2018-12-28", "5.49"), (18, "2018-12-21", "1.54"), (20, "2018-12-10", "152.00")],
        ProofStatus.UNPROVEN,
    ),
    "de-n26.csv": (1, {}, [(2, "2017-10-01", "59.99")], ProofStatus.UNPROVEN),
    "de-sparkasse.csv": (1, {}, [(2, "2018-02-22", "36.99")], ProofStatus.UNPROVEN),
    "eu-revolut.csv": (
        5,
        {SkipReason.CREDIT: 1, SkipReason.ZERO: 1, SkipReason.PENDING: 2},
        [(2, "2022-01-02", "250.00"), (4, "2022-01-06", "38.71"), (9, "2022-01-13", "69.26")],
        ProofStatus.PARTLY_PROVEN,
    ),
    "eu-wise.csv": (
        3,
        {SkipReason.CREDIT: 2},
        [(2, "2020-08-24", "357.38"), (3, "2020-08-24", "11.35"), (6, "2020-08-20", "0.17")],
        ProofStatus.PARTLY_PROVEN,
    ),
    "fr-bank.csv": (1, {SkipReason.CREDIT: 1}, [(6, "2016-02-18", "8.10")], ProofStatus.UNPROVEN),
    "ie-bankofireland.csv": (
        21,
        {SkipReason.CREDIT: 6},
        [(4, "2017-09-01", "512.0"), (6, "2017-09-04", "2000.0"), (28, "2017-09-28", "818.0")],
        ProofStatus.UNPROVEN,
    ),
    "nl-bunq.csv": (
        5,
        {SkipReason.CREDIT: 2},
        [(2, "2018-12-06", "8.78"), (8, "2018-12-17", "7.99")],
        ProofStatus.UNPROVEN,
    ),
    "nl-ing.csv": (
        3,
        {SkipReason.CREDIT: 2, SkipReason.ZERO: 1},
        [(2, "2020-02-13", "1.25"), (6, "2019-12-13", "0.31"), (7, "2019-12-13", "0.31")],
        ProofStatus.UNPROVEN,
    ),
    "nl-rabobank.csv": (
        2,
        {SkipReason.CREDIT: 1},
        [(2, "2018-03-01", "337.49"), (4, "2018-03-16", "750.00")],
        ProofStatus.PARTLY_PROVEN,
    ),
    "sg-dbs.csv": (
        9,
        {},
        [(21, "2020-05-06", "34.65"), (27, "2020-05-01", "8496.92"), (29, "2020-05-01", "4100.00")],
        ProofStatus.UNPROVEN,
    ),
    "uk-johnlewis.csv": (
        9,
        {SkipReason.PENDING: 3, SkipReason.CREDIT: 1},
        [(5, "2019-12-12", "1183.23"), (13, "2019-12-02", "8.20")],
        ProofStatus.UNPROVEN,
    ),
    "uk-lloyds.csv": (
        14,
        {SkipReason.CREDIT: 6},
        [(3, "2017-05-15", "2.76"), (5, "2017-05-01", "100"), (21, "2017-01-05", "2.76")],
        ProofStatus.PROVEN,
    ),
    "uk-monzo.csv": (1, {}, [(2, "2018-02-25", "10")], ProofStatus.UNPROVEN),
    "us-capitalone.csv": (
        1,
        {SkipReason.CREDIT: 1},
        [(2, "2015-12-31", "1000.00")],
        ProofStatus.UNPROVEN,
    ),
    "us-dcu.csv": (
        5,
        {SkipReason.CREDIT: 5},
        [(2, "2021-12-31", "7971.39"), (5, "2021-12-28", "50.50"), (10, "2021-12-18", "5000.00")],
        ProofStatus.PROVEN,
    ),
}

needs_banks = pytest.mark.skipif(not BANKS.is_dir(), reason=f"{BANKS} is not there")


@needs_banks
def test_every_real_export_is_covered() -> None:
    assert set(REAL) <= {path.name for path in BANKS.glob("*.csv")}


@needs_banks
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_export_with_no_options(name: str) -> None:
    expected_out, expected_skips, samples, proof = REAL[name]
    data = (BANKS / name).read_bytes()
    reader = StatementReader(data, layout := detect(data))
    rows = list(reader)
    out = out_rows(rows)
    assert [row for row in rows if isinstance(row, BadRow)] == []
    assert len(out) == expected_out
    assert skip_counts(rows) == Counter(expected_skips)
    by_line = {row.line: row for row in out}
    for line, day, amount in samples:
        assert (by_line[line].date, by_line[line].amount) == (date.fromisoformat(day), D(amount))
    assert layout.proof.status is proof
    assert reader.proof.status is proof
    # Stored as a profile and used for the next file: the same rows.
    profile = Layout.from_dict(json.loads(json.dumps(layout.to_dict())))
    assert read_all(data, profile.as_overrides())[1] == rows


@needs_banks
def test_real_exports_totals_counted_by_hand() -> None:
    lloyds = out_rows(read_all((BANKS / "uk-lloyds.csv").read_bytes())[1])
    dbs = out_rows(read_all((BANKS / "sg-dbs.csv").read_bytes())[1])
    assert sum(row.amount for row in lloyds) == D("540.67")
    assert sum(row.amount for row in dbs) == D("16880.26")


@needs_banks
def test_real_exports_details() -> None:
    ing = detect((BANKS / "de-ing.csv").read_bytes())
    assert (ing.encoding, ing.delimiter, ing.skip_lines) == ("cp1252", ";", 13)
    assert ing.header is not None and ing.header[0] == "Buchung"
    dbs = detect((BANKS / "sg-dbs.csv").read_bytes())
    assert dbs.skip_lines == 17 and dbs.date_format == "%d %b %Y"
    monzo = out_rows(read_all((BANKS / "uk-monzo.csv").read_bytes())[1])[0]
    assert (monzo.bank_id, monzo.category, monzo.currency) == (
        "tx_00009TziTeST1NG1ZWIPGS",
        "general",
        "GBP",
    )
    rabo = detect((BANKS / "nl-rabobank.csv").read_bytes())
    assert rabo.bank_id_unique and rabo.encoding == "cp1252"
    wise = detect((BANKS / "eu-wise.csv").read_bytes())
    # A transfer and its fee share one 'TransferWise ID': not usable alone as a key.
    assert wise.columns.bank_id is not None and not wise.bank_id_unique
    ubs = out_rows(read_all((BANKS / "ch-ubs.csv").read_bytes())[1])
    # 'Description' holds the account's name on every row: left out.
    assert ubs[0].description == "Solde prix prestations"
    lewis = detect((BANKS / "uk-johnlewis.csv").read_bytes())
    assert lewis.sign_rule is SignRule.DIRECTION and lewis.credit_values == ("cr",)
    sparkasse = detect((BANKS / "de-sparkasse.csv").read_bytes())
    assert sparkasse.date_format == "%d.%m.%y"


# -- one fixture per trait ---------------------------------------------------------------

TRAITS = {
    # fixture: ([(line, date, amount)] going out, skipped by reason, proof)
    "utf8-bom.csv": ([(2, "2024-03-01", "4.50"), (4, "2024-03-03", "2.10")], {"credit": 1}, None),
    "utf16-bom.csv": ([(2, "2024-03-01", "4.50"), (3, "2024-03-04", "2.10")], {"credit": 1}, None),
    "windows-1252.csv": (
        [(2, "2024-03-13", "12.50"), (4, "2024-03-15", "3.20")],
        {"credit": 1},
        None,
    ),
    "tab.tsv": ([(2, "2024-01-02", "20.00"), (4, "2024-01-05", "12.00")], {"credit": 1}, "proven"),
    "pipe.csv": ([(2, "2024-01-02", "3.40"), (4, "2024-01-04", "1.90")], {"credit": 1}, None),
    "preamble.csv": (
        [(9, "2024-03-28", "54.00"), (10, "2024-03-29", "46.00")],
        {"credit": 1, "summary line": 1},
        "proven",
    ),
    "trailing-summary.csv": (
        [(2, "2024-03-14", "45.10"), (4, "2024-03-18", "12.00")],
        {"credit": 1, "summary line": 2},
        None,
    ),
    "excel-quoted.csv": (
        [(5, "2024-02-27", "23.80"), (7, "2024-02-29", "61.00")],
        {"credit": 1},
        None,
    ),
    "cr-cr-lf.csv": (
        [(2, "2024-02-01", "10.00"), (4, "2024-02-03", "40.00")],
        {"credit": 1},
        "proven",
    ),
    "no-header.csv": (
        [(1, "2024-05-01", "700.00"), (2, "2024-05-02", "55.20"), (4, "2024-05-04", "40.00")],
        {"credit": 1},
        "proven",
    ),
    "debit-credit.csv": (
        [(2, "2024-06-01", "5.00"), (4, "2024-06-03", "40.00")],
        {"credit": 1, "zero amount": 1},
        "proven",
    ),
    "direction.csv": ([(2, "2024-03-01", "23.45"), (4, "2024-03-03", "4.10")], {"credit": 1}, None),
    "card-cr-flag.csv": (
        [(2, "2024-03-05", "12.99"), (4, "2024-03-07", "1045.20")],
        {"credit": 1},
        None,
    ),
    "card-cr-suffix.csv": (
        [(2, "2024-03-05", "12.99"), (4, "2024-03-27", "1045.20")],
        {"credit": 1},
        None,
    ),
    "dr-cr-suffix.csv": (
        [(2, "2024-07-01", "54.20"), (4, "2024-07-03", "12.50"), (5, "2024-07-15", "1500.00")],
        {"credit": 1},
        "proven",
    ),
    "card-signs.csv": (
        [(2, "2024-04-02", "54.20"), (3, "2024-04-03", "19.99"), (5, "2024-04-06", "38.00")],
        {"credit": 1},
        None,
    ),
    "timestamps.csv": (
        [(2, "2024-02-25", "10.00"), (3, "2024-02-26", "2.35")],
        {"credit": 1},
        None,
    ),
    "pending.csv": (
        [(2, "2024-01-02", "15.00")],
        {"pending": 2, "zero amount": 1, "credit": 1},
        "proven",
    ),
    "money-forms.csv": (
        [
            (2, "2024-01-13", "12.50"),
            (3, "2024-01-14", "12.50"),
            (4, "2024-01-15", "12.50"),
            (5, "2024-01-16", "1234.56"),
            (6, "2024-01-17", "7.00"),
        ],
        {"credit": 1},
        None,
    ),
    "swiss.csv": (
        [(2, "2024-01-31", "1250.40"), (4, "2024-02-02", "49.60")],
        {"credit": 1},
        "proven",
    ),
    "month-names.csv": (
        [(2, "2024-05-06", "34.65"), (4, "2024-05-03", "44.56")],
        {"credit": 1},
        "proven",
    ),
    "balance-lines.csv": (
        [(9, "2024-01-02", "12.40"), (11, "2024-01-20", "1188.00")],
        {"credit": 1, "summary line": 1},
        "proven",
    ),
    "soll-haben.csv": (
        [(3, "2024-02-01", "64.00"), (5, "2024-02-20", "4.35")],
        {"credit": 1, "summary line": 1},
        None,
    ),
    "bank.ofx": ([(17, "2024-03-01", "42.10"), (32, "2024-03-04", "9.99")], {"credit": 1}, None),
    "card.qfx": ([(8, "2024-04-02", "64.00")], {"credit": 1}, None),
}


@pytest.mark.parametrize("name", sorted(TRAITS))
def test_trait_fixture(name: str) -> None:
    expected, skips, proof = TRAITS[name]
    layout, rows = read_all(fixture(name))
    assert [row for row in rows if isinstance(row, BadRow)] == []
    assert [(r.line, r.date.isoformat(), str(r.amount)) for r in out_rows(rows)] == expected
    assert {str(reason): n for reason, n in skip_counts(rows).items()} == skips
    if proof is not None:
        assert layout.proof.status == proof


def test_encodings_are_named_with_their_evidence() -> None:
    assert detect(fixture("utf8-bom.csv")).encoding == "utf-8-sig"
    assert detect(fixture("utf16-bom.csv")).encoding == "utf-16"
    cp1252 = detect(fixture("windows-1252.csv"))
    assert cp1252.encoding == "cp1252"
    assert "0xe4 on line 1" in cp1252.reasons["encoding"]
    rows = out_rows(read_all(fixture("windows-1252.csv"))[1])
    assert rows[1].text == "Bäckerei - Brötchen € 3"
    no_bom = "Date,Description,Amount\n2024-01-02,Tea,-2.00\n2024-01-03,Bun,-1.00\n"
    layout = detect(no_bom.encode("utf-16-le"))
    assert layout.encoding == "utf-16-le"
    assert out_rows(list(read_rows(no_bom.encode("utf-16-le"), layout)))[0].amount == D("2.00")


def test_lines_ending_in_cr_alone() -> None:
    data = b"Date,Description,Amount\r2024-01-02,Tea,-2.00\r2024-01-03,Cake,-3.00\r"
    layout, rows = read_all(data)
    assert layout.newline == "\r"
    assert [(r.line, r.amount) for r in out_rows(rows)] == [(2, D("2.00")), (3, D("3.00"))]


def test_a_line_that_lost_its_opening_quote_is_still_read() -> None:
    rows = read_all(fixture("cr-cr-lf.csv"))[1]
    assert rows[1] == SkippedRow(3, SkipReason.CREDIT, "50.00 in")


def test_excel_quoted_cells_are_unwrapped() -> None:
    assert out_rows(read_all(fixture("excel-quoted.csv"))[1])[0].description == "CB CARREFOUR"


def test_headerless_roles_come_from_content_and_the_balance() -> None:
    layout = detect(fixture("no-header.csv"))
    assert layout.header is None
    assert (layout.columns.amount, layout.columns.balance) == (2, 3)
    assert layout.columns.description == (1,)


def test_card_statements() -> None:
    signs = detect(fixture("card-signs.csv"))
    assert signs.sign_rule is SignRule.POSITIVE_OUT
    flag = detect(fixture("card-cr-flag.csv"))
    assert flag.sign_rule is SignRule.DIRECTION and flag.columns.direction == 3


def test_pending_rows_by_date_text_and_by_status() -> None:
    rows = read_all(fixture("pending.csv"))[1]
    pending = [row for row in rows if isinstance(row, SkippedRow) and row.reason == "pending"]
    assert [(row.line, row.detail) for row in pending] == [(3, "PENDING"), (6, "date 'Pending'")]


# -- questions instead of guesses --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "field", "words"),
    [
        ("ambiguous-dates.csv", "date_format", "day-first or month-first"),
        ("ambiguous-signs.csv", "sign_rule", "account statement"),
        ("balance-contradicted.csv", "columns.balance", "do not add up"),
    ],
)
def test_truly_ambiguous_files_ask(name: str, field: str, words: str) -> None:
    with pytest.raises(LayoutQuestion) as caught:
        detect(fixture(name))
    assert caught.value.field == field
    assert words in str(caught.value)
    assert isinstance(caught.value, InvalidInput)
    assert "--" not in str(caught.value)  # fields, not command-line flags


def test_answers_to_the_questions() -> None:
    day_first = read_all(fixture("ambiguous-dates.csv"), Overrides(date_format="%d/%m/%Y"))[1]
    assert out_rows(day_first)[0].date == date(2024, 4, 3)
    month_first = read_all(fixture("ambiguous-dates.csv"), Overrides(date_format="%m/%d/%Y"))[1]
    assert out_rows(month_first)[0].date == date(2024, 3, 4)
    card = read_all(fixture("ambiguous-signs.csv"), Overrides(sign_rule=SignRule.POSITIVE_OUT))
    assert [r.amount for r in out_rows(card[1])] == [D("12.00")]
    account = read_all(fixture("ambiguous-signs.csv"), Overrides(sign_rule=SignRule.NEGATIVE_OUT))
    assert [r.line for r in out_rows(account[1])] == [3]
    no_balance = Overrides(columns={"balance": None})
    layout, rows = read_all(fixture("balance-contradicted.csv"), no_balance)
    assert layout.proof.status is ProofStatus.UNPROVEN and len(out_rows(rows)) == 3


def test_ambiguous_decimal_mark_asks() -> None:
    data = (
        b"Date,Description,Amount\n2024-01-02,A,-1.250\n2024-01-03,B,-2.500\n2024-01-04,C,3.000\n"
    )
    with pytest.raises(LayoutQuestion) as caught:
        detect(data)
    assert caught.value.field == "decimal_mark"
    rows = read_all(data, Overrides(decimal_mark=","))[1]
    assert [r.amount for r in out_rows(rows)] == [D("1250"), D("2500")]


def test_dates_written_with_dots_are_day_first() -> None:
    data = b"Buchungstag;Text;Betrag\n05.01.2024;A;-1,00\n05.02.2024;B;-2,00\n"
    layout = detect(data)
    assert layout.date_format == "%d.%m.%Y"
    assert "dots" in layout.reasons["date_format"]


def test_date_order_by_sorted_rows() -> None:
    data = b"Date,Description,Amount\n01/02/2024,A,-1.00\n02/01/2024,B,-2.00\n03/01/2024,C,-3.00\n"
    layout = detect(data)
    assert layout.date_format == "%m/%d/%Y"
    assert "date order" in layout.reasons["date_format"]


# -- evidence from the whole file --------------------------------------------------------


def big_file(rows: int, last: str, first: str = "03/04/2024,Coffee,-3.00\n") -> bytes:
    body = first * rows
    return ("Date,Description,Amount\n" + body + last).encode()


def test_date_order_decided_by_a_row_after_the_sample() -> None:
    data = big_file(SAMPLE_BYTES // 20, "25/04/2024,Tea,-2.00\n")
    assert len(data) > SAMPLE_BYTES
    layout = detect(data)
    assert layout.date_format == "%d/%m/%Y"
    assert "25/04/2024" in layout.reasons["date_format"]


def test_decimal_mark_decided_by_a_row_after_the_sample() -> None:
    data = big_file(SAMPLE_BYTES // 20, '2024-04-05,Tea,"-2,50"\n', "2024-04-03,Coffee,-1.250\n")
    layout = detect(data)
    assert layout.decimal_marks["amount"] == ","
    assert "further down" in layout.reasons["amount"]


def test_encoding_decided_by_a_byte_after_the_sample() -> None:
    head = "Date,Description,Amount\n" + "2024-04-03,Tea,-1.25\n" * (SAMPLE_BYTES // 20)
    data = (head + "2024-04-05,Caf\xe9,-2.50\n").encode("cp1252")
    layout = detect(data)
    assert layout.encoding == "cp1252"
    assert out_rows(list(read_rows(data, layout)))[-1].description == "Café"


# -- malformed rows ----------------------------------------------------------------------


def test_a_proof_of_one_step_says_step() -> None:
    data = b"Date,Description,Amount,Balance\n2024-01-02,A,-1.00,9.00\n2024-01-03,B,-2.00,7.00\n"
    layout, _ = read_all(data)
    assert layout.proof.status == "proven"
    assert "(1 step, oldest first)" in layout.proof.detail


def test_malformed_rows_are_errors_with_their_line() -> None:
    data = (
        b"Date,Description,Amount\n2024-01-02,A,-1.00\n2024-01-03,B,-2.00\n"
        b"2024-01-04,C,minus two\n2024-13-45,D,-4.00\n2024-01-06,E,\n2024-01-07,F,-6.00\n"
    )
    layout, rows = read_all(data)
    bad = [row for row in rows if isinstance(row, BadRow)]
    assert [(row.line, row.error) for row in bad] == [
        (4, "amount 'minus two' is not a number"),
        (5, "date '2024-13-45' does not match the format %Y-%m-%d"),
        (6, "the amount ('Amount') is empty"),
    ]
    assert [row.line for row in out_rows(rows)] == [2, 3, 7]


@pytest.mark.parametrize("amounts", [("-12.50", "-1.2.3", "-3.00"), ("-12", "-1.2.3", "-3")])
def test_an_amount_no_mark_reads_is_its_rows_error_not_a_question(
    amounts: tuple[str, ...],
) -> None:
    data = "Date,Description,Amount\n" + "".join(
        f"2024-01-0{day},Shop,{amount}\n" for day, amount in enumerate(amounts, 1)
    )
    layout, rows = read_all(data.encode())
    bad = [row for row in rows if isinstance(row, BadRow)]
    assert [(row.line, row.error) for row in bad] == [
        (3, "amount '-1.2.3' is not a number with a decimal point")
    ]
    assert [row.line for row in out_rows(rows)] == [2, 4]


def test_text_between_the_header_and_the_first_row_is_skipped() -> None:
    data = b"Date,Description,Amount\nAccount 1234,,\n2024-01-02,A,-1.00\n2024-01-03,B,-2.00\n"
    rows = read_all(data)[1]
    assert rows[0] == SkippedRow(2, SkipReason.SUMMARY, "before the first row")
    assert [r.line for r in out_rows(rows)] == [3, 4]


def test_most_rows_unreadable_is_a_question() -> None:
    data = b"Date,Description,Amount\n2024-01-02,A,x\n2024-01-03,B,y\n2024-01-04,C,-1.00\n"
    with pytest.raises(LayoutQuestion) as caught:
        detect(data, Overrides(columns={"amount": "Amount"}))
    assert caught.value.field in ("columns", "columns.amount")


def test_a_file_with_no_transactions_asks_where_they_are() -> None:
    with pytest.raises(LayoutQuestion) as caught:
        detect(b"Hello;world\nthis;is;no;statement\n")
    assert caught.value.field == "skip_lines"


# -- overrides ---------------------------------------------------------------------------


def test_every_guess_can_be_overridden() -> None:
    data = b"# export\n02.01.2024|Bakery|D|1.234,50\n03.01.2024|Pay|C|10,00\n"
    overrides = Overrides(
        encoding="latin-1",
        delimiter="|",
        skip_lines=1,
        column_names=("Date", "Text", "Way", "Sum"),
        columns={"date": "Date", "amount": 4, "description": "Text", "direction": "Way"},
        date_format="%d.%m.%Y",
        decimal_mark=",",
        debit_value="D",
    )
    layout, rows = read_all(data, overrides)
    assert layout.encoding == "iso8859-1" and layout.header is None and layout.skip_lines == 1
    assert layout.sign_rule is SignRule.DIRECTION and layout.debit_values == ("d",)
    assert [(r.line, r.amount, r.description) for r in out_rows(rows)] == [
        (2, D("1234.50"), "Bakery")
    ]


def test_debit_and_credit_columns_given() -> None:
    data = b"When,What,Out,In\n2024-01-02,A,5.00,\n2024-01-03,B,,7.00\n"
    rows = read_all(data, Overrides(columns={"debit": "Out", "credit": "In", "date": "When"}))[1]
    assert [(r.line, r.amount) for r in out_rows(rows)] == [(2, D("5.00"))]


def test_budgetcli_export_reads_back_as_expenses() -> None:
    data = (
        b"date,amount,category,description,expense_id,created_at,receipt_url\n"
        b"2026-11-03,12.50,food,lunch,4f1c,2026-11-03T12:00:00Z,\n"
        b"2026-11-02,3.20,coffee,,9a2b,2026-11-02T08:00:00Z,\n"
    )
    layout, rows = read_all(data)
    assert layout.sign_rule is SignRule.POSITIVE_OUT
    assert [(r.amount, r.category) for r in out_rows(rows)] == [
        (D("12.50"), "food"),
        (D("3.20"), "coffee"),
    ]


def test_a_sign_rule_given_as_text() -> None:
    overrides = Overrides(sign_rule="positive_out")  # type: ignore[arg-type]
    assert detect(fixture("ambiguous-signs.csv"), overrides).sign_rule is SignRule.POSITIVE_OUT
    with pytest.raises(LayoutQuestion) as caught:
        detect(fixture("ambiguous-signs.csv"), Overrides(sign_rule="up"))  # type: ignore[arg-type]
    assert caught.value.field == "sign_rule"


def test_skip_patterns() -> None:
    data = b"Date,Description,Amount\n2024-01-02,Transfer to savings,-5.00\n2024-01-03,Tea,-2.00\n"
    rows = read_all(data, Overrides(skip_patterns=("transfer to .*",)))[1]
    assert [r.line for r in out_rows(rows)] == [3]
    assert rows[0] == SkippedRow(2, SkipReason.PATTERN, "transfer to .*")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (Overrides(columns={"amount": "Nope"}), "columns.amount"),
        (Overrides(columns={"colour": "Amount"}), "columns"),
        (Overrides(delimiter="#"), "delimiter"),
        (Overrides(decimal_mark=":"), "decimal_mark"),
        (Overrides(date_format="YYYY"), "date_format"),
        (Overrides(date_format="%d/%m/%Y"), "date_format"),
        (Overrides(encoding="rot13"), "encoding"),
        (Overrides(skip_patterns=("(",)), "skip_patterns"),
        (Overrides(debit_value="D"), "columns.direction"),
    ],
)
def test_bad_overrides_name_their_field(overrides: Overrides, field: str) -> None:
    with pytest.raises(LayoutQuestion) as caught:
        detect(fixture("pipe.csv"), overrides)
    assert caught.value.field == field
    assert "--" not in str(caught.value)


# -- layouts as profiles -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TRAITS))
def test_layout_round_trips_through_json(name: str) -> None:
    layout = detect(fixture(name))
    stored = json.loads(json.dumps(layout.to_dict()))
    assert Layout.from_dict(stored) == layout
    assert Layout.from_dict(stored).fingerprint == layout.fingerprint


@pytest.mark.parametrize(
    "broken",
    [{}, {"version": 2}, {"version": 1, "kind": "csv"}, {**{"version": 1}, "columns": []}],
)
def test_a_broken_stored_layout_is_refused(broken: dict[str, object]) -> None:
    with pytest.raises(BadLayout):
        Layout.from_dict(broken)


def test_a_tampered_stored_layout_is_refused() -> None:
    stored = detect(fixture("tab.tsv")).to_dict()
    stored["columns"]["date"] = -1
    with pytest.raises(BadLayout):
        Layout.from_dict(stored)
    stored = detect(fixture("tab.tsv")).to_dict()
    stored["sign_rule"] = "sideways"
    with pytest.raises(BadLayout):
        Layout.from_dict(stored)


def test_fingerprint_is_the_header_and_delimiter() -> None:
    first = fixture("preamble.csv")
    other_preamble = b"Konto;1\n" + first.replace(b"Zeitraum;01.03.2024 - 31.03.2024\n", b"")
    assert detect(first).fingerprint == detect(other_preamble).fingerprint
    assert layout_fingerprint(first) == detect(first).fingerprint
    no_header = fixture("no-header.csv")
    assert layout_fingerprint(no_header) == detect(no_header).fingerprint
    semicolons = fixture("pipe.csv").replace(b"|", b";")
    assert detect(semicolons).fingerprint != detect(fixture("pipe.csv")).fingerprint


def test_a_profile_reads_the_next_file_from_the_same_bank() -> None:
    first = detect(fixture("ambiguous-dates.csv"), Overrides(date_format="%d/%m/%Y"))
    following = b"Statement\n\nDate,Description,Amount\n01/02/2024,Cake,-4.00\n"
    layout, rows = read_all(following, first.as_overrides())
    assert layout.skip_lines == 2 and layout.date_format == "%d/%m/%Y"
    assert out_rows(rows)[0].date == date(2024, 2, 1)


@pytest.mark.parametrize("name", sorted(n for n in TRAITS if not n.endswith(("ofx", "qfx"))))
def test_a_layout_pinned_as_overrides_reads_the_same_rows(name: str) -> None:
    layout, rows = read_all(fixture(name))
    again, rows_again = read_all(fixture(name), layout.as_overrides())
    assert rows_again == rows
    assert again.fingerprint == layout.fingerprint


def test_describe_is_plain_data_for_a_dry_run() -> None:
    described = dict(detect(fixture("preamble.csv")).describe())
    assert described["header"].startswith("line 8: 'Buchungstag'")
    assert described["date"].startswith("'Buchungstag', format %d.%m.%Y")
    assert described["amount"].startswith("'Betrag', decimal comma")
    assert described["sign rule"].startswith("negative amounts are money out")
    assert described["proof"].startswith("proven")


# -- OFX ---------------------------------------------------------------------------------


def test_ofx_fitid_is_the_bank_id() -> None:
    layout, rows = read_all(fixture("bank.ofx"))
    assert layout.kind == "ofx" and layout.bank_id_unique
    grocery = out_rows(rows)[0]
    assert (grocery.bank_id, grocery.payee, grocery.description, grocery.currency) == (
        "2024030101",
        "CORNER GROCERY",
        "POS PURCHASE",
        "USD",
    )
    # The date as the bank wrote it, not shifted to UTC (20240301000000[+1:CET]).
    assert grocery.date == date(2024, 3, 1)


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (
            b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:camt.053.001.02">',
            "CAMT",
        ),
        (b"!Type:Bank\nD03/03/2024\nT-12.50\n^\n", "QIF"),
        (b"%PDF-1.7\n", "PDF"),
    ],
)
def test_other_formats_are_named(head: bytes, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        detect(head)


def test_ofx_that_is_not_ofx() -> None:
    with pytest.raises(InvalidInput, match="OFX file cannot be read"):
        list(read_rows(b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BROKEN", detect(fixture("bank.ofx"))))


def test_start_up_does_not_import_ofxtools_or_statements() -> None:
    code = (
        "import sys, budgetcli.cli, budgetcli.statements; "
        "print('ofxtools' in sys.modules, 'botocore' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


# -- streaming ---------------------------------------------------------------------------


class GeneratedStatement(io.RawIOBase):
    """A statement of `rows` rows made on the fly, so that only the reader holds memory."""

    def __init__(self, rows: int) -> None:
        self._chunks = self._generate(rows)
        self._buffer = b""

    @staticmethod
    def _generate(rows: int) -> Iterator[bytes]:
        yield b"Date,Description,Amount,Balance\n"
        balance = 10_000_000
        for number in range(rows):
            balance -= 125
            day = f"2024-01-{number % 28 + 1:02d}"
            yield f"{day},Shop {number},-1.25,{balance / 100:.2f}\n".encode()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self._buffer) < len(buffer):
            chunk = b"".join(c for _, c in zip(range(500), self._chunks, strict=False))
            if not chunk:
                break
            self._buffer += chunk
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def peak_memory_reading(rows: int, layout: Layout) -> int:
    tracemalloc.start()
    count = sum(1 for _ in read_rows(io.BufferedReader(GeneratedStatement(rows)), layout))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == rows
    return peak


def test_reading_rows_streams() -> None:
    sample = b"".join(GeneratedStatement(50))
    layout = detect(sample)
    small, large = peak_memory_reading(8_000, layout), peak_memory_reading(32_000, layout)
    assert large < small * 1.2


def test_the_whole_file_balance_check_continues_past_the_sample() -> None:
    data = b"".join(GeneratedStatement(20_000))
    broken = data.replace(b",Shop 19000,-1.25,", b",Shop 19000,-1.52,")
    reader = StatementReader(broken, detect(broken))
    assert sum(1 for _ in reader) == 20_000
    assert reader.proof.status is ProofStatus.PARTLY_PROVEN
    assert reader.proof.first_break_line is not None and reader.proof.first_break_line > 19_000


# -- cells -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mark", "value"),
    [
        ("-$7,971.39", ".", "-7971.39"),
        ("$6,000.36", ".", "6000.36"),
        ("£67.40", ".", "67.40"),
        ("+ £1,100.00", ".", "1100.00"),
        ("-123,45 €", ",", "-123.45"),
        ("1234,37 EUR", ",", "1234.37"),
        ("(12.50)", ".", "-12.50"),
        ("12.50-", ".", "-12.50"),
        ("\u221212.50", ".", "-12.50"),
        ("11'373.94", ".", "11373.94"),
        ("1 234,56", ",", "1234.56"),
        ("1\u202f234,56", ",", "1234.56"),
        ("1.234.567,8", ",", "1234567.8"),
        ("+5257,28", ",", "5257.28"),
        ('="-8,10"', ",", "-8.10"),
        ("EUR -12,00", ",", "-12.00"),
        (" 34.65", ".", "34.65"),
        ("100", ".", "100"),
    ],
)
def test_money_cells(text: str, mark: str, value: str) -> None:
    assert parse_money(text, mark) == D(value)


@pytest.mark.parametrize("text", ["", " ", '=""', "-"])
def test_empty_money_cells(text: str) -> None:
    assert parse_money(text, ".") is None


@pytest.mark.parametrize(
    ("text", "mark"), [("abc", "."), ("1,234.5", ","), ("12,34.56", "."), ("(12.50", ".")]
)
def test_bad_money_cells(text: str, mark: str) -> None:
    with pytest.raises(CellError):
        parse_money(text, mark)


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("1,234.56", "."),
        ("1.234,56", ","),
        ("12,50", ","),
        ("12.5", "."),
        ("1,234,567", "."),
        ("1.234.567", ","),
        ("1,250", None),
        ("1.250", None),
        ("100", None),
        ("1.2.3", None),
        ("1,2,3", None),
        ("1.2,5", None),
        ("12,34.56", None),
    ],
)
def test_decimal_mark_evidence(text: str, mark: str | None) -> None:
    parts = money_parts(text)
    assert parts is not None
    assert mark_evidence(parts[1]) == mark


@pytest.mark.parametrize(
    ("fmt", "text", "day"),
    [
        ("%Y-%m-%d", "2018-02-25 12:34:56 +0000", "2018-02-25"),
        ("%d-%m-%Y", "24-08-2020 13:43:54.496", "2020-08-24"),
        ("%d.%m.%y", "22.02.18", "2018-02-22"),
        ("%d.%m.%y", "22.02.70", "1970-02-22"),
        ("%Y%m%d", "20200213", "2020-02-13"),
        ("%d-%b-%Y", "12-Dec-2019", "2019-12-12"),
        ("%d %b %Y", "06 May 2020", "2020-05-06"),
        ("%d. %b %Y", "3. Mär 2024", "2024-03-03"),
        ("%b %d, %Y", "Sept 3, 2024", "2024-09-03"),
        ("%m/%d/%Y", "12/31/2021", "2021-12-31"),
        ("%d/%m/%Y %H:%M", "31/12/2021 10:00", "2021-12-31"),
    ],
)
def test_date_formats(fmt: str, text: str, day: str) -> None:
    assert compile_date_format(fmt)(text) == date.fromisoformat(day)


@pytest.mark.parametrize(
    ("fmt", "text"), [("%Y-%m-%d", "2021-02-30"), ("%d/%m/%Y", "Pending"), ("%Y%m%d", "2021")]
)
def test_not_dates(fmt: str, text: str) -> None:
    assert compile_date_format(fmt)(text) is None


@pytest.mark.parametrize(
    "cell, value, direction",
    [
        ("12.50 DR", "-12.50", -1),
        ("1,234.56 Dr", "-1234.56", -1),
        ("5.00 CR", "5.00", 1),
        ("£7.00 cr.", "7.00", 1),
        ("12.50", "12.50", 0),
        ("DR", None, 0),
    ],
)
def test_amounts_marked_dr_or_cr(cell: str, value: str | None, direction: int) -> None:
    assert debit_or_credit(cell) == direction
    if value is None:
        with pytest.raises(CellError):
            parse_money(cell, ".")
    else:
        assert str(parse_money(cell, ".")) == value


@pytest.mark.parametrize("cell", ["-5 DR", "(3) CR", "+4.00 CR"])
def test_a_sign_beside_dr_or_cr_is_not_read(cell: str) -> None:
    with pytest.raises(CellError):
        parse_money(cell, ".")
