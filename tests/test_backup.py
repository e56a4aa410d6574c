"""`budget backup` and `budget restore` on both engines: an account moves to other tables
whole and works there, a restore never overwrites and runs again safely, and it writes
into no other account."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import config
from budgetcli.cli import app
from budgetcli.errors import ExitCode, StorageUnavailable
from budgetcli.models import User
from budgetcli.store import Store, connect
from budgetcli.tables.schema import TABLES
from tests import secret_guard
from tests.conftest import REPO
from tests.helpers import PASSWORD, seed_session, seed_user, set_budget, spend, table_items

FIXTURE = REPO / "tests" / "fixtures" / "backup-v1.jsonl"
NOVEMBER = "2026-11"
STATEMENT = (
    "date,amount,category,description\n"
    "2026-11-01,4.50,coffee,flat white\n"
    "2026-11-02,61.20,food,weekly shop\n"
    "2026-11-03,3.10,coffee,espresso\n"
)


@pytest.fixture
def other_tables(engine: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Store]:
    """Points the commands at four new, empty tables on the same engine (another
    BUDGET_TABLE_PREFIX), as a move to another store would; left to the engine, as the
    `store` fixture's are."""
    import uuid

    def switch() -> Store:
        monkeypatch.setenv("BUDGET_TABLE_PREFIX", f"t{uuid.uuid4().hex[:12]}")
        other = connect(config.load_settings())
        for spec in TABLES:
            other.create_table(spec)
        return other

    return switch


def budget(runner: CliRunner, *args: str, stdin: str | bytes | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin)


def json_of(runner: CliRunner, *args: str) -> Any:
    result = budget(runner, *args, "--format", "json")
    assert result.exit_code == 0, (args, result.stderr)
    return json.loads(result.stdout)


def login(runner: CliRunner, username: str) -> None:
    result = budget(runner, "login", username, "--password-stdin", stdin=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.stderr


def what_the_person_sees(runner: CliRunner) -> dict[str, Any]:
    return {
        "list": json_of(runner, "list"),
        "budget list": json_of(runner, "budget", "list", "--month", NOVEMBER),
        "alerts history": json_of(runner, "alerts", "history"),
        "report": json_of(runner, "report", "--month", NOVEMBER),
        "report by month": json_of(
            runner, "report", "--by", "month", "--from", "2026-10-01", "--to", "2026-11-30"
        ),
    }


def a_full_account(store: Store, user: User, runner: CliRunner) -> None:
    """Added and imported expenses, a removed import, budgets, and the alerts raised."""
    spend(store, user, "12.50", "food", date(2026, 11, 4))
    spend(store, user, "900.00", "rent", date(2026, 11, 1))
    spend(store, user, "20.00", "fun", date(2026, 10, 20))
    assert budget(runner, "import", "-", stdin=STATEMENT).exit_code == 0
    espresso = next(e for e in json_of(runner, "list") if e["description"] == "espresso")
    assert budget(runner, "rm", espresso["expense_id"]).exit_code == 0
    set_budget(store, user, "food", "70")
    set_budget(store, user, "rent", "1000", threshold=95)
    raised = json_of(runner, "alerts", "--month", NOVEMBER)
    assert sorted(alert["level"] for alert in raised) == ["exceeded", "warning"]


def back_up(runner: CliRunner, path: Path) -> Path:
    result = budget(runner, "backup", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    return path


def restore(runner: CliRunner, path: Path | str, *options: str) -> Any:
    return budget(runner, "restore", str(path), *options)


def item_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:-1]]


def all_items(store: Store) -> dict[str, list[dict[str, Any]]]:
    return {
        spec.name: sorted(table_items(store, spec.name), key=lambda item: str(item))
        for spec in TABLES
    }


# --- the move -----------------------------------------------------------------------------


def test_an_account_moves_to_other_tables_whole_and_works_there(
    store: Store,
    alice: User,
    bob: User,
    runner: CliRunner,
    tmp_path: Path,
    other_tables: Callable[[], Store],
) -> None:
    a_full_account(store, alice, runner)
    spend(store, bob, "5.00", "food")
    set_budget(store, bob, "food", "10")
    seen_before = what_the_person_sees(runner)

    backup = back_up(runner, tmp_path / "alice.jsonl")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    text = backup.read_text()
    (user_item,) = [
        item for item in table_items(store, "users") if item["user_id"] == alice.user_id
    ]
    assert text.count(user_item["password_hash"]) == 1
    for session_hash in user_item["sessions"]:
        assert session_hash not in text
    assert '"sessions"' not in text and '"failed_logins"' not in text
    assert bob.user_id not in text and "bob" not in text
    kinds = [line["kind"] for line in item_lines(backup)]
    assert {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)} == {
        "user": 1,
        "username-marker": 1,
        "email-marker": 1,
        "notification": 2,
        "expense": 5,
        "tombstone": 1,
        "budget": 2,
    }

    elsewhere = other_tables()
    restored = restore(runner, backup)
    assert restored.exit_code == 0, restored.stderr
    assert "budget login alice" in restored.stderr
    login(runner, "alice")
    assert what_the_person_sees(runner) == seen_before
    # Nothing already raised is raised again, and the removed import stays removed.
    assert json_of(runner, "alerts", "--month", NOVEMBER) == []
    reimport = budget(runner, "import", "-", "--format", "json", stdin=STATEMENT)
    assert json.loads(reimport.stdout)["imported"] == 0
    assert {item["user_id"] for item in table_items(elsewhere, "budgets")} == {alice.user_id}


def test_a_restore_twice_changes_nothing_and_needs_the_account_s_login_the_second_time(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    other_tables: Callable[[], Store],
) -> None:
    a_full_account(store, alice, runner)
    backup = back_up(runner, tmp_path / "alice.jsonl")
    elsewhere = other_tables()
    assert restore(runner, backup).exit_code == 0
    after_first = all_items(elsewhere)

    not_logged_in = restore(runner, backup)
    assert not_logged_in.exit_code == ExitCode.AUTH
    assert not_logged_in.stderr == (
        "error: the account 'alice' exists in this store: run `budget login alice` first to "
        "restore into it\n"
    )
    assert all_items(elsewhere) == after_first

    login(runner, "alice")
    logged_in = all_items(elsewhere)
    second = json_of(runner, "restore", str(backup))
    assert [(k["kind"], k["restored"], k["conflicts"]) for k in second["kinds"]] == [
        (k["kind"], 0, 0) for k in second["kinds"]
    ]
    assert sum(k["unchanged"] for k in second["kinds"]) == sum(
        k["in_file"] for k in second["kinds"]
    )
    assert second["conflicts"] == []
    assert all_items(elsewhere) == logged_in


def test_a_restore_over_newer_data_keeps_every_item_changed_since(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    a_full_account(store, alice, runner)
    backup = back_up(runner, tmp_path / "alice.jsonl")
    listed = {(e["amount"], e["description"]): e for e in json_of(runner, "list")}
    edited, gone = listed[("12.50", "")], listed[("900.00", "")]
    removed_import = listed[("4.50", "flat white")]
    food_budget = next(b for b in json_of(runner, "budget", "list") if b["category"] == "food")
    # Since the backup: an edit, a removed expense, a removed import, a changed budget,
    # and a new expense.
    assert budget(runner, "edit", edited["expense_id"], "--amount", "13.00").exit_code == 0
    assert budget(runner, "rm", gone["expense_id"]).exit_code == 0
    assert budget(runner, "rm", removed_import["expense_id"]).exit_code == 0
    assert budget(runner, "budget", "set", "food", "150").exit_code == 0
    assert budget(runner, "add", "1.00", "tea", "--date", "2026-11-20").exit_code == 0

    result = restore(runner, backup, "--format", "json")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: 3 items differ")
    summary = json.loads(result.stdout)
    assert sorted((c["kind"], c["key"]) for c in summary["conflicts"]) == sorted(
        [
            ("expense", edited["expense_id"]),
            ("expense", removed_import["expense_id"]),
            ("budget", food_budget["budget_id"]),
        ]
    )
    expense_counts = next(k for k in summary["kinds"] if k["kind"] == "expense")
    assert (expense_counts["restored"], expense_counts["conflicts"]) == (1, 2)

    now = {e["expense_id"]: e for e in json_of(runner, "list")}
    assert now[edited["expense_id"]]["amount"] == "13.00"  # the edit is kept
    assert removed_import["expense_id"] not in now  # the removed import stays removed
    assert gone["expense_id"] in now  # what was simply deleted comes back
    assert any(e["category"] == "tea" for e in now.values())  # the new one stays
    food_now = next(b for b in json_of(runner, "budget", "list") if b["category"] == "food")
    assert food_now["amount"] == "150.00"


def side_items(user: User) -> list[dict[str, Any]]:
    """What other features keep for an account in the users table, as they write it:
    import profiles (issue 14), categorisation rules and their tallies (issue 15)."""
    me = user.user_id
    return [
        {
            "user_id": f"IMPORT_PROFILES#{me}",
            "owner_user_id": me,
            "profiles": {
                "9f1c": {"layout": '{"delimiter": ";"}', "saved_at": "2026-11-02T08:00:00"},
            },
        },
        {
            "user_id": f"RULES#{me}",
            "owner_user_id": me,
            "revision": 3,
            "updated_at": "2026-11-03T09:00:00+00:00",
            "rules": [
                {
                    "name": "coffee",
                    "field": "description",
                    "match": "text",
                    "pattern": "flat white",
                    "category": "coffee",
                    "min_amount": Decimal("0.01"),
                }
            ],
        },
        {
            "user_id": f"MOVES#{me}",
            "owner_user_id": me,
            "moves": {"starbucks": {"coffee": 4, "food": 1}},
        },
    ]


def raw_item(store: Store, table: str, key: dict[str, str]) -> dict[str, Any]:
    """The item as DynamoDB returns it, every type as it is stored."""
    response = store.client.get_item(
        TableName=store.table_name(table),
        Key={name: {"S": value} for name, value in key.items()},
        ConsistentRead=True,
    )
    return response["Item"]


def test_what_other_features_keep_for_the_account_moves_with_it_exactly(
    store: Store,
    alice: User,
    bob: User,
    runner: CliRunner,
    tmp_path: Path,
    other_tables: Callable[[], Store],
) -> None:
    for item in side_items(alice) + side_items(bob):
        store.put("users", item)
    imported = spend(store, alice, "4.50", "coffee", date(2026, 11, 1))
    origin = {"source": "rule", "category": "coffee", "rule": "coffee", "seen": {"n", "x"}}
    store.update(
        "expenses",
        {"expense_id": str(imported.expense_id)},
        update="SET category_origin = :origin, web_tags = :tags",
        values={":origin": origin, ":tags": [Decimal("1.50"), None, True]},
    )
    expense_before = raw_item(store, "expenses", {"expense_id": str(imported.expense_id)})
    side_before = [raw_item(store, "users", {"user_id": i["user_id"]}) for i in side_items(alice)]

    backup = tmp_path / "alice.jsonl"
    written = budget(runner, "backup", str(backup))
    assert written.exit_code == 0, written.stderr
    assert "1 set of import profiles, 1 set of rules, 1 category tally" in written.stderr
    kinds = [line["kind"] for line in item_lines(backup)]
    assert (kinds.count("import-profiles"), kinds.count("rules"), kinds.count("moves")) == (
        1,
        1,
        1,
    )
    assert bob.user_id not in backup.read_text()

    elsewhere = other_tables()
    assert restore(runner, backup).exit_code == 0
    assert raw_item(elsewhere, "expenses", {"expense_id": str(imported.expense_id)}) == (
        expense_before
    )
    assert [
        raw_item(elsewhere, "users", {"user_id": i["user_id"]}) for i in side_items(alice)
    ] == side_before
    assert not any(
        item["user_id"].endswith(bob.user_id) for item in table_items(elsewhere, "users")
    )
    # A backup of the restored account is the same file, but for its date.
    login(runner, "alice")
    again = back_up(runner, tmp_path / "again.jsonl")
    assert item_lines(again) == item_lines(backup)

    # Restored again over a changed rule: the rule is kept and reported, nothing else moves.
    elsewhere.update(
        "users",
        {"user_id": f"RULES#{alice.user_id}"},
        update="SET revision = :four",
        values={":four": 4},
    )
    result = restore(runner, backup, "--format", "json")
    assert result.exit_code == ExitCode.ERROR
    summary = json.loads(result.stdout)
    assert summary["conflicts"] == [{"kind": "rules", "key": f"RULES#{alice.user_id}"}]
    assert raw_item(elsewhere, "users", {"user_id": f"RULES#{alice.user_id}"})["revision"] == {
        "N": "4"
    }


# --- whose backup, and where --------------------------------------------------------------


def test_a_backup_of_another_account_is_refused_and_nothing_is_written(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    other_tables: Callable[[], Store],
) -> None:
    spend(store, alice, "12.50")
    backup = back_up(runner, tmp_path / "alice.jsonl")
    log_in_as_bob = seed_session(store, seed_user(store, "bob"))
    before = all_items(store)
    into_alice = restore(runner, backup)
    assert into_alice.exit_code == ExitCode.ERROR
    assert into_alice.stderr == (
        "error: this is a backup of the account 'alice', but you are logged in as 'bob': "
        "log in as alice to restore it\n"
    )

    elsewhere = other_tables()
    seed_session(elsewhere, seed_user(elsewhere, "bob"))
    empty_but_bob = all_items(elsewhere)
    beside_bob = restore(runner, backup)
    assert beside_bob.exit_code == ExitCode.ERROR
    assert "run `budget logout` first" in beside_bob.stderr
    assert all_items(elsewhere) == empty_but_bob
    assert all_items(store) == before
    assert log_in_as_bob.username == "bob"


def test_a_name_that_another_account_has_there_is_refused(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    other_tables: Callable[[], Store],
) -> None:
    backup = back_up(runner, tmp_path / "alice.jsonl")
    elsewhere = other_tables()
    other_alice = seed_user(elsewhere, "alice")
    before = all_items(elsewhere)
    result = restore(runner, backup)
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith(
        "error: the username 'alice' belongs to another account in this store"
    )
    assert all_items(elsewhere) == before and other_alice.user_id != alice.user_id


# --- streams, dry runs, interruptions ---------------------------------------------------


def test_a_backup_on_stdout_restores_from_stdin(
    store: Store, alice: User, tmp_path: Path, other_tables: Callable[[], Store]
) -> None:
    # The backup holds the password hash by design: this test checks its own outputs
    # instead of the suite's guard, which would count the stdout of `backup -` as a leak.
    plain = CliRunner()
    spend(store, alice, "12.50")
    set_budget(store, alice, "food", "100")
    written = plain.invoke(app, ["backup", "-"])
    assert written.exit_code == 0, written.stderr
    secret_guard.OUTPUTS.append(("test_a_backup_on_stdout_restores_from_stdin", written.stderr))
    lines = written.stdout_bytes.splitlines()
    with_hash = [line for line in lines if b"password_hash" in line]
    assert len(with_hash) == 1 and b'"kind":"user"' in with_hash[0]
    assert "backed up alice: 5 items" in written.stderr and "to stdout" in written.stderr

    elsewhere = other_tables()
    restored = plain.invoke(app, ["restore", "-", "--format", "json"], input=written.stdout_bytes)
    assert restored.exit_code == 0, restored.stderr
    secret_guard.OUTPUTS.append(("test_a_backup_on_stdout...", restored.stdout + restored.stderr))
    assert sum(k["restored"] for k in json.loads(restored.stdout)["kinds"]) == 5
    assert len(table_items(elsewhere, "expenses")) == 1


def test_a_dry_run_reads_the_store_and_writes_nothing(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    other_tables: Callable[[], Store],
) -> None:
    spend(store, alice, "12.50")
    backup = back_up(runner, tmp_path / "alice.jsonl")
    elsewhere = other_tables()
    result = restore(runner, backup, "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [(k["kind"], k["restored"]) for k in json.loads(result.stdout)["kinds"]] == [
        ("user", 1),
        ("username-marker", 1),
        ("email-marker", 1),
        ("expense", 1),
    ]
    assert "nothing was written" in result.stderr
    assert all(items == [] for items in all_items(elsewhere).values())


@pytest.mark.parametrize(
    "stop, exit_code, said",
    [
        (
            StorageUnavailable("cannot reach DynamoDB at the test's endpoint"),
            ExitCode.STORAGE,
            "restored so far); then run the same restore again to finish",
        ),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED, "error: restore interrupted ("),
    ],
    ids=["storage gone", "ctrl-c"],
)
def test_an_interrupted_restore_leaves_no_account_and_finishes_when_run_again(
    store: Store,
    alice: User,
    runner: CliRunner,
    tmp_path: Path,
    other_tables: Callable[[], Store],
    monkeypatch: pytest.MonkeyPatch,
    stop: BaseException,
    exit_code: ExitCode,
    said: str,
) -> None:
    from budgetcli.tables import kinds

    for day in range(1, 29):
        for n in range(9):
            spend(store, alice, f"{n + 1}.00", "food", date(2026, 11, day))
    backup = back_up(runner, tmp_path / "alice.jsonl")
    elsewhere = other_tables()
    real_put_new = kinds.put_new
    calls: list[int] = []

    def failing_second_time(*args: Any, **kwargs: Any) -> list[bool]:
        calls.append(1)
        if len(calls) == 2:
            raise stop
        return real_put_new(*args, **kwargs)

    monkeypatch.setattr(kinds, "put_new", failing_second_time)
    stopped = restore(runner, backup)
    assert stopped.exit_code == exit_code
    assert stopped.stderr.count("\n") == 1
    assert said in stopped.stderr
    assert not any(item["user_id"] == alice.user_id for item in table_items(elsewhere, "users"))

    monkeypatch.setattr(kinds, "put_new", real_put_new)
    finished = json_of(runner, "restore", str(backup))
    expenses = next(k for k in finished["kinds"] if k["kind"] == "expense")
    assert expenses["in_file"] == 252 and expenses["conflicts"] == 0
    assert expenses["restored"] + expenses["unchanged"] == 252 and expenses["unchanged"] > 0
    login(runner, "alice")
    assert len(json_of(runner, "list")) == 252


# --- a backup of today's format restores as it is -----------------------------------------


def test_a_backup_of_format_1_restores_and_its_owner_logs_in(
    store: Store, runner: CliRunner
) -> None:
    """tests/fixtures/backup-v1.jsonl: an account with the web app's shapes (a null
    description, a budget `Rent`, a foreign notification), an alert whose email failed,
    a removed import. It must restore as it is into every later budgetcli."""
    first = restore(runner, FIXTURE)
    assert first.exit_code == 0, first.stderr
    login(runner, "DANA")
    assert json_of(runner, "whoami") == {
        "user_id": "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
        "username": "dana",
        "email": "Dana@Example.com",
    }
    listed = json_of(runner, "list", "--month", NOVEMBER)
    assert sorted((e["date"], e["amount"], e["category"], e["description"]) for e in listed) == [
        ("2026-11-01", "900.00", "rent", "November rent"),
        ("2026-11-02", "42.00", "transport", "train"),
        ("2026-11-03", "12.50", "food", "lunch with Sam"),
        ("2026-11-04", "61.20", "Food", "weekly shop"),
        ("2026-11-04", "7.50", "Food", ""),
    ]
    assert json_of(runner, "report", "--month", NOVEMBER) == [
        {"category": "rent", "total": "900.00", "count": 1},
        {"category": "food", "total": "81.20", "count": 3},
        {"category": "transport", "total": "42.00", "count": 1},
    ]
    statuses = {b["category"]: b for b in json_of(runner, "budget", "list", "--month", NOVEMBER)}
    assert (statuses["food"]["spent"], statuses["Rent"]["threshold"]) == ("81.20", 90)
    history = json_of(runner, "alerts", "history")
    assert [(a["level"], a["delivery_status"]) for a in history] == [
        ("exceeded", "failed"),
        ("warning", "delivered"),
        ("budget_alert", "delivered"),
    ]
    assert json_of(runner, "alerts", "--month", NOVEMBER) == []
    # Every item is back exactly, the null description too: a second restore finds them.
    again = json_of(runner, "restore", str(FIXTURE))
    assert sum(k["unchanged"] for k in again["kinds"]) == 15 and again["conflicts"] == []


def test_the_tombstones_of_earlier_versions_are_found_by_a_backup_after_the_migration(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    import uuid

    earlier = str(uuid.uuid5(uuid.NAMESPACE_URL, "removed before this version"))
    store.put(
        "expenses",
        {"expense_id": earlier, "deleted_by": alice.user_id, "deleted_at": "2026-11-01T00:00:00"},
    )
    before = item_lines(back_up(runner, tmp_path / "before.jsonl"))
    assert [line["kind"] for line in before].count("tombstone") == 0
    assert budget(runner, "init-tables", "--migrate").exit_code == 0
    after = item_lines(back_up(runner, tmp_path / "after.jsonl"))
    (tombstone,) = [line["item"] for line in after if line["kind"] == "tombstone"]
    assert tombstone["expense_id"] == {"S": earlier}


def test_a_failed_backup_leaves_the_file_that_was_there(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "backup.jsonl"
    target.write_text("an older backup\n")
    os.chmod(target, 0o600)
    assert budget(runner, "logout").exit_code == 0
    result = budget(runner, "backup", str(target))
    assert result.exit_code == ExitCode.AUTH
    assert target.read_text() == "an older backup\n"
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []


def test_import_profiles_move_with_the_account(
    alice: User, runner: CliRunner, tmp_path: Path, other_tables: Callable[[], Store]
) -> None:
    bank = "Date,Memo,Amount,Balance\n2026-11-04,Shop,-2.00,98.00\n2026-11-05,Bus,-1.00,97.00\n"
    assert budget(runner, "import", "-", stdin=bank).exit_code == 0
    profiles = json_of(runner, "import", "profiles", "list")
    assert len(profiles) == 1
    backup = back_up(runner, tmp_path / "alice.jsonl")
    assert [line["kind"] for line in item_lines(backup)].count("import-profiles") == 1

    other_tables()
    assert restore(runner, backup).exit_code == 0
    login(runner, "alice")
    assert json_of(runner, "import", "profiles", "list") == profiles
    again = budget(runner, "import", "-", "--format", "json", stdin=bank)
    assert json.loads(again.stdout)["duplicates"] == 2
