"""Failure paths that used to fall outside the contract: each is one `error:` line on
stderr with the contract's exit code. Most are refused before any storage request."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import config, local_engine
from budgetcli.cli import app
from budgetcli.errors import ConfigError, ExitCode
from budgetcli.models import Alert, User

BUDGET = Path(sys.executable).with_name("budget")


def one_error_line(result: Any) -> str:
    """The single `error:` line a failed command printed, and nothing else on stderr."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return str(lines[0])


# --- config.toml --------------------------------------------------------------------


def write_config(isolated_env: Path, text: str) -> None:
    directory = isolated_env / "config"
    directory.mkdir(exist_ok=True)
    (directory / "config.toml").write_text(text)


@pytest.mark.parametrize(
    "text, message",
    [
        ("sesion_days = 365\n", "unknown setting 'sesion_days': did you mean session_days?"),
        ("colour = true\n", "unknown setting 'colour': the keys are backend, endpoint_url"),
        ("timeout_seconds = 0\n", "timeout_seconds must be between 1 and 300, got 0"),
        ("session_days = 0\n", "session_days must be between 1 and 365, got 0"),
        ("local_port = 0\n", "local_port must be between 1024 and 65535, got 0"),
    ],
)
@pytest.mark.usefixtures("no_storage")
def test_config_keys_that_would_be_ignored_are_errors(
    runner: CliRunner, isolated_env: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.delenv("BUDGET_LOCAL_PORT")
    write_config(isolated_env, text)
    result = runner.invoke(app, ["list"])
    assert result.exit_code == ExitCode.ERROR
    assert message in one_error_line(result)
    assert result.stdout == ""


def test_every_documented_config_key_is_accepted(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BUDGET_LOCAL_PORT")
    write_config(
        isolated_env,
        'backend = "local"\nendpoint_url = "http://127.0.0.1:9"\ntable_prefix = "p"\n'
        'local_port = 9000\nlocal_heap_mb = 128\nsession_days = 365\nregion = "eu-west-1"\n'
        'ses_sender = "a@example.com"\ntimeout_seconds = 1\n',
    )
    settings = config.load_settings()
    assert (settings.session_days, settings.timeout_seconds, settings.local_port) == (365, 1, 9000)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for key in config.CONFIG_KEYS:
        assert f"`{key}`" in readme, key


# --- AWS_PROFILE ----------------------------------------------------------------------


def test_an_unknown_aws_profile_is_one_line_exit_1(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUDGET_BACKEND", "aws")
    monkeypatch.setenv("AWS_PROFILE", "typo")
    result = runner.invoke(app, ["init-tables"])
    assert result.exit_code == ExitCode.ERROR
    line = one_error_line(result)
    assert "AWS_PROFILE is 'typo'" in line and "unexpected" not in line


def test_the_local_engine_ignores_aws_profile(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DynamoDB Local takes placeholder credentials: a profile set for something else
    must not matter. (Port 9 answers nothing, so the request fails as unreachable.)"""
    monkeypatch.setenv("AWS_PROFILE", "typo")
    monkeypatch.setattr(local_engine, "ensure_running", lambda *a, **k: "http://127.0.0.1:9")
    result = runner.invoke(app, ["init-tables"])
    assert result.exit_code == ExitCode.STORAGE
    assert "cannot reach DynamoDB at http://127.0.0.1:9" in one_error_line(result)


def test_email_delivery_with_an_unknown_profile_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from budgetcli.messaging import email_sender

    monkeypatch.setenv("AWS_PROFILE", "typo")
    with pytest.raises(ConfigError, match="AWS_PROFILE is 'typo'"):
        email_sender(config.load_settings(), "from@example.com", "to@example.com")


# --- the password prompt ----------------------------------------------------------------


def on_a_terminal(args: list[str], keys: bytes) -> tuple[int, str]:
    """Runs `budget` on a pseudo-terminal (its controlling terminal, as in a shell) and
    types `keys` at the password prompt; returns the exit code and what it wrote."""
    controller, terminal = pty.openpty()

    def own_terminal() -> None:
        # A runner started in the background ignores SIGINT, and its children inherit that;
        # a person's shell does not.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [str(BUDGET), *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        preexec_fn=own_terminal,
    )
    os.close(terminal)
    written = b""
    typed = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not select.select([controller], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(controller, 1024)
            except OSError:  # EIO: the process has gone and the terminal is drained
                break
            if not chunk:
                break
            written += chunk
            # click writes "Password:", then getpass turns echo off (discarding what was
            # typed before) and writes the " ": keys typed after it are read.
            if not typed and b"Password: " in written:
                os.write(controller, keys)
                typed = True
        return process.wait(timeout=5), written.decode().replace("\r\n", "\n")
    finally:
        if process.poll() is None:
            process.kill()  # the one process this test started, by its pid
            process.wait()
        os.close(controller)


@pytest.mark.slow
@pytest.mark.parametrize(
    "keys, code, message",
    [
        (b"\x03", ExitCode.INTERRUPTED, "error: stopped at the password prompt"),
        (b"\x04", ExitCode.ERROR, "error: no password: the input ended at the prompt (Ctrl-D)"),
    ],
    ids=["ctrl-c", "ctrl-d"],
)
@pytest.mark.parametrize(
    "command", [["login", "alice"], ["register", "alice", "--email", "a@example.com"]]
)
def test_ctrl_c_and_ctrl_d_at_the_password_prompt(
    keys: bytes, code: int, message: str, command: list[str]
) -> None:
    exit_code, written = on_a_terminal(command, keys)
    assert exit_code == code, written
    lines = [line for line in written.splitlines() if line.strip()]
    assert lines[0].startswith("Password:") and "Aborted" not in written
    assert len(lines) == 2 and lines[1].startswith(message), written


# --- `alerts --format F history` ------------------------------------------------------

ALICE = User("user-alice", "alice", "alice@example.com")
AN_ALERT = Alert(
    notification_id="n-1",
    user_id=ALICE.user_id,
    level="warning",
    message="Budget warning: food.",
    delivery_method="console",
    created_at="2026-11-05T12:00:00+00:00",
    category="food",
    month="2026-11",
)


@pytest.fixture
def history_of_alice(monkeypatch: pytest.MonkeyPatch) -> None:
    """`alerts history` as alice with one alert, making no request."""
    monkeypatch.setattr("budgetcli.cli.alerts.current_user", lambda store: ALICE)
    monkeypatch.setattr(
        "budgetcli.services.alerts.alert_history", lambda store, user_id, limit: [AN_ALERT]
    )


@pytest.mark.usefixtures("no_storage", "history_of_alice")
@pytest.mark.parametrize(
    "args",
    [
        ["alerts", "--format", "json", "history"],
        ["alerts", "-f", "json", "history"],
        ["alerts", "history", "--format", "json"],
        ["alerts", "--format", "json", "history", "--format", "json"],
    ],
)
def test_the_group_format_applies_to_history(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert [alert["notification_id"] for alert in json.loads(result.stdout)] == ["n-1"]


@pytest.mark.usefixtures("no_storage", "history_of_alice")
@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["alerts", "--format", "json", "history", "--format", "csv"],
            "error: --format is given twice, as json and csv: give it once",
        ),
        (
            ["alerts", "--deliver", "email", "history"],
            "error: --deliver is for `budget alerts` itself, not `budget alerts history`",
        ),
        (
            ["alerts", "--month", "2026-11", "history"],
            "error: --month is for `budget alerts` itself, not `budget alerts history`",
        ),
        (
            ["alerts", "--exit-code", "history"],
            "error: --exit-code is for `budget alerts` itself, not `budget alerts history`",
        ),
    ],
)
def test_group_options_that_history_cannot_use_are_refused(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == ExitCode.USAGE
    assert one_error_line(result) == message
    assert result.stdout == ""


# --- usage errors ------------------------------------------------------------------


@pytest.mark.usefixtures("no_storage")
@pytest.mark.parametrize(
    "args, says",
    [
        (["add"], "Missing argument 'amount'. (see `budget add --help`)"),
        (["lst"], "No such command 'lst'. Did you mean 'list'? (see `budget --help`)"),
        (["--bogus"], "No such option: --bogus (see `budget --help`)"),
        (["add", "1", "food", "--bogus"], "No such option: --bogus (see `budget add --help`)"),
        (["list", "-n", "0"], "0 is not in the range x>=1. (see `budget list --help`)"),
        (["budget", "set", "food"], "Missing argument 'amount'. (see `budget budget set --help`)"),
        (["alerts", "--deliver", "pigeon"], "'pigeon' is not one of"),
    ],
)
def test_usage_errors_are_one_line_exit_2(runner: CliRunner, args: list[str], says: str) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "40"})
    assert result.exit_code == ExitCode.USAGE, result.output
    assert says in one_error_line(result)
    assert result.stdout == ""


def test_the_installed_command_says_a_usage_error_in_one_line() -> None:
    done = subprocess.run([str(BUDGET), "add", "12.50"], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (ExitCode.USAGE, "")
    assert done.stderr == "error: Missing argument 'category'. (see `budget add --help`)\n"
