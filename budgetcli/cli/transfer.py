"""`budget import` and `budget export`."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from budgetcli import output
from budgetcli.cli.common import FormatOption, current_user, open_store
from budgetcli.errors import ExitCode, InvalidInput, StorageError
from budgetcli.output import Column, OutputFormat

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from budgetcli.services.imports import ImportSummary

PANEL = "Import and export"
# A progress bar for a few seconds of work or less is only flicker.
PROGRESS_MIN_ROWS = 300
ERRORS_SHOWN = 50
INTERRUPTED = 130  # the shell's code for a command stopped by Ctrl-C


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def register(app: typer.Typer) -> None:
    app.command("import", rich_help_panel=PANEL)(import_csv)
    app.command("export", rich_help_panel=PANEL)(export)


class _ProgressBar:
    """A transient Rich bar on stderr, shown only on a terminal and only for long work.

    With no known total it appears once `PROGRESS_MIN_ROWS` rows are done.
    """

    def __init__(self, description: str, total: int | None) -> None:
        self.description = description
        self.total = total
        self.enabled = sys.stderr.isatty() and (total is None or total > PROGRESS_MIN_ROWS)
        self.progress: Progress | None = None
        self.task: TaskID | None = None

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            if done <= PROGRESS_MIN_ROWS and self.total is None:
                return
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=output.stderr_console(),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.description, total=self.total)
        assert self.task is not None
        self.progress.update(self.task, completed=done)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@contextlib.contextmanager
def _open_source(file: str) -> Iterator[BinaryIO]:
    if file == "-":
        yield sys.stdin.buffer
        return
    try:
        stream = Path(file).open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror or exc}") from None
    with stream:
        yield stream


def import_csv(
    file: Annotated[
        str, typer.Argument(metavar="FILE|-", help="A CSV file with a header row; - reads stdin.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be imported; write nothing.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Check the whole file first; import nothing if any row is bad."
        ),
    ] = False,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            metavar="FIELD=HEADER",
            help="Read FIELD (date, amount, category, description) from the column HEADER, "
            "e.g. --column amount=Debit. Repeatable.",
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format", metavar="FMT", help="strptime pattern of the dates, e.g. %d/%m/%Y."
        ),
    ] = None,
    category: Annotated[
        str | None,
        typer.Option("--category", help="Category for rows without one (or with no column)."),
    ] = None,
    debits_negative: Annotated[
        bool,
        typer.Option(
            "--debits-negative",
            help="The bank shows spending as negative amounts: import those as expenses "
            "and skip positive ones (credits).",
        ),
    ] = False,
    skip_empty_amount: Annotated[
        bool,
        typer.Option(
            "--skip-empty-amount",
            help="Skip rows whose amount cell is empty instead of rejecting them, e.g. credits "
            'when the bank has separate "Paid out" and "Paid in" columns.',
        ),
    ] = False,
    delimiter: Annotated[
        str | None,
        typer.Option(
            "--delimiter",
            metavar="D",
            help="Column separator: ',', ';', tab (as 'tab' or '\\t') or '|'. "
            "Default: ';' or tab if the header line has one and no comma, else ','.",
        ),
    ] = None,
    decimal_comma: Annotated[
        bool,
        typer.Option(
            "--decimal-comma",
            help="Amounts use a decimal comma, like -45,30 or 2.500,00 "
            "('.' or a space groups thousands).",
        ),
    ] = False,
    encoding: Annotated[
        str,
        typer.Option(
            "--encoding",
            metavar="CODEC",
            help="The file's text encoding, e.g. cp1252 (Windows), latin-1 or utf-16.",
        ),
    ] = "utf-8",
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Import expenses from a CSV file, such as a bank statement.

    Columns date, amount, category and description are found by name, in any case.

    Other columns are ignored, so the output of `budget export` imports as it is.

    Rows imported before count as duplicates; two identical rows in one file stay two.

    An expense edited since its import is never overwritten.

    A bad row is reported with its line number and skipped, and the exit code is 1.

    An interrupted import finishes when the same command is run again.

    European bank files: --delimiter ';' (found by itself from the header), --decimal-comma
    and --encoding cp1252.

    Example:  budget import statement.csv --date-format %d/%m/%Y --debits-negative --category bank
    """
    from budgetcli.services import imports

    options = imports.ImportOptions(
        columns=imports.parse_column_mappings(column or []),
        date_format=date_format,
        category=category,
        debits_negative=debits_negative,
        dry_run=dry_run,
        strict=strict,
        delimiter=imports.parse_delimiter(delimiter) if delimiter is not None else None,
        decimal_comma=decimal_comma,
        skip_empty_amount=skip_empty_amount,
    )
    encoding = imports.check_encoding(encoding)
    # A file is checked for bad bytes before anything is written, and sized for the bar;
    # stdin, a pipe or <(process substitution) can be read only once, so they are not.
    path = Path(file)
    readable_twice = file != "-" and (path.is_file() or not path.exists() or path.is_dir())
    total = max(imports.check_file(path, encoding) - 1, 0) if readable_twice else None
    store = open_store()
    user = current_user(store)
    bar = _ProgressBar("importing", total)
    progress: dict[str, ImportSummary] = {}

    def on_progress(summary: ImportSummary) -> None:
        progress["summary"] = summary
        bar.update(summary.done)

    try:
        with _open_source(file) as stream:
            summary = imports.import_expenses(
                store,
                user.user_id,
                imports.decoded_lines(stream, encoding),
                options,
                on_progress=on_progress,
            )
    except KeyboardInterrupt:
        bar.stop()
        output.error(
            f"import interrupted ({_imported_so_far(progress, dry_run)}): run the same "
            "command again to finish; rows already imported are skipped"
        )
        raise typer.Exit(INTERRUPTED) from None
    except StorageError as exc:
        bar.stop()
        raise type(exc)(
            f"{exc} ({_imported_so_far(progress, dry_run)}); then run the same import again: "
            "rows already imported are skipped"
        ) from None
    finally:
        bar.stop()
    _show_import_summary(fmt, summary)
    if summary.rejected:
        raise typer.Exit(ExitCode.ERROR)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _imported_so_far(progress: dict[str, ImportSummary], dry_run: bool) -> str:
    """The service's last progress report counts every chunk that was written."""
    if dry_run:
        return "dry run: nothing was written"
    done = progress["summary"].imported if "summary" in progress else 0
    return f"{_rows(done)} imported so far"


def _show_import_summary(fmt: OutputFormat, summary: ImportSummary) -> None:
    counts: dict[str, Any] = {
        "read": summary.read,
        "imported": summary.imported,
        "duplicates": summary.duplicates,
        "rejected": summary.rejected,
        "skipped": summary.skipped,
    }
    if fmt is OutputFormat.JSON:
        output.emit_json(summary.to_json())
    elif fmt is OutputFormat.CSV:
        output.emit_object(fmt, counts)
    else:
        output.emit_table(
            [Column("Read", "read", "right")]
            + [Column("Would import" if summary.dry_run else "Imported", "imported", "right")]
            + [Column("Duplicates", "duplicates", "right"), Column("Rejected", "rejected", "right")]
            + ([Column("Skipped", "skipped", "right")] if summary.skipped else []),
            [counts],
            title="Dry run: nothing written" if summary.dry_run else None,
        )
        if summary.errors:
            shown = summary.errors[:ERRORS_SHOWN]
            more = len(summary.errors) - len(shown)
            output.emit_table(
                [Column("Line", "line", "right"), Column("Rejected because", "error")],
                [{"line": e.line, "error": e.error} for e in shown],
                caption=f"and {more} more: --format json lists them all" if more else None,
            )
    if fmt is OutputFormat.CSV:
        for row_error in summary.errors:
            output.note(f"line {row_error.line}: {row_error.error}")
    if summary.strict_failed:
        wrong = "row is" if summary.rejected == 1 else "rows are"
        output.note(f"--strict: nothing was imported because {summary.rejected} {wrong} wrong")
    elif summary.dry_run:
        output.note(f"dry run: {_rows(summary.imported)} would be imported; nothing was written")
    elif summary.rejected and fmt is OutputFormat.TABLE:
        output.note(
            "fix the rejected rows and run the same command again: "
            "rows already imported are skipped"
        )


def export(
    date_from: Annotated[
        str | None, typer.Option("--from", metavar="D", help="First date (inclusive).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", metavar="D", help="Last date (inclusive).")
    ] = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format", "-f", case_sensitive=False, help="csv (imports back as it is) or json."
        ),
    ] = ExportFormat.CSV,
) -> None:
    """Write every expense in a date range to stdout, newest date first.

    CSV columns: date, amount, category, description, expense_id, created_at, receipt_url.

    `budget import` reads the CSV back as it is; the JSON is an array of expense objects.

    Example:  budget export --from 2026-01-01 --to 2026-12-31 --format csv > 2026.csv
    """
    from budgetcli.parsing import parse_date
    from budgetcli.services import exports
    from budgetcli.services.expenses import Expense

    first = parse_date(date_from) if date_from else None
    last = parse_date(date_to) if date_to else None
    if first and last and first > last:
        raise InvalidInput(f"--from {first} is after --to {last}")
    store = open_store()
    user = current_user(store)
    bar = _ProgressBar("exporting", None)

    def counted(expenses: Iterator[Expense]) -> Iterator[Expense]:
        for done, expense in enumerate(expenses, start=1):
            yield expense
            bar.update(done)

    expenses = counted(exports.expenses_to_export(store, user.user_id, first=first, last=last))
    write = exports.write_json if fmt is ExportFormat.JSON else exports.write_csv
    try:
        write(sys.stdout, expenses)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`budget export | head`): stop quietly, as cat does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(ExitCode.ERROR) from None
    finally:
        bar.stop()
