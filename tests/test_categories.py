"""Categories against storage, on both engines: where each imported expense's category came
from, the rules kept with the account, learning from what is stored, and `budget
categorize` applying its proposals. Rules and learning without an engine are in
test_category_rules.py."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.models import Expense, User
from budgetcli.services.imports import ImportOptions, import_file
from budgetcli.statements import SignRule
from budgetcli.store import Store
from budgetcli.tables.expenses import to_item
from tests.helpers import log_in, run_in_threads, table_items

TODAY = date.today()


def expenses_of(store: Store, user_id: str) -> list[dict[str, Any]]:
    return sorted(
        (item for item in table_items(store, "expenses") if item.get("user_id") == user_id),
        key=lambda item: (item["date"], item["description"]),
    )


def stream(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


# A statement of positive amounts without a balance: a card's (`budget import --card`).
CARD = ImportOptions(sign_rule=SignRule.POSITIVE_OUT)


def days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def history(store: Store, user: User, rows: list[tuple[str, str, str]], *, start: int = 90) -> None:
    """Expenses a person categorised (`budget add`: random ids), one a day from `start`
    days ago: (description, amount, category)."""
    import uuid

    for n, (description, amount, category) in enumerate(rows):
        store.put(
            "expenses",
            to_item(
                Expense(
                    str(uuid.uuid4()),
                    user.user_id,
                    Decimal(amount),
                    category,
                    description,
                    TODAY - timedelta(days=start - n),
                    "2026-01-01T00:00:00+00:00",
                )
            ),
        )


def run(runner: CliRunner, *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=stdin)


def json_of(runner: CliRunner, *args: str, stdin: str | None = None) -> Any:
    result = run(runner, *args, "--format", "json", stdin=stdin)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


# --- an import keeps where each category came from ------------------------------------------


def test_an_import_stores_where_each_category_came_from(store: Store, alice: User) -> None:
    history(
        store,
        alice,
        [("CARD PAYMENT TO TESCO STORES 3297", "41.00", "groceries")] * 2
        + [("NETFLIX.COM", "10.99", "subscriptions")],
    )
    statement = (
        f"date,amount,description,category\n"
        f"{days_ago(3)},38.50,TESCO STORES 0412 LONDON,\n"
        f"{days_ago(2)},9.99,SOMEWHERE NEW,\n"
        f"{days_ago(1)},3.20,PRET A MANGER,coffee\n"
    )
    summary = import_file(store, alice.user_id, stream(statement))
    assert (summary.imported, summary.category_file, summary.category_learned) == (3, 1, 1)
    assert summary.category_fallback == 1 and summary.category_rule == 0
    imported = [item for item in expenses_of(store, alice.user_id) if item["date"] >= days_ago(3)]
    assert [(i["category"], i["category_origin"]) for i in imported] == [
        ("groceries", {"source": "learned", "category": "groceries"}),
        ("uncategorized", {"source": "fallback", "category": "uncategorized"}),
        ("coffee", {"source": "file", "category": "coffee"}),
    ]


def test_an_import_whose_rows_all_have_a_category_reads_no_rules_or_history(
    store: Store, alice: User, dynamodb_calls: list[str]
) -> None:
    statement = f"date,amount,category\n{days_ago(1)},1.00,food\n"
    assert import_file(store, alice.user_id, stream(statement)).imported == 1
    assert "Query" not in dynamodb_calls and "GetItem" not in dynamodb_calls


def test_learning_reads_two_years_or_one_busy_year(
    store: Store, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from budgetcli.services.categories import history as learned_from
    from budgetcli.services.categories import load

    history(store, alice, [("OLD FRIEND CAFE 12", "4.00", "coffee")], start=500)
    history(store, alice, [("TESCO STORES 1", "30.00", "groceries")] * 3, start=200)
    history(store, alice, [("NEXT YEAR GYM", "20.00", "fitness")], start=-300)
    learner = load(store, alice.user_id).learner
    assert learner.learned == 5 and learner.knows_payee("OLD FRIEND CAFE 99")
    monkeypatch.setattr(learned_from, "ENOUGH_RECENT", 5)
    assert load(store, alice.user_id).learner.learned == 5  # a quiet year: two are read
    monkeypatch.setattr(learned_from, "ENOUGH_RECENT", 4)
    busy = load(store, alice.user_id).learner
    assert busy.learned == 4 and not busy.knows_payee("OLD FRIEND CAFE 99")
    assert busy.knows_payee("NEXT YEAR GYM")


# --- rules with the account ---------------------------------------------------------------


def test_rules_are_added_listed_moved_and_removed(
    store: Store, alice: User, runner: CliRunner
) -> None:
    added = json_of(runner, "rules", "add", "TESCO", "Groceries")
    assert added == {
        "position": 1,
        "name": "TESCO",
        "field": "description",
        "match": "text",
        "pattern": "TESCO",
        "category": "groceries",
        "min_amount": None,
        "max_amount": None,
        "direction": None,
    }
    json_of(
        runner,
        "rules",
        "add",
        "^shell",
        "fuel",
        "--name",
        "shell fuel",
        "--regex",
        "--payee",
        "--min",
        "20",
        "--direction",
        "out",
    )
    json_of(runner, "rules", "add", "amazon", "books", "--max", "15", "--position", "1")
    listed = json_of(runner, "rules", "list")
    assert [(r["position"], r["name"]) for r in listed] == [
        (1, "amazon"),
        (2, "TESCO"),
        (3, "shell fuel"),
    ]
    assert (listed[2]["field"], listed[2]["match"], listed[2]["min_amount"]) == (
        "payee",
        "regex",
        "20.00",
    )
    moved = json_of(runner, "rules", "move", "Shell Fuel", "1")
    assert [r["name"] for r in moved] == ["shell fuel", "amazon", "TESCO"]
    table = run(runner, "rules", "list")
    assert table.exit_code == 0
    assert "payee matches regex '^shell'" in table.stdout and ">= 20.00, money out" in table.stdout
    clash = run(runner, "rules", "add", "x", "y", "--name", "tesco")
    assert clash.exit_code == 1
    assert clash.stderr == (
        "error: a rule named 'tesco' exists: choose another --name, or remove it first\n"
    )
    unknown = run(runner, "rules", "rm", "amazon", "nope")
    assert unknown.exit_code == 1 and "no rule named 'nope'" in unknown.stderr
    assert len(json_of(runner, "rules", "list")) == 3  # all or none
    removed = run(runner, "rules", "rm", "AMAZON", "tesco")
    assert removed.exit_code == 0 and removed.stderr == "removed 2 rules\n"
    assert [r["name"] for r in json_of(runner, "rules", "list")] == ["shell fuel"]


def test_rules_live_in_one_users_item_without_username_or_email(
    store: Store, alice: User, runner: CliRunner
) -> None:
    json_of(runner, "rules", "add", "tesco", "groceries")
    [item] = [i for i in table_items(store, "users") if i["user_id"] == f"RULES#{alice.user_id}"]
    assert item["owner_user_id"] == alice.user_id and item["revision"] == 1
    assert "username" not in item and "email" not in item
    assert item["rules"] == [
        {
            "name": "tesco",
            "field": "description",
            "match": "text",
            "pattern": "tesco",
            "category": "groceries",
        }
    ]


def test_rules_added_at_once_are_all_kept(store: Store, alice: User) -> None:
    from budgetcli.services.categories import rules

    def add(n: int) -> int:
        return rules.add_rule(store, alice.user_id, rules.new_rule(f"shop {n}", "x"))

    results = run_in_threads(4, add)
    assert sorted(results) == [1, 2, 3, 4], results  # type: ignore[type-var]
    assert sorted(r.name for r in rules.rules_of(store, alice.user_id)) == [
        f"shop {n}" for n in range(4)
    ]


def test_rules_export_and_import_into_another_account(
    store: Store, alice: User, bob: User, runner: CliRunner, tmp_path: Path
) -> None:
    json_of(runner, "rules", "add", "tesco", "groceries")
    json_of(runner, "rules", "add", "shell", "fuel", "--min", "20.5")
    exported = run(runner, "rules", "export")
    assert exported.exit_code == 0
    document = json.loads(exported.stdout)
    assert document["format"] == "budgetcli-rules" and len(document["rules"]) == 2
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(exported.stdout)
    log_in(store, "bob")
    json_of(runner, "rules", "add", "shell", "car")
    assert json_of(runner, "rules", "import", str(rules_file)) == {
        "added": 1,
        "replaced": 1,
        "total": 2,
    }
    again = json_of(runner, "rules", "import", "-", stdin=exported.stdout)
    assert again == {"added": 0, "replaced": 2, "total": 2}
    assert [
        (r["name"], r["category"], r["min_amount"]) for r in json_of(runner, "rules", "list")
    ] == [
        ("shell", "fuel", "20.50"),
        ("tesco", "groceries", None),
    ]
    json_of(runner, "rules", "add", "extra", "x")
    replaced = json_of(runner, "rules", "import", str(rules_file), "--replace")
    assert replaced == {"added": 2, "replaced": 0, "total": 2}


def test_a_bad_rules_file_changes_nothing(
    store: Store, alice: User, runner: CliRunner, tmp_path: Path
) -> None:
    json_of(runner, "rules", "add", "tesco", "groceries")
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"format": "budgetcli-rules", "version": 1, "rules": '
        '[{"pattern": "ok", "category": "a"}, {"pattern": "x(", "match": "regex", '
        '"category": "b"}]}'
    )
    result = run(runner, "rules", "import", str(bad))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: rule 2: 'x(' is not a regular expression")
    assert [r["name"] for r in json_of(runner, "rules", "list")] == ["tesco"]
    missing = run(runner, "rules", "import", str(tmp_path / "nope.json"))
    assert missing.exit_code == 1 and missing.stderr.startswith("error: cannot read ")


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["x(", "c", "--regex"], 1, "error: 'x(' is not a regular expression"),
        (["x", "c", "--min", "20", "--max", "10"], 1, "error: --min 20.00 is more than --max"),
        (["x", "c", "--min", "-3"], 1, "error: amount '-3' must be positive"),
        (["x", ""], 1, "error: category is empty"),
        (["x", "c", "--direction", "sideways"], 2, "Invalid value for '--direction'"),
        (["x", "c", "--position", "0"], 2, "Invalid value for '--position'"),
    ],
)
def test_a_bad_rule_is_refused_before_storage(
    runner: CliRunner, no_storage: None, args: list[str], code: int, message: str
) -> None:
    result = run(runner, "rules", "add", *args)
    assert result.exit_code == code
    assert message in result.stderr


def test_an_import_uses_the_rules_of_the_account(
    store: Store, alice: User, runner: CliRunner
) -> None:
    json_of(runner, "rules", "add", "pret", "coffee")
    json_of(runner, "rules", "add", "tesco stores", "groceries", "--payee", "--max", "100")
    statement = (
        "date,amount,description\n"
        f"{days_ago(3)},4.20,PRET A MANGER 0412\n"
        f"{days_ago(2)},41.00,CARD PAYMENT TO TESCO STORES 3297\n"
        f"{days_ago(1)},400.00,CARD PAYMENT TO TESCO STORES 3297\n"
    )
    summary = json_of(runner, "import", "-", "--card", "--category", "bank", stdin=statement)
    assert (summary["category_rule"], summary["category_fallback"]) == (2, 1)
    table = run(runner, "import", "-", "--card", "--category", "bank", stdin=statement)
    shown = " ".join(table.stdout.split())
    assert "categories: 2 by your rules, 1 left in the fallback category" in shown
    items = expenses_of(store, alice.user_id)
    assert [(i["category"], i["category_origin"].get("rule")) for i in items] == [
        ("coffee", "pret"),
        ("groceries", "tesco stores"),
        ("bank", None),
    ]


# --- reviewing what imports left uncategorised ----------------------------------------------

TESCO_HISTORY = [
    ("CARD PAYMENT TO TESCO STORES 3297", "41.00", "groceries"),
    ("TESCO STORES 2341 MANCHESTER GB", "23.50", "groceries"),
    ("CARD PAYMENT TO TESCO STORES 0007", "35.10", "groceries"),
    ("NETFLIX.COM 4029357733", "10.99", "subscriptions"),
]
WAITING = (
    "date,amount,description\n"
    f"{days_ago(5)},38.50,TESCO STORES 0412 LONDON\n"
    f"{days_ago(4)},4.20,PRET A MANGER 0412\n"
    f"{days_ago(3)},17.00,SOMEWHERE NEW\n"
)


def imported_uncategorised(store: Store, user: User) -> None:
    """An import before any history or rule: every row in the fallback."""
    summary = import_file(store, user.user_id, stream(WAITING), CARD)
    assert summary.category_fallback == 3


def test_categorize_proposes_from_rules_and_history_and_says_why(
    store: Store, alice: User, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported_uncategorised(store, alice)
    history(store, alice, TESCO_HISTORY)
    json_of(runner, "rules", "add", "pret", "coffee")
    proposals = json_of(runner, "categorize", "--dry-run")
    assert [(p["description"], p["category"], p["applied"]) for p in proposals] == [
        ("TESCO STORES 0412 LONDON", "uncategorized", False),
        ("PRET A MANGER 0412", "uncategorized", False),
        ("SOMEWHERE NEW", "uncategorized", False),
    ]
    tesco, pret, new = proposals
    assert tesco["proposed"]["category"] == "groceries"
    assert (tesco["proposed"]["source"], tesco["proposed"]["basis"]) == ("learned", "payee")
    assert (tesco["proposed"]["payee"], tesco["proposed"]["payee_seen"]) == ("tesco stores", 3)
    assert [e["description"] for e in tesco["proposed"]["examples"]] == [
        "CARD PAYMENT TO TESCO STORES 0007",
        "TESCO STORES 2341 MANCHESTER GB",
        "CARD PAYMENT TO TESCO STORES 3297",
    ]
    assert pret["proposed"] == {
        "category": "coffee",
        "source": "rule",
        "confidence": 1.0,
        "rule": "pret",
    }
    assert new["proposed"] is None and new["suggestions"]  # unsure: guesses only
    monkeypatch.setenv("COLUMNS", "200")  # one line per row
    table = run(runner, "categorize", "--dry-run")
    assert table.exit_code == 0
    shown = " ".join(table.stdout.split())
    assert "groceries 96%: 3 past 'tesco stores'" in shown and "coffee rule 'pret'" in shown
    assert "SOMEWHERE NEW ? unsure: subscriptions 63%, groceries 37%" in shown
    assert table.stderr == ""  # not a terminal: a run that went well writes nothing there
    from budgetcli import output

    monkeypatch.setattr(output, "terminal_note", output.note)  # as at a terminal
    at_a_terminal = run(runner, "categorize", "--dry-run")
    assert at_a_terminal.stderr == "dry run: 2 of 3 would be categorised; nothing was changed\n"
    assert {i["category"] for i in expenses_of(store, alice.user_id) if "category_origin" in i} == {
        "uncategorized"
    }


def test_categorize_applies_on_yes_and_leaves_what_people_set(
    store: Store, alice: User, runner: CliRunner
) -> None:
    imported_uncategorised(store, alice)
    history(store, alice, TESCO_HISTORY + [("PRET A MANGER", "4.00", "uncategorized")])
    json_of(runner, "rules", "add", "pret", "coffee")
    applied = json_of(runner, "categorize", "--yes")
    assert [(p["description"], p["applied"]) for p in applied] == [
        ("TESCO STORES 0412 LONDON", True),
        ("PRET A MANGER 0412", True),
        ("SOMEWHERE NEW", False),
    ]
    by_description = {i["description"]: i for i in expenses_of(store, alice.user_id)}
    assert by_description["TESCO STORES 0412 LONDON"]["category_origin"] == {
        "source": "learned",
        "category": "groceries",
    }
    assert by_description["PRET A MANGER 0412"]["category_origin"] == {
        "source": "rule",
        "category": "coffee",
        "rule": "pret",
    }
    assert by_description["SOMEWHERE NEW"]["category"] == "uncategorized"
    # A person filed this under "uncategorized" with `add`: never proposed over.
    assert by_description["PRET A MANGER"]["category"] == "uncategorized"
    again = json_of(runner, "categorize", "--yes")
    assert [(p["description"], p["proposed"], p["applied"]) for p in again] == [
        ("SOMEWHERE NEW", None, False)
    ]


def test_categorize_asks_first_and_what_a_person_accepts_teaches(
    store: Store, alice: User, runner: CliRunner
) -> None:
    imported_uncategorised(store, alice)
    history(store, alice, TESCO_HISTORY)
    declined = run(runner, "categorize", stdin="n\n")
    assert declined.exit_code == 0
    assert "Apply 1 categories? [y/N]" in declined.stderr
    assert "nothing was changed (pass --yes to apply without asking)" in declined.stderr
    closed = run(runner, "categorize")  # no terminal, no answer: nothing applied
    assert closed.exit_code == 0 and "nothing was changed" in closed.stderr
    accepted = run(runner, "categorize", stdin="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert accepted.stderr.rstrip().endswith("Apply 1 categories? [y/N]:")
    [tesco] = [i for i in expenses_of(store, alice.user_id) if i["description"].endswith("LONDON")]
    assert tesco["category_origin"] == {"source": "confirmed", "category": "groceries"}
    from budgetcli.services.categories.history import teaches
    from budgetcli.tables.expenses import from_item

    assert teaches(from_item(tesco))


def test_an_expense_changed_during_the_review_is_left_as_it_is(store: Store, alice: User) -> None:
    from budgetcli.dates import DateRange
    from budgetcli.services.categories import review
    from budgetcli.services.expenses import Changes, edit_expense

    imported_uncategorised(store, alice)
    history(store, alice, TESCO_HISTORY)
    found = review.proposals(store, alice.user_id, DateRange())
    [tesco] = [p for p in found if p.decision is not None]
    import uuid

    edit_expense(
        store, alice.user_id, uuid.UUID(tesco.expense.expense_id), Changes(category="treats")
    )
    done = review.apply(store, found, confirmed=False)
    assert (done.applied, done.changed) == (0, 1)
    [item] = [
        i for i in expenses_of(store, alice.user_id) if i["expense_id"] == tesco.expense.expense_id
    ]
    assert item["category"] == "treats"
    assert item["category_origin"] == {"source": "person", "category": "treats"}


def test_old_imports_into_a_named_fallback_are_reviewed_when_asked(
    store: Store, alice: User, runner: CliRunner
) -> None:
    json_of(runner, "import", "-", "--card", "--category", "bank", stdin=WAITING)
    # as budgetcli before this version left them: no category_origin
    for item in expenses_of(store, alice.user_id):
        del item["category_origin"]
        store.put("expenses", item)
    history(store, alice, TESCO_HISTORY)
    assert json_of(runner, "categorize", "--dry-run") == []
    found = json_of(runner, "categorize", "--dry-run", "--fallback", "Bank")
    assert [p["proposed"] and p["proposed"]["category"] for p in found] == ["groceries", None, None]


def test_categorize_refuses_contradictions_before_storage(
    runner: CliRunner, no_storage: None
) -> None:
    both = run(runner, "categorize", "--dry-run", "--yes")
    assert both.exit_code == 1
    assert both.stderr == "error: --dry-run and --yes contradict each other\n"
    evaluating = run(runner, "categorize", "--eval", "--yes")
    assert evaluating.exit_code == 1 and evaluating.stderr.startswith("error: --eval only replays")


def test_the_eval_replays_history_month_by_month(
    store: Store, alice: User, runner: CliRunner
) -> None:
    imported_uncategorised(store, alice)  # fallback rows teach nothing
    rows = []
    for month in range(4):
        for n in range(5):
            rows.append((f"CARD PAYMENT TO TESCO STORES {n}", "30.00", "groceries"))
        rows.append((["ALPHA CAFE", "BRAVO SHOP", "CHARLIE", "DELTA"][month], "9.00", "misc"))
    import uuid

    first = date(TODAY.year - 1, 1, 1)
    for n, (description, amount, category) in enumerate(rows):
        day = date(first.year, 1 + n // 6, 1 + n % 6)
        store.put(
            "expenses",
            to_item(
                Expense(
                    str(uuid.uuid4()),
                    alice.user_id,
                    Decimal(amount),
                    category,
                    description,
                    day,
                    "2026-01-01T00:00:00+00:00",
                )
            ),
        )
    result = json_of(runner, "categorize", "--eval", "--from", str(first))
    assert result == {
        "months": 3,
        "rows": 18,
        "decided": 15,
        "correct": 15,
        "coverage": "83.3",
        "accuracy": "100.0",
        "seen_rows": 15,
        "seen_decided": 15,
        "seen_abstention": "0.0",
    }
    table = run(runner, "categorize", "--eval", "--from", str(first))
    assert table.exit_code == 0 and "83.3%" in table.stdout
    empty = run(runner, "categorize", "--eval", "--from", str(TODAY))
    assert empty.exit_code == 0 and "nothing to replay" in empty.stderr


# --- corrections offered as a rule ----------------------------------------------------------


def test_moving_a_payees_imports_three_times_offers_a_rule(
    store: Store, alice: User, runner: CliRunner
) -> None:
    statement = "date,amount,description\n" + "".join(
        f"{days_ago(n)},{n}.50,CARD PAYMENT TO TESCO STORES 32{n}7\n" for n in range(1, 5)
    )
    json_of(runner, "import", "-", "--card", stdin=statement)
    ids = [i["expense_id"] for i in expenses_of(store, alice.user_id)]
    notes = []
    for expense_id in ids[:3]:
        edited = run(runner, "edit", expense_id, "--category", "Groceries", "--format", "json")
        assert edited.exit_code == 0, edited.stderr
        assert json.loads(edited.stdout)["category"] == "groceries"
        notes.append(edited.stderr)
    assert notes[:2] == ["", ""]
    assert notes[2] == (
        "you moved 3 'tesco stores' expenses to groceries: add a rule with "
        "`budget rules add 'tesco stores' groceries --payee`\n"
    )
    item = next(i for i in expenses_of(store, alice.user_id) if i["expense_id"] == ids[0])
    assert item["category_origin"] == {"source": "person", "category": "groceries"}
    json_of(runner, "rules", "add", "tesco stores", "groceries", "--payee")
    quiet = run(runner, "edit", ids[3], "--category", "groceries")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    # an expense added by hand is not an import's: nothing counted
    [added] = [json_of(runner, "add", "3", "x", "TESCO STORES 1")]
    assert run(runner, "edit", added["expense_id"], "--category", "y").stderr == ""


def test_a_review_of_an_old_month_learns_from_corrections_around_it(
    store: Store, alice: User, runner: CliRunner
) -> None:
    statement = "date,amount,description\n" + "".join(
        f"2017-04-{day:02},{amount},CARD PAYMENT TO TESCO STORES 3297\n"
        for day, amount in [(3, "41.00"), (10, "23.50"), (17, "35.10"), (24, "38.50")]
    )
    json_of(runner, "import", "-", "--card", "--category", "bank", stdin=statement)
    first_three = sorted(json_of(runner, "list", "--month", "2017-04"), key=lambda e: e["date"])
    for expense in first_three[:3]:
        assert run(runner, "edit", expense["expense_id"], "--category", "groceries").exit_code == 0

    (waiting,) = json_of(runner, "categorize", "--month", "2017-04", "--dry-run")
    assert waiting["date"] == "2017-04-24"
    assert waiting["proposed"]["category"] == "groceries"
    table = run(runner, "categorize", "--month", "2017-04", "--dry-run")
    assert "1 expense without a category, 1 with a proposal" in " ".join(table.stdout.split())
