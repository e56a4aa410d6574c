"""Expense input refused before storage: one line, exit 1, and no request made at all.

The `no_storage` fixture fails a test whose command reaches storage, so "nothing was
written" holds without an engine.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode

pytestmark = pytest.mark.usefixtures("no_storage")


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, list(args))


def assert_one_line_error(result: Any, code: int = ExitCode.ERROR) -> None:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ["abc", "food"],
        ["0", "food"],
        ["0.00", "food"],
        ["--", "-5", "food"],
        ["NaN", "food"],
        ["inf", "food"],
        ["1e400", "food"],
        ["12.345", "food"],
        ["1,234", "food"],
        ["12,50", "food"],
        ["1000000000.01", "food"],
        ["١٢", "food"],
        ["5", "food", "--date", "2026-02-30"],
        ["5", "food", "--date", "someday"],
        ["5", "food", "--date", "1800-01-01"],
        ["5", ""],
        ["5", "   "],
        ["5", "x" * 65],
        ["5", "fo\x07od"],
        ["5", "food", "d" * 501],
        ["5", "food", "d" * 10_000],
        ["5", "food", "--receipt-url", "ftp://example.com/r"],
        ["5", "food", "--receipt-url", "javascript:alert(1)"],
    ],
)
def test_bad_input_to_add_is_one_line_exit_1(runner: CliRunner, args: list[str]) -> None:
    assert_one_line_error(invoke(runner, "add", *args))


def test_add_without_a_session_is_exit_3_before_storage(runner: CliRunner) -> None:
    result = invoke(runner, "add", "5", "food")
    assert_one_line_error(result, ExitCode.AUTH)
    assert result.stderr == "error: not logged in: run `budget login USERNAME`\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--month", "2026-13"], "error: month '2026-13' has no month 13\n"),
        (
            ["--month", "2026-11", "--from", "2026-11-01"],
            "error: --month cannot be combined with --from or --to: use one or the other\n",
        ),
        (
            ["--from", "2026-11-02", "--to", "2026-11-01"],
            "error: --from 2026-11-02 is after --to 2026-11-01: swap them\n",
        ),
        (["--from", "2026-02-30"], "error: date '2026-02-30' is not a real calendar date\n"),
        (["--category", ""], "error: category is empty: name one, like food\n"),
    ],
)
def test_bad_list_options_are_exit_1(runner: CliRunner, args: list[str], message: str) -> None:
    result = invoke(runner, "list", *args)
    assert_one_line_error(result)
    assert result.stderr == message


@pytest.mark.parametrize(
    "args, message",
    [
        (
            [],
            "error: nothing to change: give --amount, --category, --description, --date or "
            "--receipt-url\n",
        ),
        (["--amount", "-1"], "error: amount '-1' must be positive\n"),
        (["--category", ""], "error: category is empty: name one, like food\n"),
        (["--date", "2026-02-30"], "error: date '2026-02-30' is not a real calendar date\n"),
    ],
)
def test_bad_edits_are_refused_before_storage(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = invoke(runner, "edit", str(uuid.uuid4()), *args)
    assert_one_line_error(result)
    assert result.stderr == message


@pytest.mark.parametrize("command", [["rm"], ["edit"]])
def test_malformed_ids_are_refused_before_storage(runner: CliRunner, command: list[str]) -> None:
    args = [*command, "not-an-id"] + (["--amount", "1"] if command == ["edit"] else [])
    result = invoke(runner, *args)
    assert_one_line_error(result)
    assert "'not-an-id' is not an expense id" in result.stderr
