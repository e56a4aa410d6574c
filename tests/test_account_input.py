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
        json.dumps(valid_session() | {"store": "smart-budget"}),
    ],
    ids=["expired", "corrupt", "empty", "naive-time", "empty-token", "store-not-a-map"],
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


ELSEWHERE = {
    "backend": "aws",
    "table_prefix": "smart-budget",
    "region": "eu-west-1",
    "endpoint": "https://dynamodb.eu-west-1.amazonaws.com",
}


@pytest.mark.parametrize("command", [["whoami"], ["logout"], ["logout", "--all"], ["list"]])
def test_a_session_for_other_tables_is_refused_before_storage(
    runner: CliRunner, no_storage: None, command: list[str]
) -> None:
    session = json.dumps(valid_session() | {"store": ELSEWHERE})
    config.write_file_atomically(config.session_file(), session.encode())
    result = invoke(runner, command)
    assert result.exit_code == ExitCode.AUTH
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        "error: the session is for tables smart-budget-* in AWS eu-west-1 "
        "(https://dynamodb.eu-west-1.amazonaws.com), not tables smart-budget-* on the local "
        "engine in "
    )
    assert config.session_file().read_text() == session  # kept: it is valid over there


@pytest.mark.parametrize(
    "stdin, error",
    [
        ("correct horse battery staple\ncorrect horse battery staple\n", "is the same as"),
        ("correct horse battery staple\nshort\n", "password is too short"),
        ("correct horse battery staple\n\n", "--password-stdin read no password"),
    ],
    ids=["same", "too-short", "missing"],
)
def test_passwd_refuses_a_bad_new_password_before_storage(
    runner: CliRunner, no_storage: None, stdin: str, error: str
) -> None:
    config.write_session_file(valid_session())
    result = invoke(runner, ["passwd", "--password-stdin"], stdin)
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith("error: ") and error in result.stderr


def test_passwd_needs_a_session_before_asking_anything(runner: CliRunner, no_storage: None) -> None:
    result = invoke(runner, ["passwd"])
    assert result.exit_code == ExitCode.AUTH
    assert result.stderr == "error: not logged in: run `budget login USERNAME`\n"
