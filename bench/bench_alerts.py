"""`budget alerts` must not slow down with years of history before the month.

One run, one DynamoDB Local: two users with the same 10 budgets and the same 60
expenses in the month; "heavy" also has 20,000 expenses in the eight years before it,
"light" 40 (100 in total). Each is logged in from its own config directory. The
installed `budget alerts --month 2026-11` is timed for both, alternately, after a first
run that raised their alerts: the quiet hourly cron run. The goal is heavy/light <= 1.3.

    BUDGET_DYNAMODB_LOCAL_DIR=.cache/dynamodb-local .venv/bin/python bench/bench_alerts.py
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BUDGET, bench_environment, bench_store, registered_here  # noqa: E402
from budgetcli.models import Expense  # noqa: E402
from budgetcli.services import budgets  # noqa: E402
from budgetcli.store import Store  # noqa: E402
from budgetcli.tables.expenses import to_item as expense_item  # noqa: E402
from budgetcli.tables.schema import EXPENSES  # noqa: E402

MONTH = "2026-11"
MONTH_FIRST, MONTH_LAST = date(2026, 11, 1), date(2026, 11, 30)
HISTORY_FIRST = date(2018, 11, 1)
CATEGORIES = [
    "food",
    "rent",
    "transport",
    "fun",
    "health",
    "books",
    "coffee",
    "gifts",
    "pets",
    "gym",
]
IN_MONTH = 60
HEAVY_HISTORY = 20_000
LIGHT_HISTORY = 100 - IN_MONTH
REPEATS = 9
GOAL = 1.3


def expenses(
    user_id: str, rng: random.Random, count: int, first: date, last: date
) -> list[Expense]:
    days = (last - first).days
    return [
        Expense(
            expense_id=str(uuid.uuid4()),
            user_id=user_id,
            amount=Decimal(rng.randint(100, 9_000)) / 100,
            category=rng.choice(CATEGORIES),
            description=f"bench expense {n}",
            date=first + timedelta(days=rng.randint(0, days)),
            created_at="2026-11-01T00:00:00+00:00",
        )
        for n in range(count)
    ]


def make_user(
    store: Store, name: str, history: int, env: dict[str, str], root: Path
) -> dict[str, str]:
    """Register and log in `name` with its own config dir; returns its environment."""
    user, user_env = registered_here(store, env, root, name)
    for category in CATEGORIES:
        budgets.set_budget(store, user.user_id, category, budgets.Limit(Decimal(300)))
    rng = random.Random(name)
    rows = expenses(user.user_id, rng, IN_MONTH, MONTH_FIRST, MONTH_LAST)
    rows += expenses(user.user_id, rng, history, HISTORY_FIRST, MONTH_FIRST - timedelta(days=1))
    started = time.perf_counter()
    store.batch_write(EXPENSES, puts=(expense_item(expense) for expense in rows))
    print(f"{name}: {len(rows)} expenses loaded in {time.perf_counter() - started:.1f} s")
    return user_env


def alerts(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [BUDGET, "alerts", "--month", MONTH], env=env, text=True, check=True, capture_output=True
    )
    return time.perf_counter() - started


def main() -> int:
    with bench_environment() as env:
        root = Path(env["BUDGET_DATA_DIR"]).parent / "users"
        store = bench_store()
        heavy = make_user(store, "heavy", HEAVY_HISTORY, env, root)
        light = make_user(store, "light", LIGHT_HISTORY, env, root)

        # The first run raises this month's alerts; cron's later runs find nothing new.
        for user_env in (heavy, light):
            first = subprocess.run(
                [BUDGET, "alerts", "--month", MONTH, "--format", "json"],
                env=user_env,
                text=True,
                check=True,
                capture_output=True,
            )
            print(f"first run raised {first.stdout.count('notification_id')} alerts")
        heavy_times, light_times = [], []
        for _ in range(REPEATS):  # alternated, so load on the machine hits both alike
            heavy_times.append(alerts(heavy))
            light_times.append(alerts(light))
        heavy_median = statistics.median(heavy_times)
        light_median = statistics.median(light_times)
        print(f"$ budget alerts --month {MONTH}   (median of {REPEATS}, alternated)")
        print(f"  10 budgets, {IN_MONTH + HEAVY_HISTORY} expenses: {heavy_median * 1000:5.0f} ms")
        print(
            f"  10 budgets, {IN_MONTH + LIGHT_HISTORY} expenses:    {light_median * 1000:5.0f} ms"
        )
        ratio = heavy_median / light_median
        verdict = "within" if ratio <= GOAL else "OVER"
        print(f"ratio heavy/light: {ratio:.2f} ({verdict} the goal of {GOAL})")
        return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
