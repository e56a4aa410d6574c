"""Bank CSVs in: idempotent by content, resumable, streamed in chunks.

The stages, each a module: `reading` (bytes to lines to CSV records), `rows` (where each
field is, a row's values, its identity), `storing` (idempotent writes, in chunks).
An import stopped half-way (Ctrl-C, a dead engine) finishes when it runs again.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from budgetcli.errors import BudgetError, ExitCode, StorageError
from budgetcli.services import categories
from budgetcli.services.imports.categorising import categorised
from budgetcli.services.imports.model import FIELDS, ImportOptions, ImportSummary, RowError
from budgetcli.services.imports.reading import Source, check_encoding
from budgetcli.services.imports.rows import parsed_rows
from budgetcli.services.imports.storing import ProgressCallback, store_rows
from budgetcli.store import Store

__all__ = [
    "FIELDS",
    "ImportOptions",
    "ImportStopped",
    "ImportSummary",
    "RowError",
    "Source",
    "check_encoding",
    "import_expenses",
]


class ImportStopped(BudgetError):
    """The import stopped part-way (Ctrl-C, or storage failed); `summary` counts what was
    written, and running the same import again finishes it."""

    def __init__(self, summary: ImportSummary, cause: StorageError | None) -> None:
        rerun = "rows already imported are skipped"
        if summary.dry_run:
            so_far = "dry run: nothing was written"
        else:
            so_far = f"{_rows(summary.imported)} imported so far"
        if cause is None:
            super().__init__(
                f"import interrupted ({so_far}): run the same command again to finish; {rerun}"
            )
            self.exit_code = ExitCode.INTERRUPTED
        else:
            super().__init__(*cause.parts, f" ({so_far}); then run the same import again: {rerun}")
            self.exit_code = cause.exit_code
        self.summary = summary


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def import_expenses(
    store: Store,
    user_id: str,
    lines: Iterable[str],
    options: ImportOptions | None = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import CSV `lines` (header first) as `user_id`'s expenses.

    Bad rows are reported with their line number and skipped. With `strict`, the whole
    file is checked first and nothing is written unless every row is valid. With
    `dry_run`, existing ids are looked up but nothing is written. `on_progress` is
    called in this thread with the running summary after every chunk.
    """
    options = options or ImportOptions()
    summary = ImportSummary(dry_run=options.dry_run)
    categorizer = categories.on_first_use(store, user_id)
    spooling = (
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="") if options.strict else None
    )
    try:
        with spooling or contextlib.nullcontext():
            if spooling is not None:
                check = ImportSummary(dry_run=options.dry_run)
                # Checking needs no categories: a refused file reads no rules or history.
                for _ in parsed_rows(_copied(lines, spooling), user_id, options, check):
                    pass
                if check.rejected:
                    check.strict_failed = True
                    return check
                spooling.seek(0)
                lines = spooling
            rows = categorised(parsed_rows(lines, user_id, options, summary), summary, categorizer)
            store_rows(store, user_id, rows, summary, on_progress)
    except KeyboardInterrupt:
        raise ImportStopped(summary, None) from None
    except StorageError as exc:
        raise ImportStopped(summary, exc) from None
    return summary


def _copied(lines: Iterable[str], spool: IO[str]) -> Iterator[str]:
    for line in lines:
        spool.write(line)
        yield line
