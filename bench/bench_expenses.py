"""`budget add` against a bare put_item script, `budget --help` against bare Python, and
`budget list --month` against history size.

One run, one DynamoDB Local; every comparison interleaved (median of --repeats):

1. `budget add 12.50 food bench` (reads the session file, verifies the session with a
   consistent GetItem on the users table, then one conditional PutItem) against a
   `python -c` script that builds a boto3 client and calls put_item once; also the
   same script on botocore alone, and the AWS CLI. Goal: budget at most 1.0x boto3.
2. `budget --help` against `python -c pass` (the same interpreter and site-packages).
   Goal: at most 100 ms more.
3. `budget list --month` for a user with 100 expenses and one with 20,050.

Exits 1 when goal 1 or 2 is missed.

    BUDGET_DYNAMODB_LOCAL_DIR=.cache/dynamodb-local .venv/bin/python bench/bench_expenses.py
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BUDGET,
    bench_environment,
    bench_store,
    load_items,
    logged_in_env,
    round_robin,
    timed_command,
)
from budgetcli.dates import utc_now_iso  # noqa: E402
from budgetcli.models import Expense  # noqa: E402
from budgetcli.store import Store  # noqa: E402
from budgetcli.tables.expenses import to_item as expense_item  # noqa: E402

ADD_GOAL = 1.0
HELP_GOAL_MS = 100
AWS_CLI = shutil.which("aws", path="/usr/bin:/usr/local/bin") or shutil.which("aws")

BARE_BOTO3 = """
import sys, uuid, boto3
client = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                      aws_access_key_id="bench", aws_secret_access_key="bench")
client.put_item(TableName=sys.argv[2], Item={
    "expense_id": {"S": str(uuid.uuid4())}, "user_id": {"S": "bare"},
    "amount": {"N": "12.50"}, "category": {"S": "food"}, "date": {"S": "2026-11-03"}})
"""
BARE_BOTOCORE = BARE_BOTO3.replace("import sys, uuid, boto3", "import sys, uuid, botocore.session")
BARE_BOTOCORE = BARE_BOTOCORE.replace(
    'boto3.client("dynamodb",', 'botocore.session.get_session().create_client("dynamodb",'
)


def user_id(env: dict[str, str]) -> str:
    out = subprocess.run(
        [BUDGET, "whoami", "--format", "json"], env=env, check=True, capture_output=True
    )
    return str(json.loads(out.stdout)["user_id"])


def seed(store: Store, owner: str, days: list[date]) -> None:
    expenses = [
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
    ]
    load_items(store, "expenses", expenses)


def aws_put(endpoint: str, table: str, env: dict[str, str]) -> Callable[[], float]:
    item = '{"expense_id": {"S": "%s"}, "user_id": {"S": "aws"}, "amount": {"N": "12.50"}}'
    argv = [AWS_CLI or "aws", "dynamodb", "put-item", "--region", "us-east-1"]
    argv += ["--endpoint-url", endpoint, "--table-name", table, "--item"]
    aws_env = dict(env, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_PAGER="")

    def once() -> float:
        return timed_command([*argv, item % uuid.uuid4()], aws_env)()

    return once


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="interleaved runs (median)")
    parser.add_argument("--skip-list", action="store_true", help="only goals 1 and 2")
    args = parser.parse_args()
    with bench_environment() as env:
        store = bench_store()
        root = Path(env["BUDGET_CONFIG_DIR"])
        endpoint = env["BUDGET_ENDPOINT_URL"]
        table = store.table_name("expenses")
        alice = logged_in_env(env, root, "alice")
        python = sys.executable

        runs = {
            "budget add 12.50 food bench": timed_command(
                [BUDGET, "add", "12.50", "food", "bench"], alice
            ),
            "python -c (boto3, put_item)": timed_command(
                [python, "-c", BARE_BOTO3, endpoint, table], env
            ),
            "python -c (botocore, put_item)": timed_command(
                [python, "-c", BARE_BOTOCORE, endpoint, table], env
            ),
        }
        if AWS_CLI:
            runs["aws dynamodb put-item"] = aws_put(endpoint, table, env)
        add = round_robin(runs, args.repeats)
        baseline = add["python -c (boto3, put_item)"]
        print(f"== one expense written, median of {args.repeats} interleaved runs")
        for name, seconds in add.items():
            print(f"{name:32} {seconds * 1000:6.0f} ms  {seconds / baseline:5.2f}x boto3")
        if not AWS_CLI:
            print("aws CLI not installed (apt-get install awscli): skipped")
        add_ratio = add["budget add 12.50 food bench"] / baseline

        cpu: dict[str, list[float]] = {"python": [], "version": [], "help": []}
        start = round_robin(
            {
                "python -c pass": timed_command([python, "-c", "pass"], env, cpu["python"]),
                "budget --version": timed_command([BUDGET, "--version"], env, cpu["version"]),
                "budget --help": timed_command([BUDGET, "--help"], env, cpu["help"]),
            },
            args.repeats,
        )
        bare = start["python -c pass"]
        bare_cpu = statistics.median(cpu["python"])
        print(f"\n== start-up, median of {args.repeats} interleaved runs (wall, and CPU)")
        for (name, seconds), cpu_seconds in zip(start.items(), cpu.values(), strict=True):
            used = statistics.median(cpu_seconds)
            print(
                f"{name:32} {seconds * 1000:6.0f} ms  {(seconds - bare) * 1000:+5.0f} ms"
                f"   CPU {used * 1000:4.0f} ms  {(used - bare_cpu) * 1000:+5.0f} ms"
            )
        help_over_ms = (start["budget --help"] - bare) * 1000

        if not args.skip_list:
            # Same month rows (50) for both; `heavy` also has 20,000 expenses in earlier years.
            month = [date(2026, 11, 1) + timedelta(days=i % 30) for i in range(50)]
            history = [date(2021, 1, 1) + timedelta(days=i % 2000) for i in range(20_000)]
            light = logged_in_env(env, root, "light")
            heavy = logged_in_env(env, root, "heavy")
            seed(store, user_id(light), month + history[:50])
            seed(store, user_id(heavy), month + history)
            listing = [BUDGET, "list", "--month", "2026-11", "--format", "csv"]
            lists = round_robin(
                {
                    "100 expenses in all": timed_command(listing, light),
                    "20,050 expenses in all": timed_command(listing, heavy),
                },
                args.repeats,
            )
            print(f"\n== budget list --month 2026-11 (50 rows), median of {args.repeats}")
            small = lists["100 expenses in all"]
            for name, seconds in lists.items():
                print(f"{name:32} {seconds * 1000:6.0f} ms  {seconds / small:5.2f}x")

        add_ok = add_ratio <= ADD_GOAL
        help_ok = help_over_ms <= HELP_GOAL_MS
        print(
            f"\nbudget add / boto3 put_item: {add_ratio:.2f}x "
            f"({'within' if add_ok else 'OVER'} the goal of {ADD_GOAL}x)"
        )
        print(
            f"budget --help over python -c pass: {help_over_ms:.0f} ms "
            f"({'within' if help_ok else 'OVER'} the goal of {HELP_GOAL_MS} ms)"
        )
        return 0 if add_ok and help_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
