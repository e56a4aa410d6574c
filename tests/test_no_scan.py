"""No command ever reads a table with Scan: its cost would grow with every user's data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.store import Store
from tests.helpers import PASSWORD, SessionIds
from tests.test_cli import all_commands

NEW_PASSWORD = "another long passphrase"
# `budget local ...` manages the engine process and sends no DynamoDB requests.
NOT_STORAGE_COMMANDS = {"local start", "local stop", "local status", "local install"}


def session() -> list[tuple[list[str], str | None]]:
    """One invocation of every storage command, in an order that makes each one succeed."""
    return [
        (["init-tables"], None),
        (["register", "carol", "--email", "carol@example.com", "--password-stdin"], PASSWORD),
        (["login", "carol", "--password-stdin"], PASSWORD),
        (["whoami"], None),
        (["add", "12.50", "food", "--date", "2026-11-03"], None),
        (["list", "--month", "2026-11", "--category", "food"], None),
        (["budget", "set", "food", "10"], None),
        (["budget", "list", "--month", "2026-11"], None),
        (["alerts", "--month", "2026-11"], None),
        (["alerts", "history"], None),
        (["report", "--month", "2026-11"], None),
        (["report", "--by", "month", "--category", "food"], None),
        (["budget", "rm", "food"], None),
        (["edit", "{expense_id}", "--amount", "13.00"], None),
        (["rm", "{expense_id}"], None),
        (["import", "-"], "date,amount,category\n2026-11-04,1.00,food\n"),
        (["import", "-"], "Date,Memo,Amount\n2026-11-04,Shop,-2.00\n2026-11-05,Bus,-1.00\n"),
        (["import", "profiles", "list"], None),
        (["import", "profiles", "name", "{profile_id}", "mybank"], None),
        (["import", "profiles", "show", "mybank"], None),
        (["import", "profiles", "rm", "mybank"], None),
        (["export", "--format", "json"], None),
        (["passwd", "--password-stdin"], f"{PASSWORD}\n{NEW_PASSWORD}\n"),
        (["backup", "{backup}"], None),
        (["restore", "{backup}"], None),
        (["rules", "add", "tesco", "groceries"], None),
        (["rules", "add", "pret", "coffee"], None),
        (["rules", "move", "pret", "1"], None),
        (["rules", "list"], None),
        (["rules", "export"], None),
        (
            ["rules", "import", "-"],
            '{"format": "budgetcli-rules", "version": 1, "rules": '
            '[{"pattern": "shell", "category": "fuel"}]}',
        ),
        (["rules", "rm", "shell"], None),
        (["import", "-", "--card"], "date,amount,description\n2026-11-05,1.00,TESCO 0412\n"),
        (["categorize", "--yes"], None),
        (["categorize", "--eval"], None),
        (["logout"], None),
        (["login", "carol", "--password-stdin"], NEW_PASSWORD),
        (["logout", "--all"], None),
    ]


def command_name(args: list[str], known: set[str]) -> str:
    for words in (3, 2):
        name = " ".join(args[:words])
        if name in known:
            return name
    return args[0]


def test_no_command_issues_a_scan(
    runner: CliRunner, bare_store: Store, dynamodb_calls: list[str], tmp_path: Path
) -> None:
    known = {name for name, _ in all_commands()}
    exercised: set[str] = set()
    ids = SessionIds(tmp_path / "backup")
    for args, stdin in session():
        args = ids.fill(args)
        result = runner.invoke(app, args, input=stdin)
        assert result.exit_code == 0, (args, result.stderr)
        ids.learn(runner, args)
        exercised.add(command_name(args, known))
    assert "Query" in dynamodb_calls and "Scan" not in dynamodb_calls
    unexercised = known - exercised - NOT_STORAGE_COMMANDS
    assert not unexercised, f"add an invocation of {sorted(unexercised)} to this test"


def test_only_the_migration_scans_and_only_the_tables_it_upgrades(
    runner: CliRunner, bare_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from budgetcli import store as store_module

    assert runner.invoke(app, ["init-tables"]).exit_code == 0
    scanned: list[str] = []
    real_client = store_module.dynamodb_client

    def recording_client(*args: Any, **kwargs: Any) -> Any:
        client = real_client(*args, **kwargs)
        client.meta.events.register(
            "before-parameter-build.dynamodb.Scan",
            lambda params, **_: scanned.append(params["TableName"]),
        )
        return client

    monkeypatch.setattr(store_module, "dynamodb_client", recording_client)
    assert runner.invoke(app, ["init-tables", "--migrate"]).exit_code == 0
    assert sorted(scanned) == sorted(bare_store.table_name(t) for t in ("budgets", "expenses"))
