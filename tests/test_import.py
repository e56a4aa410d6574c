"""`budget import` against storage, on both engines: idempotent by content, resumable,
honest counts, profiles kept with the account. The stages that need no engine are in
test_import_rows.py, input the command refuses before storage in test_import_input.py, and
the 18 real bank exports in test_import_banks.py."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode, StorageUnavailable
from budgetcli.models import User
from budgetcli.services.imports import ImportStopped, ImportSummary, import_file, storing
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


def stream_of(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


COUNTS = (
    "read",
    "imported",
    "duplicates",
    "rejected",
    "skipped",
    "category_file",
    "category_rule",
    "category_learned",
    "category_fallback",
    "errors",
)


def counts_of(result: Any) -> dict[str, Any]:
    """The counts of an import's JSON summary."""
    summary = summary_of(result)
    return {key: summary[key] for key in COUNTS}


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
    assert counts_of(first) == {
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
    assert counts_of(again) == {
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
    assert import_file(store, bob.user_id, stream_of(statement(range(5)))).imported == 5
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
    results = run_in_threads(3, lambda _: import_file(store, alice.user_id, stream_of(text)))
    assert all(isinstance(r, ImportSummary) for r in results), results
    summaries = [r for r in results if isinstance(r, ImportSummary)]
    assert all(s.imported + s.duplicates == 12 * small_batches for s in summaries)
    assert sum(s.imported for s in summaries) == 12 * small_batches
    assert len(expenses_of(store, alice.user_id)) == 12 * small_batches


def test_a_new_statement_is_only_written_and_a_rerun_mostly_read(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    small_batches: int,
    dynamodb_calls: list[str],
) -> None:
    """A chunk is one conditional transaction; once rows turn out to exist, the chunks
    after it read their ids first, which DynamoDB charges less than cancelled writes."""
    chunks = 3 * storing.MAX_CHUNKS_IN_FLIGHT
    path = write(tmp_path, "big.csv", statement(range(chunks * small_batches)))
    assert summary_of(run_import(runner, path))["imported"] == chunks * small_batches
    assert dynamodb_calls.count("TransactWriteItems") == chunks
    assert "BatchGetItem" not in dynamodb_calls
    dynamodb_calls.clear()
    again = summary_of(run_import(runner, path))
    assert (again["imported"], again["duplicates"]) == (0, chunks * small_batches)
    written = dynamodb_calls.count("TransactWriteItems")
    assert 1 <= written <= storing.MAX_CHUNKS_IN_FLIGHT + 1
    assert dynamodb_calls.count("BatchGetItem") == chunks - written


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
    assert result.stderr == (
        "error: 3 rows are wrong and were left out (listed with their lines): fix the file "
        "and run the same command again; rows already imported are skipped\n"
    )
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
    assert dry.exit_code == 0 and dry.stderr == ""
    summary = summary_of(dry)
    assert (summary["imported"], summary["would_import"], summary["dry_run"]) == (0, 10, True)
    assert summary["preview"][0] == {
        "date": "2026-01-01",
        "amount": "1.00",
        "category": "food",
        "description": "purchase 0",
    }
    assert len(summary["preview"]) == 10
    assert expenses_of(store, alice.user_id) == []
    run_import(runner, write(tmp_path, "part.csv", statement(range(4))))
    dry = run_import(runner, path, "--dry-run")
    assert (summary_of(dry)["would_import"], summary_of(dry)["duplicates"]) == (6, 4)
    assert len(expenses_of(store, alice.user_id)) == 4
    table = runner.invoke(app, ["import", str(path), "--dry-run"])
    assert table.exit_code == 0 and "Dry run: nothing written" in table.stdout
    assert "budgetcli's own columns" in table.stdout and "purchase 9" in table.stdout


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
        import_file(store, alice.user_id, stream_of(text), on_progress=stop_at_the_third_report)
    partial = len(expenses_of(store, alice.user_id))
    assert 3 * small_batches <= partial <= most
    assert reports[-1] == stopped.value.summary.imported == partial
    assert stopped.value.exit_code == ExitCode.INTERRUPTED

    summary = import_file(store, alice.user_id, stream_of(text))
    assert summary.imported == rows - partial and summary.duplicates == partial
    items = expenses_of(store, alice.user_id)
    assert len(items) == rows
    assert total(items) == sum(
        (Decimal(f"{n % 97 + 1}.{n % 100:02d}") for n in range(rows)), Decimal(0)
    )


def wait_for_stored(store: Store, user_id: str, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while len(expenses_of(store, user_id)) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"the import did not store {count} rows"
        time.sleep(0.02)


def settled_count(store: Store, user_id: str) -> int:
    """The user's expense count once it has stopped changing for half a second."""
    count = len(expenses_of(store, user_id))
    while True:
        time.sleep(0.5)
        now = len(expenses_of(store, user_id))
        if now == count:
            return count
        count = now


def default_ctrl_c() -> None:
    # A runner started in the background may ignore SIGINT, and a child inherits that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
@pytest.mark.parametrize("engine", ["dynamodb-local"], indirect=True)
def test_a_killed_import_process_resumes_on_rerun(
    store: Store, alice: User, tmp_path: Path, how: signal.Signals
) -> None:
    """The signal arrives once two chunks are stored, while the rest of a file far longer
    than that is still being written (the whole file is read first, to find its layout).

    A separate process needs an engine of its own, so this runs on DynamoDB Local only.
    """
    chunk = storing.CHUNK_ROWS
    rows = 25 * chunk
    path = write(tmp_path, "big.csv", statement(range(rows)))
    process = subprocess.Popen(
        [BUDGET, "import", str(path), "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_ctrl_c,
    )
    try:
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
    # A killed process leaves the writes it had sent to the engine, which lands them.
    stored = settled_count(store, alice.user_id)
    assert 2 * chunk <= stored < rows
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
    assert (summary["imported"], summary["duplicates"]) == (rows - stored, stored)
    assert len(expenses_of(store, alice.user_id)) == rows


# --- files imported before bank statements were detected ---------------------------------

OLD_IMPORT_NAMESPACE = uuid.UUID("5b0f3c52-6f1e-5d8a-9a43-0c7d1b6e2f11")


def import_as_main_did(store: Store, user_id: str, rows: list[tuple[str, str, str, str]]) -> None:
    """Store rows (date, amount, category, description) as main's `budget import` stored
    them: its ids (uuid5 of the content and the occurrence), its item shape."""
    seen: dict[str, int] = {}
    for day, amount, category, description in rows:
        content = "\x1f".join((user_id, day, amount, category, description))
        occurrence = seen.get(content, 0)
        seen[content] = occurrence + 1
        store.put(
            "expenses",
            {
                "expense_id": str(uuid.uuid5(OLD_IMPORT_NAMESPACE, f"{content}\x1f{occurrence}")),
                "user_id": user_id,
                "amount": Decimal(amount),
                "category": category,
                "description": description,
                "date": day,
                "created_at": "2026-01-10T00:00:00+00:00",
            },
        )


def test_a_file_imported_before_adds_nothing_now(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    import_as_main_did(
        store,
        alice.user_id,
        [
            ("2026-01-05", "3.50", "food", "coffee"),
            ("2026-01-05", "3.50", "food", "coffee"),
            ("2026-01-06", "12.00", "transport", "train"),
        ],
    )
    result = run_import(runner, write(tmp_path, "coffees.csv", COFFEES))
    assert result.exit_code == 0, result.stderr
    assert (summary_of(result)["imported"], summary_of(result)["duplicates"]) == (0, 3)
    assert len(expenses_of(store, alice.user_id)) == 3


def test_a_bank_file_imported_before_with_its_options_adds_nothing_now(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    text = (
        "Booking date,Payee,Memo,Value,Balance\n"
        "03/01/2026,Cafe,Flat white,-3.80,996.20\n"
        "04/01/2026,Employer,Salary,2500.00,3496.20\n"
        '05/01/2026,Grocer,Weekly shop,"-1,234.56",2261.64\n'
    )
    import_as_main_did(
        store,
        alice.user_id,
        [
            ("2026-01-03", "3.80", "bank", "Flat white"),
            ("2026-01-05", "1234.56", "bank", "Weekly shop"),
        ],
    )
    args = ["--column", "date=Booking Date", "--column", "amount=value", "--debits-negative"]
    args += ["--column", "description=Memo", "--date-format", "%d/%m/%Y", "--category", "Bank"]
    result = run_import(runner, write(tmp_path, "bank.csv", text), *args)
    assert result.exit_code == 0, result.stderr
    summary = summary_of(result)
    assert (summary["imported"], summary["duplicates"], summary["skipped"]) == (0, 2, 1)


# --- what is not an expense, and what is malformed ----------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_rejected_rows_are_an_error_line_in_every_format_and_the_rest_is_imported(
    store: Store, alice: User, runner: CliRunner, fmt: str
) -> None:
    text = COFFEES + "2026-01-07,abc,food,not a number\n"
    result = runner.invoke(app, ["import", "-", "--format", fmt], input=text)
    assert result.exit_code == ExitCode.ERROR
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: 1 row is wrong and was left out (listed with their lines): fix the file and "
        "run the same command again; rows already imported are skipped"
    ]
    assert "not a number" in result.stdout + result.stderr
    assert len(expenses_of(store, alice.user_id)) == 3


def test_rows_that_are_no_expenses_are_skipped_by_reason_and_exit_0(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    text = (
        "Started Date,Description,Amount,State,Balance\n"
        "2024-01-02 10:00:00,Shop,-15.00,COMPLETED,85.00\n"
        "2024-01-03 10:00:00,Pending shop,-5.00,PENDING,\n"
        "2024-01-04 10:00:00,Card check,0.00,COMPLETED,85.00\n"
        "2024-01-05 10:00:00,Salary,100.00,COMPLETED,185.00\n"
        "2024-01-06 10:00:00,Declined shop,-9.00,DECLINED,\n"
    )
    result = run_import(runner, write(tmp_path, "revolut.csv", text))
    assert result.exit_code == 0, result.stderr
    summary = summary_of(result)
    assert (summary["read"], summary["imported"], summary["skipped"]) == (5, 1, 4)
    assert summary["skipped_by_reason"] == {
        "credit": 1,
        "declined": 1,
        "pending": 1,
        "zero_amount": 1,
    }
    assert summary["layout"]["proof"] == "proven"
    [item] = expenses_of(store, alice.user_id)
    assert (item["amount"], item["description"], item["category"]) == (
        Decimal("15.00"),
        "Shop",
        "uncategorized",
    )


# --- OFX ------------------------------------------------------------------------------------------

OFX = (Path(__file__).parent / "fixtures" / "statements" / "bank.ofx").read_text()


def test_an_ofx_statement_is_recognised_by_the_banks_ids(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    first = run_import(runner, write(tmp_path, "bank.ofx", OFX), "--category", "bank")
    assert first.exit_code == 0, first.stderr
    summary = summary_of(first)
    assert (summary["imported"], summary["skipped_by_reason"]) == (2, {"credit": 1})
    assert (summary["layout"]["format"], summary["layout"]["proof"]) == ("ofx", "standard")
    assert summary["layout"]["remembered_as"] is None  # OFX needs no profile
    # The bank renamed a payee since: the transaction is the same one by its FITID.
    renamed = OFX.replace("CORNER GROCERY", "CORNER GROCERY LTD")
    assert renamed != OFX
    again = run_import(runner, write(tmp_path, "again.ofx", renamed), "--category", "bank")
    assert (summary_of(again)["imported"], summary_of(again)["duplicates"]) == (0, 2)
    assert total(expenses_of(store, alice.user_id)) == Decimal("52.09")


# --- profiles: a layout that worked, used for the next file of the bank -------------------------

FIRST_FILE = (
    "Date,Description,Amount\n28/02/2026,Shop,-3.00\n01/03/2026,Bus,-2.00\n02/03/2026,Pay,1000.00\n"
)
# Every date could be day-first or month-first: alone, this file cannot be imported.
NEXT_FILE = "Date,Description,Amount\n03/04/2026,Shop,-5.00\n03/04/2026,Bus,-2.00\n"


def profiles_item(store: Store, user: User) -> dict[str, Any]:
    items = [
        i for i in table_items(store, "users") if i["user_id"] == f"IMPORT_PROFILES#{user.user_id}"
    ]
    assert len(items) == 1
    return items[0]


def test_a_layout_that_worked_reads_the_next_file_of_its_bank(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    alone = run_import(runner, write(tmp_path, "next.csv", NEXT_FILE))
    assert alone.exit_code == ExitCode.ERROR and "(--date-format)" in alone.stderr
    first = run_import(runner, write(tmp_path, "first.csv", FIRST_FILE))
    assert first.exit_code == 0, first.stderr
    profile_id = summary_of(first)["layout"]["remembered_as"]
    assert profile_id and summary_of(first)["layout"]["profile"] is None

    result = run_import(runner, write(tmp_path, "next.csv", NEXT_FILE))
    assert result.exit_code == 0, result.stderr
    summary = summary_of(result)
    assert (summary["imported"], summary["layout"]["profile"]) == (2, profile_id)
    assert summary["layout"]["remembered_as"] is None  # the same layout: nothing written
    assert {item["date"] for item in expenses_of(store, alice.user_id)} >= {"2026-04-03"}

    # The profile is one item of the users table, on none of its indexes.
    item = profiles_item(store, alice)
    assert set(item) == {"user_id", "owner_user_id", "profiles"}
    assert item["owner_user_id"] == alice.user_id and set(item["profiles"]) == {profile_id}


def test_an_unchanged_profile_is_not_written_again(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    dynamodb_calls: list[str],
) -> None:
    path = write(tmp_path, "first.csv", FIRST_FILE)
    assert run_import(runner, path).exit_code == 0
    dynamodb_calls.clear()
    assert run_import(runner, path).exit_code == 0
    assert "UpdateItem" not in dynamodb_calls and "PutItem" not in dynamodb_calls


def test_a_profile_follows_the_account_to_another_machine(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    """Nothing of the profile is kept beside the config: a fresh config dir finds it."""
    assert run_import(runner, write(tmp_path, "first.csv", FIRST_FILE)).exit_code == 0
    config_dir = Path(os.environ["BUDGET_CONFIG_DIR"])
    kept = {p.name for p in config_dir.rglob("*") if p.is_file()}
    assert kept == {"session.json"}


def test_profiles_are_listed_shown_named_and_removed(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    empty = runner.invoke(app, ["import", "profiles", "list", "--format", "json"])
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []
    first = run_import(runner, write(tmp_path, "first.csv", FIRST_FILE))
    profile_id = summary_of(first)["layout"]["remembered_as"]

    listed = runner.invoke(app, ["import", "profiles", "list", "--format", "json"])
    [entry] = json.loads(listed.stdout)
    assert (entry["profile_id"], entry["name"], entry["header"]) == (
        profile_id,
        None,
        ["Date", "Description", "Amount"],
    )
    table = runner.invoke(app, ["import", "profiles", "list"])
    assert profile_id in table.stdout and "Date, Description, Amount" in table.stdout

    named = runner.invoke(app, ["import", "profiles", "name", profile_id, "mybank"])
    assert named.exit_code == 0 and named.stderr == f"profile {profile_id} is now called mybank\n"
    shown = runner.invoke(app, ["import", "profiles", "show", "mybank", "--format", "json"])
    document = json.loads(shown.stdout)
    assert (document["profile_id"], document["name"]) == (profile_id, "mybank")
    choices = {c["what"]: c["how"] for c in document["choices"]}
    assert choices["date"].startswith("'Date', format %d/%m/%Y (day first")
    assert document["layout"]["date_format"] == "%d/%m/%Y"
    table = runner.invoke(app, ["import", "profiles", "show", profile_id])
    assert "mybank" in table.stdout and "%d/%m/%Y" in table.stdout

    # Chosen by name for a file from the same bank with another header.
    other = NEXT_FILE.replace("Description", "Details")
    result = run_import(runner, write(tmp_path, "other.csv", other), "--profile", "mybank")
    assert result.exit_code == 0, result.stderr
    assert summary_of(result)["layout"]["profile"] == "mybank"

    removed = runner.invoke(app, ["import", "profiles", "rm", "mybank"])
    assert removed.exit_code == 0 and removed.stderr == "removed profile mybank\n"
    gone = runner.invoke(app, ["import", "profiles", "show", "mybank"])
    assert gone.exit_code == ExitCode.ERROR
    assert gone.stderr.startswith("error: no import profile is called 'mybank' (profiles: ")


def test_a_new_profile_name_given_at_import_is_remembered_and_names_stay_unique(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    first = run_import(runner, write(tmp_path, "first.csv", FIRST_FILE), "--profile", "mybank")
    assert first.exit_code == 0, first.stderr
    profile_id = summary_of(first)["layout"]["remembered_as"]
    other = "Day;Memo;Sum\n2026-01-02;Shop;-3,00\n2026-01-03;Bus;-1,00\n"
    second = run_import(runner, write(tmp_path, "other.csv", other))
    other_id = summary_of(second)["layout"]["remembered_as"]
    assert other_id not in (None, profile_id)
    taken = runner.invoke(app, ["import", "profiles", "name", other_id, "mybank"])
    assert taken.exit_code == ExitCode.ERROR
    assert taken.stderr.startswith(
        f"error: the profile name 'mybank' is taken by profile {profile_id}"
    )
    listed = json.loads(runner.invoke(app, ["import", "profiles", "list", "-f", "json"]).stdout)
    assert sorted((p["profile_id"], p["name"]) for p in listed) == sorted(
        [(profile_id, "mybank"), (other_id, None)]
    )
