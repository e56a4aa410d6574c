"""`budget import` of a bank statement: what detecting its layout costs, and how close the
import comes to the engine's conditional-write ceiling (issue 14).

In one run against one DynamoDB Local, in interleaved rounds (medians):
1. ceiling: bare botocore `transact_write_items` of 100 conditional puts each
   (`attribute_not_exists(expense_id)`) from 4 threads, as many expense-shaped items as the
   import writes, into the same expenses table;
2. given: the installed `budget import FILE` with every option given (header line,
   delimiter, encoding, each column, date format, decimal mark, sign rule, category);
3. detected: `budget import FILE` with no options: the layout found from the whole file;
4. plain: the same expenses as budgetcli's own CSV (`date,amount,category,description`,
   what `budget export` writes), the path every import took before bank statements.
Each import runs as a new user (so it writes every row; no profile exists), process
start and login check included. The statement is a German bank's export: a preamble, `;`,
Windows-1252, dd.mm.yyyy dates, decimal commas, a running balance (so every row is also
checked against it), one credit in ten rows (skipped).

    BUDGET_DYNAMODB_LOCAL_DIR=$PWD/.cache/dynamodb-local \
        .venv/bin/python bench/bench_import_detect.py [--rows 10000] [--rounds 4]

Targets (issue 14): detected / given <= 1.10; each import's rate >= 0.8x the ceiling's.
Wall times on a shared machine move with its load; the imports' own CPU times (user +
system, from wait4) show what detection adds without the engine's share of the noise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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

THREADS = 4
PREAMBLE = [
    "Umsatzanzeige;Datei erstellt am: 02.01.2025",
    "",
    "IBAN;DE12 3456 7890 1234 5678 90",
    "Zeitraum;01.01.2024 - 31.12.2024",
    "",
]
HEADER = "Buchung;Valuta;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Saldo;Währung"
GIVEN = [
    *["--skip-lines", str(len(PREAMBLE)), "--delimiter", ";", "--encoding", "cp1252"],
    *["--column", "date=Buchung", "--column", "amount=Betrag", "--column", "balance=Saldo"],
    *["--column", "description=Verwendungszweck", "--column", "payee=Auftraggeber/Empfänger"],
    *["--column", "currency=Währung", "--date-format", "%d.%m.%Y", "--decimal-mark", ","],
    *["--debits-negative", "--category", "bank"],
]


def statement(path: Path, rows: int) -> int:
    """Write a statement of `rows` rows; returns how many are money out."""
    lines = [*PREAMBLE, HEADER]
    balance = 10_000_000_00
    out = 0
    for number in range(rows):
        credit = number % 10 == 9
        cents = 250_000 if credit else -(number * 7919 % 25_000) - 1
        out += not credit
        balance += cents
        when = f"{number % 28 + 1:02d}.{number * 12 // rows + 1:02d}.2024"
        amount = f"{cents / 100:.2f}".replace(".", ",")
        saldo = f"{balance / 100:.2f}".replace(".", ",")
        payee = f"Händler {number % 997}"
        lines.append(f"{when};{when};{payee};Einkauf Nr. {number};{amount};{saldo};EUR")
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    return out


def plain_csv(path: Path, rows: int) -> int:
    """The statement's money out as budgetcli's own CSV; returns how many rows."""
    lines = ["date,amount,category,description"]
    for number in range(rows):
        if number % 10 == 9:
            continue
        cents = number * 7919 % 25_000 + 1
        when = f"2024-{number * 12 // rows + 1:02d}-{number % 28 + 1:02d}"
        lines.append(f"{when},{cents / 100:.2f},bank,Händler {number % 997} - Einkauf Nr. {number}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def expense_items(rows: int) -> list[dict[str, Any]]:
    """`rows` items shaped like the import's, in DynamoDB's wire form, for a new user."""
    owner = str(uuid.uuid4())
    return [
        {
            "expense_id": {"S": str(uuid.uuid4())},
            "user_id": {"S": owner},
            "amount": {"N": f"{n % 250 + 1}.{n % 100:02d}"},
            "category": {"S": "uncategorized"},
            "description": {"S": f"Händler {n % 997} - Einkauf Nr. {n}"},
            "date": {"S": f"2024-{n * 12 // rows + 1:02d}-{n % 28 + 1:02d}"},
            "created_at": {"S": "2026-11-27T08:00:00.000000+00:00"},
        }
        for n in range(rows)
    ]


def ceiling(client: Any, table: str, rows: int) -> float:
    """Seconds for bare conditional transactions of `rows` new items from 4 threads."""
    return transact_ceiling(client, table, expense_items(rows), THREADS)


def timed_import(argv: list[str], env: dict[str, str], expected: int) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one `budget import`."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}): {err.read()!r}")
        imported = json.loads(out.read())["imported"]
    if imported != expected:
        raise SystemExit(f"imported {imported} rows, expected {expected}")
    return seconds, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the statement")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds (median)")
    args = parser.parse_args()

    with bench_environment() as env:
        store = bench_store()
        root = Path(env["BUDGET_DATA_DIR"]).parent
        table = store.table_name("expenses")
        path = root / "konto.csv"
        out = statement(path, args.rows)
        plain = root / "plain.csv"
        if plain_csv(plain, args.rows) != out:
            raise SystemExit("the plain CSV and the statement differ in their money out")
        ceiling(store.client, table, 1_000)  # the engine's first transactions are slow (JIT)
        cases = ["ceiling", "given", "detected", "plain"]
        timings: dict[str, list[float]] = {case: [] for case in cases}
        cpu: dict[str, list[float]] = {"given": [], "detected": [], "plain": []}
        for round_number in range(args.rounds):
            # Each case takes each place in the order in turn: the engine slows down after
            # a burst of writes, and the table grows.
            order = cases[round_number % 4 :] + cases[: round_number % 4]
            for case in order:
                if case == "ceiling":
                    timings[case].append(ceiling(store.client, table, out))
                    continue
                user = logged_in_env(env, root, f"{case}{round_number}")
                options = GIVEN if case == "given" else []
                source = plain if case == "plain" else path
                argv = [BUDGET, "import", str(source), "--format", "json", *options]
                seconds, cpu_seconds = timed_import(argv, user, out)
                timings[case].append(seconds)
                cpu[case].append(cpu_seconds)
            print(
                f"round {round_number + 1} ({', '.join(order)}): "
                + ", ".join(f"{name} {timings[name][-1]:.2f}s" for name in cases)
                + f"; given/ceiling {timings['ceiling'][-1] / timings['given'][-1]:.2f}x, "
                f"detected/ceiling {timings['ceiling'][-1] / timings['detected'][-1]:.2f}x",
                flush=True,
            )

    median = {name: statistics.median(values) for name, values in timings.items()}
    rate = {name: out / seconds for name, seconds in median.items()}
    top = rate["ceiling"]
    print(
        f"\n== {args.rows:,}-row statement ({out:,} rows written), "
        f"median of {args.rounds} interleaved rounds"
    )
    print(f"ceiling: transact_write_items x{THREADS}  {median['ceiling']:7.2f}s  {top:7,.0f}/s")
    for case in ("given", "detected", "plain"):
        print(
            f"budget import, {case:8}          {median[case]:7.2f}s  {rate[case]:7,.0f}/s  "
            f"{rate[case] / top:4.2f}x the ceiling (target >= 0.80x)"
        )
    print(
        f"detection's cost: detected / given = {median['detected'] / median['given']:4.2f} "
        "in wall time (target <= 1.10)"
    )
    print(
        f"a bank statement against budgetcli's own CSV: detected / plain = "
        f"{median['detected'] / median['plain']:4.2f} in wall time"
    )
    cpu_median = {case: statistics.median(values) for case, values in cpu.items()}
    for case in ("detected", "plain"):
        print(
            f"  import's own CPU time, {case} / given: {cpu_median[case]:.2f}s / "
            f"{cpu_median['given']:.2f}s = {cpu_median[case] / cpu_median['given']:4.2f}"
        )


if __name__ == "__main__":
    main()
