"""budgetcli and the Smart Budget web app on the same tables, checked in both directions.

The web app is its own data-access code (tests/seed_client.py), run as a second client
on the tables `budget init-tables` made, on both engines.
"""

from __future__ import annotations

import json
import os
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import config
from budgetcli.cli import app
from budgetcli.errors import ExitCode
from budgetcli.models import User
from budgetcli.store import Store
from budgetcli.tables.budgets import budget_id_for
from budgetcli.tables.users import UNKNOWN_LOGINS
from tests.helpers import PASSWORD, log_in, table_items
from tests.seed_client import DynamoDBClient

NOVEMBER = "2026-11"


@pytest.fixture
def web(store: Store) -> DynamoDBClient:
    """The web app's client on this test's tables (DynamoDB Local's endpoint, or moto)."""
    return DynamoDBClient(store.prefix, os.environ.get("BUDGET_ENDPOINT_URL"))


def found(item: dict[str, Any] | None) -> dict[str, Any]:
    assert item is not None
    return item


def budget(runner: CliRunner, *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin)


def json_of(runner: CliRunner, *args: str) -> Any:
    result = budget(runner, *args, "--format", "json")
    assert result.exit_code == 0, (args, result.stderr)
    return json.loads(result.stdout)


def web_user(web: DynamoDBClient, username: str = "Carol", email: str = "Carol@Example.com") -> Any:
    from werkzeug.security import generate_password_hash

    return web.create_user(username, email, generate_password_hash(PASSWORD), "+15555550123")


def login(runner: CliRunner, username: str, password: str = PASSWORD) -> Any:
    return budget(runner, "login", username, "--password-stdin", stdin=f"{password}\n")


# --- accounts ----------------------------------------------------------------------------


def test_a_web_app_user_logs_in_and_uses_every_command(
    store: Store, web: DynamoDBClient, runner: CliRunner
) -> None:
    carol = web_user(web)
    assert login(runner, "carol").exit_code == ExitCode.AUTH  # not yet: the name as stored
    logged_in = login(runner, "Carol")
    assert logged_in.exit_code == 0, logged_in.stderr
    assert json_of(runner, "whoami") == {
        "user_id": carol["user_id"],
        "username": "Carol",
        "email": "Carol@Example.com",
    }
    assert budget(runner, "add", "12.50", "food", "--date", "2026-11-03").exit_code == 0
    web.add_expense(carol["user_id"], 7.5, "Food", "from the phone", "2026-11-04")
    listed = json_of(runner, "list", "--month", NOVEMBER, "--category", "FOOD")
    assert sorted(row["amount"] for row in listed) == ["12.50", "7.50"]
    assert json_of(runner, "report", "--month", NOVEMBER) == [
        {"category": "food", "total": "20.00", "count": 2}
    ]
    assert budget(runner, "budget", "set", "food", "25").exit_code == 0
    (alert,) = json_of(runner, "alerts", "--month", NOVEMBER)
    assert (alert["category"], alert["level"]) == ("food", "warning")
    assert [a["level"] for a in json_of(runner, "alerts", "history")] == ["warning"]
    # After the first login the account is found in any case, like budgetcli's own.
    assert budget(runner, "logout").exit_code == 0
    assert login(runner, "CAROL").exit_code == 0
    # What the web app reads of its user is unchanged; no marker is on its indexes.
    seen = found(web.get_user_by_username("Carol"))
    assert {key: seen[key] for key in carol} == carol
    assert web.get_user_by_username("carol") is None
    assert found(web.get_user_by_email("Carol@Example.com"))["user_id"] == carol["user_id"]
    # The web app reads what budgetcli wrote, with Decimal amounts.
    expenses = web.get_expenses_by_user(carol["user_id"])
    assert sorted(item["amount"] for item in expenses) == [Decimal("7.5"), Decimal("12.5")]
    (stored_budget,) = web.get_budgets_by_user(carol["user_id"])
    assert stored_budget["alert_threshold"] == 80
    (notification,) = web.get_notifications_by_user(carol["user_id"])
    assert {"user_id", "type", "message", "delivery_method", "created_at"} <= set(notification)


def test_a_wrong_password_for_a_web_app_user_is_refused_like_any_other(
    store: Store, web: DynamoDBClient, runner: CliRunner
) -> None:
    web_user(web)
    wrong = login(runner, "Carol", "not the password!")
    unknown = login(runner, "nobody-at-all")
    assert wrong.exit_code == unknown.exit_code == ExitCode.AUTH
    assert wrong.stderr == unknown.stderr == "error: wrong username or password\n"


def test_the_count_of_unknown_logins_is_on_none_of_the_web_apps_indexes(
    store: Store, web: DynamoDBClient, runner: CliRunner
) -> None:
    assert login(runner, "nobody-at-all").exit_code == ExitCode.AUTH
    (counter,) = [i for i in table_items(store, "users") if i["user_id"] == UNKNOWN_LOGINS]
    # GSIs hold only items with their key attribute: no username, no email, no index.
    assert "username" not in counter and "email" not in counter
    assert web.get_user_by_username(UNKNOWN_LOGINS) is None
    assert web.get_user_by_username("nobody-at-all") is None


@pytest.mark.parametrize(
    "username, email, taken",
    [
        ("dave", "new@example.com", "username 'dave' is taken"),
        ("Dave", "new@example.com", "username 'dave' is taken"),
        ("erin", "dave@example.com", "email 'dave@example.com' is already registered"),
        ("erin", "DAVE@EXAMPLE.COM", "email 'DAVE@EXAMPLE.COM' is already registered"),
    ],
)
def test_register_refuses_what_a_web_app_user_has(
    store: Store, web: DynamoDBClient, runner: CliRunner, username: str, email: str, taken: str
) -> None:
    # A GSI matches exact values only: the name is looked up as typed and lower-cased,
    # the email as typed and case-folded.
    web_user(web, "dave", "dave@example.com")
    before = table_items(store, "users")
    result = budget(
        runner, "register", username, "--email", email, "--password-stdin", stdin=f"{PASSWORD}\n"
    )
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith(f"error: {taken}")
    assert table_items(store, "users") == before


def test_budgetcli_users_are_what_the_web_app_finds(
    store: Store, web: DynamoDBClient, alice: User
) -> None:
    item = found(web.get_user_by_username("alice"))
    assert item["user_id"] == alice.user_id and item["email"] == "alice@example.com"
    assert item["password_hash"].startswith("scrypt:")
    assert found(web.get_user_by_email("alice@example.com"))["user_id"] == alice.user_id


# --- budgets -----------------------------------------------------------------------------


def test_a_web_app_budget_is_the_one_budgetcli_uses_and_changes(
    store: Store, web: DynamoDBClient, alice: User, runner: CliRunner
) -> None:
    made = web.create_budget(alice.user_id, "Food", 100, alert_threshold=50)
    web.add_expense(alice.user_id, 60, "food", "groceries", "2026-11-05")
    (status,) = json_of(runner, "budget", "list", "--month", NOVEMBER)
    assert (status["category"], status["threshold"], status["spent"]) == ("Food", 50, "60.00")
    (alert,) = json_of(runner, "alerts", "--month", NOVEMBER)
    assert (alert["level"], alert["category"]) == ("warning", "Food")

    assert budget(runner, "budget", "set", "food", "250", "--threshold", "90").exit_code == 0
    (item,) = table_items(store, "budgets")
    assert item["budget_id"] == made["budget_id"]
    assert (item["category"], item["amount"], item["alert_threshold"]) == ("Food", 250, 90)
    assert found(web.get_budget_for_category(alice.user_id, "Food"))["alert_threshold"] == 90

    removed = budget(runner, "budget", "rm", "FOOD")
    assert removed.exit_code == 0 and "removed the budget for Food" in removed.stderr
    assert web.get_budgets_by_user(alice.user_id) == []


def test_a_budget_set_here_is_read_by_the_web_app(
    store: Store, web: DynamoDBClient, alice: User, runner: CliRunner
) -> None:
    assert budget(runner, "budget", "set", "food", "400", "--threshold", "75").exit_code == 0
    item = found(web.get_budget_for_category(alice.user_id, "food"))
    assert set(item) == {
        "budget_id",
        "user_id",
        "category",
        "amount",
        "alert_threshold",
        "created_at",
    }
    assert (item["amount"], item["alert_threshold"]) == (400, 75)


def test_two_web_app_budgets_for_one_category_are_said_not_picked(
    store: Store, web: DynamoDBClient, alice: User, runner: CliRunner
) -> None:
    first = web.create_budget(alice.user_id, "food", 100)
    second = web.create_budget(alice.user_id, "Food", 200)
    assert len(json_of(runner, "budget", "list")) == 2
    for args in (["budget", "set", "food", "300"], ["budget", "rm", "food"]):
        refused = budget(runner, *args)
        assert refused.exit_code == ExitCode.ERROR
        assert "2 budgets are set for 'food'" in refused.stderr
        assert first["budget_id"] in refused.stderr and second["budget_id"] in refused.stderr
        assert "--id" in refused.stderr and refused.stderr.count("\n") == 1
    assert sorted(item["amount"] for item in table_items(store, "budgets")) == [100, 200]
    chosen = budget(runner, "budget", "rm", "food", "--id", second["budget_id"])
    assert chosen.exit_code == 0, chosen.stderr
    assert [item["budget_id"] for item in table_items(store, "budgets")] == [first["budget_id"]]


# --- notifications and tombstones --------------------------------------------------------


def test_notifications_of_any_type_are_listed_as_they_are(
    store: Store, web: DynamoDBClient, alice: User, runner: CliRunner
) -> None:
    web.create_notification(alice.user_id, "budget_alert", "Food is at 90%", "email")
    table = budget(runner, "alerts", "history")
    assert table.exit_code == 0, table.stderr
    assert "budget_alert" in table.stdout and "email" in table.stdout
    (entry,) = json_of(runner, "alerts", "history")
    assert (entry["level"], entry["message"], entry["delivery_method"]) == (
        "budget_alert",
        "Food is at 90%",
        "email",
    )
    assert entry["spent"] is None and entry["percent"] is None


def test_a_removed_import_leaves_nothing_on_the_web_apps_indexes(
    store: Store, web: DynamoDBClient, alice: User, runner: CliRunner
) -> None:
    statement = "date,amount,category\n2026-11-01,1.00,food\n2026-11-02,2.00,food\n"
    assert budget(runner, "import", "-", stdin=statement).exit_code == 0
    gone = next(row for row in json_of(runner, "list") if row["amount"] == "1.00")
    assert budget(runner, "rm", gone["expense_id"]).exit_code == 0
    for items in (web.get_all_expenses(alice.user_id), web.get_expenses_by_user(alice.user_id)):
        assert [item["amount"] for item in items] == [Decimal("2")]
        assert all({"amount", "date", "category"} <= set(item) for item in items)
    reimport = budget(runner, "import", "-", "--format", "json", stdin=statement)
    assert json.loads(reimport.stdout)["imported"] == 0
    # It stands in a partition of user_id-index that is no user's, found with one Query.
    (tombstone,) = [i for i in table_items(store, "expenses") if "deleted_at" in i]
    assert tombstone["user_id"] == f"REMOVED#{alice.user_id}"
    assert tombstone["deleted_by"] == alice.user_id and "date" not in tombstone


EXPENSE_ITEM = {"expense_id", "user_id", "amount", "category", "description", "date", "created_at"}


def test_import_profiles_are_on_none_of_the_web_apps_indexes(
    store: Store, web: DynamoDBClient, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    statement = "Date,Description,Amount\n28/02/2026,Shop,-3.00\n01/03/2026,Bus,-2.00\n"
    (tmp_path / "bank.csv").write_text(statement)
    result = budget(runner, "import", str(tmp_path / "bank.csv"), "--profile", "mybank")
    assert result.exit_code == 0, result.stderr
    key = f"IMPORT_PROFILES#{alice.user_id}"
    assert [i["user_id"] for i in table_items(store, "users") if i["user_id"] == key] == [key]
    # The web app finds its users by these two indexes only: the profiles are on neither.
    for index in ("username-index", "email-index"):
        assert [item["user_id"] for item in table_items(store, "users", index)] == [alice.user_id]
    assert found(web.get_user_by_username("alice"))["user_id"] == alice.user_id
    assert found(web.get_user_by_email("alice@example.com"))["user_id"] == alice.user_id
    # What the import stored is the seed's expense item, and where its category came from.
    expenses = web.get_all_expenses(alice.user_id)
    assert sorted(item["amount"] for item in expenses) == [Decimal("2"), Decimal("3")]
    assert all(set(item) == EXPENSE_ITEM | {"category_origin"} for item in expenses)
    assert len(web.get_expenses_by_user(alice.user_id)) == 2


# --- upgrading data written by budgetcli before 0.2 ---------------------------------------


def write_old_shapes(store: Store, user: User) -> dict[str, str]:
    """A budget, a tombstone and an expense as budgetcli 0.1 wrote them."""
    budget_id = budget_id_for(user.user_id, "food")
    store.put(
        "budgets",
        {
            "budget_id": budget_id,
            "user_id": user.user_id,
            "category": "food",
            "amount": Decimal(100),
            "threshold": 60,
            "created_at": "2026-10-01T00:00:00+00:00",
            "updated_at": "2026-10-02T00:00:00+00:00",
        },
    )
    tombstone_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "an old import"))
    store.put(
        "expenses",
        {
            "expense_id": tombstone_id,
            "user_id": user.user_id,
            "deleted_at": "2026-10-03T00:00:00+00:00",
        },
    )
    # and one as development versions after 0.1 wrote them, with no user_id at all
    store.put(
        "expenses",
        {
            "expense_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "a later import")),
            "deleted_by": user.user_id,
            "deleted_at": "2026-10-04T00:00:00+00:00",
        },
    )
    return {"budget_id": budget_id, "tombstone_id": tombstone_id}


def test_data_of_budgetcli_0_1_keeps_working_and_migrates_once(
    store: Store, web: DynamoDBClient, alice: User, runner: CliRunner
) -> None:
    old = write_old_shapes(store, alice)
    web.add_expense(alice.user_id, 70, "food", None, "2026-11-05")
    # Read by the new code as it is.
    (status,) = json_of(runner, "budget", "list", "--month", NOVEMBER)
    assert (status["threshold"], status["spent"]) == (60, "70.00")
    assert [a["level"] for a in json_of(runner, "alerts", "--month", NOVEMBER)] == ["warning"]
    gone = budget(runner, "edit", old["tombstone_id"], "--amount", "5")
    assert gone.exit_code == ExitCode.ERROR and "no such expense" in gone.stderr
    # The web app sees the old tombstone on its "all expenses" index until the migration.
    assert len(web.get_all_expenses(alice.user_id)) == 2

    migrated = json_of(runner, "init-tables", "--migrate")
    assert [row["detail"] for row in migrated if row["status"] == "migrated"] == [
        "2 tombstones of removed imports upgraded",
        "1 budget given alert_threshold",
    ]
    again = json_of(runner, "init-tables", "--migrate")
    assert [row["detail"] for row in again if row["status"] == "migrated"] == [
        "0 tombstones of removed imports upgraded",
        "0 budgets given alert_threshold",
    ]
    assert [item["amount"] for item in web.get_all_expenses(alice.user_id)] == [70]
    (upgraded,) = web.get_budgets_by_user(alice.user_id)
    assert upgraded["alert_threshold"] == 60
    assert "threshold" not in upgraded and "updated_at" not in upgraded
    tombstones = [i for i in table_items(store, "expenses") if "deleted_at" in i]
    assert {tuple(sorted(t)) for t in tombstones} == {
        ("deleted_at", "deleted_by", "expense_id", "user_id")
    }
    assert {(t["user_id"], t["deleted_by"]) for t in tombstones} == {
        (f"REMOVED#{alice.user_id}", alice.user_id)
    }
    assert old["tombstone_id"] in {t["expense_id"] for t in tombstones}
    (status,) = json_of(runner, "budget", "list", "--month", NOVEMBER)
    assert status["threshold"] == 60


def test_the_session_of_a_web_app_user_survives_a_check(
    store: Store, web: DynamoDBClient, runner: CliRunner
) -> None:
    carol = web_user(web)
    assert login(runner, "Carol").exit_code == 0
    session = json.loads(config.session_file().read_text())
    assert session["username"] == "Carol" and session["user_id"] == carol["user_id"]
    item = next(i for i in table_items(store, "users") if i["user_id"] == carol["user_id"])
    assert len(item["sessions"]) == 1
    log_in(store, "Carol")  # a second session beside the first
    item = next(i for i in table_items(store, "users") if i["user_id"] == carol["user_id"])
    assert len(item["sessions"]) == 2


# --- categories ----------------------------------------------------------------------------


def test_rules_and_corrections_never_show_in_the_web_apps_queries(
    store: Store, web: DynamoDBClient, runner: CliRunner
) -> None:
    carol = web_user(web)
    assert login(runner, "Carol").exit_code == 0
    assert budget(runner, "rules", "add", "tesco", "groceries").exit_code == 0
    statement = "date,amount,description\n" + "".join(
        f"2026-11-0{n},{n}.00,TESCO STORES 32{n}7\n" for n in range(1, 4)
    )
    assert budget(runner, "import", "-", "--card", stdin=statement).exit_code == 0
    for expense in json_of(runner, "list"):
        assert budget(runner, "edit", expense["expense_id"], "--category", "food").exit_code == 0
    kept = {item["user_id"] for item in table_items(store, "users")}
    assert {f"RULES#{carol['user_id']}", f"MOVES#{carol['user_id']}"} <= kept
    # Every query the web app makes of the users table is by username or email.
    for name in ("Carol", f"RULES#{carol['user_id']}", "rules", "tesco"):
        found = web.get_user_by_username(name)
        assert found is None or found["user_id"] == carol["user_id"]
    assert found_users(web, carol) == [carol["user_id"]]
    # The expenses are the seed's, with one attribute more, on both of its indexes.
    for items in (
        web.get_all_expenses(carol["user_id"]),
        web.get_expenses_by_user(carol["user_id"]),
    ):
        assert sorted(item["category"] for item in items) == ["food", "food", "food"]
        assert all(item["category_origin"]["source"] == "person" for item in items)


def found_users(web: DynamoDBClient, carol: dict[str, Any]) -> list[str]:
    user = web.get_user_by_email(carol["email"])
    return [user["user_id"]] if user else []


def test_what_the_web_app_categorises_is_a_persons_and_never_proposed_over(
    store: Store, web: DynamoDBClient, alice: User, runner: CliRunner
) -> None:
    for n in range(3):
        web.add_expense(alice.user_id, 40, "Groceries", f"TESCO STORES 32{n}7", f"2026-11-0{n + 1}")
    web.add_expense(alice.user_id, 5, "uncategorized", "PRET A MANGER", "2026-11-05")
    statement = (
        "date,amount,description\n"
        "2026-11-10,38.50,TESCO STORES 0412 LONDON\n"
        "2026-11-11,12.00,SOMEWHERE NEW\n"
    )
    imported = budget(runner, "import", "-", "--card", "--format", "json", stdin=statement)
    summary = json.loads(imported.stdout)
    assert (summary["category_learned"], summary["category_fallback"]) == (1, 1)
    listed = {e["description"]: e["category"] for e in json_of(runner, "list")}
    assert listed["TESCO STORES 0412 LONDON"] == "Groceries"  # as the web app spells it
    # The web app files the new one by hand: budgetcli leaves it as the person set it.
    [new] = [
        item
        for item in web.get_all_expenses(alice.user_id)
        if item["description"] == "SOMEWHERE NEW"
    ]
    web.expenses_table.update_item(
        Key={"expense_id": new["expense_id"]},
        UpdateExpression="SET category = :c",
        ExpressionAttributeValues={":c": "Gifts"},
    )
    assert (
        json_of(runner, "categorize", "--dry-run", "--from", "2026-11-01", "--to", "2026-11-30")
        == []
    )
