"""Store idempotently: an import's rows, 100 at a time, a few chunks in flight at once.

A chunk is written with one TransactWriteItems of conditional puts
(`attribute_not_exists`): rows whose id exists (imported before, or removed since) cancel
it with a reason each and count as duplicates, the rest is sent again; an expense edited
since its import is never overwritten. A new statement so costs one request per chunk.
Once a chunk has met rows that exist, the file is likely one imported before (a re-run,
an overlapping statement): the chunks after it read their ids first (a consistent
BatchGetItem, cheaper than cancelled writes) and write only the new rows. A dry run only
reads. What was written stays written when the work stops half-way, and a re-run finds it.
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

CHUNK_ROWS = 100  # one TransactWriteItems
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
    read_first = summary.dry_run

    def count(future: _Counts) -> None:
        nonlocal read_first
        new, duplicates = future.result()
        uncounted.discard(future)
        summary.count_new(new)
        summary.duplicates += duplicates
        read_first = read_first or duplicates > 0

    def settle(finished: Iterable[_Counts]) -> None:
        for future in finished:
            count(future)
            if on_progress:
                on_progress(summary)

    with ThreadPoolExecutor(WORKERS, thread_name_prefix="budget-import") as pool:
        in_flight: set[_Counts] = set()
        try:
            while chunk := list(islice(rows, CHUNK_ROWS)):
                submitted = pool.submit(
                    _store_chunk, store, user_id, chunk, read_first, summary.dry_run
                )
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
    store: Store, user_id: str, rows: Sequence[ParsedRow], read_first: bool, dry_run: bool
) -> tuple[int, int]:
    """Write the rows whose expense does not exist yet: (new, duplicates)."""
    exported_ids = list(dict.fromkeys(row.exported_id for row in rows if row.exported_id))
    # A row of `budget export` whose expense is this user's is that expense.
    taken = expenses.existing_ids(store, exported_ids, owner=user_id) if exported_ids else set()
    candidates = [row for row in rows if row.exported_id not in taken]
    if read_first or dry_run:
        existing = expenses.existing_ids(store, [row.expense.expense_id for row in candidates])
        candidates = [row for row in candidates if row.expense.expense_id not in existing]
    if dry_run or not candidates:
        return len(candidates), len(rows) - len(candidates)
    imported = expenses.put_if_absent(store, [row.expense for row in candidates])
    return imported, len(rows) - imported
