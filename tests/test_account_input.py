"""Account input and session files refused before storage: no engine is reached at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import config
from budgetcli.cli import app
from budgetcli.errors import ExitCode
from tests.helpers import PASSWORD

pytestmark = pytest.mark.usefixtures("no_storage")


def invoke(runner: CliRunner, args: list[str], stdin: str | None = None) -> Any:
    return runner.invoke(app, args, input=stdin)


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["register", "al", "--email", "al@example.com"], PASSWORD, "username 'al' is not allowed"),
        (["register", "al ice", "--email", "a@example.com"], PASSWORD, "is not allowed"),
        (["register", "alice", "--email", "nope"], PASSWORD, "email 'nope' is not a valid address"),
        (["register", "alice", "--email", "a@b"], PASSWORD, "is not a valid address"),
        (
            ["register", "alice", "--email", "a@example.com", "--phone", "5551234"],
            PASSWORD,
            "E.164",
        ),
        (["register", "alice", "--email", "a@example.com"], "short", "password is too short"),
        (
            ["register", "alice", "--email", "a@example.com"],
            "",
            "--password-stdin read no password",
        ),
    ],
)
def test_bad_registration_input_is_refused_before_storage(
    runner: CliRunner, args: list[str], stdin: str, message: str
) -> None:
    result = invoke(runner, [*args, "--password-stdin"], f"{stdin}\n")
    assert result.exit_code == ExitCode.ERROR
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_password_is_never_taken_from_a_pipe_without_the_flag(runner: CliRunner) -> None:
    result = invoke(runner, ["register", "alice", "--email", "a@example.com"], f"{PASSWORD}\n")
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr == (
        "error: no terminal to ask for the password: pipe it with --password-stdin\n"
    )


def valid_session(**changes: str) -> dict[str, str]:
    session = {
        "user_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "username": "alice",
        "token": "not-a-real-token",
        "expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
    }
    return session | changes


@pytest.mark.parametrize(
    "content",
    [
        json.dumps(
            valid_session(expires_at=(datetime.now(UTC) - timedelta(seconds=1)).isoformat())
        ),
        "{not json",
        "{}",
        json.dumps(valid_session(expires_at="2026-11-01T00:00:00")),  # no time zone
        json.dumps(valid_session(token="")),
    ],
    ids=["expired", "corrupt", "empty", "naive-time", "empty-token"],
)
def test_unusable_session_files_are_exit_3_before_storage(runner: CliRunner, content: str) -> None:
    config.write_file_atomically(config.session_file(), content.encode())
    result = invoke(runner, ["whoami"])
    assert result.exit_code == ExitCode.AUTH
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "budget login" in result.stderr


def test_logout_without_a_session_is_harmless(runner: CliRunner) -> None:
    result = invoke(runner, ["logout"])
    assert result.exit_code == 0 and "not logged in" in result.stderr


def test_logout_of_a_corrupt_session_removes_the_file(runner: CliRunner) -> None:
    config.write_file_atomically(config.session_file(), b"{not json")
    result = invoke(runner, ["logout"])
    assert (result.exit_code, result.stderr) == (0, "removed an unusable session file\n")
    assert not config.session_file().exists()
