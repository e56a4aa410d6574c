"""Text another client stored, or a person typed, is shown and never obeyed.

The web app (tests/seed_client.py) stores Rich markup, escape sequences, C1 controls, a
bell, a carriage return and bidi overrides as a username, a description, categories, a
budget and a notification; every command that prints them still works, prints them
literally in tables, notes and errors, keeps them exact in JSON and in CSV files, and
sends a terminal nothing but budgetcli's own colours.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import output
from budgetcli.cli import app
from budgetcli.errors import ExitCode
from budgetcli.models import Expense, category_key
from budgetcli.output import OutputFormat
from budgetcli.output.expenses import write_csv
from budgetcli.store import Store
from tests.helpers import PASSWORD
from tests.seed_client import DynamoDBClient

HOSTILE = (
    "[link=https://evil.example]Receipt OK[/link] [/oops] [blink red]pay now[/] "
    "\x1b[2J\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \x9b31m\x85 bell\x07 "
    "over\rwrite \u202eevil\u202c"
)
MARKUP = "[link=https://evil.example]Receipt OK[/link] [/oops] [blink red]pay now[/]"
# A person's name with a family emoji (ZWJ) and Hebrew after a right-to-left mark: text.
WRITTEN = "👨\u200d👩\u200d👧 \u200fשלום"
USERNAME = "[blink]eve[/blink]\x1b[2J\u202e"
# On a terminal, only budgetcli's own colours (SGR) may reach it.
SGR = re.compile(r"\x1b\[[0-9;]*m")
UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
TERMINAL = {"FORCE_COLOR": "1", "COLUMNS": "1000", "NO_COLOR": None}


def harmless(text: str) -> str:
    """`text` without budgetcli's colours, after checking that nothing else would act."""
    bare = SGR.sub("", text)
    assert not UNSAFE.search(bare), repr(UNSAFE.findall(bare))
    return bare


@pytest.fixture
def eve(store: Store, runner: CliRunner) -> Any:
    """A web-app account whose name, expenses, budget and notification are hostile,
    logged in here."""
    from werkzeug.security import generate_password_hash

    web = DynamoDBClient(store.prefix, os.environ.get("BUDGET_ENDPOINT_URL"))
    user = web.create_user(USERNAME, "eve@example.com", generate_password_hash(PASSWORD))
    web.add_expense(user["user_id"], 7.5, HOSTILE, HOSTILE, "2026-11-04", receipt_url=HOSTILE)
    web.add_expense(user["user_id"], 2, WRITTEN, WRITTEN, "2026-11-05")
    web.create_budget(user["user_id"], HOSTILE, 5)
    web.create_notification(user["user_id"], HOSTILE, HOSTILE, HOSTILE)
    logged_in = runner.invoke(app, ["login", USERNAME, "--password-stdin"], input=PASSWORD)
    assert logged_in.exit_code == 0, logged_in.stderr
    assert harmless(logged_in.stderr).startswith("logged in as [blink]eve[/blink]\\x1b[2J\\u202e")
    return user


def run(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, list(args), env=TERMINAL)
    assert result.exit_code == 0, (args, result.stderr)
    return result


TABLES = [
    ("whoami",),
    ("list", "--month", "2026-11"),
    ("budget", "list", "--month", "2026-11"),
    ("alerts", "--month", "2026-11"),
    ("alerts", "history"),
]


def test_tables_show_stored_text_literally(eve: dict[str, Any], runner: CliRunner) -> None:
    for args in TABLES:
        shown = harmless(run(runner, *args).stdout)
        expected = USERNAME if args == ("whoami",) else HOSTILE
        assert output.visible(expected) in shown, (args, shown)
    listing = harmless(run(runner, "list", "--month", "2026-11").stdout)
    assert WRITTEN in listing  # format characters people write with are text


@pytest.mark.parametrize("by", ["category", "month"])
def test_reports_print_every_category_harmlessly(
    eve: dict[str, Any], runner: CliRunner, by: str
) -> None:
    shown = harmless(run(runner, "report", "--month", "2026-11", "--by", by).stdout)
    if by == "category":
        # The column folds long names (never dropping a character): markup would have
        # consumed brackets, and each control character became one escape.
        assert shown.count("[") >= HOSTILE.count("[")
        assert shown.count("\\") >= len(UNSAFE.findall(HOSTILE))


@pytest.mark.parametrize(
    "args",
    [
        ("whoami",),
        ("list", "--month", "2026-11"),
        ("budget", "list", "--month", "2026-11"),
        ("alerts", "history"),
        ("report", "--month", "2026-11"),
    ],
)
def test_json_keeps_the_text_exact_and_escapes_every_control(
    eve: dict[str, Any], runner: CliRunner, args: tuple[str, ...]
) -> None:
    result = run(runner, *args, "--format", "json")
    harmless(result.stdout)
    document = json.loads(result.stdout)
    records = document if isinstance(document, list) else [document]
    values = {value for record in records for value in record.values()}
    expected = {"whoami": USERNAME, "report": category_key(HOSTILE)}.get(args[0], HOSTILE)
    assert expected in values


def test_export_keeps_the_text_exact(eve: dict[str, Any], runner: CliRunner) -> None:
    as_json = run(runner, "export", "--format", "json").stdout
    harmless(as_json)
    (hostile,) = [e for e in json.loads(as_json) if e["category"] == HOSTILE]
    assert hostile["description"] == hostile["receipt_url"] == HOSTILE
    # A CSV file holds the data exactly (a terminal gets it escaped: see below).
    rows = list(csv.DictReader(io.StringIO(run(runner, "export").stdout)))
    (row,) = [r for r in rows if r["category"] == HOSTILE]
    assert row["description"] == row["receipt_url"] == HOSTILE
    listed = run(runner, "list", "--month", "2026-11", "--format", "csv").stdout
    assert HOSTILE in {r["description"] for r in csv.DictReader(io.StringIO(listed))}


def test_alerts_raised_on_a_hostile_category_print_it_literally(
    eve: dict[str, Any], runner: CliRunner
) -> None:
    raised = harmless(run(runner, "alerts", "--month", "2026-11").stdout)
    assert f"Budget exceeded: {output.visible(HOSTILE)} for 2026-11" in raised
    history = harmless(run(runner, "alerts", "history").stdout)
    assert history.count(output.visible(HOSTILE)) >= 3  # category, type, delivery


def test_notes_that_name_stored_text_show_it_literally(
    eve: dict[str, Any], runner: CliRunner
) -> None:
    name = "[link=https://evil.example]x[/link]"
    set_note = run(runner, "budget", "set", name, "10").stderr
    assert harmless(set_note).startswith(f"budget for {name} set: 10.00 a month")
    removed = run(runner, "budget", "rm", name).stderr
    assert harmless(removed) == f"removed the budget for {name}\n"
    logged_out = run(runner, "logout").stderr
    assert harmless(logged_out) == "logged out [blink]eve[/blink]\\x1b[2J\\u202e\n"


def test_a_typed_description_with_markup_is_printed_as_typed(
    alice: object, runner: CliRunner
) -> None:
    typed = "[link=https://evil.example]Receipt OK[/link] [blink red]pay now[/]"
    added = run(runner, "add", "3", "fun", typed, "--date", "2026-11-03")
    assert typed in harmless(added.stdout)
    assert typed in harmless(run(runner, "list", "--month", "2026-11").stdout)


def test_notes_and_errors_show_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    output.note(f"removed the budget for {HOSTILE}")
    output.error(f"no budget for category {HOSTILE}")
    printed = capsys.readouterr()
    assert printed.out == ""
    note, error = harmless(printed.err).splitlines()
    assert MARKUP in note and "\\x1b[2J\\x1b]8;;https://evil.example\\x07click" in note
    assert error.startswith("error: no budget for category [link=") and "\\u202eevil" in error


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_csv_on_a_terminal_shows_control_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    expense = Expense("e-1", "u-1", Decimal("1"), HOSTILE, HOSTILE, date(2026, 11, 5), "now")
    terminal = Terminal()
    write_csv(terminal, [expense])
    assert output.visible(HOSTILE) in harmless(terminal.getvalue())
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    output.emit_records(OutputFormat.CSV, [output.Column("Note", "note")], [{"note": HOSTILE}])
    assert output.visible(HOSTILE) in harmless(terminal.getvalue())


@pytest.mark.parametrize(
    "args",
    [
        ["alerts", "--deliver", HOSTILE],
        [HOSTILE],
        ["whoami", HOSTILE],
        ["list", "--limit", HOSTILE],
    ],
)
def test_usage_errors_quote_typed_text_harmlessly(
    runner: CliRunner, no_storage: None, args: list[str]
) -> None:
    result = runner.invoke(app, args, env=TERMINAL)
    assert result.exit_code == ExitCode.USAGE
    assert "[link=https://evil.example]" in harmless(result.stderr)
