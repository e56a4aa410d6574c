"""Storing an import's rows idempotently, a few chunks in flight at once.

Rows are stored 100 at a time: a consistent BatchGetItem finds which ids exist
(duplicates), and the rest is written with conditional puts, so an expense edited since
its import is never overwritten. What was written stays written when the work stops
half-way, and a re-run finds it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import islice

from budgetcli.services.imports.model import ImportSummary
from budgetcli.services.imports.rows import ParsedRow
from budgetcli.store import Store
from budgetcli.tables import expenses

CHUNK_ROWS = 100  # one BatchGetItem, one TransactWriteItems
WORKERS = 4
MAX_CHUNKS_IN_FLIGHT = 2 * WORKERS

ProgressCallback = Callable[[ImportSummary], None]
_Counts = Future[tuple[int, int]]


def store_rows(
    store: Store,
    user_id: str,
    rows: Iterator[ParsedRow],
    summary: ImportSummary,
    on_progress: ProgressCallback | None,
) -> None:
    """Store `rows` and count them into `summary`, calling `on_progress` after each chunk.

    On any exception (Ctrl-C, a failed chunk, a failing callback) chunks not started are
    dropped, those already sending finish and are counted, so that the last progress call
    and `summary` say what was really written; then the exception goes on.
    """
    uncounted: set[_Counts] = set()

    def count(future: _Counts) -> None:
        imported, duplicates = future.result()
        uncounted.discard(future)
        summary.imported += imported
        summary.duplicates += duplicates

    def settle(finished: Iterable[_Counts]) -> None:
        for future in finished:
            count(future)
            if on_progress:
                on_progress(summary)

    with ThreadPoolExecutor(WORKERS, thread_name_prefix="budget-import") as pool:
        in_flight: set[_Counts] = set()
        try:
            while chunk := list(islice(rows, CHUNK_ROWS)):
                submitted = pool.submit(_store_chunk, store, user_id, chunk, summary.dry_run)
                in_flight.add(submitted)
                uncounted.add(submitted)
                if len(in_flight) >= MAX_CHUNKS_IN_FLIGHT:
                    finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    settle(finished)
            finished, in_flight = wait(in_flight)
            settle(finished)
        except BaseException:
            _count_in_flight(uncounted, count)
            if on_progress:
                with contextlib.suppress(Exception):
                    on_progress(summary)
            raise
    if on_progress:
        on_progress(summary)


def _count_in_flight(uncounted: set[_Counts], count: Callable[[_Counts], None]) -> None:
    """Wait for the chunks already sending and count those that succeeded."""
    for future in uncounted:
        future.cancel()
    for future in wait(list(uncounted)).done:
        if not future.cancelled() and future.exception() is None:
            count(future)


def _store_chunk(
    store: Store, user_id: str, rows: Sequence[ParsedRow], dry_run: bool
) -> tuple[int, int]:
    """Write the rows whose expense does not exist yet: (imported, duplicates)."""
    existing = expenses.existing_ids(store, [row.expense.expense_id for row in rows])
    exported_ids = list(dict.fromkeys(row.exported_id for row in rows if row.exported_id))
    if exported_ids:
        existing |= expenses.existing_ids(store, exported_ids, owner=user_id)
    new = [
        row
        for row in rows
        if row.expense.expense_id not in existing and row.exported_id not in existing
    ]
    if dry_run or not new:
        return len(new), len(rows) - len(new)
    imported = expenses.put_if_absent(store, [row.expense for row in new])
    return imported, len(rows) - imported
