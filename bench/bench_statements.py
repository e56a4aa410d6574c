"""What detecting a statement's layout costs next to reading it with the layout given.

Generates a 100,000-row bank export (a preamble, ';', decimal comma, dd.mm.yyyy dates, a
running balance) and times, interleaved, medians of several runs:

  given     read_rows with a layout stored earlier (every option given)
  detected  detect + read_rows, no options
  open      as `detected`, on a file whose first 128 KiB leave the date order open, so
            detection reads on until a row tells (the whole-file case)

    .venv/bin/python bench/bench_statements.py [ROWS] [RUNS]

No engine is involved: this is the "what is in this file" stage alone.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from budgetcli.statements import Layout, detect, read_rows


def statement(rows: int, open_date_order: bool) -> bytes:
    lines = [
        "Umsatzanzeige;Datei erstellt am: 02.01.2025",
        "",
        "IBAN;DE12 3456 7890 1234 5678 90",
        "Zeitraum;01.01.2024 - 31.12.2024",
        "",
        "Buchung;Valuta;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Saldo;Währung",
    ]
    balance = 10_000_000_00
    for number in range(rows):
        cents = -(number * 7919 % 25_000) - 1 if number % 10 else 250_000
        balance += cents
        if open_date_order:
            # Day and month <= 12 until the last rows: the sample cannot tell the order.
            day, month = (number * 11 // rows) + 1, 5
            if number > rows - 5:
                day = 28
        else:
            day, month = number % 28 + 1, 3
        when = f"{day:02d}.{month:02d}.2024"
        amount = f"{cents / 100:.2f}".replace(".", ",")
        saldo = f"{balance / 100:.2f}".replace(".", ",")
        payee = f"Händler {number % 997}"
        lines.append(f"{when};{when};{payee};Einkauf Nr. {number};{amount};{saldo};EUR")
    return ("\n".join(lines) + "\n").encode("cp1252")


def count_rows(data: bytes, layout: Layout) -> int:
    return sum(1 for _ in read_rows(data, layout))


def timed(work: Callable[[], int]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    plain = statement(rows, open_date_order=False)
    open_order = statement(rows, open_date_order=True)
    stored = detect(plain)
    stored_open = detect(open_order)
    assert count_rows(plain, stored) == rows == count_rows(open_order, stored_open)
    cases: dict[str, Callable[[], int]] = {
        "given": lambda: count_rows(plain, stored),
        "detected": lambda: count_rows(plain, detect(plain)),
        "detect only": lambda: len(detect(plain).header or ()),
        "open: given": lambda: count_rows(open_order, stored_open),
        "open: detected": lambda: count_rows(open_order, detect(open_order)),
        "open: detect only": lambda: len(detect(open_order).header or ()),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, work in cases.items():
            times[name].append(timed(work))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{rows} rows, {len(plain) / 1e6:.1f} MB, median of {runs} interleaved runs")
    for name in cases:
        base = median["open: given" if name.startswith("open") else "given"]
        print(f"  {name:18} {median[name] * 1000:8.0f} ms   {median[name] / base:5.2f}x")


if __name__ == "__main__":
    main()
