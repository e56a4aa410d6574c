"""`budget import` and `budget export`."""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from budgetcli import parsing
from budgetcli.cli.common import (
    FormatOption,
    FromOption,
    Panel,
    ToOption,
    add_command,
    current_user,
    open_store,
    option_names,
)
from budgetcli.errors import ExitCode, Field, InvalidInput
from budgetcli.output import OutputFormat
from budgetcli.output.progress import ProgressBar

DELIMITERS = {",": ",", ";": ";", "\\t": "\t", "\t": "\t", "tab": "\t", "|": "|"}


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def register(app: typer.Typer) -> None:
    add_command(app, "import", import_csv, panel=Panel.TRANSFER)
    add_command(app, "export", export, panel=Panel.TRANSFER)


def parse_columns(specs: list[str]) -> dict[str, str]:
    """`--column FIELD=HEADER` options as {field: header}."""
    mapping: dict[str, str] = {}
    for spec in specs:
        name, sep, header = spec.partition("=")
        if not sep or not header.strip():
            raise InvalidInput(Field("columns"), f" {spec!r} must look like amount=Debit")
        mapping[name.strip().lower()] = header.strip()
    return mapping


def parse_delimiter(text: str) -> str:
    """`--delimiter`: ',', ';', '|', or a tab written as a tab, '\\t' or 'tab'."""
    delimiter = DELIMITERS.get(text.strip(" ").lower())
    if delimiter is None:
        raise InvalidInput(Field("delimiter"), f" {text!r} must be one of ',', ';', 'tab' or '|'")
    return delimiter


def import_csv(
    ctx: typer.Context,
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
    columns: Annotated[
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
    from budgetcli.output.imports import emit_summary
    from budgetcli.services import imports

    options = imports.ImportOptions(
        columns=parse_columns(columns or []),
        date_format=date_format,
        category=parsing.parse_category(category) if category is not None else None,
        debits_negative=debits_negative,
        dry_run=dry_run,
        strict=strict,
        delimiter=parse_delimiter(delimiter) if delimiter is not None else None,
        decimal_comma=decimal_comma,
        skip_empty_amount=skip_empty_amount,
    )
    source = imports.Source(None if file == "-" else Path(file), imports.check_encoding(encoding))
    total = source.check()
    store = open_store()
    user = current_user(store)
    with ProgressBar("importing", total) as bar, source.lines() as lines:
        summary = imports.import_expenses(
            store, user.user_id, lines, options, on_progress=lambda so_far: bar.update(so_far.done)
        )
    emit_summary(fmt, summary, option_names(ctx.command))
    if summary.rejected:
        raise typer.Exit(ExitCode.ERROR)


def export(
    first: FromOption = None,
    last: ToOption = None,
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
    from budgetcli.output.expenses import write_csv, write_json
    from budgetcli.services.expenses import expenses_in

    days = parsing.parse_date_range(first, last, None)
    store = open_store()
    user = current_user(store)
    write = write_json if fmt is ExportFormat.JSON else write_csv
    with ProgressBar("exporting", None) as bar:
        write(sys.stdout, bar.counted(expenses_in(store, user.user_id, days)))
