"""Global CLI behaviour: help, lazy imports, one-line errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.errors import ExitCode
from budgetcli.store import Store


def all_commands() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    found = []

    def walk(prefix: str, group: typer.core.TyperGroup) -> None:
        for name, command in group.commands.items():
            if isinstance(command, typer.core.TyperGroup):
                walk(f"{prefix}{name} ", command)
            else:
                found.append((f"{prefix}{name}", command))
            nested = getattr(command, "nested_groups", None)
            if callable(nested):  # `budget import profiles ...`
                for name_there, nested_group in nested().items():
                    walk(f"{prefix}{name} {name_there} ", nested_group)

    assert isinstance(root, typer.core.TyperGroup)
    walk("", root)
    return found


@pytest.mark.parametrize("name, command", all_commands(), ids=[n for n, _ in all_commands()])
def test_every_command_teaches_with_an_example(name: str, command: Any) -> None:
    assert command.help and "Example:" in command.help, (
        f"`budget {name}` needs help with an example"
    )
    runner = CliRunner()
    result = runner.invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout


def test_help_does_not_import_boto3() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from budgetcli.cli import app\n"
        "for args in (['--help'], ['local', '--help'], ['init-tables', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'))\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_help_and_usage_errors_load_no_markdown_or_traceback_renderer() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from budgetcli.cli import app\n"
        "for args in (['--help'], ['add', '--help'], ['local', '--help'], ['add']):\n"
        "    assert CliRunner().invoke(app, args).exit_code in (0, 2)\n"
        "unused = ('markdown_it', 'pygments', 'rich.markdown', 'rich.traceback')\n"
        "print(sorted(m for m in sys.modules if m.startswith(unused)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_stand_ins_for_typers_unused_renderers_build_the_real_ones() -> None:
    from rich.markdown import Markdown
    from rich.traceback import Traceback

    from budgetcli.cli import lean_help

    assert isinstance(lean_help._Markdown("**bold**"), Markdown)
    try:
        raise ValueError("boom")
    except ValueError as exc:
        assert isinstance(
            lean_help._Traceback.from_exception(type(exc), exc, exc.__traceback__), Traceback
        )


@pytest.mark.parametrize("name, command", all_commands(), ids=[n for n, _ in all_commands()])
def test_command_annotations_are_objects_not_strings(name: str, command: Any) -> None:
    # Typer reads every command's annotations on every run, for --help too: strings (from
    # `from __future__ import annotations`) are compiled and evaluated each time (~6 ms).
    strings = {
        arg: hint for arg, hint in command.callback.__annotations__.items() if isinstance(hint, str)
    }
    assert not strings, f"`budget {name}` has string annotations {strings}"


def test_installed_console_script_prints_help() -> None:
    budget = Path(sys.executable).with_name("budget")
    result = subprocess.run([str(budget), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "init-tables" in result.stdout
    module = subprocess.run(
        [sys.executable, "-m", "budgetcli", "--version"], capture_output=True, text=True
    )
    assert module.returncode == 0 and module.stdout.startswith("budget ")
    # The process ends without the interpreter's teardown: buffered output must be out.
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    status = subprocess.run(
        [str(budget), "local", "status", "--format", "json"],
        capture_output=True,
        text=True,
        env=buffered,
    )
    assert status.returncode == 0 and json.loads(status.stdout)["state"] == "stopped"


def test_unreachable_endpoint_is_exit_4_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGET_ENDPOINT_URL", "http://127.0.0.1:9")
    budget = Path(sys.executable).with_name("budget")
    started = time.monotonic()
    result = subprocess.run(
        [str(budget), "init-tables"], capture_output=True, text=True, timeout=60
    )
    elapsed = time.monotonic() - started
    assert result.returncode == ExitCode.STORAGE
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: cannot reach DynamoDB at http://127.0.0.1:9")
    assert "BUDGET_ENDPOINT_URL" in result.stderr
    assert elapsed < 15


@pytest.mark.parametrize(
    "env, message",
    [
        ({"BUDGET_BACKEND": "azure"}, "BUDGET_BACKEND must be 'local' or 'aws'"),
        ({"BUDGET_TABLE_PREFIX": "bad prefix!"}, "BUDGET_TABLE_PREFIX must be"),
        ({"BUDGET_ENDPOINT_URL": "localhost:8000"}, "BUDGET_ENDPOINT_URL must be an http(s) URL"),
        ({"BUDGET_LOCAL_PORT": "80"}, "local_port must be between 1024 and 65535"),
        ({"BUDGET_LOCAL_HEAP_MB": "lots"}, "local_heap_mb must be a whole number"),
    ],
)
def test_bad_settings_are_one_line_exit_1(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = runner.invoke(app, ["init-tables"])
    assert result.exit_code == ExitCode.ERROR
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_corrupt_config_file_is_an_error_not_a_traceback(
    runner: CliRunner, isolated_env: Path
) -> None:
    config_dir = isolated_env / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text("local_port = [unclosed\n")
    result = runner.invoke(app, ["init-tables"])
    assert result.exit_code == ExitCode.ERROR
    assert "config.toml is not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_config_file_settings_are_used(runner: CliRunner, isolated_env: Path) -> None:
    config_dir = isolated_env / "config"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text('endpoint_url = "http://127.0.0.1:9"\n')
    result = runner.invoke(app, ["init-tables"])
    assert result.exit_code == ExitCode.STORAGE
    assert "http://127.0.0.1:9" in result.stderr


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUDGET_BACKEND", "azure")
    budget = Path(sys.executable).with_name("budget")
    quiet = subprocess.run([str(budget), "init-tables"], capture_output=True, text=True)
    loud = subprocess.run([str(budget), "--debug", "init-tables"], capture_output=True, text=True)
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr and "ConfigError" in loud.stderr


@pytest.mark.parametrize(
    "env, args, code, message",
    [
        ({"BUDGET_BACKEND": "aws"}, ["init-tables"], ExitCode.ERROR, "no AWS region configured"),
        (
            {"BUDGET_DATA_DIR": "/proc/no-such-dir"},
            ["local", "start"],
            ExitCode.ERROR,
            "cannot create",
        ),
    ],
)
def test_environment_problems_are_one_line(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (Path(os.environ["BUDGET_CONFIG_DIR"])).mkdir(parents=True, exist_ok=True)
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.stderr
    assert result.stderr.startswith(f"error: {message}") and result.stderr.count("\n") == 1


def test_a_binary_session_file_is_a_corrupt_session(
    runner: CliRunner, isolated_env: Path, store: Store
) -> None:
    config_dir = isolated_env / "config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "session.json").write_bytes(b"\xff\xfe\x00\x81binary")
    result = runner.invoke(app, ["whoami"])
    assert result.exit_code == ExitCode.AUTH
    assert (
        result.stderr == "error: the session file is corrupt: run `budget login USERNAME` again\n"
    )


def test_help_lists_the_panels_in_their_order(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "100"})
    panels = [
        line.split("─ ", 1)[1].split(" ─", 1)[0]
        for line in result.stdout.splitlines()
        if line.startswith("╭─ ")
    ]
    assert panels == [
        "Options",
        "Account",
        "Expenses",
        "Budgets",
        "Import and export",
        "Categories",
        "Reports",
        "Storage",
    ]


def test_an_error_names_the_option_as_the_command_spells_it(runner: CliRunner) -> None:
    listing = runner.invoke(app, ["list", "--from", "2026-11-02", "--to", "2026-11-01"])
    report = runner.invoke(app, ["report", "--month", "2026-11", "--to", "2026-11-30"])
    assert listing.stderr == "error: --from 2026-11-02 is after --to 2026-11-01: swap them\n"
    assert report.stderr == (
        "error: --month cannot be combined with --from or --to: use one or the other\n"
    )
