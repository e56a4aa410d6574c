"""`budget import` on both engines: idempotent by content, resumable, line-exact errors."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode, InvalidInput, StorageUnavailable
from budgetcli.services import imports
from budgetcli.services.accounts import User
from budgetcli.services.imports import ImportOptions, ImportSummary, import_expenses
from budgetcli.store import Store, from_item

BUDGET = str(Path(sys.executable).with_name("budget"))


# --- helpers --------------------------------------------------------------------


def expenses_of(store: Store, user_id: str) -> list[dict[str, Any]]:
    """Every expense item of `user_id`, read consistently from the base table."""
    table = store.table_name("expenses")
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = store.client.scan(**kwargs)
        found += [from_item(raw) for raw in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [item for item in found if item.get("user_id") == user_id]


def total(items: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(item["amount"]) for item in items), Decimal(0))


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def statement(rows: range, *, header: str = "date,amount,category,description") -> str:
    """A CSV of distinct rows numbered by `rows` (row n is always the same row)."""
    lines = [header]
    for n in rows:
        day = 1 + n % 28
        lines.append(f"2026-01-{day:02d},{n % 97 + 1}.{n % 100:02d},food,purchase {n}")
    return "\n".join(lines) + "\n"


def run_import(runner: CliRunner, source: Path | str, *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, ["import", str(source), "--format", "json", *args], input=stdin)


def summary_of(result: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def lines_of(text: str) -> Iterator[str]:
    return imports.decoded_lines(io.BytesIO(text.encode()))


COFFEES = """date,amount,category,description
2026-01-05,3.50,food,coffee
2026-01-05,3.50,food,coffee
2026-01-06,12.00,transport,train
"""


# --- idempotence ----------------------------------------------------------------


def test_reimport_adds_nothing(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "jan.csv", statement(range(5)))
    first = run_import(runner, path)
    assert first.exit_code == 0, first.stderr
    assert summary_of(first) == {
        "read": 5,
        "imported": 5,
        "duplicates": 0,
        "rejected": 0,
        "skipped": 0,
        "errors": [],
    }
    again = run_import(runner, path)
    assert again.exit_code == 0, again.stderr
    assert summary_of(again) | {"errors": []} == {
        "read": 5,
        "imported": 0,
        "duplicates": 5,
        "rejected": 0,
        "skipped": 0,
        "errors": [],
    }
    assert len(expenses_of(store, alice.user_id)) == 5


def test_overlapping_statements_add_only_the_new_rows(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    first = run_import(runner, write(tmp_path, "a.csv", statement(range(0, 30))))
    second = run_import(runner, write(tmp_path, "b.csv", statement(range(20, 45))))
    assert summary_of(first)["imported"] == 30
    assert (summary_of(second)["imported"], summary_of(second)["duplicates"]) == (15, 10)
    items = expenses_of(store, alice.user_id)
    assert sorted(item["description"] for item in items) == sorted(
        f"purchase {n}" for n in range(45)
    )


def test_identical_rows_in_one_file_are_separate_expenses(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "coffees.csv", COFFEES)
    assert summary_of(run_import(runner, path))["imported"] == 3
    assert summary_of(run_import(runner, path))["duplicates"] == 3
    coffees = [i for i in expenses_of(store, alice.user_id) if i["description"] == "coffee"]
    assert len(coffees) == 2 and coffees[0]["expense_id"] != coffees[1]["expense_id"]
    # A later statement with a third identical coffee adds exactly one.
    more = write(
        tmp_path, "more.csv", COFFEES.replace("train", "train\n2026-01-05,3.50,food,coffee")
    )
    assert summary_of(run_import(runner, more))["imported"] == 1
    assert len(expenses_of(store, alice.user_id)) == 4


def test_an_expense_edited_since_survives_a_reimport(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "coffees.csv", COFFEES)
    run_import(runner, path)
    train = next(i for i in expenses_of(store, alice.user_id) if i["description"] == "train")
    store.update(
        "expenses",
        {"expense_id": train["expense_id"]},
        update="SET amount = :a, category = :c",
        values={":a": Decimal("15.25"), ":c": "travel"},
    )
    again = run_import(runner, path)
    assert summary_of(again)["duplicates"] == 3
    edited = next(i for i in expenses_of(store, alice.user_id) if i["description"] == "train")
    assert (edited["amount"], edited["category"]) == (Decimal("15.25"), "travel")


def test_the_same_file_for_two_users_gives_each_their_own_expenses(
    store: Store, alice: User, bob: User
) -> None:
    for user in (alice, bob):
        summary = import_expenses(store, user.user_id, lines_of(COFFEES))
        assert summary.imported == 3
    alice_ids = {i["expense_id"] for i in expenses_of(store, alice.user_id)}
    bob_ids = {i["expense_id"] for i in expenses_of(store, bob.user_id)}
    assert len(alice_ids) == len(bob_ids) == 3 and not alice_ids & bob_ids


def test_concurrent_imports_of_one_file_add_each_row_once(store: Store, alice: User) -> None:
    text = statement(range(250))
    results: list[ImportSummary | BaseException] = []
    barrier = threading.Barrier(3)

    def work() -> None:
        barrier.wait()
        try:
            results.append(import_expenses(store, alice.user_id, lines_of(text)))
        except BaseException as exc:  # collected for the assertion
            results.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(r, ImportSummary) for r in results), results
    summaries = [r for r in results if isinstance(r, ImportSummary)]
    assert all(s.imported + s.duplicates == 250 for s in summaries)
    assert sum(s.imported for s in summaries) == 250
    assert len(expenses_of(store, alice.user_id)) == 250


def test_put_if_absent_never_overwrites(store: Store) -> None:
    store.put("expenses", {"expense_id": "e2", "user_id": "u", "amount": Decimal("9.99")})
    items = [{"expense_id": f"e{n}", "user_id": "u", "amount": Decimal("1.00")} for n in range(5)]
    assert store.put_if_absent("expenses", items, key="expense_id") == [
        True,
        True,
        False,
        True,
        True,
    ]
    kept = store.get("expenses", {"expense_id": "e2"}, consistent=True)
    assert kept is not None and kept["amount"] == Decimal("9.99")
    assert store.put_if_absent("expenses", items, key="expense_id") == [False] * 5


# --- row errors and --strict ---------------------------------------------------------


def test_bad_rows_are_reported_by_line_and_the_rest_imported(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    text = (
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
    result = run_import(runner, write(tmp_path, "mixed.csv", text))
    assert result.exit_code == ExitCode.ERROR
    summary = summary_of(result)
    assert (summary["read"], summary["imported"], summary["rejected"]) == (6, 2, 4)
    assert [e["line"] for e in summary["errors"]] == [5, 7, 8, 9]
    assert "not a real calendar date" in summary["errors"][0]["error"]
    assert "'abc' is not a number" in summary["errors"][1]["error"]
    assert "category is empty" in summary["errors"][2]["error"]
    assert "more than two decimal places" in summary["errors"][3]["error"]
    items = expenses_of(store, alice.user_id)
    assert sorted(i["description"] for i in items) == ["coffee with milk", "fine"]
    assert all(i["category"] == "food" for i in items)


def test_strict_writes_nothing_when_a_row_is_bad(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    bad = write(tmp_path, "bad.csv", statement(range(150)) + "2026-01-01,-,food,oops\n")
    result = run_import(runner, bad, "--strict")
    assert result.exit_code == ExitCode.ERROR
    summary = summary_of(result)
    assert (summary["imported"], summary["rejected"]) == (0, 1)
    assert summary["errors"][0]["line"] == 152
    assert "--strict: nothing was imported" in result.stderr
    assert expenses_of(store, alice.user_id) == []

    good = run_import(runner, write(tmp_path, "good.csv", statement(range(150))), "--strict")
    assert good.exit_code == 0 and summary_of(good)["imported"] == 150


def test_strict_from_stdin_reads_the_input_once(
    store: Store, alice: User, runner: CliRunner
) -> None:
    result = run_import(runner, "-", "--strict", stdin=statement(range(120)))
    assert result.exit_code == 0, result.stderr
    assert summary_of(result)["imported"] == 120
    assert len(expenses_of(store, alice.user_id)) == 120


def test_dry_run_reports_and_writes_nothing(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "jan.csv", statement(range(10)))
    dry = run_import(runner, path, "--dry-run")
    assert dry.exit_code == 0 and summary_of(dry)["imported"] == 10
    assert "nothing was written" in dry.stderr
    assert expenses_of(store, alice.user_id) == []
    run_import(runner, write(tmp_path, "part.csv", statement(range(4))))
    dry = run_import(runner, path, "--dry-run")
    assert (summary_of(dry)["imported"], summary_of(dry)["duplicates"]) == (6, 4)
    assert len(expenses_of(store, alice.user_id)) == 4


# --- encodings and bank formats --------------------------------------------------------


def test_a_byte_order_mark_is_ignored(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "excel.csv", "\ufeff" + COFFEES.replace("\n", "\r\n"))
    result = run_import(runner, path)
    assert result.exit_code == 0, result.stderr
    assert summary_of(result)["imported"] == 3


def test_undecodable_bytes_are_one_line_error_and_nothing_is_written(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    data = (
        b"date,amount,category,description\n2026-01-01,1.00,food,ok\n2026-01-02,2.00,food,caf\xe9\n"
    )
    result = run_import(runner, write(tmp_path, "latin1.csv", data))
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith("error: line 3 is not UTF-8 text (byte 0xe9 at column 25)")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert expenses_of(store, alice.user_id) == []


def test_bank_export_with_negative_debits_and_own_column_names(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    text = (
        "Booking date,Payee,Memo,Value,Balance\n"
        "03/01/2026,Cafe,Flat white,-3.80,996.20\n"
        "04/01/2026,Employer,Salary,2500.00,3496.20\n"
        '05/01/2026,Grocer,Weekly shop,"-1,234.56",2261.64\n'
    )
    path = write(tmp_path, "bank.csv", text)
    args = ["--column", "date=Booking Date", "--column", "amount=value"]
    args += ["--column", "description=Memo", "--date-format", "%d/%m/%Y", "--category", "Bank"]
    refused = run_import(runner, path, *args, "--strict")
    assert refused.exit_code == ExitCode.ERROR
    assert "--debits-negative" in summary_of(refused)["errors"][0]["error"]
    assert expenses_of(store, alice.user_id) == []

    result = run_import(runner, path, *args, "--debits-negative")
    assert result.exit_code == 0, result.stderr
    summary = summary_of(result)
    assert (summary["imported"], summary["skipped"], summary["duplicates"]) == (2, 1, 0)
    items = {i["description"]: i for i in expenses_of(store, alice.user_id)}
    assert items["Flat white"]["amount"] == Decimal("3.80")
    assert items["Weekly shop"]["amount"] == Decimal("1234.56")
    assert items["Weekly shop"]["date"] == "2026-01-05"
    assert items["Weekly shop"]["category"] == "bank"


@pytest.mark.parametrize(
    "header, args, message",
    [
        ("when,amount,category", [], "the header row has no 'date' column (it has 'when'"),
        ("date,sum,category", [], "no 'amount' column"),
        ("date,amount", [], "give every row one with --category"),
        ("date,amount,category", ["--column", "amount=Debit"], "has no column 'Debit'"),
        ("date,amount,category", ["--column", "price=amount"], "the field must be one of"),
        ("date,amount,category", ["--column", "amount"], "must look like amount=Debit"),
        ("", [], "the file has no header row"),
    ],
)
def test_an_unusable_header_is_one_line_and_nothing_is_written(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    header: str,
    args: list[str],
    message: str,
) -> None:
    path = write(tmp_path, "x.csv", f"{header}\n2026-01-01,1.00,food\n" if header else "")
    result = run_import(runner, path, *args)
    assert result.exit_code == ExitCode.ERROR
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert expenses_of(store, alice.user_id) == []


def test_import_from_stdin_and_the_table_for_people(
    store: Store, alice: User, runner: CliRunner
) -> None:
    result = runner.invoke(app, ["import", "-"], input=COFFEES + "bad,1,food,x\n")
    assert result.exit_code == ExitCode.ERROR
    assert "Imported" in result.stdout and "Rejected because" in result.stdout
    assert "date 'bad' is not a date" in result.stdout
    assert len(expenses_of(store, alice.user_id)) == 3


def test_a_named_pipe_is_read_once(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    fifo = tmp_path / "statement.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("w") as out:
            out.write(COFFEES)

    writer = threading.Thread(target=feed)
    writer.start()
    result = run_import(runner, fifo)
    writer.join()
    assert result.exit_code == 0, result.stderr
    assert summary_of(result)["imported"] == 3


def test_import_needs_a_login(store: Store, runner: CliRunner, tmp_path: Path) -> None:
    result = run_import(runner, write(tmp_path, "a.csv", COFFEES))
    assert result.exit_code == ExitCode.AUTH


def test_a_missing_file_is_one_line(store: Store, alice: User, runner: CliRunner) -> None:
    result = run_import(runner, "/nonexistent/statement.csv")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr == "error: /nonexistent/statement.csv does not exist\n"


# --- interrupted imports resume ----------------------------------------------------------


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    """25 rows a chunk, so a small file makes many batches (moto's transactions are slow)."""
    monkeypatch.setattr(imports, "CHUNK_ROWS", 25)
    return 25


def test_an_import_stopped_after_its_first_batches_resumes_exactly(
    store: Store, alice: User, small_batches: int
) -> None:
    text = statement(range(250))
    batches = itertools.count(1)

    def stop_after_three_batches(summary: ImportSummary) -> None:
        if next(batches) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_expenses(store, alice.user_id, lines_of(text), on_progress=stop_after_three_batches)
    partial = len(expenses_of(store, alice.user_id))
    assert 3 * small_batches <= partial < 250
    summary = import_expenses(store, alice.user_id, lines_of(text))
    assert summary.imported == 250 - partial and summary.duplicates == partial
    items = expenses_of(store, alice.user_id)
    assert len(items) == 250
    assert total(items) == sum(
        (Decimal(f"{n % 97 + 1}.{n % 100:02d}") for n in range(250)), Decimal(0)
    )


def test_a_dead_engine_mid_import_then_a_rerun_ends_with_exactly_the_file(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_batches: int,
) -> None:
    path = write(tmp_path, "big.csv", statement(range(200)))
    engine_gone = StorageUnavailable("cannot reach DynamoDB at http://127.0.0.1:1: start it")
    real_put = failing_writes(monkeypatch, engine_gone, lambda n: n >= 2)
    died = run_import(runner, path)
    assert died.exit_code == ExitCode.STORAGE
    assert died.stderr.count("\n") == 1
    assert "run the same import again: rows already imported are skipped" in died.stderr
    assert len(expenses_of(store, alice.user_id)) == 2 * small_batches

    monkeypatch.setattr(Store, "put_if_absent", real_put)
    rerun = run_import(runner, path)
    assert rerun.exit_code == 0, rerun.stderr
    assert (summary_of(rerun)["imported"], summary_of(rerun)["duplicates"]) == (150, 50)
    assert len(expenses_of(store, alice.user_id)) == 200


def failing_writes(
    monkeypatch: pytest.MonkeyPatch, error: BaseException, fails: Callable[[int], bool]
) -> Any:
    """The import's chunk writes (numbered from 0) for which `fails` is true raise `error`.

    Returns the real `Store.put_if_absent`, to put back for a re-run."""
    real_put = Store.put_if_absent
    calls = itertools.count()

    def put_if_absent(self: Store, *args: Any, **kwargs: Any) -> list[bool]:
        if fails(next(calls)):
            raise error
        return real_put(self, *args, **kwargs)

    monkeypatch.setattr(Store, "put_if_absent", put_if_absent)
    return real_put


def test_ctrl_c_is_one_line_telling_to_run_it_again(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_batches: int,
) -> None:
    path = write(tmp_path, "big.csv", statement(range(200)))
    real_put = failing_writes(monkeypatch, KeyboardInterrupt(), lambda n: n == 1)
    result = run_import(runner, path)
    assert result.exit_code == 130
    assert result.stderr.startswith("error: import interrupted")
    assert "run the same command again" in result.stderr and result.stderr.count("\n") == 1
    before = len(expenses_of(store, alice.user_id))
    assert before < 200
    monkeypatch.setattr(Store, "put_if_absent", real_put)
    rerun = run_import(runner, path)
    assert rerun.exit_code == 0, rerun.stderr
    assert summary_of(rerun)["imported"] == 200 - before
    assert len(expenses_of(store, alice.user_id)) == 200


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_a_killed_import_process_resumes_on_rerun(
    store: Store, alice: User, engine: str, tmp_path: Path, how: signal.Signals
) -> None:
    if engine != "dynamodb-local":
        pytest.skip("a separate process needs a real engine")
    path = write(tmp_path, "big.csv", statement(range(4000)))
    process = subprocess.Popen(
        [BUDGET, "import", str(path), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(expenses_of(store, alice.user_id)) < 300 and process.poll() is None:
            assert time.monotonic() < deadline, "the import did not start"
            time.sleep(0.05)
        process.send_signal(how)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode == 0:
        pytest.skip("the import finished before the signal arrived")
    if how == signal.SIGINT:
        assert process.returncode == 130
        assert stderr.startswith("error: import interrupted") and stderr.count("\n") == 1
        assert "Traceback" not in stderr
    assert len(expenses_of(store, alice.user_id)) < 4000
    rerun = subprocess.run(
        [BUDGET, "import", str(path), "--format", "json"], capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    # A killed client's last requests may still land after it died, so the count taken
    # above is only a lower bound: the re-run accounts for every row once.
    summary = json.loads(rerun.stdout)
    assert summary["imported"] + summary["duplicates"] == 4000 and summary["imported"] > 0
    assert len(expenses_of(store, alice.user_id)) == 4000


# --- the service on its own ----------------------------------------------------------------


def test_column_mappings_are_checked() -> None:
    assert imports.parse_column_mappings(["Amount = Debit", "date=Posted"]) == {
        "amount": "Debit",
        "date": "Posted",
    }
    with pytest.raises(InvalidInput, match="must look like"):
        imports.parse_column_mappings(["amount="])


def test_ids_depend_on_content_and_occurrence_only() -> None:
    def ids(text: str) -> list[str]:
        rows = imports._parsed_rows(lines_of(text), "u1", ImportOptions(), ImportSummary())
        return [row.expense.expense_id for row in rows]

    header, *rows = COFFEES.splitlines()
    first = ids(COFFEES)
    reordered = ids("\n".join([header, *reversed(rows)]))
    respelled = ids(COFFEES.replace("3.50,food,coffee", "3.5, Food ,  coffee "))
    assert len(set(first)) == 3
    assert set(first) == set(reordered) == set(respelled)


# --- European and other bank formats ------------------------------------------------------

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


def test_a_semicolon_cp1252_file_with_decimal_commas_imports(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "konto.csv", EUROPEAN.encode("cp1252"))
    args = [*EUROPEAN_ARGS, "--decimal-comma", "--encoding", "cp1252"]
    result = run_import(runner, path, *args)
    assert result.exit_code == 0, result.stderr
    summary = summary_of(result)
    assert (summary["read"], summary["imported"], summary["skipped"]) == (4, 3, 1)
    items = {i["description"]: i for i in expenses_of(store, alice.user_id)}
    assert {name: i["amount"] for name, i in items.items()} == {
        "Brötchen": Decimal("4.35"),
        "Sofa": Decimal("1234.56"),
        "Kaffee €": Decimal("3.80"),
    }
    assert items["Sofa"]["date"] == "2026-01-04"
    again = run_import(runner, path, *args)
    assert summary_of(again)["duplicates"] == 3


def test_without_decimal_comma_a_comma_amount_is_refused_with_the_hint(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "konto.csv", EUROPEAN)
    result = run_import(runner, path, *EUROPEAN_ARGS, "--strict")
    assert result.exit_code == ExitCode.ERROR
    errors = summary_of(result)["errors"]
    assert [e["line"] for e in errors] == [2, 3, 4, 5]
    assert "amount '-4,35' is ambiguous" in errors[0]["error"]
    assert "--decimal-comma" in errors[0]["error"]
    assert expenses_of(store, alice.user_id) == []


def test_decimal_comma_errors_quote_the_cell_as_written(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    text = "date;amount;category\n2026-01-01;12,345;food\n2026-01-02;12.50;food\n"
    result = run_import(runner, write(tmp_path, "x.csv", text), "--decimal-comma")
    assert result.exit_code == ExitCode.ERROR
    errors = [e["error"] for e in summary_of(result)["errors"]]
    assert "amount '12,345' has more than two decimal places" in errors[0]
    assert "amount '12.50' is not a number with a decimal comma" in errors[1]
    assert expenses_of(store, alice.user_id) == []


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
    assert imports.decimal_comma_to_plain(text) == plain


@pytest.mark.parametrize("text", ["12.50", "1.23,4", "1.234 567,00", "1,2,3", "abc", ",50", ""])
def test_decimal_comma_refuses_what_is_not_one(text: str) -> None:
    with pytest.raises(InvalidInput, match="with --decimal-comma write it like 1234,50"):
        imports.decimal_comma_to_plain(text)


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
    assert imports.detect_delimiter(header_line) == delimiter


@pytest.mark.parametrize(
    "option, delimiter",
    [(",", ","), (";", ";"), ("tab", "\t"), ("TAB", "\t"), ("\\t", "\t"), ("\t", "\t"), ("|", "|")],
)
def test_every_delimiter_option_reads_its_file(option: str, delimiter: str) -> None:
    assert imports.parse_delimiter(option) == delimiter
    text = delimiter.join(["date", "amount", "category", "description"]) + "\n"
    text += delimiter.join(["2026-01-02", "3.50", "food", "coffee, large"]) + "\n"
    if delimiter == ",":
        text = text.replace("coffee, large", '"coffee, large"')
    options = ImportOptions(delimiter=option)
    rows = list(imports._parsed_rows(lines_of(text), "u1", options, ImportSummary()))
    assert [(r.expense.amount, r.expense.description) for r in rows] == [
        (Decimal("3.50"), "coffee, large")
    ]


def test_a_pipe_file_imports_with_its_delimiter(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "pipes.csv", COFFEES.replace(",", "|"))
    assert run_import(runner, path).exit_code == ExitCode.ERROR  # read as one column
    assert expenses_of(store, alice.user_id) == []
    result = run_import(runner, path, "--delimiter", "|")
    assert result.exit_code == 0, result.stderr
    assert summary_of(result)["imported"] == 3


def test_a_utf16_tab_file_from_excel_imports(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    text = COFFEES.replace(",", "\t").replace("coffee", "café").replace("\n", "\r\n")
    path = write(tmp_path, "unicode.txt", text.encode("utf-16"))
    result = run_import(runner, path, "--encoding", "UTF-16")
    assert result.exit_code == 0, result.stderr
    assert summary_of(result)["imported"] == 3
    assert sorted(i["description"] for i in expenses_of(store, alice.user_id)) == [
        "café",
        "café",
        "train",
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--encoding", "klingon"], "--encoding 'klingon' is not a text encoding Python knows"),
        (["--encoding", "rot13"], "--encoding 'rot13' is not a text encoding Python knows"),
        (["--delimiter", ":"], "--delimiter ':' must be one of ',', ';', 'tab' or '|'"),
        (["--delimiter", ""], "--delimiter '' must be one of"),
    ],
)
def test_a_bad_encoding_or_delimiter_is_one_line_and_nothing_is_written(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    for source, stdin in ((write(tmp_path, "a.csv", COFFEES), None), ("-", COFFEES)):
        result = run_import(runner, source, *args, stdin=stdin)
        assert result.exit_code == ExitCode.ERROR
        assert result.stderr.startswith(f"error: {message}")
        assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert expenses_of(store, alice.user_id) == []


def test_undecodable_bytes_point_to_encoding(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    latin1 = write(tmp_path, "latin1.csv", COFFEES.replace("train", "café").encode("latin-1"))
    result = run_import(runner, latin1)
    assert result.exit_code == ExitCode.ERROR
    assert "line 4 is not UTF-8 text" in result.stderr and "--encoding cp1252" in result.stderr
    # 0x81 has no character in Windows-1252.
    odd = write(tmp_path, "odd.csv", COFFEES.encode() + b"2026-01-07,1.00,food,x\x81\n")
    result = run_import(runner, odd, "--encoding", "windows-1252")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith("error: line 5 is not cp1252 text (byte 0x81 at column 23)")
    assert "--encoding" in result.stderr and result.stderr.count("\n") == 1
    assert expenses_of(store, alice.user_id) == []
    assert run_import(runner, latin1, "--encoding", "latin-1").exit_code == 0
    assert "café" in {i["description"] for i in expenses_of(store, alice.user_id)}


PAID_OUT_PAID_IN = """Date,Description,Paid out,Paid in,Balance
01/02/2026,Tesco,23.10,,976.90
02/02/2026,Salary,,2000.00,2976.90
03/02/2026,Rent,950.00,,2026.90
"""


def test_empty_amounts_are_rejected_unless_skipped(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "uk.csv", PAID_OUT_PAID_IN)
    args = ["--column", "amount=Paid out", "--date-format", "%d/%m/%Y", "--category", "bank"]
    strict = run_import(runner, path, *args)
    assert strict.exit_code == ExitCode.ERROR
    assert summary_of(strict)["errors"][0]["line"] == 3
    assert "amount is empty" in summary_of(strict)["errors"][0]["error"]
    assert "--skip-empty-amount" in summary_of(strict)["errors"][0]["error"]
    assert len(expenses_of(store, alice.user_id)) == 2

    result = run_import(runner, path, *args, "--skip-empty-amount")
    assert result.exit_code == 0, result.stderr
    summary = summary_of(result)
    assert (summary["read"], summary["duplicates"], summary["skipped"], summary["rejected"]) == (
        3,
        2,
        1,
        0,
    )
    table = runner.invoke(app, ["import", str(path), *args, "--skip-empty-amount"])
    assert table.exit_code == 0 and "Skipped" in table.stdout
    assert sorted(i["amount"] for i in expenses_of(store, alice.user_id)) == [
        Decimal("23.10"),
        Decimal("950.00"),
    ]


# --- messages ---------------------------------------------------------------------------


def test_dry_run_messages_say_would_import_in_the_right_number(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    one = write(tmp_path, "one.csv", statement(range(1)))
    result = runner.invoke(app, ["import", str(one), "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert "Would import" in result.stdout and "Imported" not in result.stdout
    assert "dry run: 1 row would be imported; nothing was written" in result.stderr
    two = runner.invoke(app, ["import", str(write(tmp_path, "two.csv", statement(range(2))))])
    assert "Imported" in two.stdout and "Would import" not in two.stdout
    dry = runner.invoke(app, ["import", str(tmp_path / "two.csv"), "--dry-run"])
    assert "dry run: 0 rows would be imported" in dry.stderr


def test_strict_names_one_wrong_row_in_the_singular(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    bad = write(tmp_path, "bad.csv", statement(range(3)) + "2026-01-01,-,food,oops\n")
    result = run_import(runner, bad, "--strict")
    assert "--strict: nothing was imported because 1 row is wrong" in result.stderr
    worse = write(tmp_path, "worse.csv", statement(range(3)) + "x,1,food,a\ny,1,food,b\n")
    assert "because 2 rows are wrong" in run_import(runner, worse, "--strict").stderr


# --- honest counts after an interruption -----------------------------------------------------


def reported_count(stderr: str) -> int:
    match = re.search(r"\((\d+) rows? imported so far\)", stderr)
    assert match, stderr
    return int(match.group(1))


def test_ctrl_c_reports_every_row_written_including_chunks_in_flight(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_batches: int,
) -> None:
    path = write(tmp_path, "big.csv", statement(range(300)))
    failing_writes(monkeypatch, KeyboardInterrupt(), lambda n: n == 2)
    result = run_import(runner, path)
    assert result.exit_code == 130
    stored = len(expenses_of(store, alice.user_id))
    assert 0 < stored < 300
    assert reported_count(result.stderr) == stored


def test_an_engine_failure_reports_the_rows_written(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_batches: int,
) -> None:
    path = write(tmp_path, "big.csv", statement(range(300)))
    engine_gone = StorageUnavailable("cannot reach DynamoDB: start it")
    failing_writes(monkeypatch, engine_gone, lambda n: n == 3)
    result = run_import(runner, path)
    assert result.exit_code == ExitCode.STORAGE and result.stderr.count("\n") == 1
    stored = len(expenses_of(store, alice.user_id))
    assert stored % small_batches == 0 and 3 * small_batches <= stored < 300
    assert reported_count(result.stderr) == stored


def test_the_last_progress_report_counts_chunks_that_finished_after_a_stop(
    store: Store, alice: User, small_batches: int
) -> None:
    reports: list[int] = []

    def stop_at_the_second_report(summary: ImportSummary) -> None:
        reports.append(summary.imported)
        if len(reports) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_expenses(
            store,
            alice.user_id,
            lines_of(statement(range(300))),
            on_progress=stop_at_the_second_report,
        )
    assert reports[-1] == len(expenses_of(store, alice.user_id))
