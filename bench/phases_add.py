"""Where the time of one `budget add` goes, phase by phase: what runs before the PutItem.

Runs `budget add 12.50 food bench` in fresh processes against a throw-away DynamoDB
Local, timing each phase from inside (the best of --runs, so that a busy machine's
stalls drop out), as `budget` runs it: collector off (see budgetcli/__main__.py).

    BUDGET_DYNAMODB_LOCAL_DIR=.cache/dynamodb-local .venv/bin/python bench/phases_add.py

Interpreter start-up is `python -c pass`; the whole process's wall time also holds the
exit. `--collector` leaves the cycle collector on and exits as Python does by default, as
`budget` did before budgetcli/__main__.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_environment, bench_store, logged_in_env  # noqa: E402

PROBE = r"""
import gc, json, os, sys, time
if not os.environ.get("PHASES_COLLECTOR"):
    gc.disable()
started = time.perf_counter()
marks = {}

def timed(module, name, label):
    real = getattr(module, name)
    def wrapper(*args, **kwargs):
        begin = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            marks[label] = marks.get(label, 0.0) + time.perf_counter() - begin
    setattr(module, name, wrapper)

import budgetcli.cli as cli
marks["import budgetcli.cli (Typer, Rich, budgetcli)"] = time.perf_counter() - started
import typer.main
from budgetcli import config, store
from budgetcli.cli import common, expenses
from budgetcli.services import accounts
import budgetcli.services.expenses as expense_service
timed(typer.main, "get_command", "Typer builds the commands")
timed(config, "load_settings", "settings")
timed(config, "read_session_file", "session file")
timed(store, "botocore_session", "session")
timed(store, "dynamodb_client", "client")
timed(accounts, "verify_session", "GetItem: verify the session")
timed(expense_service, "add_expense", "PutItem: write the expense")
timed(expenses, "emit_expense", "render the record (Rich)")
sys.argv = ["budget", "add", "12.50", "food", "bench"]
try:
    cli.main()
except SystemExit:
    pass
marks["total inside the process"] = time.perf_counter() - started
sys.stdout.flush()
print(json.dumps(marks), file=sys.stderr)
sys.stderr.flush()
if not os.environ.get("PHASES_COLLECTOR"):
    os._exit(0)  # as budgetcli/__main__.py ends a command
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument(
        "--collector", action="store_true", help="leave the cycle collector on (as before)"
    )
    args = parser.parse_args()
    with bench_environment() as env:
        bench_store()
        alice = logged_in_env(env, Path(env["BUDGET_CONFIG_DIR"]), "alice")
        if args.collector:
            alice["PHASES_COLLECTOR"] = "1"
        best: dict[str, float] = {}
        walls, starts = [], []
        for _ in range(args.runs):
            began = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            starts.append(time.perf_counter() - began)
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", PROBE], env=alice, capture_output=True, text=True
            )
            walls.append(time.perf_counter() - began)
            if done.returncode != 0:
                raise SystemExit(done.stderr[-800:])
            for name, seconds in json.loads(done.stderr.strip().splitlines()[-1]).items():
                best[name] = min(best.get(name, seconds), seconds)
        print(f"== budget add 12.50 food bench: best of {args.runs} runs, phase by phase")
        print(f"{'python -c pass (interpreter start)':46} {min(starts) * 1000:6.1f} ms")
        client = best.pop("client")
        session = best.pop("session")
        inside = best.pop("total inside the process")
        for name, seconds in best.items():
            print(f"{name:46} {seconds * 1000:6.1f} ms")
        print(f"{'botocore client, of which:':46} {client * 1000:6.1f} ms")
        print(f"{'  import botocore.session, new session':46} {session * 1000:6.1f} ms")
        rest = "  import botocore.config, create_client"
        print(f"{rest:46} {(client - session) * 1000:6.1f} ms")
        print(f"{'total inside the process':46} {inside * 1000:6.1f} ms")
        print(f"{'whole process, wall (best)':46} {min(walls) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
