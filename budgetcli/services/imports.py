"""Bank CSVs in: idempotent by content, resumable, streamed in chunks.

Each valid row becomes an expense whose `expense_id` is a uuid5 of the user, the row's
normalised fields and its occurrence number among identical rows of the file. So a
re-import finds every row already there, an overlapping statement adds only its new
rows, two identical coffees stay two expenses, and an import stopped half-way (Ctrl-C,
a dead engine) finishes when the same command runs again.

Rows are read, parsed and stored 100 at a time: a consistent BatchGetItem finds which
ids exist (duplicates), and the rest is written with conditional puts
(`Store.put_if_absent`), so an expense edited since its import is never overwritten.
A few chunks are in flight at once; memory does not grow with the file beyond a
16-byte digest per distinct row (to number identical rows).

European and other bank formats: the delimiter is given (`delimiter`) or read from the
header line (no comma there but a semicolon: `;`; else a tab: tab; else `,`), amounts
may use a decimal comma (`decimal_comma`), and the bytes may be in any Python text
encoding (`decoded_lines(stream, encoding)`).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any, BinaryIO

from budgetcli.errors import InvalidInput
from budgetcli.parsing import (
    parse_amount,
    parse_category,
    parse_date,
    parse_description,
    parse_url,
)
from budgetcli.services.expenses import Expense, utc_now_iso
from budgetcli.services.tables import EXPENSES
from budgetcli.store import Store

FIELDS = ("date", "amount", "category", "description")
CHUNK_ROWS = 100  # one BatchGetItem, one TransactWriteItems
WORKERS = 4
MAX_CHUNKS_IN_FLIGHT = 2 * WORKERS
# Fixed forever: changing it would make every earlier import look new.
IMPORT_NAMESPACE = uuid.UUID("5b0f3c52-6f1e-5d8a-9a43-0c7d1b6e2f11")
_FOREIGN_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$", re.ASCII)
_LINE_BREAKS = re.compile(r"\s*[\r\n\t]+\s*")
DELIMITERS = {",": ",", ";": ";", "\\t": "\t", "\t": "\t", "tab": "\t", "|": "|"}
# Delimiters read from a header line that has no comma, in this order.
DETECTED_DELIMITERS = (";", "\t")
# 1.234,56 / 1 234,56 / 1234,56 / -45,30 / 2.500: '.' or a space groups thousands.
_DECIMAL_COMMA_AMOUNT = re.compile(
    r"^([+-]?)(\d{1,3}(?:([. \u00a0\u202f])\d{3})(?:\3\d{3})*|\d+)(?:,(\d+))?$"
)
READ_SIZE = 1 << 16


@dataclass(frozen=True)
class ImportOptions:
    """What `budget import` was asked to do; see `import_expenses`."""

    columns: Mapping[str, str] = field(default_factory=dict)
    date_format: str | None = None
    category: str | None = None
    debits_negative: bool = False
    dry_run: bool = False
    strict: bool = False
    # None: read from the header line (see the module docstring).
    delimiter: str | None = None
    # Amounts like 1.234,56: ',' is the decimal mark, '.' or a space groups thousands.
    decimal_comma: bool = False
    # A row whose amount cell is empty (a credit in a separate "Paid in" column) is
    # skipped instead of rejected.
    skip_empty_amount: bool = False


@dataclass(frozen=True)
class RowError:
    line: int
    error: str


@dataclass
class ImportSummary:
    """Counts of one import. `read` counts non-blank data rows.

    `skipped` counts credits (positive amounts) left out under `debits_negative` and
    rows with an empty amount left out under `skip_empty_amount`.
    With `dry_run`, `imported` is what would have been imported.
    """

    read: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    strict_failed: bool = False

    @property
    def done(self) -> int:
        """Rows settled so far, for a progress bar."""
        return self.imported + self.duplicates + self.rejected + self.skipped

    def to_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "errors": [{"line": e.line, "error": e.error} for e in self.errors],
        }


ProgressCallback = Callable[[ImportSummary], None]


@dataclass(frozen=True)
class _Row:
    line: int
    expense: Expense
    # The `expense_id` column of a `budget export`: the expense may already be this user's.
    exported_id: str | None


def parse_column_mappings(specs: Iterable[str]) -> dict[str, str]:
    """`--column FIELD=HEADER` options as {field: header}."""
    mapping: dict[str, str] = {}
    for spec in specs:
        name, sep, header = spec.partition("=")
        name = name.strip().lower()
        if not sep or not header.strip():
            raise InvalidInput(f"--column {spec!r} must look like amount=Debit")
        if name not in FIELDS:
            raise InvalidInput(f"--column {spec!r}: the field must be one of {', '.join(FIELDS)}")
        mapping[name] = header.strip()
    return mapping


def parse_delimiter(text: str) -> str:
    """`--delimiter`: ',', ';', '|', or a tab written as a tab, '\\t' or 'tab'."""
    delimiter = DELIMITERS.get(text.strip(" ").lower())
    if delimiter is None:
        raise InvalidInput(f"--delimiter {text!r} must be one of ',', ';', 'tab' or '|'")
    return delimiter


def check_encoding(name: str) -> str:
    """`--encoding`: the Python codec's canonical name, e.g. cp1252 for windows-1252."""
    try:
        "a".encode(name)  # LookupError also for codecs that are not text (rot13, base64)
        return codecs.lookup(name).name
    except (LookupError, UnicodeError):
        raise InvalidInput(
            f"--encoding {name!r} is not a text encoding Python knows: try utf-8, cp1252 "
            "(Windows), latin-1 or utf-16"
        ) from None


def decoded_lines(stream: BinaryIO, encoding: str = "utf-8") -> Iterator[str]:
    """Text lines of a byte stream (a BOM is dropped), newlines kept for csv.

    Where a newline is the byte 0x0a (UTF-8, cp1252, Latin-1...), decoding line by line
    gives the exact line of an undecodable byte; UTF-16 and UTF-32 are decoded in blocks.
    """
    encoding = check_encoding(encoding)
    lines = (
        _line_by_line(stream, encoding) if _ascii_newlines(encoding) else _blocks(stream, encoding)
    )
    for number, line in enumerate(lines, start=1):
        yield line[1:] if number == 1 and line.startswith("\ufeff") else line


def _ascii_newlines(encoding: str) -> bool:
    try:
        return "x\n,;".encode(encoding).endswith(b"x\n,;")  # utf-8-sig starts with a BOM
    except UnicodeError:
        return False


def _not_text(encoding: str, line: int | None, detail: str) -> InvalidInput:
    name = "UTF-8" if encoding == "utf-8" else encoding
    where = f"line {line}" if line is not None else "the file"
    if encoding == "utf-8":
        fix = (
            "give the file's encoding with --encoding (banks often use --encoding cp1252), "
            "or save it as UTF-8"
        )
    else:
        fix = "give the file's real encoding with --encoding"
    return InvalidInput(f"{where} is not {name} text ({detail}): {fix}")


def _line_by_line(stream: BinaryIO, encoding: str) -> Iterator[str]:
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode(encoding)
        except UnicodeDecodeError as exc:
            detail = f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
            raise _not_text(encoding, number, detail) from None


def _blocks(stream: BinaryIO, encoding: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(encoding)()
    pending = ""
    while True:
        block = stream.read(READ_SIZE)
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            raise _not_text(encoding, None, exc.reason) from None
        *complete, pending = (pending + text).split("\n")
        for part in complete:
            yield part + "\n"
        if not block:
            break
    if pending:
        yield pending


def check_file(path: Path, encoding: str = "utf-8") -> int:
    """Read `path` once: InvalidInput if it is not `encoding` text, else its number of lines."""
    lines = 0
    try:
        with path.open("rb") as stream:
            for _ in decoded_lines(stream, encoding):
                lines += 1
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a directory: give a CSV file") from None
    except FileNotFoundError:
        raise InvalidInput(f"{path} does not exist") from None
    except PermissionError:
        raise InvalidInput(f"{path} is not readable: check its permissions") from None
    return lines


def import_expenses(
    store: Store,
    user_id: str,
    lines: Iterable[str],
    options: ImportOptions | None = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import CSV `lines` (header first) as `user_id`'s expenses; never prints.

    Bad rows are reported with their line number and skipped. With `strict`, the whole
    file is checked first and nothing is written unless every row is valid. With
    `dry_run`, existing ids are looked up but nothing is written. `on_progress` is
    called in this thread with the running summary after every chunk; an exception it
    raises stops the import (what was written stays written and is found next time).
    """
    options = options or ImportOptions()
    _check_options(options)
    if not options.strict:
        return _import(store, user_id, lines, options, on_progress)
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        check = ImportSummary(dry_run=options.dry_run)
        for _ in _parsed_rows(_copied(lines, spool), user_id, options, check):
            pass
        if check.rejected:
            check.strict_failed = True
            return check
        spool.seek(0)
        return _import(store, user_id, spool, options, on_progress)


def _check_options(options: ImportOptions) -> None:
    parse_column_mappings(f"{name}={header}" for name, header in options.columns.items())
    if options.category is not None:
        parse_category(options.category)
    if options.delimiter is not None:
        parse_delimiter(options.delimiter)


def _copied(lines: Iterable[str], spool: IO[str]) -> Iterator[str]:
    for line in lines:
        spool.write(line)
        yield line


def _import(
    store: Store,
    user_id: str,
    lines: Iterable[str],
    options: ImportOptions,
    on_progress: ProgressCallback | None,
) -> ImportSummary:
    summary = ImportSummary(dry_run=options.dry_run)
    rows = _parsed_rows(lines, user_id, options, summary)
    # Submitted and not yet counted: after a failure these are waited for and counted.
    uncounted: set[Future[tuple[int, int]]] = set()

    def count(future: Future[tuple[int, int]]) -> None:
        imported, duplicates = future.result()
        uncounted.discard(future)
        summary.imported += imported
        summary.duplicates += duplicates

    def settle(finished: Iterable[Future[tuple[int, int]]]) -> None:
        for future in finished:
            count(future)
            if on_progress:
                on_progress(summary)

    with ThreadPoolExecutor(WORKERS, thread_name_prefix="budget-import") as pool:
        in_flight: set[Future[tuple[int, int]]] = set()
        try:
            while chunk := list(islice(rows, CHUNK_ROWS)):
                submitted = pool.submit(_store_chunk, store, user_id, chunk, options.dry_run)
                in_flight.add(submitted)
                uncounted.add(submitted)
                if len(in_flight) >= MAX_CHUNKS_IN_FLIGHT:
                    finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    settle(finished)
            finished, in_flight = wait(in_flight)
            settle(finished)
        except BaseException:
            # Ctrl-C, a failed chunk or a failing callback: drop what has not started;
            # chunks already sending finish (a re-run finds them) and are counted, so
            # the last `on_progress` call has what was really written.
            _count_in_flight(uncounted, count)
            if on_progress:
                with contextlib.suppress(Exception):
                    on_progress(summary)
            raise
    if on_progress:
        on_progress(summary)
    return summary


def _count_in_flight(
    uncounted: set[Future[tuple[int, int]]], count: Callable[[Future[tuple[int, int]]], None]
) -> None:
    """Wait for the chunks already sending and count those that succeeded."""
    for future in uncounted:
        future.cancel()
    for future in wait(list(uncounted)).done:
        if not future.cancelled() and future.exception() is None:
            count(future)


def _store_chunk(
    store: Store, user_id: str, rows: Sequence[_Row], dry_run: bool
) -> tuple[int, int]:
    """Write the rows whose expense does not exist yet: (imported, duplicates)."""
    ids = [row.expense.expense_id for row in rows]
    existing = {
        str(item["expense_id"])
        for item in store.batch_get(
            EXPENSES, [{"expense_id": i} for i in ids], projection=["expense_id"], consistent=True
        )
    }
    exported_ids = list(dict.fromkeys(row.exported_id for row in rows if row.exported_id))
    if exported_ids:
        existing.update(
            str(item["expense_id"])
            for item in store.batch_get(
                EXPENSES,
                [{"expense_id": i} for i in exported_ids],
                projection=["expense_id", "user_id"],
                consistent=True,
            )
            if item.get("user_id") == user_id
        )
    new = [
        row
        for row in rows
        if row.expense.expense_id not in existing and row.exported_id not in existing
    ]
    if dry_run or not new:
        return len(new), len(rows) - len(new)
    written = store.put_if_absent(
        EXPENSES, [row.expense.to_item() for row in new], key="expense_id"
    )
    imported = sum(written)
    return imported, len(rows) - imported


@dataclass(frozen=True)
class _Columns:
    """Where each field is in a row; None when the file has no such column."""

    date: int
    amount: int
    category: int | None
    description: int | None
    receipt_url: int | None
    expense_id: int | None


def _find_columns(header: list[str], options: ImportOptions) -> _Columns:
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        positions.setdefault(cell.strip().casefold(), index)
    found = ", ".join(repr(cell.strip()) for cell in header if cell.strip()) or "nothing"

    def position(name: str) -> int | None:
        wanted = options.columns.get(name, name)
        index = positions.get(wanted.casefold())
        if index is None and name in options.columns:
            raise InvalidInput(
                f"--column {name}={wanted}: the header has no column {wanted!r} (it has {found})"
            )
        return index

    def required(name: str) -> int:
        index = position(name)
        if index is None:
            raise InvalidInput(
                f"the header row has no {name!r} column (it has {found}): "
                f"name the right one with --column {name}=HEADER"
            )
        return index

    date_at, amount_at = required("date"), required("amount")
    category_at = position("category")
    if category_at is None and options.category is None:
        raise InvalidInput(
            f"the header row has no 'category' column (it has {found}): "
            "give every row one with --category C, or name it with --column category=HEADER"
        )
    return _Columns(
        date=date_at,
        amount=amount_at,
        category=category_at,
        description=position("description"),
        receipt_url=positions.get("receipt_url"),
        expense_id=positions.get("expense_id"),
    )


def _records(
    lines: Iterable[str], delimiter: str | None = None
) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(first line, cells) of each CSV record; a malformed record gives its csv.Error.

    A quoted field may span lines, so a record starts one line after the previous ended.
    With no `delimiter`, the header line tells (see `detect_delimiter`).
    """
    iterator = _without_bom(lines)
    first = next(iterator, None)
    if first is None:
        return
    if delimiter is None:
        delimiter = detect_delimiter(first)
    reader = csv.reader(chain([first], iterator), delimiter=delimiter)
    ended = 0
    while True:
        try:
            cells: list[str] | csv.Error = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            cells = exc
        yield ended + 1, cells
        ended = reader.line_num


def detect_delimiter(header_line: str) -> str:
    """',' unless the header line has no comma: then ';' or a tab if it has one."""
    if "," not in header_line:
        for delimiter in DETECTED_DELIMITERS:
            if delimiter in header_line:
                return delimiter
    return ","


def _without_bom(lines: Iterable[str]) -> Iterator[str]:
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    yield first.removeprefix("\ufeff")
    yield from iterator


def _parsed_rows(
    lines: Iterable[str], user_id: str, options: ImportOptions, summary: ImportSummary
) -> Iterator[_Row]:
    """Valid rows as expenses with their deterministic ids; bad rows go into `summary`."""
    delimiter = parse_delimiter(options.delimiter) if options.delimiter is not None else None
    records = _records(lines, delimiter)
    header = next(records, None)
    if header is None or isinstance(header[1], csv.Error) or not any(header[1]):
        raise InvalidInput(
            "the file has no header row: the first line must name the columns, "
            "like date,amount,category,description"
        )
    columns = _find_columns(header[1], options)
    default_category = parse_category(options.category) if options.category else None
    occurrences: dict[bytes, int] = {}
    created_at = utc_now_iso()
    for line, cells in records:
        if isinstance(cells, csv.Error):
            summary.read += 1
            _reject(summary, line, f"not valid CSV ({cells})")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        summary.read += 1
        try:
            parsed = _parse_cells(cells, columns, options, default_category)
        except InvalidInput as exc:
            _reject(summary, line, str(exc))
            continue
        if parsed is None:
            summary.skipped += 1
            continue
        day, amount, category, description, receipt_url = parsed
        content = "\x1f".join((user_id, day.isoformat(), str(amount), category, description))
        digest = hashlib.blake2b(content.encode(), digest_size=16).digest()
        occurrence = occurrences.get(digest, 0)
        occurrences[digest] = occurrence + 1
        expense_id = str(uuid.uuid5(IMPORT_NAMESPACE, f"{content}\x1f{occurrence}"))
        exported_id = _cell(cells, columns.expense_id).strip()
        yield _Row(
            line=line,
            expense=Expense(
                expense_id=expense_id,
                user_id=user_id,
                amount=amount,
                category=category,
                description=description,
                date=day,
                created_at=created_at,
                receipt_url=receipt_url,
            ),
            exported_id=exported_id if _FOREIGN_ID.match(exported_id) else None,
        )


def _reject(summary: ImportSummary, line: int, error: str) -> None:
    summary.rejected += 1
    summary.errors.append(RowError(line, error))


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _parse_cells(
    cells: list[str],
    columns: _Columns,
    options: ImportOptions,
    default_category: str | None,
) -> tuple[date, Decimal, str, str, str | None] | None:
    """The row's normalised fields; None for a row to skip (see `ImportSummary`)."""
    amount_text = _cell(cells, columns.amount)
    if not amount_text.strip():
        if options.skip_empty_amount:
            return None
        raise InvalidInput(
            "amount is empty: if the file has separate columns for money out and in, "
            "import with --skip-empty-amount to skip such rows"
        )
    amount = _amount(amount_text, options.decimal_comma)
    if options.debits_negative:
        if amount > 0:
            return None
        amount = -amount
    elif amount < 0:
        raise InvalidInput(
            f"amount {amount_text.strip()!r} is negative: if the bank shows spending as "
            "negative numbers, import with --debits-negative"
        )
    day = parse_date(_cell(cells, columns.date), date_format=options.date_format)
    category_text = _cell(cells, columns.category)
    if category_text.strip():
        category = parse_category(category_text)
    elif default_category is not None:
        category = default_category
    else:
        raise InvalidInput("category is empty: fill it in, or give a default with --category")
    # Banks put line breaks in memo fields; one line of text is what an expense keeps.
    description = parse_description(_LINE_BREAKS.sub(" ", _cell(cells, columns.description)))
    url_text = _cell(cells, columns.receipt_url).strip()
    receipt_url = parse_url(url_text) if url_text else None
    return day, amount, category, description, receipt_url


def _amount(text: str, decimal_comma: bool) -> Decimal:
    """`parse_amount` of a cell, which may be written with a decimal comma."""
    if not decimal_comma:
        try:
            return parse_amount(text, allow_negative=True)
        except InvalidInput as exc:
            if "," not in text:
                raise
            raise InvalidInput(
                f"{exc}; or, if the file writes 12,50 for 12.50, import with --decimal-comma"
            ) from None
    plain = decimal_comma_to_plain(text)
    try:
        return parse_amount(plain, allow_negative=True)
    except InvalidInput as exc:
        # Quote the cell as the file has it, not its normalised form.
        raise InvalidInput(str(exc).replace(repr(plain), repr(text), 1)) from None


def decimal_comma_to_plain(text: str) -> str:
    """'-1.234,56' -> '-1234.56': ',' is the decimal mark, '.' or a space groups thousands."""
    match = _DECIMAL_COMMA_AMOUNT.match(text.strip())
    if match is None:
        raise InvalidInput(
            f"amount {text!r} is not a number with a decimal comma: with --decimal-comma "
            "write it like 1234,50 or 1.234,50"
        )
    sign, whole, separator, cents = match.groups()
    if separator:
        whole = whole.replace(separator, "")
    return f"{sign}{whole}.{cents}" if cents is not None else f"{sign}{whole}"
