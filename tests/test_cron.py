"""The README's cron recipe, as a new user lives it: set up from a shell whose
XDG_CONFIG_HOME and XDG_DATA_HOME point elsewhere, then cron runs the installed `budget`
in a bare environment (`env -i HOME=... PATH=/usr/bin:/bin:<venv>`, stdin /dev/null, no
terminal), several jobs at once after a reboot. Cron finds the same session, settings,
data and engine, and writes nothing on stderr but `error:` lines.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from budgetcli import local_engine
from budgetcli.errors import ExitCode
from tests.conftest import ENGINE_HOME, free_port, require_dynamodb_local

pytestmark = pytest.mark.slow

BUDGET = str(Path(sys.executable).with_name("budget"))
PASSWORD = "a long enough password"


def cron_path() -> str:
    """What cron gives a job, and the venv's bin (where `pip install` put `budget`);
    Java's directory too where it is not /usr/bin."""
    dirs = ["/usr/bin", "/bin", str(Path(BUDGET).parent)]
    java = shutil.which("java")
    assert java, "the cron recipe needs java"
    if str(Path(java).parent) not in dirs:
        dirs.append(str(Path(java).parent))
    return ":".join(dirs)


class User:
    """One OS user's fresh HOME, an interactive shell with XDG variables, and cron."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.config = home / "dotfiles" / "config"
        self.data = home / "dotfiles" / "data"

    def shell_env(self) -> dict[str, str]:
        return {
            "HOME": str(self.home),
            "PATH": cron_path(),
            "XDG_CONFIG_HOME": str(self.config),
            "XDG_DATA_HOME": str(self.data),
        }

    def cron_env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "PATH": cron_path()}

    def shell(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [BUDGET, *args],
            env=self.shell_env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def cron(self, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
        """The commands started at once, as cron jobs due at the same minute."""
        processes = [
            subprocess.Popen(
                [BUDGET, *args],
                env=self.cron_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,  # no controlling terminal
                cwd=self.home,
            )
            for args in commands
        ]
        results = []
        for process in processes:
            stdout, stderr = process.communicate(timeout=180)
            results.append(
                subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
            )
        return results


@pytest.fixture
def user(tmp_path: Path) -> Iterator[User]:
    """A fresh HOME whose shell has DynamoDB Local already fetched (what its first
    `budget init-tables` does with npm), and a free port in config.toml."""
    require_dynamodb_local()
    home = tmp_path / "fresh-home"
    home.mkdir()
    person = User(home)
    engine_dir = person.data / "budgetcli" / "dynamodb-local"
    shutil.copytree(ENGINE_HOME, engine_dir, copy_function=os.link)
    (person.config / "budgetcli").mkdir(parents=True)
    (person.config / "budgetcli" / "config.toml").write_text(f"local_port = {free_port()}\n")
    try:
        yield person
    finally:
        local_engine.stop(local_engine.EnginePaths(person.data / "budgetcli"))
        local_engine.stop(local_engine.EnginePaths(home / ".local" / "share" / "budgetcli"))


def test_the_cron_recipe_works_from_a_fresh_home(user: User) -> None:
    # In the shell, as the README says.
    for args, stdin in [
        (["init-tables"], ""),
        (["register", "alice", "--email", "alice@example.com", "--password-stdin"], PASSWORD),
        (["login", "alice", "--password-stdin"], PASSWORD),
        (["budget", "set", "food", "100"], ""),
        (["add", "85", "food", "groceries"], ""),
        (["local", "stop"], ""),  # the machine reboots before the next hour
    ]:
        done = user.shell(*args, stdin=stdin + "\n")
        assert done.returncode == 0, (args, done.stderr)

    # Cron, after the reboot: several jobs due at once, the engine stopped.
    jobs = [["alerts"], ["alerts"], ["alerts"], ["add", "1.50", "coffee"], ["report", "-f", "csv"]]
    results = user.cron(*jobs)
    for args, result in zip(jobs, results, strict=True):
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == "", (args, result.stderr)
    raised = "".join(result.stdout for result in results[:3])
    assert raised.count("Budget warning") == 1, raised  # once, whichever run raised it

    # The next hour: nothing new, nothing printed, so cron mails nothing.
    [quiet] = user.cron(["alerts"])
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")

    # One session, one set of data, one engine: the shell's, found through location.json.
    [listed, status] = user.cron(["list", "--format", "json"], ["local", "status", "-f", "json"])
    assert sorted(e["category"] for e in json.loads(listed.stdout)) == ["coffee", "food"]
    engine = json.loads(status.stdout)
    assert engine["state"] == "running"
    assert Path(engine["data_dir"]) == user.data / "budgetcli" / "dynamodb"
    assert not (user.home / ".local" / "share" / "budgetcli").exists()  # no second download
    assert not (user.home / ".config" / "budgetcli" / "session.json").exists()
    paths = local_engine.EnginePaths(user.data / "budgetcli")
    assert local_engine.status(paths).pid == engine["pid"]


def test_cron_before_anyone_logged_in_is_one_error_line_and_starts_nothing(
    user: User,
) -> None:
    results = user.cron(["alerts"], ["alerts", "--deliver", "email"], ["list"])
    for result in results:
        assert result.returncode == ExitCode.AUTH, result.stderr
        assert result.stderr == "error: not logged in: run `budget login USERNAME`\n"
        assert result.stdout == ""
    assert not local_engine.status(local_engine.EnginePaths(user.data / "budgetcli")).running
    assert not (user.home / ".local" / "share" / "budgetcli").exists()
