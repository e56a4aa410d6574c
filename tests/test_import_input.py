"""`budget import` input checked through the command, and no storage reached at all.

`no_storage` fails a test whose command makes a request, so "nothing was written" holds
without an engine. Options and unreadable files are refused before the session is even
looked at. What the file says is checked after it: `signed_in` stands in for that one
session check (and finds no profile), and `--strict` (which writes nothing unless every
row is valid) with one bad row shows how the command read every other row. `counted`
stands in for storage itself: every row is new, and a dry run shows the first ones.
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
from budgetcli.services import categories, imports
from budgetcli.services.categories import Categorizer
from budgetcli.services.categories.learning import Learner
from budgetcli.services.categories.rules import RuleSet

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
BANK = (
    "Booking date,Payee,Memo,Value,Balance\n"
    "03/01/2026,Cafe,Flat white,-3.80,996.20\n"
    "04/01/2026,Employer,Salary,2500.00,3496.20\n"
    '05/01/2026,Grocer,Weekly shop,"-1,234.56",2261.64\n'
)


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch) -> User:
    """The command runs as this user, who has no import profile, without asking storage."""
    user = User(user_id="7d1c3a52-0000-4000-8000-000000000001", username="alice", email="a@x.io")
    monkeypatch.setattr(transfer, "current_user", lambda store: user)
    monkeypatch.setattr(imports, "profiles_of", lambda store, user_id: [])
    # ... and no categorisation rules or history (a first import).
    nothing_learned = Categorizer(RuleSet(()), Learner())
    monkeypatch.setattr(categories, "load", lambda store, user_id: nothing_learned)
    return user


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, signed_in: User) -> None:
    """Storage as if every row were new: the stages before it run as they do."""

    def store_rows(store: Any, user_id: str, rows: Any, summary: Any, on_progress: Any) -> None:
        summary.count_new(sum(1 for _ in rows))

    monkeypatch.setattr(imports, "store_rows", store_rows)


def dry_run(runner: CliRunner, path: Path, *args: str) -> dict[str, Any]:
    """The dry run's JSON summary of a file that imports (exit 0)."""
    result = run_import(runner, path, "--dry-run", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return summary_of(result)


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
    assert result.stderr.startswith("error: --strict: nothing was imported because")
    assert result.stderr.count("\n") == 1
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
    assert_one_line_error(result)
    assert result.stderr == "error: /nonexistent/statement.csv does not exist\n"


def test_a_directory_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    result = run_import(runner, tmp_path)
    assert_one_line_error(result)
    assert result.stderr == f"error: {tmp_path} is a directory: give a CSV or OFX file\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--encoding", "klingon"], "--encoding 'klingon' is not a text encoding Python knows"),
        (["--encoding", "rot13"], "--encoding 'rot13' is not a text encoding Python knows"),
        (["--delimiter", ":"], "--delimiter ':' must be one of ',', ';', 'tab' or '|'"),
        (["--delimiter", ""], "--delimiter '' must be one of"),
        (["--column", "amount"], "--column 'amount' must look like amount=Debit"),
        (["--column", "=Debit"], "--column '=Debit' must look like amount=Debit"),
        (
            ["--column", "price=amount"],
            "--column 'price': the field must be one of date, amount, debit, credit, ",
        ),
        (["--category", " "], "category is empty"),
        (["--decimal-mark", ";"], "--decimal-mark ';' must be . or ,"),
        (["--decimal-comma", "--decimal-mark", "."], "give one of --decimal-comma and --decimal"),
        (["--debits-negative", "--card"], "give one of --debits-negative (an account) and --card"),
        (["--names", "date"], "--names 'date' must name every column, like date,description"),
        (["--names", "date,,amount"], "--names 'date,,amount' must name every column"),
        (["--skip-row", "(Pending"], "--skip-row '(Pending' is not a regular expression"),
        (["--profile", "my bank"], "profile name 'my bank' must be up to 40 letters"),
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


def test_a_negative_number_of_lines_to_skip_is_a_usage_error(runner: CliRunner) -> None:
    result = run_import(runner, "-", "--skip-lines", "-1", stdin=COFFEES)
    assert result.exit_code == ExitCode.USAGE


# --- what the file says: after the session, before any row is stored -----------------------


def test_an_empty_file_is_one_line(runner: CliRunner, tmp_path: Path, signed_in: User) -> None:
    for text in ("", "\n \n"):
        result = run_import(runner, write(tmp_path, "empty.csv", text))
        assert_one_line_error(result)
        assert result.stderr == "error: the file is empty: there is nothing to import\n"


@pytest.mark.parametrize(
    "text, args, message",
    [
        (
            "Date,Description,Amount\n03/04/2024,Coffee,-3.00\n05/06/2024,Bus,-2.00\n",
            [],
            "could be day-first or month-first: give the date format, %d/%m/%Y or %m/%d/%Y "
            "(--date-format)",
        ),
        (
            "Date,Description,Amount\n2024-02-01,Item A,12.00\n2024-02-02,Item B,-12.00\n",
            [],
            "give the sign rule (--debits-negative for an account statement, or --card for a "
            "card statement)",
        ),
        (
            "Date,Description,Amount,Balance\n2024-01-01,A,-10.00,100.00\n"
            "2024-01-02,B,-20.00,300.00\n2024-01-03,C,-30.00,50.00\n",
            [],
            "the rows as read do not add up",
        ),
        (
            "date,amount,category\n2026-01-01,1.00,food\n",
            ["--column", "amount=Debit"],
            "the header has no column 'Debit' (it has 'date', 'amount', 'category') "
            "(--column amount=HEADER)",
        ),
        (
            "Date,Description,Amount\n03/04/2024,Coffee,-3.00\n",
            ["--date-format", "%Y-%m-%d"],
            "the date format %Y-%m-%d does not match the dates in 'Date', such as '03/04/2024' "
            "(--date-format)",
        ),
        ("just some text\nand more of it\n", [], "(--delimiter)"),
        ("a,b\nc,d\n", [], "no line of the file has a date and an amount"),
        ("<?xml version='1.0'?><Document>camt.053</Document>", [], "export the statement as CSV"),
    ],
)
def test_a_file_that_cannot_tell_asks_for_the_option_that_answers(
    runner: CliRunner, tmp_path: Path, signed_in: User, text: str, args: list[str], message: str
) -> None:
    result = run_import(runner, write(tmp_path, "x.csv", text), *args)
    assert_one_line_error(result)
    assert message in result.stderr


def test_the_answer_to_a_question_imports_the_file(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    text = "Date,Description,Amount\n03/04/2024,Coffee,-3.00\n05/06/2024,Bus,x\n"
    path = write(tmp_path, "x.csv", text)
    [error] = assert_strict_refused(
        run_import(runner, path, "--date-format", "%d/%m/%Y", "--strict"), read=2
    )
    assert error == {"line": 3, "error": "amount 'x' is not a number"}


def test_without_its_ofx_extra_an_ofx_file_says_how_to_get_it(
    runner: CliRunner, tmp_path: Path, signed_in: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ofxtools" else real(name)
    )
    ofx = (Path(__file__).parent / "fixtures" / "statements" / "bank.ofx").read_bytes()
    result = run_import(runner, write(tmp_path, "bank.ofx", ofx))
    assert_one_line_error(result)
    assert "install budgetcli with its 'ofx' extra (pip install 'budgetcli[ofx]')" in result.stderr


def test_a_file_in_windows_1252_is_read_without_options(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    latin1 = (COFFEES.replace("train", "café") + BAD_ROW).encode("cp1252")
    errors = assert_strict_refused(
        run_import(runner, write(tmp_path, "l.csv", latin1), "--strict"), read=4
    )
    assert [e["line"] for e in errors] == [5]
    # Told the wrong encoding, it says which line is not that.
    result = run_import(runner, write(tmp_path, "l.csv", latin1), "--encoding", "utf-8")
    assert_one_line_error(result)
    assert result.stderr.startswith("error: line 4 is not UTF-8 text (byte 0xe9 at column 31)")


def test_undecodable_bytes_from_stdin_are_read_as_windows_1252(
    runner: CliRunner, signed_in: User
) -> None:
    data = COFFEES.encode() + b"2026-01-07,1.00,food,caf\xe9\n" + BAD_ROW.encode()
    assert_strict_refused(run_import(runner, "-", "--strict", stdin=data), read=5)


# --- --strict with one bad row: how the command read the others ----------------------------


def test_strict_names_the_wrong_rows_and_writes_nothing(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    bad = write(tmp_path, "bad.csv", statement(range(150)) + "2026-01-01,-,food,oops\n")
    result = run_import(runner, bad, "--strict")
    [error] = assert_strict_refused(result, read=151)
    assert error["line"] == 152
    assert "nothing was imported because 1 row is wrong" in result.stderr
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
    assert_strict_refused(run_import(runner, path, "--strict", "--dry-run"), read=4)


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_a_strict_refusal_is_an_error_line_in_every_format(
    runner: CliRunner, signed_in: User, fmt: str
) -> None:
    result = runner.invoke(app, ["import", "-", "--strict", "-f", fmt], input=COFFEES + BAD_ROW)
    assert result.exit_code == ExitCode.ERROR
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert error_lines == [
        "error: --strict: nothing was imported because 1 row is wrong (listed with their lines)"
    ]


def test_a_european_file_is_read_with_no_options(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    text = EUROPEAN + "06.01.2026;Kiosk;Zeitung;-x\r\n"
    path = write(tmp_path, "konto.csv", text.encode("cp1252"))
    [error] = assert_strict_refused(run_import(runner, path, "--strict"), read=5, skipped=1)
    assert error == {"line": 6, "error": "amount '-x' is not a number"}


def test_a_european_file_is_read_with_the_options_of_before_too(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    text = EUROPEAN + "06.01.2026;Kiosk;Zeitung;-x\r\n"
    path = write(tmp_path, "konto.csv", text.encode("cp1252"))
    args = [
        *["--column", "date=Buchungstag", "--column", "amount=Betrag"],
        *["--column", "description=Verwendungszweck", "--date-format", "%d.%m.%Y"],
        *["--category", "bank", "--debits-negative", "--decimal-comma", "--encoding", "cp1252"],
    ]
    [error] = assert_strict_refused(run_import(runner, path, *args, "--strict"), read=5, skipped=1)
    assert error["line"] == 6
    assert error["error"].startswith("amount '-x' is not a number with a decimal comma: with ")


def test_negative_debits_are_found_without_debits_negative(
    runner: CliRunner, tmp_path: Path, counted: None
) -> None:
    summary = dry_run(runner, write(tmp_path, "bank.csv", BANK), "--date-format", "%d/%m/%Y")
    assert (summary["would_import"], summary["skipped_by_reason"]) == (2, {"credit": 1})
    assert [(row["amount"], row["description"]) for row in summary["preview"]] == [
        ("3.80", "Cafe - Flat white"),
        ("1234.56", "Grocer - Weekly shop"),
    ]
    assert summary["layout"]["proof"] == "proven"


def test_a_row_with_no_amount_is_rejected_or_skipped(
    runner: CliRunner, tmp_path: Path, counted: None
) -> None:
    text = "Date,Description,Amount\n" + "".join(
        f"2026-02-{day:02d},Shop {day},-{day}.10\n" for day in range(1, 6)
    )
    path = write(tmp_path, "uk.csv", text + "2026-02-06,Fee,\n2026-02-07,Shop,-1.00\n")
    result = run_import(runner, path)
    assert result.exit_code == ExitCode.ERROR
    assert summary_of(result)["errors"] == [{"line": 7, "error": "the amount ('Amount') is empty"}]
    assert result.stderr.startswith("error: 1 row is wrong and was left out")
    summary = dry_run(runner, path, "--skip-empty-amount")
    assert (summary["would_import"], summary["skipped_by_reason"]) == (6, {"empty_amount": 1})


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


@pytest.mark.parametrize("args", [[], ["--delimiter", "|"]])
def test_a_pipe_file_is_read_with_or_without_its_delimiter(
    runner: CliRunner, tmp_path: Path, signed_in: User, args: list[str]
) -> None:
    path = write(tmp_path, "pipes.csv", (COFFEES + BAD_ROW).replace(",", "|"))
    assert_strict_refused(run_import(runner, path, *args, "--strict"), read=4)


def test_a_utf16_tab_file_from_excel_is_read(
    runner: CliRunner, tmp_path: Path, signed_in: User
) -> None:
    text = (COFFEES + BAD_ROW).replace(",", "\t").replace("coffee", "café").replace("\n", "\r\n")
    path = write(tmp_path, "unicode.txt", text.encode("utf-16"))
    assert_strict_refused(run_import(runner, path, "--strict"), read=4)


def test_a_byte_order_mark_is_ignored(runner: CliRunner, tmp_path: Path, signed_in: User) -> None:
    path = write(tmp_path, "excel.csv", "\ufeff" + (COFFEES + BAD_ROW).replace("\n", "\r\n"))
    assert_strict_refused(run_import(runner, path, "--strict"), read=4)


@pytest.mark.parametrize(
    "text, args, spent, skipped",
    [
        # a header after a preamble, found by itself or given
        ("Account 123;x\n\nDate;Memo;Amount\n2026-01-02;Shop;-3,00\n", [], ["3.00"], {}),
        (
            "Account 123\nDate;Memo;Amount\n2026-01-02;Shop;-3,00\n",
            ["--skip-lines", "1", "--decimal-mark", ","],
            ["3.00"],
            {},
        ),
        # no header row: named columns, or roles by number
        (
            "2026-01-02,Shop,-3.00,97.00\n2026-01-03,Pay,10.00,107.00\n",
            ["--names", "date,description,amount,balance", "--debits-negative"],
            ["3.00"],
            {"credit": 1},
        ),
        (
            "2026-01-02,Shop,3.00\n2026-01-03,Pay,10.00\n",
            ["--no-header", "--column", "amount=3", "--card"],
            ["3.00", "10.00"],
            {},
        ),
        # separate debit and credit columns, named
        (
            "When,What,Out,In\n2026-01-02,Shop,3.00,\n2026-01-03,Pay,,10.00\n",
            ["--column", "debit=Out", "--column", "credit=In"],
            ["3.00"],
            {"credit": 1},
        ),
        # a direction column and its value for money out
        (
            "Date,Memo,Amount,Way\n2026-01-02,Shop,3.00,OUT\n2026-01-03,Pay,10.00,IN\n",
            ["--column", "direction=Way", "--debit-value", "OUT"],
            ["3.00"],
            {"credit": 1},
        ),
        # a card statement
        (
            "Date,Memo,Amount\n2026-01-02,Shop,3.00\n2026-01-03,Refund,-1.00\n",
            ["--card"],
            ["3.00"],
            {"credit": 1},
        ),
        # rows to skip by pattern
        (
            "Date,Memo,Amount\n2026-01-02,Shop,-3.00\n2026-01-03,HOLD,-1.00\n",
            ["--skip-row", "hold"],
            ["3.00"],
            {"skip_pattern": 1},
        ),
        # no running balance to check
        (
            "Date,Memo,Amount,Balance\n2026-01-02,Shop,-3.00,50.00\n2026-01-03,Bus,-1.00,7.00\n",
            ["--column", "balance="],
            ["3.00", "1.00"],
            {},
        ),
    ],
)
def test_every_guess_can_be_given(
    runner: CliRunner,
    tmp_path: Path,
    counted: None,
    text: str,
    args: list[str],
    spent: list[str],
    skipped: dict[str, int],
) -> None:
    summary = dry_run(runner, write(tmp_path, "x.csv", text), *args)
    assert [row["amount"] for row in summary["preview"]] == spent
    assert summary["skipped_by_reason"] == skipped and summary["rejected"] == 0


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
