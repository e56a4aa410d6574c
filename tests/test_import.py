"""`budget import` against storage, on both engines: idempotent by content, resumable,
honest counts. The stages that need no engine are in test_import_rows.py, and input the
command refuses before storage in test_import_input.py."""

from __future__ import annotations

import errno
import io
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode, StorageUnavailable
from budgetcli.models import User
from budgetcli.services.imports import ImportStopped, ImportSummary, import_expenses, storing
from budgetcli.services.imports.reading import decoded_lines
from budgetcli.store import Store
from tests.helpers import run_in_threads, table_items

BUDGET = str(Path(sys.executable).with_name("budget"))


# --- helpers --------------------------------------------------------------------


def expenses_of(store: Store, user_id: str) -> list[dict[str, Any]]:
    """Every expense item of `user_id`, read consistently from the base table."""
    return [item for item in table_items(store, "expenses") if item.get("user_id") == user_id]


def total(items: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(item["amount"]) for item in items), Decimal(0))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
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
    return decoded_lines(io.BytesIO(text.encode()))


COFFEES = """date,amount,category,description
2026-01-05,3.50,food,coffee
2026-01-05,3.50,food,coffee
2026-01-06,12.00,transport,train
"""


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    """10 rows a chunk, so a small file makes more chunks than are ever in flight at once
    (moto's transactions copy the table: small files keep them fast)."""
    monkeypatch.setattr(storing, "CHUNK_ROWS", 10)
    return 10


# --- idempotence ----------------------------------------------------------------


def test_reimport_adds_nothing(
    store: Store, alice: User, bob: User, runner: CliRunner, tmp_path: Path
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
        "category_file": 5,
        "category_rule": 0,
        "category_learned": 0,
        "category_fallback": 0,
        "errors": [],
    }
    again = run_import(runner, path)
    assert again.exit_code == 0, again.stderr
    assert summary_of(again) == {
        "read": 5,
        "imported": 0,
        "duplicates": 5,
        "rejected": 0,
        "skipped": 0,
        "category_file": 5,
        "category_rule": 0,
        "category_learned": 0,
        "category_fallback": 0,
        "errors": [],
    }
    assert len(expenses_of(store, alice.user_id)) == 5
    # The same file for another user gives them their own expenses.
    assert import_expenses(store, bob.user_id, lines_of(statement(range(5)))).imported == 5
    alice_ids = {i["expense_id"] for i in expenses_of(store, alice.user_id)}
    bob_ids = {i["expense_id"] for i in expenses_of(store, bob.user_id)}
    assert len(alice_ids) == len(bob_ids) == 5 and not alice_ids & bob_ids


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


def test_a_later_row_with_another_amount_or_category_is_imported(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    """Same date and description as an earlier row is not the same row: the amount and
    the category tell it apart, or a 12.00 coffee would never be imported."""
    earlier = "date,amount,category,description\n2026-01-05,3.50,food,coffee\n"
    assert summary_of(run_import(runner, write(tmp_path, "jan.csv", earlier)))["imported"] == 1
    later = (
        "date,amount,category,description\n"
        "2026-01-05,12.00,food,coffee\n"
        "2026-01-05,3.50,drinks,coffee\n"
    )
    result = run_import(runner, write(tmp_path, "feb.csv", later))
    assert result.exit_code == 0, result.stderr
    assert (summary_of(result)["imported"], summary_of(result)["duplicates"]) == (2, 0)
    assert sorted(
        (item["amount"], item["category"]) for item in expenses_of(store, alice.user_id)
    ) == [(Decimal("3.50"), "drinks"), (Decimal("3.50"), "food"), (Decimal("12.00"), "food")]


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


def test_concurrent_imports_of_one_file_add_each_row_once(
    store: Store, alice: User, small_batches: int
) -> None:
    text = statement(range(12 * small_batches))
    results = run_in_threads(3, lambda _: import_expenses(store, alice.user_id, lines_of(text)))
    assert all(isinstance(r, ImportSummary) for r in results), results
    summaries = [r for r in results if isinstance(r, ImportSummary)]
    assert all(s.imported + s.duplicates == 12 * small_batches for s in summaries)
    assert sum(s.imported for s in summaries) == 12 * small_batches
    assert len(expenses_of(store, alice.user_id)) == 12 * small_batches


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


# --- bad rows, --strict, --dry-run ----------------------------------------------------


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
    assert (summary["read"], summary["imported"], summary["rejected"]) == (6, 3, 3)
    assert [e["line"] for e in summary["errors"]] == [5, 7, 9]
    assert "not a real calendar date" in summary["errors"][0]["error"]
    assert "'abc' is not a number" in summary["errors"][1]["error"]
    assert "more than two decimal places" in summary["errors"][2]["error"]
    items = expenses_of(store, alice.user_id)
    assert sorted((i["description"], i["category"]) for i in items) == [
        ("coffee with milk", "food"),
        ("fine", "food"),
        ("no category", "uncategorized"),
    ]


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


def test_stdin_is_read_once_with_or_without_strict(
    store: Store, alice: User, runner: CliRunner
) -> None:
    result = run_import(runner, "-", "--strict", stdin=statement(range(120)))
    assert result.exit_code == 0, result.stderr
    assert summary_of(result)["imported"] == 120
    assert len(expenses_of(store, alice.user_id)) == 120

    table = runner.invoke(app, ["import", "-"], input=COFFEES + "bad,1,food,x\n")
    assert table.exit_code == ExitCode.ERROR
    assert "Imported" in table.stdout and "Rejected because" in table.stdout
    assert "date 'bad' is not a date" in table.stdout
    assert len(expenses_of(store, alice.user_id)) == 123


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
    assert "dry run: 6 rows would be imported; nothing was written" in dry.stderr
    assert len(expenses_of(store, alice.user_id)) == 4


def test_a_bank_export_imports_with_its_options(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    text = (
        "Booking date,Payee,Memo,Value,Balance\n"
        "03/01/2026,Cafe,Flat white,-3.80,996.20\n"
        "04/01/2026,Employer,Salary,2500.00,3496.20\n"
        '05/01/2026,Grocer,Weekly shop,"-1,234.56",2261.64\n'
    )
    path = write(tmp_path, "bank.csv", text)
    args = ["--column", "date=Booking Date", "--column", "amount=value", "--debits-negative"]
    args += ["--column", "description=Memo", "--date-format", "%d/%m/%Y", "--category", "Bank"]
    result = run_import(runner, path, *args)
    assert result.exit_code == 0, result.stderr
    summary = summary_of(result)
    assert (summary["imported"], summary["skipped"], summary["duplicates"]) == (2, 1, 0)
    items = {i["description"]: i for i in expenses_of(store, alice.user_id)}
    assert items["Flat white"]["amount"] == Decimal("3.80")
    assert items["Weekly shop"]["amount"] == Decimal("1234.56")
    assert items["Weekly shop"]["date"] == "2026-01-05"
    assert items["Weekly shop"]["category"] == "bank"


# --- interrupted imports: honest counts, and a re-run finishes them -----------------------


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


def reported_count(stderr: str) -> int:
    match = re.search(r"\((\d+) rows? imported so far\)", stderr)
    assert match, stderr
    return int(match.group(1))


def test_ctrl_c_counts_every_row_written_and_a_rerun_finishes(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_batches: int,
) -> None:
    """Chunks already sending when Ctrl-C arrives finish, and are counted."""
    path = write(tmp_path, "big.csv", statement(range(120)))
    real_put = failing_writes(monkeypatch, KeyboardInterrupt(), lambda n: n == 2)
    result = run_import(runner, path)
    assert result.exit_code == 130  # ExitCode.INTERRUPTED, as a shell reports Ctrl-C
    assert result.stderr.startswith("error: import interrupted")
    assert "run the same command again" in result.stderr and result.stderr.count("\n") == 1
    stored = len(expenses_of(store, alice.user_id))
    assert 0 < stored < 120
    assert reported_count(result.stderr) == stored

    monkeypatch.setattr(Store, "put_if_absent", real_put)
    rerun = run_import(runner, path)
    assert rerun.exit_code == 0, rerun.stderr
    assert (summary_of(rerun)["imported"], summary_of(rerun)["duplicates"]) == (
        120 - stored,
        stored,
    )
    assert len(expenses_of(store, alice.user_id)) == 120


def test_a_storage_failure_counts_the_rows_written_and_a_rerun_finishes(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_batches: int,
) -> None:
    path = write(tmp_path, "big.csv", statement(range(120)))
    engine_gone = StorageUnavailable("cannot reach DynamoDB at http://127.0.0.1:1: start it")
    real_put = failing_writes(monkeypatch, engine_gone, lambda n: n == 3)
    died = run_import(runner, path)
    assert died.exit_code == ExitCode.STORAGE and died.stderr.count("\n") == 1
    assert died.stderr.startswith("error: cannot reach DynamoDB at http://127.0.0.1:1: start it (")
    assert "run the same import again: rows already imported are skipped" in died.stderr
    stored = len(expenses_of(store, alice.user_id))
    assert stored % small_batches == 0 and 3 * small_batches <= stored < 120
    assert reported_count(died.stderr) == stored

    monkeypatch.setattr(Store, "put_if_absent", real_put)
    rerun = run_import(runner, path)
    assert rerun.exit_code == 0, rerun.stderr
    assert (summary_of(rerun)["imported"], summary_of(rerun)["duplicates"]) == (
        120 - stored,
        stored,
    )
    assert len(expenses_of(store, alice.user_id)) == 120


def test_an_import_stopped_by_its_progress_callback_resumes_exactly(
    store: Store, alice: User, small_batches: int
) -> None:
    """The last progress report counts chunks that finished after the stop.

    Reports start once MAX_CHUNKS_IN_FLIGHT chunks are sent, one or more per chunk sent
    after that, so the third comes at the latest when two more have been sent."""
    most = (storing.MAX_CHUNKS_IN_FLIGHT + 2) * small_batches
    rows = most + small_batches
    text = statement(range(rows))
    reports: list[int] = []

    def stop_at_the_third_report(summary: ImportSummary) -> None:
        reports.append(summary.imported)
        if len(reports) == 3:
            raise KeyboardInterrupt

    with pytest.raises(ImportStopped) as stopped:
        import_expenses(store, alice.user_id, lines_of(text), on_progress=stop_at_the_third_report)
    partial = len(expenses_of(store, alice.user_id))
    assert 3 * small_batches <= partial <= most
    assert reports[-1] == stopped.value.summary.imported == partial
    assert stopped.value.exit_code == ExitCode.INTERRUPTED

    summary = import_expenses(store, alice.user_id, lines_of(text))
    assert summary.imported == rows - partial and summary.duplicates == partial
    items = expenses_of(store, alice.user_id)
    assert len(items) == rows
    assert total(items) == sum(
        (Decimal(f"{n % 97 + 1}.{n % 100:02d}") for n in range(rows)), Decimal(0)
    )


def open_for_writing(fifo: Path, process: subprocess.Popen[str]) -> TextIO:
    """The writing end of `fifo`, once `process` has opened it to read."""
    deadline = time.monotonic() + 60
    while True:
        try:
            descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: nobody reads it yet
                raise
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the import never opened its input"
            time.sleep(0.02)
            continue
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "w")


def wait_for_stored(store: Store, user_id: str, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while len(expenses_of(store, user_id)) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"the import did not store {count} rows"
        time.sleep(0.05)


def default_ctrl_c() -> None:
    # A runner started in the background may ignore SIGINT, and a child inherits that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
@pytest.mark.parametrize("engine", ["dynamodb-local"], indirect=True)
def test_a_killed_import_process_resumes_on_rerun(
    store: Store, alice: User, tmp_path: Path, how: signal.Signals
) -> None:
    """The import reads a named pipe that the test feeds: once two chunks are stored it
    waits for more rows, and the signal arrives then, mid-import, every time.

    A separate process needs an engine of its own, so this runs on DynamoDB Local only.
    """
    chunk = storing.CHUNK_ROWS
    rows = statement(range(3 * chunk)).splitlines(keepends=True)
    path = write(tmp_path, "big.csv", "".join(rows))
    fifo = tmp_path / "statement.fifo"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [BUDGET, "import", str(fifo), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_ctrl_c,
    )
    try:
        with open_for_writing(fifo, process) as feed:
            feed.write("".join(rows[: 1 + 2 * chunk + chunk // 2]))  # header, 2.5 chunks
            feed.flush()
            wait_for_stored(store, alice.user_id, 2 * chunk, process)
            process.send_signal(how)
            try:
                _, stderr = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                pytest.fail(f"the import went on after {how.name}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stored = len(expenses_of(store, alice.user_id))
    assert stored == 2 * chunk
    if how == signal.SIGINT:
        assert process.returncode == 130, stderr
        assert stderr.startswith(f"error: import interrupted ({stored} rows imported so far)")
        assert stderr.count("\n") == 1 and "Traceback" not in stderr
    else:
        assert process.returncode == -signal.SIGKILL
    rerun = subprocess.run(
        [BUDGET, "import", str(path), "--format", "json"], capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert (summary["imported"], summary["duplicates"]) == (chunk, 2 * chunk)
    assert len(expenses_of(store, alice.user_id)) == 3 * chunk
