"""`budget import` of a 10,000-row bank CSV against the engine's conditional-write ceiling.

In one run against one DynamoDB Local:
1. the ceiling: the call `budget import` makes, bare: `transact_write_items` of 100
   conditional puts (`attribute_not_exists`) each, from 4 threads, 10,000 expense-shaped
   items into the same table (BatchWriteItem takes no condition, and DynamoDB Local on
   disk runs it several times slower: `--batch-write` times it too, for reference);
2. `budget import` of a 10,000-row CSV (the installed command, process start included);
3. the same import again (every row a duplicate, nothing written);
4. `hledger import` of the same CSV through a rules file, when hledger is installed;
5. the import's peak RSS for 10,000 rows and for 100,000 rows (skip with --quick).
Each of 1-3 is the median of interleaved rounds, so machine noise hits them alike.

    BUDGET_DYNAMODB_LOCAL_DIR=.cache/dynamodb-local .venv/bin/python bench/bench_import.py \
        [--rounds N] [--quick] [--batch-write]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BUDGET,
    bench_environment,
    bench_store,
    logged_in_env,
    transact_ceiling,
)

ROWS = 10_000
LARGE_ROWS = 100_000
CEILING_THREADS = 4
CATEGORIES = ["groceries", "transport", "eating out", "rent", "utilities", "health", "fun"]
HLEDGER_RULES = """skip 1
fields date, amount, category, description
currency $
account1 expenses:%category
account2 assets:bank
"""


def bank_csv(path: Path, rows: int) -> Path:
    """A bank-style statement: a year of purchases, a few identical rows among them."""
    start = date(2025, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("date,amount,category,description\n")
        for n in range(rows):
            # every 50th row repeats the row before it: two identical coffees
            k = n - 1 if n % 50 == 49 else n
            day = start + timedelta(days=k * 365 // rows)
            amount = f"{k % 180 + 1}.{(k * 37) % 100:02d}"
            out.write(f"{day},{amount},{CATEGORIES[k % 7]},Card payment shop {k % 1500}\n")
    return path


def peak_rss_mib(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of one child, its own rusage via wait4."""
    started = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=devnull)
        assert process.stdout is not None
        stdout = process.stdout.read().decode()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed with exit code {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024, stdout


def expense_items(rows: int) -> list[dict[str, Any]]:
    """`rows` expense-shaped items in DynamoDB's wire form, for a new user."""
    owner = str(uuid.uuid4())
    start = date(2025, 1, 1)
    items = [
        {
            "expense_id": {"S": str(uuid.uuid4())},
            "user_id": {"S": owner},
            "amount": {"N": f"{n % 180 + 1}.{(n * 37) % 100:02d}"},
            "category": {"S": CATEGORIES[n % 7]},
            "description": {"S": f"Card payment shop {n % 1500}"},
            "date": {"S": str(start + timedelta(days=n * 365 // rows))},
            "created_at": {"S": "2026-01-01T00:00:00+00:00"},
        }
        for n in range(rows)
    ]
    return items


def batch_writes(client: Any, table: str, rows: int) -> float:
    """Seconds for bare batch_write_item of `rows` expense-shaped items from 4 threads."""
    items = expense_items(rows)
    batches = [items[i : i + 25] for i in range(0, rows, 25)]

    def write(batch: list[dict[str, Any]]) -> None:
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    started = time.perf_counter()
    with ThreadPoolExecutor(CEILING_THREADS) as pool:
        list(pool.map(write, batches))
    return time.perf_counter() - started


def ceiling(client: Any, table: str, rows: int) -> float:
    """Seconds for bare transact_write_items of 100 conditional puts each, from 4 threads:
    the write call `budget import` uses, without budgetcli around it."""
    return transact_ceiling(client, table, expense_items(rows), CEILING_THREADS)


def hledger_import(csv_path: Path, work: Path) -> tuple[float, float] | None:
    """Seconds for `hledger import` of the CSV into an empty journal, then again."""
    hledger = shutil.which("hledger")
    if hledger is None:
        return None
    work.mkdir()
    statement = work / csv_path.name
    shutil.copy(csv_path, statement)
    journal = work / "budget.journal"
    journal.write_text("")
    rules = work / "bank.rules"
    rules.write_text(HLEDGER_RULES)
    argv = [hledger, "-f", str(journal), "import", str(statement), "--rules-file", str(rules)]
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    postings = journal.read_text().count("assets:bank")
    if postings != ROWS:
        raise SystemExit(f"hledger imported {postings} transactions, expected {ROWS}")
    return timings[0], timings[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-row import")
    parser.add_argument(
        "--batch-write", action="store_true", help="also time bare batch_write_item (slow)"
    )
    args = parser.parse_args()

    with bench_environment() as env:
        store = bench_store()
        root = Path(env["BUDGET_DATA_DIR"]).parent
        table = store.table_name("expenses")
        statement = bank_csv(root / "statement.csv", ROWS)
        command = [BUDGET, "import", str(statement), "--format", "json"]

        timings: dict[str, list[float]] = {"ceiling": [], "import": [], "reimport": []}
        if args.batch_write:
            timings["batch_write"] = []
        rss_10k: list[float] = []
        ceiling(store.client, table, 1_000)  # the engine's first transactions are slow (JIT)
        for round_number in range(args.rounds):
            timings["ceiling"].append(ceiling(store.client, table, ROWS))
            if args.batch_write:
                timings["batch_write"].append(batch_writes(store.client, table, ROWS))
            user = logged_in_env(env, root, f"bench{round_number}")
            seconds, rss, out = peak_rss_mib(command, user)
            summary = json.loads(out)
            if summary["imported"] != ROWS:
                raise SystemExit(f"imported {summary['imported']} rows, expected {ROWS}")
            timings["import"].append(seconds)
            rss_10k.append(rss)
            seconds, _, out = peak_rss_mib(command, user)
            if json.loads(out)["duplicates"] != ROWS:
                raise SystemExit(f"re-import found {out.strip()}, expected {ROWS} duplicates")
            timings["reimport"].append(seconds)
            print(
                f"round {round_number + 1}: "
                + ", ".join(f"{name} {values[-1]:.2f}s" for name, values in timings.items()),
                flush=True,
            )

        rate = {name: ROWS / statistics.median(values) for name, values in timings.items()}
        top = rate["ceiling"]
        print(f"\n== {ROWS:,} rows, median of {args.rounds} interleaved rounds (items/s)")
        print(
            f"ceiling: transact_write_items x{CEILING_THREADS} {top:8,.0f}   1.00x"
            "  (100 conditional puts a call, bare botocore)"
        )
        print(
            f"budget import (new rows)            {rate['import']:8,.0f}   "
            f"{rate['import'] / top:4.2f}x  (issue 14: >= 0.8x)"
        )
        print(
            f"budget import again (duplicates)    {rate['reimport']:8,.0f}   "
            f"{rate['reimport'] / top:4.2f}x"
        )
        if args.batch_write:
            print(
                f"batch_write_item x{CEILING_THREADS} (no condition)  "
                f"{rate['batch_write']:8,.0f}   {rate['batch_write'] / top:4.2f}x"
            )
        hledger = hledger_import(statement, root / "hledger")
        if hledger is None:
            print("hledger import                      not installed (apt-get install hledger)")
        else:
            first, again = hledger
            print(
                f"hledger import (new rows)           {ROWS / first:8,.0f}   "
                f"{ROWS / first / top:4.2f}x"
            )
            print(
                f"hledger import again (nothing new)  {ROWS / again:8,.0f}   "
                f"{ROWS / again / top:4.2f}x"
            )

        print(f"\n== peak RSS of `budget import` (MiB)\n{ROWS:>7,} rows  {max(rss_10k):6.1f}")
        if not args.quick:
            large = bank_csv(root / "large.csv", LARGE_ROWS)
            user = logged_in_env(env, root, "large")
            seconds, rss, out = peak_rss_mib(
                [BUDGET, "import", str(large), "--format", "json"], user
            )
            imported = json.loads(out)["imported"]
            print(
                f"{LARGE_ROWS:>7,} rows  {rss:6.1f}   "
                f"({imported:,} imported at {LARGE_ROWS / seconds:,.0f} items/s)"
            )


if __name__ == "__main__":
    main()
