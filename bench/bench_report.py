"""`budget report --by month` over 15 years and 20,000 expenses, against hledger on its journal.

One run, one DynamoDB Local: 20,000 expenses of one user spread over 2011-2025 are loaded
into the engine and written as an hledger journal (hledger's own format, parsed ~4x faster
than CSV through a rules file). Both tools must agree on all 180 months' totals; then,
interleaved so machine noise hits them alike (median of --repeats):

    budget report --by month --from 2011-01-01 --to 2025-12-31 --format csv
    hledger -f expenses.journal balance --monthly --depth 1 -O csv \\
        -b 2011-01-01 -e 2026-01-01 expenses
    budget --version                                  (budget's start-up, for reference)
    python floor.py   (a bare botocore process reading the same amounts: the floor)

and in this process, with a client already built, what reading the 20,000 items costs on
this engine: budget's month report, bare botocore Queries (one over the range, one per
year, one per month) projecting what a month report needs, and the engine alone
(Select=COUNT). Goal: budget at most 0.8x hledger. Exits 1 when over.

    BUDGET_DYNAMODB_LOCAL_DIR=.cache/dynamodb-local .venv/bin/python bench/bench_report.py
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BUDGET,
    bench_environment,
    bench_store,
    load_items,
    round_robin,
    timed_command,
)
from budgetcli import config  # noqa: E402
from budgetcli.dates import Period  # noqa: E402
from budgetcli.models import Expense  # noqa: E402
from budgetcli.services import accounts, reports  # noqa: E402
from budgetcli.store import Store  # noqa: E402
from budgetcli.tables.expenses import to_item as expense_item  # noqa: E402
from budgetcli.tables.schema import EXPENSES  # noqa: E402

EXPENSE_COUNT = 20_000
FIRST, LAST = date(2011, 1, 1), date(2025, 12, 31)
CATEGORIES = ["food", "rent", "transport", "fun", "health", "books", "coffee", "gifts"]
GOAL = 0.8
THREADS = 8
INDEX = "user_id-date-index"

# The floor as a process: start Python, build a botocore client, read every amount of
# the range (one Query per year, 8 threads, projecting amount and date), sum per month.
FLOOR = """
import sys, botocore.session
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
endpoint, table, user = sys.argv[1:4]
client = botocore.session.get_session().create_client(
    "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
    aws_access_key_id="bench", aws_secret_access_key="bench")
def year(y):
    totals = defaultdict(Decimal)
    request = dict(TableName=table, IndexName="user_id-date-index",
        KeyConditionExpression="user_id = :u AND #d BETWEEN :a AND :b",
        ProjectionExpression="amount, #d", ExpressionAttributeNames={"#d": "date"},
        ExpressionAttributeValues={":u": {"S": user}, ":a": {"S": f"{y}-01-01"},
                                   ":b": {"S": f"{y}-12-31"}})
    while True:
        page = client.query(**request)
        for item in page["Items"]:
            totals[item["date"]["S"][:7]] += Decimal(item["amount"]["N"])
        if "LastEvaluatedKey" not in page:
            return totals
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
with ThreadPoolExecutor(8) as pool:
    months = {k: v for t in pool.map(year, range(2011, 2026)) for k, v in t.items()}
for month in sorted(months):
    print(month, months[month])
"""


def make_expenses(user_id: str) -> list[Expense]:
    rng = random.Random(7)
    days = (LAST - FIRST).days
    return [
        Expense(
            expense_id=str(uuid.uuid4()),
            user_id=user_id,
            amount=Decimal(rng.randint(1, 30_000)) / 100,
            category=rng.choice(CATEGORIES),
            description=f"bench expense {n}, paid",
            date=FIRST + timedelta(days=rng.randint(0, days)),
            created_at="2026-01-01T00:00:00+00:00",
        )
        for n in range(EXPENSE_COUNT)
    ]


def expected_months(expenses: list[Expense]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for expense in expenses:
        totals[f"{expense.date:%Y-%m}"] += expense.amount
    return dict(totals)


def write_journal(expenses: list[Expense], path: Path) -> Path:
    """The expenses as an hledger journal, oldest first, as hledger users keep them."""
    with path.open("w", encoding="utf-8") as journal:
        for expense in sorted(expenses, key=lambda e: e.date):
            journal.write(
                f"{expense.date} {expense.description}\n"
                f"    expenses:{expense.category}  {expense.amount}\n"
                "    assets:cash\n\n"
            )
    return path


def run(argv: list[str], env: dict[str, str]) -> str:
    return subprocess.run(argv, env=env, text=True, check=True, capture_output=True).stdout


def spans(step: str) -> list[tuple[str, str]]:
    if step == "range":
        return [(FIRST.isoformat(), LAST.isoformat())]
    if step == "year":
        return [(f"{y}-01-01", f"{y}-12-31") for y in range(FIRST.year, LAST.year + 1)]
    months = []
    for y in range(FIRST.year, LAST.year + 1):
        for m in range(1, 13):
            end = (date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)).isoformat()
            months.append((f"{y}-{m:02d}-01", end))
    return months


def read_amounts(
    client: Any, table: str, user_id: str, step: str, threads: int, count_only: bool = False
) -> int:
    """Items read with bare botocore Queries on the date index, one per span; with
    `count_only` the engine reads them but sends only their count (Select=COUNT)."""

    def query(span: tuple[str, str]) -> int:
        request: dict[str, Any] = {
            "TableName": table,
            "IndexName": INDEX,
            "KeyConditionExpression": "user_id = :u AND #d BETWEEN :a AND :b",
            "ExpressionAttributeNames": {"#d": "date"},
            "ExpressionAttributeValues": {
                ":u": {"S": user_id},
                ":a": {"S": span[0]},
                ":b": {"S": span[1]},
            },
        }
        if count_only:
            request["Select"] = "COUNT"
        else:
            request["ProjectionExpression"] = "amount, #d"
        count = 0
        while True:
            page = client.query(**request)
            count += page["Count"]
            if "LastEvaluatedKey" not in page:
                return count
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(query, spans(step)))


def floors(store: Store, user_id: str, repeats: int) -> dict[str, float]:
    """Seconds to read the 20,000 expenses in this process, with a client already built:
    budget's own month report, bare botocore Queries split several ways, and the engine
    alone (Select=COUNT: it reads every item and sends back a number)."""
    import botocore.session

    table = store.table_name(EXPENSES)
    bare = botocore.session.get_session().create_client(
        "dynamodb",
        endpoint_url=store.client.meta.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )

    def reading(step: str, threads: int, count_only: bool = False) -> Callable[[], float]:
        def once() -> float:
            started = time.perf_counter()
            count = read_amounts(bare, table, user_id, step, threads, count_only)
            assert count == EXPENSE_COUNT, count
            return time.perf_counter() - started

        return once

    def month_report() -> float:
        started = time.perf_counter()
        report = reports.month_report(store, user_id, Period(FIRST, LAST))
        assert report.count == EXPENSE_COUNT
        return time.perf_counter() - started

    runs: dict[str, Callable[[], float]] = {"budget's month_report (in process)": month_report}
    for step, threads in (("range", 1), ("year", 1), ("year", THREADS), ("month", THREADS)):
        runs[f"{len(spans(step))} {step} Query(s), {threads} thread(s)"] = reading(step, threads)
    runs[f"engine alone: 15 year COUNTs, {THREADS} threads"] = reading("year", THREADS, True)
    return round_robin(runs, repeats)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="interleaved runs (median)")
    args = parser.parse_args()
    hledger = shutil.which("hledger")
    with bench_environment() as env, tempfile.TemporaryDirectory(prefix="report-") as tmp:
        store = bench_store()
        account = accounts.NewAccount.parse("bench", "bench@example.com")
        user = accounts.register(store, account, "bench password 123")
        session = accounts.login(store, "bench", "bench password 123", days=1)
        config.write_session_file(session.to_dict())

        expenses = make_expenses(user.user_id)
        started = time.perf_counter()
        load_items(store, EXPENSES, [expense_item(expense) for expense in expenses])
        print(f"loaded {len(expenses):,} expenses in {time.perf_counter() - started:.1f} s")
        expected = expected_months(expenses)

        report = [BUDGET, "report", "--by", "month", "--from", str(FIRST), "--to", str(LAST)]
        report += ["--format", "csv"]
        rows = list(csv.DictReader(io.StringIO(run(report, env))))
        got = {row["month"]: Decimal(row["total"]) for row in rows}
        assert len(rows) == 180 and got == expected, "budget report disagrees with the data"
        assert sum(int(row["count"]) for row in rows) == EXPENSE_COUNT

        floor_script = Path(tmp) / "floor.py"
        floor_script.write_text(FLOOR)
        floor = [sys.executable, str(floor_script), env["BUDGET_ENDPOINT_URL"]]
        floor += [store.table_name(EXPENSES), user.user_id]
        floor_months = dict(line.split() for line in run(floor, env).splitlines())
        assert {k: Decimal(v) for k, v in floor_months.items()} == expected

        runs = {
            "budget report --by month": timed_command(report, env),
            "budget --version": timed_command([BUDGET, "--version"], env),
            "python floor.py (bare botocore)": timed_command(floor, env),
        }
        if hledger is not None:
            journal = write_journal(expenses, Path(tmp) / "expenses.journal")
            ledger = [hledger, "-f", str(journal), "balance", "--monthly", "--depth", "1"]
            ledger += ["-O", "csv", "-b", str(FIRST), "-e", str(LAST + timedelta(days=1))]
            ledger += ["expenses"]
            table = list(csv.reader(io.StringIO(run(ledger, env))))
            months, totals = table[0][1:], next(r for r in table if r[0] == "expenses")[1:]
            agreed = dict(zip(months, map(Decimal, totals), strict=True)) == expected
            assert agreed, "hledger disagrees with the data"
            runs["hledger balance --monthly"] = timed_command(ledger, env)

        medians = round_robin(runs, args.repeats)
        print(f"\n== 20,000 expenses, 180 months; median of {args.repeats} interleaved runs")
        print(f"$ budget {' '.join(report[1:])}")
        if hledger is not None:
            print(f"$ hledger -f expenses.journal {' '.join(ledger[3:])}")
        peer = medians.get("hledger balance --monthly")
        for name, seconds in medians.items():
            ratio = f"{seconds / peer:5.2f}x hledger" if peer else ""
            print(f"{name:34} {seconds * 1000:6.0f} ms  {ratio}")

        in_process = floors(store, user.user_id, max(5, args.repeats // 3))
        print("\n== reading the 20,000 expenses in this process (client built; bare botocore)")
        for name, seconds in in_process.items():
            print(f"{name:44} {seconds * 1000:6.0f} ms  {EXPENSE_COUNT / seconds:8,.0f} items/s")

        if peer is None:
            print("hledger is not installed (apt-get install hledger): no ratio")
            return 0
        ratio = medians["budget report --by month"] / peer
        verdict = "within" if ratio <= GOAL else "OVER"
        print(f"\nbudget/hledger: {ratio:.2f} ({verdict} the goal of {GOAL})")
        return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
