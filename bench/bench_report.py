"""`budget report --by month` over two years and 10,000 expenses, against hledger.

One run, one DynamoDB Local: load 10,000 expenses for one user, then time the
installed `budget report --by month --from --to --format csv` and
`hledger balance --monthly` on the same expenses exported as CSV with a rules file.
Both must agree on every month's total before their times are compared.

    BUDGET_DYNAMODB_LOCAL_DIR=.cache/dynamodb-local .venv/bin/python bench/bench_report.py
"""

from __future__ import annotations

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
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BUDGET, bench_environment, bench_store, median_seconds  # noqa: E402
from budgetcli import config  # noqa: E402
from budgetcli.models import Expense  # noqa: E402
from budgetcli.services import accounts  # noqa: E402
from budgetcli.tables.expenses import to_item as expense_item  # noqa: E402
from budgetcli.tables.schema import EXPENSES  # noqa: E402

EXPENSE_COUNT = 10_000
FIRST, LAST = date(2024, 1, 1), date(2025, 12, 31)
CATEGORIES = ["food", "rent", "transport", "fun", "health", "books", "coffee", "gifts"]
REPEATS = 7
HLEDGER_RULES = """\
skip 1
fields date, amount, category, description
date-format %Y-%m-%d
account1 expenses:%category
account2 assets:cash
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


def write_hledger_files(expenses: list[Expense], folder: Path) -> tuple[Path, Path]:
    data, rules = folder / "expenses.csv", folder / "expenses.rules"
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "amount", "category", "description"])
        for expense in expenses:
            writer.writerow(
                [expense.date.isoformat(), expense.amount, expense.category, expense.description]
            )
    rules.write_text(HLEDGER_RULES)
    return data, rules


def run(argv: list[str], env: dict[str, str]) -> str:
    return subprocess.run(argv, env=env, text=True, check=True, capture_output=True).stdout


def main() -> int:
    hledger = shutil.which("hledger")
    with bench_environment() as env, tempfile.TemporaryDirectory(prefix="report-") as tmp:
        store = bench_store()
        account = accounts.NewAccount.parse("bench", "bench@example.com")
        user = accounts.register(store, account, "bench password 123")
        session = accounts.login(store, "bench", "bench password 123", days=1)
        config.write_session_file(session.to_dict())

        expenses = make_expenses(user.user_id)
        started = time.perf_counter()
        store.batch_write(EXPENSES, puts=(expense_item(expense) for expense in expenses))
        print(f"loaded {len(expenses)} expenses in {time.perf_counter() - started:.1f} s")
        expected = expected_months(expenses)

        report = [
            BUDGET,
            "report",
            "--by",
            "month",
            "--from",
            FIRST.isoformat(),
            "--to",
            LAST.isoformat(),
            "--format",
            "csv",
        ]
        rows = list(csv.DictReader(io.StringIO(run(report, env))))
        got = {row["month"]: Decimal(row["total"]) for row in rows}
        assert len(rows) == 24 and got == expected, "budget report disagrees with the data"
        assert sum(int(row["count"]) for row in rows) == EXPENSE_COUNT

        startup = median_seconds(lambda: run([BUDGET, "--version"], env), repeats=REPEATS)
        budget_seconds = median_seconds(lambda: run(report, env), repeats=REPEATS)
        print(f"$ {' '.join(['budget', *report[1:]])}")
        print(f"  budget report --by month:  {budget_seconds * 1000:5.0f} ms, median of {REPEATS}")
        print(f"  (budget --version startup: {startup * 1000:5.0f} ms)")

        if hledger is None:
            print("hledger is not installed (`which hledger` found nothing): skipped the baseline")
            return 0
        data, rules = write_hledger_files(expenses, Path(tmp))
        ledger = [
            hledger,
            "-f",
            str(data),
            "--rules-file",
            str(rules),
            "balance",
            "--monthly",
            "--depth",
            "1",
            "-O",
            "csv",
            "-b",
            FIRST.isoformat(),
            "-e",
            (LAST + timedelta(days=1)).isoformat(),
            "expenses",
        ]
        table = list(csv.reader(io.StringIO(run(ledger, env))))
        months, totals = table[0][1:], next(r for r in table if r[0] == "expenses")[1:]
        assert dict(zip(months, map(Decimal, totals), strict=True)) == expected, (
            "hledger disagrees with the data"
        )
        hledger_seconds = median_seconds(lambda: run(ledger, env), repeats=REPEATS)
        print(f"$ hledger -f expenses.csv --rules-file expenses.rules {' '.join(ledger[5:])}")
        print(f"  hledger balance --monthly: {hledger_seconds * 1000:5.0f} ms, median of {REPEATS}")
        ratio = budget_seconds / hledger_seconds
        verdict = "no slower than hledger" if ratio <= 1 else "SLOWER than hledger"
        print(f"ratio budget/hledger: {ratio:.2f} ({verdict})")
        return 0 if ratio <= 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
