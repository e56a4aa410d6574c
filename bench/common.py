"""What every benchmark shares: a throw-away DynamoDB Local, timing, and a CLI runner."""

from __future__ import annotations

import compileall
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from budgetcli import config, local_engine
from budgetcli.models import User
from budgetcli.services.setup import init_tables
from budgetcli.store import Store, connect

REPO = Path(__file__).resolve().parents[1]
BUDGET = str(Path(sys.executable).with_name("budget"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def compile_budgetcli() -> None:
    """Byte-compile budgetcli, as pip does when it installs a package.

    An editable install has no .pyc files of its own, and where PYTHONDONTWRITEBYTECODE
    is set every `budget` run would compile every module from source (~60 ms).
    """
    compileall.compile_dir(REPO / "budgetcli", quiet=1)


@contextlib.contextmanager
def bench_environment() -> Iterator[dict[str, str]]:
    """A private config/data dir and a DynamoDB Local on a free port, stopped on exit.

    Yields the environment for `budget` subprocesses; os.environ is set to it too.
    """
    compile_budgetcli()
    with tempfile.TemporaryDirectory(prefix="budget-bench-") as tmp:
        root = Path(tmp)
        paths = local_engine.EnginePaths(root / "engine")
        status, _ = local_engine.start(paths, port=free_port(), heap_mb=512)
        env = {
            "BUDGET_CONFIG_DIR": str(root / "config"),
            "BUDGET_DATA_DIR": str(root / "data"),
            "BUDGET_ENDPOINT_URL": str(status.endpoint),
            "BUDGET_TABLE_PREFIX": f"bench{uuid.uuid4().hex[:8]}",
            "BUDGET_BACKEND": "local",
        }
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            yield dict(os.environ)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            local_engine.stop(paths)


def bench_store() -> Store:
    """A Store on the benchmark engine with the four tables created."""
    store = connect(config.load_settings())
    init_tables(store)
    return store


def load_items(store: Store, table: str, items: Sequence[Mapping[str, Any]]) -> None:
    """Write new items fast: 100-put transactions from 4 threads (DynamoDB Local on disk
    runs BatchWriteItem several times slower)."""
    chunks = [items[i : i + 100] for i in range(0, len(items), 100)]
    with ThreadPoolExecutor(4) as pool:
        for written in pool.map(lambda c: store.put_if_absent(table, c, key="expense_id"), chunks):
            assert all(written)


def transact_ceiling(client: Any, table: str, items: Sequence[Any], threads: int = 4) -> float:
    """Seconds for bare `transact_write_items` of 100 conditional puts each, from
    `threads` threads: the write call `budget import` makes, without budgetcli around it."""
    chunks = [items[i : i + 100] for i in range(0, len(items), 100)]

    def write(chunk: Sequence[Any]) -> None:
        client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(expense_id)",
                    }
                }
                for item in chunk
            ]
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, chunks))
    return time.perf_counter() - started


def round_robin(runs: dict[str, Callable[[], float]], repeats: int) -> dict[str, float]:
    """Median seconds of each run, interleaved so machine noise hits them alike."""
    for run in runs.values():
        run()  # warm the page cache and the engine
    timings: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            timings[name].append(run())
    return {name: statistics.median(values) for name, values in timings.items()}


def timed_command(
    argv: Sequence[str], env: dict[str, str], cpu: list[float] | None = None
) -> Callable[[], float]:
    """A run for `round_robin`: wall seconds of one `argv` process, which must succeed.

    With `cpu`, the process's own user + system seconds are appended to it: on a busy
    machine they move far less than the wall time, which includes waiting for a core.
    """

    def once() -> float:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert process.stdout is not None
        output = process.stdout.read()
        process.stdout.close()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {output.decode()[-500:]}")
        if cpu is not None:
            cpu.append(usage.ru_utime + usage.ru_stime)
        return elapsed

    return once


def run_command(argv: Sequence[str], env: dict[str, str], stdin: str | None = None) -> None:
    subprocess.run(list(argv), env=env, input=stdin, text=True, check=True, capture_output=True)


BENCH_PASSWORD = "bench-password-1"


def logged_in_env(env: dict[str, str], root: Path, username: str) -> dict[str, str]:
    """`env` for a new user `username`, registered and logged in with its own config dir."""
    own = dict(env, BUDGET_CONFIG_DIR=str(root / "users" / username))
    for command in (
        ["register", username, "--email", f"{username}@example.com"],
        ["login", username],
    ):
        subprocess.run(
            [BUDGET, *command, "--password-stdin"],
            env=own,
            input=BENCH_PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
    return own


def registered_here(
    store: Store, env: dict[str, str], root: Path, username: str
) -> tuple[User, dict[str, str]]:
    """As logged_in_env, through the services in this process instead of `budget`, for
    benches that then seed the user's data: the user, and `env` with its session."""
    from budgetcli.services import accounts

    user = accounts.register(
        store, accounts.NewAccount.parse(username, f"{username}@example.com"), BENCH_PASSWORD
    )
    own = dict(env, BUDGET_CONFIG_DIR=str(root / username))
    session = accounts.login(store, username, BENCH_PASSWORD, days=1)
    shared = os.environ["BUDGET_CONFIG_DIR"]
    os.environ["BUDGET_CONFIG_DIR"] = own["BUDGET_CONFIG_DIR"]
    try:
        config.write_session_file(session.to_dict())
    finally:
        os.environ["BUDGET_CONFIG_DIR"] = shared
    return user, own
