"""`budget import` (and its profiles) and `budget export`."""

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer._click.core import Command
from typer.core import TyperGroup

from budgetcli import output, parsing
from budgetcli.cli.common import (
    BudgetCommand,
    ExcelSafeOption,
    FormatOption,
    FromOption,
    Panel,
    ToOption,
    add_command,
    current_user,
    group,
    open_store,
    option_names,
)
from budgetcli.errors import Field, InvalidInput
from budgetcli.output import OutputFormat
from budgetcli.output.progress import ProgressBar

if TYPE_CHECKING:
    from budgetcli.statements import SignRule

DELIMITERS = {",": ",", ";": ";", "\\t": "\t", "\t": "\t", "tab": "\t", "|": "|"}


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class ImportCommand(BudgetCommand):
    """`budget import FILE`, which also leads to `budget import profiles ...`."""

    def nested_groups(self) -> dict[str, Command]:
        # Built as a sub-group, so it has no shell-completion options of its own.
        holder = typer.Typer()
        holder.add_typer(profiles_app, name="profiles")
        built = typer.main.get_command(holder)
        assert isinstance(built, TyperGroup)
        return {"profiles": built.commands["profiles"]}


profiles_app = group(
    help="The statement layouts `budget import` remembered, one per bank export format."
)


def register(app: typer.Typer) -> None:
    add_command(app, "import", import_file, panel=Panel.TRANSFER, cls=ImportCommand)
    add_command(app, "export", export, panel=Panel.TRANSFER)
    add_command(profiles_app, "list", list_profiles)
    add_command(profiles_app, "show", show_profile)
    add_command(profiles_app, "name", name_profile)
    add_command(profiles_app, "rm", remove_profile)


def parse_columns(specs: list[str]) -> dict[str, str | int | None]:
    """`--column ROLE=HEADER` options as {role: header}; a number is a column's position
    (1 is the first), nothing after = means the file has no such column."""
    mapping: dict[str, str | int | None] = {}
    for spec in specs:
        name, sep, header = spec.partition("=")
        name = name.strip().lower()
        if not sep or not name:
            raise InvalidInput(Field("columns"), f" {spec!r} must look like amount=Debit")
        header = header.strip()
        mapping[name] = int(header) if header.isdigit() else header or None
    return mapping


def parse_delimiter(text: str) -> str:
    """`--delimiter`: ',', ';', '|', or a tab written as a tab, '\\t' or 'tab'."""
    delimiter = DELIMITERS.get(text.strip(" ").lower())
    if delimiter is None:
        raise InvalidInput(Field("delimiter"), f" {text!r} must be one of ',', ';', 'tab' or '|'")
    return delimiter


def parse_names(text: str) -> tuple[str, ...]:
    """`--names`: the columns of a file without a header row, comma-separated."""
    names = tuple(name.strip() for name in text.split(","))
    if len(names) < 2 or not all(names):
        raise InvalidInput(
            Field("column_names"), f" {text!r} must name every column, like date,description,amount"
        )
    return names


def parse_sign_rule(debits_negative: bool, card: bool) -> "SignRule | None":
    from budgetcli.statements import SignRule

    if debits_negative and card:
        raise InvalidInput(
            "give one of ", Field("debits_negative"), " (an account) and ", Field("card")
        )
    if debits_negative:
        return SignRule.NEGATIVE_OUT
    return SignRule.POSITIVE_OUT if card else None


def parse_decimal_mark(mark: str | None, decimal_comma: bool) -> str | None:
    if decimal_comma:
        if mark not in (None, ","):
            raise InvalidInput(
                "give one of ", Field("decimal_comma"), " and ", Field("decimal_mark")
            )
        return ","
    if mark is None:
        return None
    if mark.strip() not in (".", ","):
        raise InvalidInput(Field("decimal_mark"), f" {mark!r} must be . or ,")
    return mark.strip()


def parse_skip_patterns(patterns: list[str]) -> tuple[str, ...]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InvalidInput(
                Field("skip_patterns"), f" {pattern!r} is not a regular expression ({exc})"
            ) from None
    return tuple(patterns)


def import_file(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-",
            help="A bank statement (CSV, OFX or QFX) or budgetcli's own CSV; - reads stdin.",
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show the layout chosen and the first rows as they would be stored; write "
            "nothing.",
        ),
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
            metavar="ROLE=HEADER",
            help="Read ROLE from the column HEADER (or its number, 1 first; nothing after = "
            "for none): date, amount, debit, credit, direction, balance, description, payee, "
            "category, bank_id, currency, status. E.g. --column amount=Betrag, "
            "--column balance=. Repeatable.",
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
        typer.Option(
            "--category",
            help="Category for rows without one (default for bank rows: uncategorized), "
            "e.g. --category bank.",
        ),
    ] = None,
    debits_negative: Annotated[
        bool,
        typer.Option(
            "--debits-negative",
            help="An account statement: negative amounts are spending, positive ones "
            "(credits) are skipped.",
        ),
    ] = False,
    card: Annotated[
        bool,
        typer.Option(
            "--card",
            help="A card statement: positive amounts are charges, negative ones (payments, "
            "refunds) are skipped; e.g. --card for a credit card's export.",
        ),
    ] = False,
    skip_empty_amount: Annotated[
        bool,
        typer.Option(
            "--skip-empty-amount",
            help="Skip rows with no amount instead of rejecting them. With --column "
            'amount="Paid out", that column is the money out.',
        ),
    ] = False,
    delimiter: Annotated[
        str | None,
        typer.Option(
            "--delimiter",
            metavar="D",
            help="Column separator: ',', ';', tab (as 'tab' or '\\t') or '|' "
            "(default: detected), e.g. --delimiter ';'.",
        ),
    ] = None,
    decimal_comma: Annotated[
        bool,
        typer.Option(
            "--decimal-comma",
            help="Amounts use a decimal comma, like -45,30 or 2.500,00 (--decimal-mark ,).",
        ),
    ] = False,
    decimal_mark: Annotated[
        str | None,
        typer.Option(
            "--decimal-mark",
            metavar="MARK",
            help="The decimal mark of the amounts, . or , (default: detected per column), "
            "e.g. --decimal-mark . for 1,250 meaning 1250.",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            metavar="CODEC",
            help="The file's text encoding (default: detected), e.g. cp1252, latin-1, utf-16.",
        ),
    ] = None,
    skip_lines: Annotated[
        int | None,
        typer.Option(
            "--skip-lines",
            metavar="N",
            min=0,
            help="Lines before the header row (default: found), e.g. --skip-lines 13.",
        ),
    ] = None,
    no_header: Annotated[
        bool,
        typer.Option(
            "--no-header",
            help="The file has no header row: columns are found by content (or --column amount=3).",
        ),
    ] = False,
    column_names: Annotated[
        str | None,
        typer.Option(
            "--names",
            metavar="A,B,...",
            help="The file has no header row; these name its columns in order, e.g. "
            "--names date,description,amount,balance.",
        ),
    ] = None,
    debit_value: Annotated[
        str | None,
        typer.Option(
            "--debit-value",
            metavar="TEXT",
            help='What the direction column says for money out, e.g. --column direction="Af '
            'Bij" --debit-value Af.',
        ),
    ] = None,
    credit_value: Annotated[
        str | None,
        typer.Option(
            "--credit-value",
            metavar="TEXT",
            help="What the direction column says for money in, e.g. --credit-value CR.",
        ),
    ] = None,
    skip_patterns: Annotated[
        list[str] | None,
        typer.Option(
            "--skip-row",
            metavar="REGEX",
            help="Skip rows with a cell matching REGEX whole (any case), e.g. "
            "--skip-row Pending. Repeatable.",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="NAME",
            help="Read with this profile (by name or id), or remember the layout under "
            "this new name, e.g. --profile ing.",
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Import expenses from a bank statement (CSV, OFX, QFX) or budgetcli's own CSV.

    With no options the layout is detected from the whole file: header, columns, formats, signs.

    Where the file has a running balance, every row must agree with it.

    Where the file cannot tell, the import stops and names the option that answers.

    Only money going out is imported: credits, zero amounts and pending rows are skipped.

    A layout that worked is remembered (`budget import profiles`) for that bank's next file.

    Files with the columns date, amount, category (`budget export`'s) are read by name.

    Rows imported before are duplicates; an expense edited since is never overwritten.

    An interrupted import finishes when the same command is run again.

    Example:  budget import statement.csv --dry-run

    Example:  budget import konto.csv --date-format %d.%m.%Y --category bank
    """
    from budgetcli.output.imports import emit_summary
    from budgetcli.services import imports

    options = imports.ImportOptions(
        columns=parse_columns(columns or []),
        date_format=date_format,
        category=parsing.parse_category(category) if category is not None else None,
        sign_rule=parse_sign_rule(debits_negative, card),
        dry_run=dry_run,
        strict=strict,
        delimiter=parse_delimiter(delimiter) if delimiter is not None else None,
        decimal_mark=parse_decimal_mark(decimal_mark, decimal_comma),
        encoding=imports.check_encoding(encoding) if encoding is not None else None,
        skip_empty_amount=skip_empty_amount,
        skip_lines=skip_lines,
        no_header=no_header or column_names is not None,
        column_names=parse_names(column_names) if column_names is not None else (),
        debit_value=debit_value,
        credit_value=credit_value,
        skip_patterns=parse_skip_patterns(skip_patterns or []),
        profile=parse_profile_choice(profile) if profile is not None else None,
    )
    source = imports.Source(None if file == "-" else Path(file))
    with source.opened() as stream:
        total = imports.count_lines(stream) if sys.stderr.isatty() else None
        store = open_store()
        user = current_user(store)
        with ProgressBar("importing", total) as bar:
            summary = imports.import_file(
                store,
                user.user_id,
                stream,
                options,
                on_progress=lambda so_far: bar.update(so_far.done),
            )
    emit_summary(fmt, summary, option_names(ctx.command))
    if summary.rejected:
        raise imports.RowsRejected(summary)


def parse_profile_choice(text: str) -> str:
    from budgetcli.services.imports.profiles import PROFILE_ID, parse_profile_name

    return text.strip() if PROFILE_ID.match(text.strip()) else parse_profile_name(text)


ProfileArgument = Annotated[
    str, typer.Argument(metavar="PROFILE", help="A profile's name or id (see the list).")
]


def list_profiles(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List the remembered layouts: id, name, when saved, and the columns they read.

    Example:  budget import profiles list
    """
    from budgetcli.output.imports import emit_profiles
    from budgetcli.services.imports.profiles import profiles_of

    store = open_store()
    emit_profiles(fmt, profiles_of(store, current_user(store).user_id))


def show_profile(wanted: ProfileArgument, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show how a profile reads a file: header, which column is what, formats, signs.

    Example:  budget import profiles show ing
    """
    from budgetcli.output.imports import emit_profile
    from budgetcli.services.imports.profiles import chosen, profiles_of

    store = open_store()
    emit_profile(fmt, chosen(profiles_of(store, current_user(store).user_id), wanted))


def name_profile(
    wanted: ProfileArgument,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The new name, like ing.")],
) -> None:
    """Name a profile, to choose it with `budget import FILE --profile NAME`.

    Example:  budget import profiles name 35435d20ee677c9a ing
    """
    from budgetcli.services.imports import profiles

    new_name = profiles.parse_profile_name(name)
    store = open_store()
    named = profiles.name_profile(store, current_user(store).user_id, wanted, new_name)
    output.note(f"profile {named.profile_id} is now called {named.name}")


def remove_profile(wanted: ProfileArgument) -> None:
    """Forget a profile: the next file like it is detected afresh.

    Example:  budget import profiles rm ing
    """
    from budgetcli.services.imports import profiles

    store = open_store()
    removed = profiles.remove_profile(store, current_user(store).user_id, wanted)
    output.note(f"removed profile {removed.label}")


def export(
    first: FromOption = None,
    last: ToOption = None,
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format", "-f", case_sensitive=False, help="csv (imports back as it is) or json."
        ),
    ] = ExportFormat.CSV,
    excel_safe: ExcelSafeOption = False,
) -> None:
    """Write every expense in a date range to stdout, newest date first.

    CSV columns: date, amount, category, description, expense_id, created_at, receipt_url.

    `budget import` reads the CSV back as it is; the JSON is an array of expense objects.

    For a spreadsheet, --excel-safe keeps formulas in descriptions from running (the
    file gets an excel_safe column, and still imports back exactly).

    Example:  budget export --from 2026-01-01 --to 2026-12-31 --format csv > 2026.csv
    """
    from budgetcli.output.expenses import write_csv, write_json
    from budgetcli.services.expenses import expenses_in

    days = parsing.parse_date_range(first, last, None)
    if excel_safe and fmt is not ExportFormat.CSV:
        raise InvalidInput(Field("excel_safe"), " applies to ", Field("fmt"), " csv only")
    store = open_store()
    user = current_user(store)
    with ProgressBar("exporting", None) as bar:
        expenses = bar.counted(expenses_in(store, user.user_id, days))
        if fmt is ExportFormat.JSON:
            write_json(sys.stdout, expenses)
        else:
            write_csv(sys.stdout, expenses, excel_safe=excel_safe)
