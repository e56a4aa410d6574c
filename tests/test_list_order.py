"""Listings are newest date first and, within a date, the most recently added first: the
expense just added is the one `list -n 1` shows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from typer.testing import CliRunner

from budgetcli.cli import app
from budgetcli.models import Expense, User
from budgetcli.services.expenses import latest_added_first
from budgetcli.store import Store
from budgetcli.tables.expenses import to_item


def expense(day: int, created_at: str, expense_id: str | None = None) -> Expense:
    return Expense(
        expense_id=expense_id or str(uuid.uuid4()),
        user_id="user-1",
        amount=Decimal("1.00"),
        category="food",
        description=created_at,
        date=date(2026, 11, day),
        created_at=created_at,
    )


def test_within_a_date_the_latest_added_comes_first() -> None:
    listed = [
        expense(5, "2026-11-05T09:00:00+00:00"),
        expense(5, "2026-11-05T18:00:00.250000+00:00"),
        expense(5, "2026-11-05T18:00:00Z"),  # the web app's form, a quarter second earlier
        expense(5, ""),  # no created_at at all: oldest
        expense(4, "2026-11-04T08:00:00+00:00"),
        expense(4, "2026-11-06T08:00:00+00:00"),  # added later, dated the 4th
    ]
    ordered = [e.description for e in latest_added_first(iter(listed))]
    assert ordered == [
        "2026-11-05T18:00:00.250000+00:00",
        "2026-11-05T18:00:00Z",
        "2026-11-05T09:00:00+00:00",
        "",
        "2026-11-06T08:00:00+00:00",
        "2026-11-04T08:00:00+00:00",
    ]


def test_the_first_n_read_only_one_expense_past_their_date() -> None:
    """`list -n 1` must not read a whole year to sort one day."""
    read: list[Expense] = []

    def from_the_index() -> Iterator[Expense]:
        for day in (9, 9, 9, 8, 7, 6, 5):
            item = expense(day, f"2026-11-0{day}T1{len(read)}:00:00+00:00")
            read.append(item)
            yield item

    ordered = latest_added_first(from_the_index())
    first = next(ordered)
    assert first.date == date(2026, 11, 9) and first.description.endswith("T12:00:00+00:00")
    assert len(read) == 4  # the three of the 9th, and the one that ended their date


def test_list_n_1_shows_the_expense_just_added(
    store: Store, alice: User, runner: CliRunner
) -> None:
    """Ids are random, so the index's order within a date (by id) is not the order added."""
    added = []
    for n in range(8):
        result = runner.invoke(
            app, ["add", f"{n + 1}.00", "food", f"number {n}", "--date", "2026-11-05"]
        )
        assert result.exit_code == 0, result.stderr
        added.append(f"number {n}")
    store.put(
        "expenses", to_item(expense(4, "2026-11-30T00:00:00+00:00")) | {"user_id": alice.user_id}
    )
    newest = runner.invoke(app, ["list", "-n", "1", "--format", "json"])
    assert [e["description"] for e in json.loads(newest.stdout)] == ["number 7"]
    listed = runner.invoke(app, ["list", "--format", "json"])
    descriptions = [e["description"] for e in json.loads(listed.stdout)]
    assert descriptions == [*reversed(added), "2026-11-30T00:00:00+00:00"]
    exported = runner.invoke(app, ["export", "--format", "json"])
    assert [e["description"] for e in json.loads(exported.stdout)] == descriptions
