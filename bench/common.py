"""What every benchmark shares: a throw-away DynamoDB Local, timing, and a CLI runner."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from budgetcli import config, local_engine
from budgetcli.services.setup import init_tables
from budgetcli.store import Store, connect

REPO = Path(__file__).resolve().parents[1]
BUDGET = str(Path(sys.executable).with_name("budget"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def bench_environment() -> Iterator[dict[str, str]]:
    """A private config/data dir and a DynamoDB Local on a free port, stopped on exit.

    Yields the environment for `budget` subprocesses; os.environ is set to it too.
    """
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


def median_seconds(run: Callable[[], object], repeats: int = 7, warmup: int = 1) -> float:
    for _ in range(warmup):
        run()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


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
