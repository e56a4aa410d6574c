"""`budget backup` and `budget restore` beside `budget export` and `budget import` of the
same expenses: time and peak memory, for 10,000 and for 100,000 expenses.

In one run against one DynamoDB Local, for each size:
1. a user imports a statement of that many rows (only to have the expenses);
2. `budget export --format csv` and `budget backup` of that account, to files;
3. `budget import` of the exported CSV into a new account in new tables, and
   `budget restore` of the backup into other new tables (no login there).
Each command is the installed `budget`, process start included; its peak RSS is its own
(wait4). For 10,000 the pairs run in interleaved rounds (median), so machine noise hits
both alike; 100,000 is one round (a restore of it takes minutes).

Run: .venv/bin/python bench/bench_backup.py [--rounds N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_import import bank_csv  # noqa: E402
from bench.common import BUDGET, bench_environment, bench_store, logged_in_env  # noqa: E402
from budgetcli import config  # noqa: E402
from budgetcli.services.setup import init_tables  # noqa: E402
from budgetcli.store import connect  # noqa: E402

SIZES = (10_000, 100_000)
PAIRS = (("export", "backup"), ("import", "restore"))


def run_with_rss(
    argv: list[str], env: dict[str, str], out: Path | None = None
) -> tuple[float, float]:
    """Wall seconds and this child's own peak RSS (MiB), through wait4."""
    started = time.perf_counter()
    with open(out or os.devnull, "wb") as stdout, open(os.devnull, "wb") as devnull:
        process = subprocess.Popen(argv, env=env, stdout=stdout, stderr=devnull)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {status}")
    return elapsed, usage.ru_maxrss / 1024


def new_tables(env: dict[str, str]) -> dict[str, str]:
    """`env` pointed at four new tables on the same engine."""
    fresh = dict(env, BUDGET_TABLE_PREFIX=f"bench{uuid.uuid4().hex[:8]}")
    saved = dict(os.environ)
    os.environ.update(fresh)
    try:
        init_tables(connect(config.load_settings()))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return fresh


def one_round(env: dict[str, str], root: Path, rows: int, n: int) -> dict[str, tuple[float, float]]:
    work = root / f"round-{rows}-{n}"
    work.mkdir()
    owner = logged_in_env(env, work, f"owner{rows}x{n}")
    statement = bank_csv(work / "statement.csv", rows)
    subprocess.run([BUDGET, "import", str(statement)], env=owner, check=True, capture_output=True)

    figures: dict[str, tuple[float, float]] = {}
    exported, backup = work / "export.csv", work / "backup.jsonl"
    figures["export"] = run_with_rss([BUDGET, "export", "--format", "csv"], owner, exported)
    figures["backup"] = run_with_rss([BUDGET, "backup", str(backup)], owner, None)

    importer = logged_in_env(new_tables(env), work, f"importer{rows}x{n}")
    figures["import"] = run_with_rss(
        [BUDGET, "import", str(exported), "--format", "json"], importer, work / "import.json"
    )
    imported = json.loads((work / "import.json").read_text())["imported"]
    restorer = dict(new_tables(env), BUDGET_CONFIG_DIR=str(work / "no-session"))
    figures["restore"] = run_with_rss(
        [BUDGET, "restore", str(backup), "--format", "json"], restorer, work / "restore.json"
    )
    restored = json.loads((work / "restore.json").read_text())
    expenses = next(k for k in restored["kinds"] if k["kind"] == "expense")["restored"]
    if imported != rows or expenses != rows:
        raise SystemExit(f"imported {imported}, restored {expenses}, expected {rows}")
    sizes = {name: path.stat().st_size for name, path in (("csv", exported), ("jsonl", backup))}
    print(
        f"{rows:,} expenses, round {n + 1}: "
        + ", ".join(f"{k} {s:.1f}s {m:.0f} MiB" for k, (s, m) in figures.items())
        + f"; files: csv {sizes['csv'] / 2**20:.1f} MiB, backup {sizes['jsonl'] / 2**20:.1f} MiB",
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds for 10,000 (median)")
    parser.add_argument("--quick", action="store_true", help="skip 100,000")
    args = parser.parse_args()
    sizes = SIZES[:1] if args.quick else SIZES
    with bench_environment() as env:
        bench_store()
        root = Path(env["BUDGET_DATA_DIR"]).parent
        results: dict[int, list[dict[str, tuple[float, float]]]] = {}
        for rows in sizes:
            rounds = args.rounds if rows == SIZES[0] else 1
            results[rows] = [one_round(env, root, rows, n) for n in range(rounds)]
        print()
        print("| expenses | command | seconds | items/s | peak RSS MiB | vs its peer |")
        print("| --- | --- | --- | --- | --- | --- |")
        for rows, runs in results.items():
            median = {
                name: (
                    statistics.median(run[name][0] for run in runs),
                    max(run[name][1] for run in runs),
                )
                for name in runs[0]
            }
            for peer, ours in PAIRS:
                for name in (peer, ours):
                    seconds, rss = median[name]
                    ratio = seconds / median[peer][0]
                    print(
                        f"| {rows:,} | `budget {name}` | {seconds:.1f} | {rows / seconds:,.0f} "
                        f"| {rss:.1f} | {ratio:.2f}x |"
                    )


if __name__ == "__main__":
    main()
