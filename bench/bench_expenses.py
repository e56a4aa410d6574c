"""`budget add` against bare boto3 and the AWS CLI; `budget list --month` against history size.

Run: .venv/bin/python bench/bench_expenses.py   (or `make bench`)
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BUDGET, bench_environment, bench_store, logged_in_env  # noqa: E402
from budgetcli.dates import utc_now_iso
from budgetcli.models import Expense  # noqa: E402
from budgetcli.store import Store  # noqa: E402
from budgetcli.tables.expenses import to_item as expense_item  # noqa: E402

REPEATS = 15
AWS_CLI = shutil.which("aws", path="/usr/bin:/usr/local/bin") or shutil.which("aws")

BARE_PUT = """
import sys, uuid, boto3
client = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                      aws_access_key_id="bench", aws_secret_access_key="bench")
client.put_item(TableName=sys.argv[2], Item={
    "expense_id": {"S": str(uuid.uuid4())}, "user_id": {"S": "bare"},
    "amount": {"N": "12.50"}, "category": {"S": "food"}, "date": {"S": "2026-11-03"}})
"""


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
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


def user_id(env: dict[str, str]) -> str:
    out = subprocess.run(
        [BUDGET, "whoami", "--format", "json"], env=env, check=True, capture_output=True
    )
    return str(json.loads(out.stdout)["user_id"])


def seed(store: Store, owner: str, days: list[date]) -> None:
    store.batch_write(
        "expenses",
        puts=(
            expense_item(
                Expense(
                    expense_id=str(uuid.uuid4()),
                    user_id=owner,
                    amount=Decimal("4.20"),
                    category="food",
                    description="bench",
                    date=day,
                    created_at=utc_now_iso(),
                )
            )
            for day in days
        ),
    )


def main() -> None:
    with bench_environment() as env:
        store = bench_store()
        root = Path(env["BUDGET_CONFIG_DIR"])
        endpoint = env["BUDGET_ENDPOINT_URL"]
        table = store.table_name("expenses")
        alice = logged_in_env(env, root, "alice")
        aws_env = dict(env, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_PAGER="")

        runs: dict[str, Callable[[], float]] = {
            "budget add": lambda: timed([BUDGET, "add", "12.50", "food", "bench"], alice),
            "python + boto3 put_item": lambda: timed(
                [sys.executable, "-c", BARE_PUT, endpoint, table], env
            ),
        }
        if AWS_CLI:
            item = '{"expense_id": {"S": "%s"}, "user_id": {"S": "aws"}, "amount": {"N": "12.50"}}'
            runs["aws dynamodb put-item"] = lambda: timed(
                [
                    AWS_CLI,
                    "dynamodb",
                    "put-item",
                    "--region",
                    "us-east-1",
                    "--endpoint-url",
                    endpoint,
                    "--table-name",
                    table,
                    "--item",
                    item % uuid.uuid4(),
                ],
                aws_env,
            )
        add = round_robin(runs, REPEATS)
        baseline = add["python + boto3 put_item"]
        print(f"== one expense, median of {REPEATS} interleaved runs")
        for name, seconds in add.items():
            print(f"{name:28} {seconds * 1000:7.0f} ms   {seconds / baseline:4.2f}x bare boto3")
        if not AWS_CLI:
            print("aws CLI not installed (apt-get install awscli): skipped")

        # Same month rows (50) for both; `heavy` also has 20,000 expenses in earlier years.
        month = [date(2026, 11, 1) + timedelta(days=i % 30) for i in range(50)]
        history = [date(2021, 1, 1) + timedelta(days=i % 2000) for i in range(20_000)]
        light = logged_in_env(env, root, "light")
        heavy = logged_in_env(env, root, "heavy")
        seed(store, user_id(light), month + history[:50])
        started = time.perf_counter()
        seed(store, user_id(heavy), month + history)
        print(f"\n(loaded 20,050 expenses in {time.perf_counter() - started:.1f} s)")
        listing = round_robin(
            {
                "100 expenses in all": lambda: timed(
                    [BUDGET, "list", "--month", "2026-11", "--format", "csv"], light
                ),
                "20,050 expenses in all": lambda: timed(
                    [BUDGET, "list", "--month", "2026-11", "--format", "csv"], heavy
                ),
            },
            REPEATS,
        )
        print(f"== budget list --month 2026-11 (50 rows), median of {REPEATS} interleaved runs")
        small = listing["100 expenses in all"]
        for name, seconds in listing.items():
            print(f"{name:28} {seconds * 1000:7.0f} ms   {seconds / small:4.2f}x")


if __name__ == "__main__":
    main()
