"""Categories against storage, on both engines: where each imported expense's category came
from, the rules kept with the account, learning from what is stored, and `budget
categorize` applying its proposals. Rules and learning without an engine are in
test_category_rules.py."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.models import Expense, User
from budgetcli.services.imports import import_expenses
from budgetcli.store import Store
from budgetcli.tables.expenses import to_item
from tests.helpers import table_items

TODAY = date.today()


def expenses_of(store: Store, user_id: str) -> list[dict[str, Any]]:
    return sorted(
        (item for item in table_items(store, "expenses") if item.get("user_id") == user_id),
        key=lambda item: (item["date"], item["description"]),
    )


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


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
    summary = import_expenses(store, alice.user_id, lines(statement))
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
    assert import_expenses(store, alice.user_id, lines(statement)).imported == 1
    assert "Query" not in dynamodb_calls and "GetItem" not in dynamodb_calls
