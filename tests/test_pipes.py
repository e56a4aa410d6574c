"""A reader that goes away (`budget list --format csv | head -1`) ends the command quietly
with exit 141, as coreutils do (128 + SIGPIPE): nothing on stderr, no traceback.

Real pipes on the installed `budget`, against the suite's DynamoDB Local (moto lives in
this process, out of reach of a subprocess).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode
from budgetcli.models import Expense, User
from budgetcli.store import Store
from budgetcli.tables.expenses import to_item
from tests.helpers import set_budget, spend

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("engine", ["dynamodb-local"], indirect=True),
]

BUDGET = str(Path(sys.executable).with_name("budget"))
EXPENSES = 300  # with long notes, some 150 KB of CSV: more than a pipe holds (64 KB)


def fill(store: Store, user: User, count: int) -> None:
    """`count` expenses this month with long notes, a budget over its threshold, an alert."""
    today = date.today()
    made = [
        Expense(
            expense_id=str(uuid.uuid4()),
            user_id=user.user_id,
            amount=Decimal(n % 500 + 1) / 100,
            category=f"category {n % 7}",
            description=f"expense {n}: " + "a long note to fill the pipe " * 15,
            date=today - timedelta(days=n % today.day),
            created_at=f"{today.isoformat()}T00:00:00+00:00",
        )
        for n in range(count)
    ]
    store.batch_write("expenses", puts=[to_item(expense) for expense in made])
    spend(store, user, "90.00", "food", today)
    set_budget(store, user, "food", "100")
    assert CliRunner().invoke(app, ["alerts"]).exit_code == 0


COMMANDS = [
    ["list"],
    ["list", "--format", "json"],
    ["list", "--format", "csv"],
    ["export"],
    ["export", "--format", "json"],
    ["report"],
    ["report", "--by", "month", "--format", "csv"],
    ["budget", "list"],
    ["budget", "list", "--format", "json"],
    ["alerts", "--format", "json"],
    ["alerts", "history"],
    ["alerts", "history", "--format", "csv"],
    ["whoami", "--format", "json"],
    ["backup", "-"],
    ["add", "1.00", "food", "piped", "--format", "csv"],
    ["init-tables"],
    ["local", "status"],
]


def test_a_reader_that_has_gone_ends_every_command_quietly(store: Store, alice: User) -> None:
    """The read end is closed before each command starts: its first write finds no reader."""
    fill(store, alice, 5)
    outcomes = {}
    for args in COMMANDS:
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            result = subprocess.run(
                [BUDGET, *args],
                stdin=subprocess.DEVNULL,
                stdout=write_end,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
        finally:
            os.close(write_end)
        outcomes[" ".join(args)] = (result.returncode, result.stderr)
    expected = (ExitCode.BROKEN_PIPE, "")
    assert {command: expected for command in outcomes} == outcomes
    assert ExitCode.BROKEN_PIPE.value == 141


def test_head_takes_what_it_wants_and_the_command_exits_141(store: Store, alice: User) -> None:
    fill(store, alice, EXPENSES)
    for command in ("list --format csv", "list", "export", "export --format json"):
        pipeline = f'set -o pipefail; {BUDGET} {command} | head -1; echo "status $?"'
        result = subprocess.run(
            ["bash", "-c", pipeline],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        first, status = result.stdout.splitlines()
        assert (status, result.stderr) == ("status 141", ""), command
        assert first.strip(), command
    whole = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {BUDGET} list --format csv | wc -l"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (whole.returncode, whole.stderr) == (0, "")
    assert int(whole.stdout) == EXPENSES + 2  # the header, and the expense over budget
