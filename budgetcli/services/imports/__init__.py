"""Bank statements and budgetcli's own CSV in: detected, proven, idempotent, resumable.

The stages, each a module:
1. detect the layout (`layout`): budgetcli's own format, or a bank statement's layout
   found by `budgetcli.statements` from the whole file, with the options and a profile
   remembered from the same bank (`profiles`);
2. read rows: `reading` (bytes; text lines and CSV records of budgetcli's own format) or
   `budgetcli.statements.StatementReader` (a statement's rows, its balance checked);
3. parse a row (`rows`): an expense with its deterministic id, or a reason to skip it;
4. categorise (`categorising`): a row without a category gets the person's rule's, or
   what their history teaches, else the fallback;
5. store idempotently (`storing`), in chunks, a few in flight.
An import stopped half-way (Ctrl-C, a dead engine) finishes when it runs again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import BinaryIO

from budgetcli.errors import BudgetError, ExitCode, Field, InvalidInput, StorageError
from budgetcli.services import categories
from budgetcli.services.imports.categorising import categorised
from budgetcli.services.imports.layout import (
    choose_layout,
    fingerprint_of,
    own_format,
)
from budgetcli.services.imports.model import (
    FIELDS,
    PREVIEW_ROWS,
    ROLES,
    ImportOptions,
    ImportSummary,
    ProfileUse,
    RowError,
)
from budgetcli.services.imports.profiles import (
    Profile,
    for_fingerprint,
    profiles_of,
    remember,
)
from budgetcli.services.imports.reading import Source, check_encoding, count_lines, decoded_lines
from budgetcli.services.imports.rows import ParsedRow, own_format_rows, statement_rows
from budgetcli.services.imports.storing import ProgressCallback, store_rows
from budgetcli.statements import Layout, StatementReader
from budgetcli.statements.detect import SAMPLE_BYTES
from budgetcli.store import Store

__all__ = [
    "FIELDS",
    "ImportPlan",
    "ROLES",
    "ImportOptions",
    "ImportStopped",
    "ImportSummary",
    "RowError",
    "RowsRejected",
    "Source",
    "check_encoding",
    "count_lines",
    "import_file",
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


class RowsRejected(BudgetError):
    """Some rows were malformed: the rest was imported (or, under `strict`, nothing)."""

    def __init__(self, summary: ImportSummary) -> None:
        count = summary.rejected
        wrong = f"{_rows(count)} {'is' if count == 1 else 'are'} wrong"
        if summary.strict_failed:
            super().__init__(
                Field("strict"), f": nothing was imported because {wrong} (listed with their lines)"
            )
        else:
            super().__init__(
                f"{wrong} and {'was' if count == 1 else 'were'} left out (listed with their "
                "lines): fix the file and run the same command again; rows already imported "
                "are skipped"
            )
        self.summary = summary


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


class ImportPlan:
    """How one file is read (its layout, chosen before any row is read), and its rows."""

    def __init__(
        self,
        stream: BinaryIO,
        user_id: str,
        options: ImportOptions,
        profiles: Callable[[], list[Profile]],
    ) -> None:
        """Detect the layout of `stream` (seekable, at its start). `profiles` is called
        (storage) only for a bank statement, once its header is known to be readable."""
        self.stream = stream
        self.start = stream.tell()
        self.user_id = user_id
        self.options = options
        self.reader: StatementReader | None = None
        self.profiles: list[Profile] = []
        self.profile: Profile | None = None
        self.layout: Layout | None = None
        if not stream.read(SAMPLE_BYTES).strip():
            raise InvalidInput("the file is empty: there is nothing to import")
        stream.seek(self.start)
        self.own = own_format(stream, options)
        if self.own is None:
            fingerprint = fingerprint_of(stream, options)
            self.profiles = profiles()
            chosen = choose_layout(stream, options, self.profiles, fingerprint)
            self.layout, self.profile = chosen.layout, chosen.profile

    def rows(self, summary: ImportSummary) -> Iterator[ParsedRow]:
        """The file's expenses, read from its start; the others are counted in `summary`."""
        self.stream.seek(self.start)
        if self.own is not None:
            lines = decoded_lines(self.stream, self.own.encoding)
            options = replace(self.options, delimiter=self.own.delimiter)
            return own_format_rows(lines, self.user_id, options, summary)
        assert self.layout is not None
        self.reader = StatementReader(self.stream, self.layout)
        bank_ids = self.layout.kind == "ofx" and self.layout.bank_id_unique
        return statement_rows(self.reader, self.user_id, self.options, summary, bank_ids=bank_ids)

    def new_summary(self) -> ImportSummary:
        return ImportSummary(
            dry_run=self.options.dry_run,
            layout=self.layout,
            profile=ProfileUse(used=self.profile.label if self.profile else None),
        )

    def finish(self, summary: ImportSummary) -> ImportSummary:
        """`summary` with the balance check over the whole file (after `rows`)."""
        if self.reader is not None:
            summary.proof = self.reader.proof
        return summary


def import_file(
    store: Store,
    user_id: str,
    stream: BinaryIO,
    options: ImportOptions | None = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import a statement or a CSV in budgetcli's format (`stream`, at its start, seekable)
    as `user_id`'s expenses, and remember a statement's layout as a profile.

    Bad rows are reported with their line number and left out. With `strict`, the whole
    file is checked first and nothing is written unless every row is valid. With
    `dry_run`, existing ids are looked up but nothing is written. `on_progress` is
    called in this thread with the running summary after every chunk.
    """
    options = options or ImportOptions()
    plan = ImportPlan(stream, user_id, options, lambda: profiles_of(store, user_id))
    if options.strict:
        check = plan.new_summary()
        for _ in plan.rows(check):
            pass
        if check.rejected:
            check.strict_failed = True
            return plan.finish(check)
    summary = plan.new_summary()
    # A row without a category gets one from the person's rules and history: read once,
    # from the first row that needs them (a checked-and-refused file reads neither).
    categorizer = categories.on_first_use(store, user_id)
    try:
        rows = categorised(plan.rows(summary), summary, categorizer)
        store_rows(store, user_id, _previewed(rows, summary), summary, on_progress)
    except KeyboardInterrupt:
        raise ImportStopped(summary, None) from None
    except StorageError as exc:
        raise ImportStopped(summary, exc) from None
    plan.finish(summary)
    if plan.layout is not None:
        _remember_layout(store, user_id, summary, plan.layout, options, plan.profiles)
    return summary


def _previewed(rows: Iterator[ParsedRow], summary: ImportSummary) -> Iterator[ParsedRow]:
    for row in rows:
        if len(summary.preview) < PREVIEW_ROWS:
            summary.preview.append(row.expense)
        yield row


def _remember_layout(
    store: Store,
    user_id: str,
    summary: ImportSummary,
    layout: Layout,
    options: ImportOptions,
    profiles: list[Profile],
) -> None:
    """A layout that read the whole file without a bad row is kept for the next file."""
    if summary.dry_run or layout.kind != "csv" or summary.rejected or not summary.read:
        return
    wanted = options.profile
    name_is_new = wanted is not None and all(wanted not in (p.profile_id, p.name) for p in profiles)
    previous = for_fingerprint(profiles, layout.fingerprint)
    saved = remember(
        store, user_id, layout, name=wanted if name_is_new else None, previous=previous
    )
    if saved is not None:
        summary.profile = ProfileUse(summary.profile.used, saved.profile_id, saved.name)
