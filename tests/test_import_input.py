"""`budget import` input checked through the command, and no storage reached at all.

`no_storage` fails a test whose command makes a request, so "nothing was written" holds
without an engine. Options and unreadable files are refused before the session is even
looked at. What the file's rows say is checked after it: `signed_in` stands in for that
one session check, and `--strict` (which writes nothing unless every row is valid) with
one bad row shows how the command read every other row, with its own option names.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app, transfer
from budgetcli.errors import ExitCode
from budgetcli.models import User

pytestmark = pytest.mark.usefixtures("no_storage")

COFFEES = """date,amount,category,description
2026-01-05,3.50,food,coffee
2026-01-05,3.50,food,coffee
2026-01-06,12.00,transport,train
"""
BAD_ROW = "2026-01-31,-,food,a row --strict refuses\n"

EUROPEAN = (
    "Buchungstag;Empfänger;Verwendungszweck;Betrag\r\n"
    "02.01.2026;Bäckerei Müller;Brötchen;-4,35\r\n"
    "03.01.2026;Arbeitgeber;Gehalt;2.500,00\r\n"
    "04.01.2026;Möbelhaus;Sofa;-1.234,56\r\n"
    "05.01.2026;Café Zürich;Kaffee €;-3,80\r\n"
)
EUROPEAN_ARGS = [
    "--column",
    "date=Buchungstag",
    "--column",
    "amount=Betrag",
    "--column",
    "description=Verwendungszweck",
    "--date-format",
    "%d.%m.%Y",
    "--category",
    "bank",
    "--debits-negative",
]
BANK = (
    "Booking date,Payee,Memo,Value,Balance\n"
    "03/01/2026,Cafe,Flat white,-3.80,996.20\n"
    "04/01/2026,Employer,Salary,2500.00,3496.20\n"
    '05/01/2026,Grocer,Weekly shop,"-1,234.56",2261.64\n'
)
BANK_ARGS = [
    "--column",
    "date=Booking Date",
    "--column",
    "amount=value",
    "--column",
    "description=Memo",
    "--date-format",
    "%d/%m/%Y",
    "--category",
    "Bank",
]
PAID_OUT_PAID_IN = """Date,Description,Paid out,Paid in,Balance
01/02/2026,Tesco,23.10,,976.90
02/02/2026,Salary,,2000.00,2976.90
03/02/2026,Rent,950.00,,2026.90
"""
PAID_OUT_ARGS = ["--column", "amount=Paid out", "--date-format", "%d/%m/%Y", "--category", "bank"]


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch) -> User:
    """The command runs as this user without asking storage whose the session is."""
    user = User(user_id="7d1c3a52-0000-4000-8000-000000000001", username="alice", email="a@x.io")
    monkeypatch.setattr(transfer, "current_user", lambda store: user)
    return user


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def statement(rows: range) -> str:
    lines = ["date,amount,category,description"]
    for n in rows:
        lines.append(f"2026-01-{1 + n % 28:02d},{n % 97 + 1}.{n % 100:02d},food,purchase {n}")
    return "\n".join(lines) + "\n"


def run_import(
    runner: CliRunner, source: Path | str, *args: str, stdin: str | bytes | None = None
) -> Any:
    return runner.invoke(app, ["import", str(source), "--format", "json", *args], input=stdin)


def summary_of(result: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def assert_one_line_error(result: Any, code: int = ExitCode.ERROR) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


def assert_strict_refused(result: Any, *, read: int, skipped: int = 0) -> list[dict[str, Any]]:
    """A --strict run refused for its rejected rows; `read` rows were read, none written."""
    assert result.exit_code == ExitCode.ERROR, result.stderr
    summary = summary_of(result)
    assert (summary["read"], summary["imported"], summary["duplicates"]) == (read, 0, 0)
    assert summary["skipped"] == skipped
    assert "--strict: nothing was imported because" in result.stderr
    errors: list[dict[str, Any]] = summary["errors"]
    assert summary["rejected"] == len(errors) > 0
    return errors


# --- refused before the session is looked at --------------------------------------------


def test_import_needs_a_login(runner: CliRunner, tmp_path: Path) -> None:
    result = run_import(runner, write(tmp_path, "a.csv", COFFEES))
    assert_one_line_error(result, ExitCode.AUTH)
    assert result.stderr == "error: not logged in: run `budget login USERNAME`\n"


def test_a_missing_file_is_one_line(runner: CliRunner) -> None:
    result = run_import(runner, "/nonexistent/statement.csv")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr == "error: /nonexistent/statement.csv does not exist\n"


def test_a_directory_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = run_import(runner, tmp_path)
    assert_one_line_error(result)
    assert result.stderr == f"error: {tmp_path} is a directory: give a CSV file\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--encoding", "klingon"], "--encoding 'klingon' is not a text encoding Python knows"),
        (["--encoding", "rot13"], "--encoding 'rot13' is not a text encoding Python knows"),
        (["--delimiter", ":"], "--delimiter ':' must be one of ',', ';', 'tab' or '|'"),
        (["--delimiter", ""], "--delimiter '' must be one of"),
        (["--column", "amount"], "--column 'amount' must look like amount=Debit"),
        (["--column", "amount= "], "--column 'amount= ' must look like amount=Debit"),
        (
            ["--column", "price=amount"],
            "--column 'price': the field must be one of date, amount, category, description",
        ),
        (["--category", " "], "category is empty"),
    ],
)
def test_a_bad_option_is_one_line_before_the_file_or_the_session(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    """No session exists: a command that got past its options would say so instead."""
    for source, stdin in ((write(tmp_path, "a.csv", COFFEES), None), ("-", COFFEES)):
        result = run_import(runner, source, *args, stdin=stdin)
        assert_one_line_error(result)
        assert result.stderr.startswith(f"error: {message}")


def test_undecodable_bytes_are_one_line_error_and_nothing_is_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    data = (
        b"date,amount,category,description\n2026-01-01,1.00,food,ok\n2026-01-02,2.00,food,caf\xe9\n"
    )
    result = run_import(runner, write(tmp_path, "latin1.csv", data))
    assert_one_line_error(result)
    assert result.stderr.startswith("error: line 3 is not UTF-8 text (byte 0xe9 at column 25)")


def test_undecodable_bytes_point_to_encoding(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    latin1 = COFFEES.replace("train", "café").encode("latin-1")
    result = run_import(runner, write(tmp_path, "latin1.csv", latin1))
    assert_one_line_error(result)
    assert "line 4 is not UTF-8 text" in result.stderr and "--encoding cp1252" in result.stderr
    # 0x81 has no character in Windows-1252.
    odd = write(tmp_path, "odd.csv", COFFEES.encode() + b"2026-01-07,1.00,food,x\x81\n")
    result = run_import(runner, odd, "--encoding", "windows-1252")
    assert_one_line_error(result)
    assert result.stderr.startswith("error: line 5 is not cp1252 text (byte 0x81 at column 23)")
    assert "--encoding" in result.stderr
    # With its encoding, every row of the file is read.
    probe = write(tmp_path, "probe.csv", latin1 + BAD_ROW.encode())
    assert_strict_refused(run_import(runner, probe, "--encoding", "latin-1", "--strict"), read=4)


def test_undecodable_bytes_from_stdin_are_one_line_and_reach_no_storage(
    runner: CliRunner, signed_in: User
) -> None:
    data = COFFEES.encode() + b"2026-01-07,1.00,food,caf\xe9\n"
    result = run_import(runner, "-", stdin=data)
    assert_one_line_error(result)
    assert result.stderr.startswith("error: line 5 is not UTF-8 text (byte 0xe9 at column 25)")


# --- the header: checked once the session is known, before any row is stored ---------------


@pytest.mark.parametrize(
    "header, args, message",
    [
        ("when,amount,category", [], "the header row has no 'date' column (it has 'when'"),
        ("date,sum,category", [], "no 'amount' column"),
        ("date,sum,category", [], "name the right one with --column amount=HEADER"),
        ("date,amount,category", ["--column", "amount=Debit"], "has no column 'Debit'"),
        (
            "date,amount,category",
            ["--column", "amount=Debit"],
            "--column amount=Debit: the header has no column 'Debit' (it has 'date', 'amount'",
        ),
        ("", [], "the file has no header row"),
    ],
)
def test_an_unusable_header_is_one_line_and_nothing_is_written(
    runner: CliRunner,
    tmp_path: Path,
    signed_in: User,
    header: str,
    args: list[str],
    message: str,
) -> None:
    path = write(tmp_path, "x.csv", f"{header}\n2026-01-01,1.00,food\n" if header else "")
    result = run_import(runner, path, *args)
    assert_one_line_error(result)
    assert message in result.stderr


# --- --strict with one bad row: how the command read the others ----------------------------


def test_strict_names_the_wrong_rows_and_writes_nothing(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    bad = write(tmp_path, "bad.csv", statement(range(150)) + "2026-01-01,-,food,oops\n")
    result = run_import(runner, bad, "--strict")
    [error] = assert_strict_refused(result, read=151)
    assert error["line"] == 152
    assert "--strict: nothing was imported because 1 row is wrong" in result.stderr
    worse = write(tmp_path, "worse.csv", statement(range(3)) + "x,1,food,a\ny,1,food,b\n")
    result = run_import(runner, worse, "--strict")
    assert len(assert_strict_refused(result, read=5)) == 2
    assert "because 2 rows are wrong" in result.stderr


def test_strict_reads_a_file_and_stdin_alike(runner: CliRunner, signed_in: User) -> None:
    result = run_import(runner, "-", "--strict", stdin=statement(range(120)) + BAD_ROW)
    [error] = assert_strict_refused(result, read=121)
    assert error["line"] == 122


def test_a_dry_run_under_strict_still_writes_nothing(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    path = write(tmp_path, "bad.csv", COFFEES + BAD_ROW)
    result = run_import(runner, path, "--strict", "--dry-run")
    assert_strict_refused(result, read=4)


def test_without_decimal_comma_a_comma_amount_is_refused_with_the_hint(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    path = write(tmp_path, "konto.csv", EUROPEAN)
    errors = assert_strict_refused(run_import(runner, path, *EUROPEAN_ARGS, "--strict"), read=4)
    assert [e["line"] for e in errors] == [2, 3, 4, 5]
    assert "amount '-4,35' is ambiguous" in errors[0]["error"]
    assert "--decimal-comma" in errors[0]["error"]


def test_a_semicolon_cp1252_file_with_decimal_commas_is_read_with_its_options(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    text = EUROPEAN + "06.01.2026;Kiosk;Zeitung;-x\r\n"
    path = write(tmp_path, "konto.csv", text.encode("cp1252"))
    args = [*EUROPEAN_ARGS, "--decimal-comma", "--encoding", "cp1252", "--strict"]
    [error] = assert_strict_refused(run_import(runner, path, *args), read=5, skipped=1)
    assert error["line"] == 6
    assert error["error"].startswith("amount '-x' is not a number with a decimal comma: with ")
    assert "--decimal-comma write it like 1234,50" in error["error"]


def test_decimal_comma_errors_quote_the_cell_as_written(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    """No row is valid, so even without --strict nothing is stored."""
    text = "date;amount;category\n2026-01-01;12,345;food\n2026-01-02;12.50;food\n"
    result = run_import(runner, write(tmp_path, "x.csv", text), "--decimal-comma")
    assert result.exit_code == ExitCode.ERROR
    errors = [e["error"] for e in summary_of(result)["errors"]]
    assert "amount '12,345' has more than two decimal places" in errors[0]
    assert "amount '12.50' is not a number with a decimal comma" in errors[1]


def test_negative_debits_are_refused_with_the_hint_or_read_with_the_option(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    path = write(tmp_path, "bank.csv", BANK)
    errors = assert_strict_refused(run_import(runner, path, *BANK_ARGS, "--strict"), read=3)
    assert [e["line"] for e in errors] == [2, 4]
    assert "amount '-3.80' is negative" in errors[0]["error"]
    assert "import with --debits-negative" in errors[0]["error"]

    probe = write(tmp_path, "probe.csv", BANK + "06/01/2026,Shop,Oops,-,1.00\n")
    args = [*BANK_ARGS, "--debits-negative", "--strict"]
    [error] = assert_strict_refused(run_import(runner, probe, *args), read=4, skipped=1)
    assert error["line"] == 5


def test_empty_amounts_are_rejected_with_the_hint_or_skipped(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    path = write(tmp_path, "uk.csv", PAID_OUT_PAID_IN)
    [error] = assert_strict_refused(run_import(runner, path, *PAID_OUT_ARGS, "--strict"), read=3)
    assert error["line"] == 3
    assert "amount is empty" in error["error"]
    assert "import with --skip-empty-amount to skip such rows" in error["error"]

    probe = write(tmp_path, "probe.csv", PAID_OUT_PAID_IN + "04/02/2026,Oops,x,,1\n")
    args = [*PAID_OUT_ARGS, "--skip-empty-amount", "--strict"]
    [error] = assert_strict_refused(run_import(runner, probe, *args), read=4, skipped=1)
    assert error["line"] == 5
    table = runner.invoke(app, ["import", str(probe), *args])
    assert table.exit_code == ExitCode.ERROR and "Skipped" in table.stdout


@pytest.mark.parametrize(
    "row, message",
    [
        ("03/11/2026,1.00,food,x", "could be day-first or month-first"),
        ("03/11/2026,1.00,food,x", "(give the file's date format with --date-format)"),
        ("2026-01-01,1.00,food,x,ftp://x.io/r", "must start with http:// or https://"),
    ],
)
def test_row_errors_name_the_options_of_the_command(
    runner: CliRunner, tmp_path: Path, signed_in: User, row: str, message: str
) -> None:
    text = f"date,amount,category,description,receipt_url\n{row}\n"
    result = run_import(runner, write(tmp_path, "x.csv", text), "--strict")
    [error] = assert_strict_refused(result, read=1)
    assert error["line"] == 2 and message in error["error"]


def test_a_pipe_file_is_read_with_its_delimiter(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    path = write(tmp_path, "pipes.csv", (COFFEES + BAD_ROW).replace(",", "|"))
    without = run_import(runner, path)  # read as one column
    assert_one_line_error(without)
    assert "the header row has no 'date' column" in without.stderr
    assert_strict_refused(run_import(runner, path, "--delimiter", "|", "--strict"), read=4)


def test_a_utf16_tab_file_from_excel_is_read(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    text = (COFFEES + BAD_ROW).replace(",", "\t").replace("coffee", "café").replace("\n", "\r\n")
    path = write(tmp_path, "unicode.txt", text.encode("utf-16"))
    assert_strict_refused(run_import(runner, path, "--encoding", "UTF-16", "--strict"), read=4)


def test_a_byte_order_mark_is_ignored(runner: CliRunner, tmp_path: Path, signed_in: User) -> None:
    path = write(tmp_path, "excel.csv", "\ufeff" + (COFFEES + BAD_ROW).replace("\n", "\r\n"))
    assert_strict_refused(run_import(runner, path, "--strict"), read=4)


def test_the_table_for_people_lists_rejected_rows(runner: CliRunner, signed_in: User) -> None:
    result = runner.invoke(app, ["import", "-", "--strict"], input=COFFEES + "bad,1,food,x\n")
    assert result.exit_code == ExitCode.ERROR
    assert "Imported" in result.stdout and "Rejected because" in result.stdout
    assert "date 'bad' is not a date" in result.stdout


def test_a_named_pipe_is_read_once(runner: CliRunner, tmp_path: Path, signed_in: User) -> None:
    fifo = tmp_path / "statement.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("w") as out:
            out.write(COFFEES + BAD_ROW)

    writer = threading.Thread(target=feed)
    writer.start()
    result = run_import(runner, fifo, "--strict")
    writer.join()
    assert_strict_refused(result, read=4)
