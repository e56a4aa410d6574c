"""The 18 real bank exports of ../shared/data/banks, imported with no options at all.

Used in place (never copied here; skipped when the folder is absent). Each must import
its money going out right, or stop with one question; imported again, it adds nothing.
The reading is checked without an engine; storing and re-importing on both engines.
"""

from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path

import pytest

from budgetcli.models import User
from budgetcli.services.imports import ImportOptions, ImportPlan, ImportSummary, import_file
from budgetcli.store import Store
from tests.conftest import REPO
from tests.test_import import expenses_of, total

BANKS = Path(os.environ.get("BUDGET_BANK_EXPORTS", REPO.parent / "shared" / "data" / "banks"))
pytestmark = pytest.mark.skipif(not BANKS.is_dir(), reason=f"no bank exports at {BANKS}")

# file: (expenses, their total, skipped by reason, proof, (line, date, amount) of the first)
EXPECTED: dict[str, tuple[int, str, dict[str, int], str, tuple[int, str, str]]] = {
    "ch-ubs.csv": (2, "210.00", {"credit": 1}, "proven", (2, "2019-03-31", "10.00")),
    "de-c24.csv": (2, "173.45", {"credit": 1}, "unproven", (2, "2025-12-05", "123.45")),
    "de-ing.csv": (5, "230.93", {"credit": 1}, "unproven", (15, "2018-12-28", "5.49")),
    "de-n26.csv": (1, "59.99", {}, "unproven", (2, "2017-10-01", "59.99")),
    "de-sparkasse.csv": (1, "36.99", {}, "unproven", (2, "2018-02-22", "36.99")),
    "eu-revolut.csv": (
        5,
        "413.44",
        {"credit": 1, "pending": 2, "zero_amount": 1},
        "partly proven",
        (2, "2022-01-02", "250.00"),
    ),
    "eu-wise.csv": (3, "368.90", {"credit": 2}, "partly proven", (2, "2020-08-24", "357.38")),
    "fr-bank.csv": (1, "8.10", {"credit": 1}, "unproven", (6, "2016-02-18", "8.10")),
    "ie-bankofireland.csv": (21, "4260.83", {"credit": 6}, "unproven", (4, "2017-09-01", "512.00")),
    "nl-bunq.csv": (5, "39.68", {"credit": 2}, "unproven", (2, "2018-12-06", "8.78")),
    "nl-ing.csv": (
        3,
        "1.87",
        {"credit": 2, "zero_amount": 1},
        "unproven",
        (2, "2020-02-13", "1.25"),
    ),
    "nl-rabobank.csv": (2, "1087.49", {"credit": 1}, "partly proven", (2, "2018-03-01", "337.49")),
    "sg-dbs.csv": (9, "16880.26", {}, "unproven", (21, "2020-05-06", "34.65")),
    "uk-johnlewis.csv": (
        9,
        "1385.80",
        {"credit": 1, "pending": 3},
        "unproven",
        (5, "2019-12-12", "1183.23"),
    ),
    "uk-lloyds.csv": (14, "540.67", {"credit": 6}, "proven", (3, "2017-05-15", "2.76")),
    "uk-monzo.csv": (1, "10.00", {}, "unproven", (2, "2018-02-25", "10.00")),
    "us-capitalone.csv": (1, "1000.00", {"credit": 1}, "unproven", (2, "2015-12-31", "1000.00")),
    "us-dcu.csv": (5, "15923.03", {"credit": 5}, "proven", (2, "2021-12-31", "7971.39")),
}


def test_every_export_there_is_checked() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in BANKS.glob("*.csv"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_export_reads_its_money_out_right_with_no_options(name: str) -> None:
    count, spent, skipped, proof, first = EXPECTED[name]
    plan = ImportPlan(io.BytesIO((BANKS / name).read_bytes()), "u1", ImportOptions(), list)
    assert plan.own is None and plan.layout is not None
    summary = ImportSummary()
    rows = list(plan.rows(summary))
    plan.finish(summary)
    assert (summary.rejected, summary.errors) == (0, [])
    assert len(rows) == count and str(sum(row.expense.amount for row in rows)) == spent
    assert dict(summary.skipped_by_reason) == skipped
    assert summary.read == count + summary.skipped
    assert summary.proof is not None and summary.proof.status == proof
    head = rows[0]
    assert (head.line, head.expense.date.isoformat(), str(head.expense.amount)) == first
    assert all(row.expense.description for row in rows)


def test_every_export_imports_and_adds_nothing_the_second_time(store: Store, alice: User) -> None:
    for name in sorted(EXPECTED):
        with (BANKS / name).open("rb") as stream:
            first = import_file(store, alice.user_id, stream)
        assert (first.imported, first.rejected) == (EXPECTED[name][0], 0), name
        with (BANKS / name).open("rb") as stream:
            again = import_file(store, alice.user_id, stream)
        assert (again.imported, again.duplicates, again.rejected) == (0, first.imported, 0), name
        # the second time, the layout remembered the first time read the file
        assert again.profile.used == first.profile.saved, name
    stored = expenses_of(store, alice.user_id)
    assert len(stored) == sum(expected[0] for expected in EXPECTED.values())
    assert total(stored) == sum(Decimal(expected[1]) for expected in EXPECTED.values())
