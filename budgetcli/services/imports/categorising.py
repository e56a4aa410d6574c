"""Categorising an import's rows: the stage between parsing rows and storing them.

A row the file gave a category keeps it; any other gets the first of the person's rules
that matches, else what their history teaches when it is sure, else the fallback it was
parsed with (see services.categories). The rules and history are read once, in another
thread, from the first row that needs them; meanwhile up to `READ_AHEAD` more rows are
parsed, so that reading the file and reading the history overlap.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Iterator

from budgetcli.models import CategorySource
from budgetcli.services.categories import BackgroundCategorizer, Decides
from budgetcli.services.imports.model import ImportSummary
from budgetcli.services.imports.rows import ParsedRow

READ_AHEAD = 5_000


def categorised(
    rows: Iterable[ParsedRow], summary: ImportSummary, categorizer: Decides | None
) -> Iterator[ParsedRow]:
    """`rows` with their categories decided, in order; each counted into `summary` by
    how its category was decided."""
    loading = categorizer if isinstance(categorizer, BackgroundCategorizer) else None
    waiting: deque[ParsedRow] = deque()
    for row in rows:
        waiting.append(row)
        if loading is not None:
            if _awaits_category(row):
                loading.start()
            if loading.loading and len(waiting) < READ_AHEAD:
                continue
        while waiting:
            yield _decided(waiting.popleft(), summary, categorizer)
    while waiting:
        yield _decided(waiting.popleft(), summary, categorizer)


def _awaits_category(row: ParsedRow) -> bool:
    origin = row.expense.category_origin
    return origin is not None and origin.source is CategorySource.FALLBACK


def _decided(row: ParsedRow, summary: ImportSummary, categorizer: Decides | None) -> ParsedRow:
    expense = row.expense
    if categorizer is not None and _awaits_category(row):
        decision = categorizer.decide(expense.description, expense.amount)
        if decision is not None:
            # The id stays the one the fallback gave it: a re-import finds the row
            # whatever the rules say by then.
            expense = dataclasses.replace(
                expense, category=decision.category, category_origin=decision.origin
            )
            row = dataclasses.replace(row, expense=expense)
    if expense.category_origin is not None:
        summary.count_category(expense.category_origin.source)
    return row
