"""Detect a statement's layout from its content, on evidence, and prove it where it can.

The stages, each on the sample (the first `SAMPLE_BYTES` of the file), reading the rest
of the file only for what the sample leaves open (an all-ASCII sample: is the rest UTF-8?
dates that are all day <= 12, amounts like 1,250: does a later row tell?):

1. encoding (text.py) and line ends;
2. delimiter: the one that gives most lines the same number of fields;
3. header row: the record naming a date and an amount column (vocabulary.py), after any
   preamble; else a text row before the first data row; else none;
4. column roles: by header name, each checked against the column's content; by content
   for files without a header;
5. decimal mark per money column, date format over every row, the sign rule;
6. proof: where there is a running balance, the rows as read must move it (read.py).

What it cannot tell it asks (`LayoutQuestion`, naming the override field), never guesses.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from budgetcli.errors import InvalidInput
from budgetcli.statements.cells import (
    compile_date_format,
    date_shape,
    debit_or_credit,
    either_mark,
    mark_evidence,
    money_parts,
)
from budgetcli.statements.model import (
    MONEY_ROLES,
    BadRow,
    Columns,
    Layout,
    LayoutQuestion,
    Overrides,
    ProofStatus,
    Role,
    SignRule,
    SkippedRow,
    StatementRow,
    fingerprint,
    normalise_name,
)
from budgetcli.statements.read import BalanceChain, RowReader, Undated, unwrap_excel
from budgetcli.statements.text import Lines, choose_encoding, choose_newline, errors_for
from budgetcli.statements.vocabulary import (
    CARD_PAYMENT_TEXT,
    CREDIT_WORDS,
    DAY_FIRST_DATE_HEADER,
    DEBIT_WORDS,
    DECLINED_WORDS,
    DONE_WORDS,
    INCOME_TEXT,
    PENDING_WORDS,
    SINGLE_LETTERS,
    currency_in_header,
    role_ranks,
)

SAMPLE_BYTES = 64 * 1024
HEADER_SEARCH = 80  # records searched for the header row
PROFILE_ROWS = 1000  # data rows whose cells decide the columns' roles
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": ",", ";": ";", "\t": "\t", "\\t": "\t", "tab": "\t", "|": "|"}
_CURRENCY_CELL = re.compile(r"^[A-Z]{3}$")
_STATUS_WORDS = PENDING_WORDS | DECLINED_WORDS | DONE_WORDS
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.]\d{2,4}\b")


@dataclass
class _Record:
    line: int
    cells: list[str]


@dataclass
class _Profile:
    """What one column holds across the sample's data rows."""

    nonempty: int = 0
    dates: int = 0
    money: int = 0
    monetary: int = 0  # money with a decimal part, a sign or a currency
    negatives: int = 0
    marks: set[str] = field(default_factory=set)
    ambiguous_separators: int = 0
    values: Counter[str] = field(default_factory=Counter)
    length: int = 0

    def share(self, count: int) -> float:
        return count / self.nonempty if self.nonempty else 0.0


@dataclass
class _Sample:
    head_text: str
    lines: list[str]
    at_end: bool
    start: int


def detect(source: BinaryIO | bytes, overrides: Overrides | None = None) -> Layout:
    """The layout of a statement file, from its first byte; LayoutQuestion when unsure.

    `source` is bytes or a seekable binary stream at the file's start; detection may
    read it to the end (the caller seeks back before `read_rows`).
    """
    overrides = overrides or Overrides()
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    start = stream.tell()
    head = stream.read(SAMPLE_BYTES)
    if _looks_like_ofx(head):
        from budgetcli.statements.ofx import ofx_layout

        return ofx_layout()
    _refuse_other_formats(head)
    return _Detection(stream, start, head, overrides).run()


def layout_fingerprint(source: BinaryIO | bytes, overrides: Overrides | None = None) -> str:
    """The fingerprint of a file's layout (header cells and delimiter) without the rest
    of detection, so a stored profile can be found before anything else is asked."""
    overrides = overrides or Overrides()
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    start = stream.tell()
    head = stream.read(SAMPLE_BYTES)
    if _looks_like_ofx(head):
        return fingerprint("ofx", "", None, 0)
    _refuse_other_formats(head)
    return _Detection(stream, start, head, overrides).fingerprint_only()


def _refuse_other_formats(head: bytes) -> None:
    start = head[:256].lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"<?xml") or start.startswith(b"<Document"):
        kind = "a CAMT (ISO 20022) statement" if b"camt.05" in head else "XML"
        raise InvalidInput(
            f"the file is {kind}, which is not read: export the statement as CSV or OFX"
        )
    if start[:6].lower() == b"!type:" or start[:8].lower() == b"!option:":
        raise InvalidInput("the file is QIF, which is not read: export the statement as CSV or OFX")
    if start.startswith(b"%PDF") or start.startswith(b"PK\x03\x04"):
        raise InvalidInput(
            "the file is a PDF or a spreadsheet, not text: export the statement as CSV or OFX"
        )


def _looks_like_ofx(head: bytes) -> bool:
    start = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return start.startswith(b"OFXHEADER") or (
        (start.startswith(b"<?XML") or start.startswith(b"<OFX")) and b"<OFX" in head.upper()
    )


class _Detection:
    def __init__(self, stream: BinaryIO, start: int, head: bytes, overrides: Overrides) -> None:
        self.stream = stream
        self.start = start
        self.head = head
        self.overrides = overrides
        self.at_end = len(head) < SAMPLE_BYTES
        self.reasons: dict[str, str] = {}
        self.guessed: list[str] = []
        _check_overrides(overrides)

    # -- stages 1-3 ------------------------------------------------------------------

    def _text_and_table(self) -> tuple[str, str, str, list[_Record], int | None]:
        encoding, why = choose_encoding(
            self.head, None if self.at_end else self.stream, self.overrides.encoding
        )
        self.reasons["encoding"] = why
        decoder = codecs.getincrementaldecoder(encoding)(errors=errors_for(encoding))
        try:
            text = decoder.decode(self.head, final=self.at_end)
        except UnicodeDecodeError as exc:
            raise LayoutQuestion(
                "encoding", f"the file is not {encoding} text ({exc.reason}): give its encoding"
            ) from None
        newline = choose_newline(text)
        if not self.at_end and newline in text:
            text = text[: text.rindex(newline) + 1]
        lines = [line.rstrip("\r") for line in text.split(newline)]
        if lines and lines[-1] == "":
            lines.pop()
        self.sample_lines = len(lines)
        delimiter = self._delimiter(lines)
        records = _records(lines, delimiter)
        header_at = self._header(records)
        return encoding, newline, delimiter, records, header_at

    def _delimiter(self, lines: list[str]) -> str:
        given = self.overrides.delimiter
        if given is not None:
            self.reasons["delimiter"] = "given"
            return DELIMITER_NAMES[given.strip(" ").lower()] if given != "\t" else "\t"
        nonblank = [line + "\n" for line in lines if line.strip()][:400]
        best: tuple[int, str, int, int] = (0, ",", 0, 0)
        for delimiter in DELIMITERS:
            counts = Counter(
                len(cells) for cells in csv.reader(nonblank, delimiter=delimiter) if cells
            )
            for width, lines_with in counts.items():
                score = lines_with * (width - 1)
                if score > best[0]:
                    best = (score, delimiter, lines_with, width)
        if best[0] == 0:
            raise LayoutQuestion(
                "delimiter",
                "no line of the file has two fields with ',', ';', tab or '|' between them: "
                "give the delimiter, or check that the file is a statement export",
            )
        _, delimiter, lines_with, width = best
        shown = "tab" if delimiter == "\t" else repr(delimiter)
        self.reasons["delimiter"] = f"{lines_with} lines have {width} fields split by {shown}"
        return delimiter

    def _header(self, records: list[_Record]) -> int | None:
        """The index of the header record in `records`, None when there is none.

        Also sets `self.first_data`: the index of the first record after the header.
        """
        overrides = self.overrides
        no_header = overrides.no_header or bool(overrides.column_names)
        if overrides.skip_lines is not None:
            after = [i for i, r in enumerate(records) if r.line > overrides.skip_lines]
            if not after:
                raise LayoutQuestion(
                    "skip_lines", f"the file has only {self.sample_lines} lines: skip fewer"
                )
            self.reasons["header"] = "given"
            if no_header:
                self.first_data = after[0]
                return None
            header_at = next((i for i in after if _nonblank(records[i].cells) >= 2), after[0])
            self.first_data = header_at + 1
            return header_at
        if not no_header:
            named = self._named_header(records)
            if named is not None:
                self.first_data = named + 1
                return named
        first = self._first_data_record(records)
        if no_header:
            self.first_data = first
            self.reasons["header"] = "given: no header row"
            return None
        previous = next((i for i in range(first - 1, -1, -1) if _nonblank(records[i].cells)), None)
        if previous is not None and _is_text_row(records[previous].cells, records[first].cells):
            self.first_data = first
            self.reasons["header"] = "the text row before the first row with a date and amount"
            self.guessed.append("header")
            return previous
        self.first_data = first
        self.reasons["header"] = "no row names the columns; the data starts with a date"
        return None

    def _named_header(self, records: list[_Record]) -> int | None:
        best: tuple[int, int] | None = None
        for index, record in enumerate(records[:HEADER_SEARCH]):
            roles: set[Role] = set()
            score = 0
            for cell in record.cells:
                ranks = role_ranks(normalise_name(cell))
                if ranks and not date_shape(cell) and money_parts(cell) is None:
                    roles.update(ranks)
                    score += 1
            has_money = roles & {Role.AMOUNT, Role.DEBIT, Role.CREDIT}
            if Role.DATE in roles and has_money and (best is None or score > best[0]):
                best = (score, index)
        if best is None:
            return None
        self.reasons["header"] = f"line {records[best[1]].line} names the columns"
        return best[1]

    def _first_data_record(self, records: list[_Record]) -> int:
        data_like = [_is_data_like(r.cells) for r in records]
        for index, is_data in enumerate(data_like):
            if not is_data:
                continue
            following = [i for i in range(index + 1, len(records)) if _nonblank(records[i].cells)]
            window = following[:5]
            if not window or sum(data_like[i] for i in window) * 2 >= len(window):
                return index
        raise LayoutQuestion(
            "skip_lines",
            "no line of the file has a date and an amount, so the transactions cannot be "
            "found: check that the file is a statement export, or give the lines to skip "
            "before the header",
        )

    def fingerprint_only(self) -> str:
        _, _, delimiter, records, header_at = self._text_and_table()
        header = tuple(records[header_at].cells) if header_at is not None else None
        data = [r for r in records[self.first_data :] if _nonblank(r.cells)]
        return fingerprint("csv", delimiter, header, _width(data, header))

    # -- stages 4-6 ------------------------------------------------------------------

    def run(self) -> Layout:
        encoding, newline, delimiter, records, header_at = self._text_and_table()
        self.encoding, self.newline, self.delimiter = encoding, newline, delimiter
        header = tuple(records[header_at].cells) if header_at is not None else None
        data = [r for r in records[self.first_data :] if _nonblank(r.cells)]
        if not data:
            raise LayoutQuestion("skip_lines", "the file has a header but no transactions")
        skip_lines = (
            records[header_at].line - 1
            if header_at is not None
            else records[self.first_data].line - 1
        )
        self.header = header
        self.data = data
        width = _width(data, header)
        names = self._names(header, width)
        profiles = _profiles(data[:PROFILE_ROWS], width)
        self.names, self.profiles = names, profiles
        columns = self._columns(names, profiles, len(data[:PROFILE_ROWS]))
        marks = self._decimal_marks(columns)
        date_format = self._date_format(columns, marks)
        currency = currency_in_header(names[columns.amount]) if columns.amount is not None else None
        layout = Layout(
            kind="csv",
            encoding=encoding,
            delimiter=delimiter,
            newline=newline,
            skip_lines=skip_lines,
            header=header,
            width=width,
            columns=columns,
            date_format=date_format,
            decimal_marks=marks,
            skip_patterns=self.overrides.skip_patterns,
            currency=currency,
        )
        layout = self._sign_rule(layout)
        layout = self._checked(layout)
        return layout

    def _names(self, header: tuple[str, ...] | None, width: int) -> list[str]:
        given = self.overrides.column_names
        source: Sequence[str] = given or header or ()
        names = [normalise_name(cell) for cell in source]
        return names + [""] * (width - len(names))

    def _given_columns(self, header: Sequence[str], width: int) -> dict[Role, int | None]:
        given: dict[Role, int | None] = {}
        for name, value in self.overrides.columns.items():
            role = Role(name)
            if value is None:
                given[role] = None
            elif isinstance(value, int):
                if not 1 <= value <= width:
                    raise LayoutQuestion(
                        f"columns.{name}", f"the file has {width} columns, not {value}"
                    )
                given[role] = value - 1
            else:
                given[role] = _find_column(value, header, name)
        return given

    def _columns(self, names: list[str], profiles: list[_Profile], rows: int) -> Columns:
        header_cells = self.overrides.column_names or self.header or ()
        given = self._given_columns(header_cells, len(names))
        ranks = [role_ranks(name) for name in names]
        taken: set[int] = {i for i in given.values() if i is not None}
        reasons = self.reasons

        def pick(role: Role, fits: Callable[[int], bool]) -> int | None:
            if role in given:
                return given[role]
            candidates = sorted((r[role], i) for i, r in enumerate(ranks) if role in r)
            for _, index in candidates:
                if index not in taken and fits(index):
                    taken.add(index)
                    return index
            return None

        def is_date(i: int) -> bool:
            return profiles[i].nonempty > 0 and profiles[i].share(profiles[i].dates) >= 0.5

        def is_money(i: int) -> bool:
            # Named a money column: a few bad cells are bad rows, not another role.
            p = profiles[i]
            return p.nonempty == 0 or p.share(p.money) >= 0.5

        date_at = pick(Role.DATE, is_date)
        if date_at is None:
            date_at = next(
                (
                    i
                    for i, p in enumerate(profiles)
                    if i not in taken and p.share(p.dates) >= 0.8 and p.nonempty * 2 >= rows
                ),
                None,
            )
            if date_at is None:
                raise LayoutQuestion(
                    "columns.date",
                    "no column holds dates in every row: name the date column",
                )
            taken.add(date_at)
            reasons["date"] = "the column that holds dates"
        amount_at = pick(Role.AMOUNT, is_money)
        debit_at = pick(Role.DEBIT, is_money)
        credit_at = pick(Role.CREDIT, is_money)
        if amount_at is not None and (debit_at is not None or credit_at is not None):
            amount_empty = profiles[amount_at].nonempty == 0
            if Role.AMOUNT not in given and amount_empty:
                taken.discard(amount_at)
                amount_at = None
            elif Role.DEBIT not in given and Role.CREDIT not in given:
                taken.difference_update({debit_at, credit_at})
                debit_at = credit_at = None
            elif Role.AMOUNT not in given:
                taken.discard(amount_at)
                amount_at = None
        balance_at = pick(Role.BALANCE, is_money)
        if amount_at is None and debit_at is None and credit_at is None:
            amount_at, balance_at = self._money_by_content(profiles, taken, balance_at)
        direction_at = None
        self.direction_values: tuple[set[str], bool] | None = None
        if amount_at is not None:
            direction_at = self._direction(ranks, profiles, taken, given)
        currency_at = pick(
            Role.CURRENCY,
            lambda i: (
                profiles[i].nonempty > 0
                and all(_CURRENCY_CELL.match(v.upper()) for v in profiles[i].values)
            ),
        )
        status_at = pick(
            Role.STATUS,
            lambda i: profiles[i].nonempty > 0 and set(profiles[i].values) <= _STATUS_WORDS,
        )
        bank_id_at = pick(Role.BANK_ID, lambda i: profiles[i].nonempty >= 0.9 * rows)
        category_at = pick(Role.CATEGORY, lambda i: True)
        payee_at = pick(Role.PAYEE, lambda i: profiles[i].share(profiles[i].money) < 0.9)
        description = self._descriptions(ranks, profiles, taken, given, rows, payee_at)
        return Columns(
            date=date_at,
            amount=amount_at,
            debit=debit_at,
            credit=credit_at,
            direction=direction_at,
            balance=balance_at,
            description=description,
            payee=payee_at,
            category=category_at,
            bank_id=bank_id_at,
            currency=currency_at,
            status=status_at,
        )

    def _money_by_content(
        self, profiles: list[_Profile], taken: set[int], balance_at: int | None
    ) -> tuple[int | None, int | None]:
        """(amount, balance) of a file whose header names no amount column."""
        money = [
            i
            for i, p in enumerate(profiles)
            if i not in taken
            and p.nonempty
            and p.share(p.money) >= 0.9
            and p.share(p.monetary) >= 0.5
        ]
        if balance_at is None and len(money) == 2:
            for amount_at, candidate in (money, money[::-1]):
                chain = BalanceChain(True)
                for record in self.data:
                    amount = _loose_money(_cell(record.cells, amount_at))
                    if amount is None:
                        chain.interrupt()
                        continue
                    chain.add(record.line, amount, _loose_money(_cell(record.cells, candidate)))
                proof = chain.proof("")
                if proof.status is ProofStatus.PROVEN:
                    taken.update(money)
                    self.reasons["amount"] = "the money column whose sum the other one follows"
                    self.reasons["balance"] = "a running balance of the amounts"
                    return amount_at, candidate
        if len(money) == 1:
            taken.add(money[0])
            self.reasons["amount"] = "the only column that holds amounts of money"
            self.guessed.append("columns")
            return money[0], balance_at
        found = ", ".join(self._column_text(i) for i in money) or "none"
        raise LayoutQuestion(
            "columns.amount",
            f"cannot tell which column is the amount (columns with amounts: {found}): name "
            "the amount column, or the debit and credit columns",
        )

    def _column_text(self, index: int) -> str:
        header = self.overrides.column_names or self.header
        if header and index < len(header) and header[index].strip():
            return repr(header[index].strip())
        return f"column {index + 1}"

    def _direction(
        self,
        ranks: list[dict[Role, int]],
        profiles: list[_Profile],
        taken: set[int],
        given: Mapping[Role, int | None],
    ) -> int | None:
        if Role.DIRECTION in given:
            index = given[Role.DIRECTION]
            if index is not None:
                values = set(profiles[index].values)
                self.direction_values = (values, profiles[index].nonempty < len(self.data))
            return index
        named = [i for i, r in enumerate(ranks) if Role.DIRECTION in r and i not in taken]
        others = [i for i in range(len(profiles)) if i not in taken and i not in named]
        for index in named + others:
            profile = profiles[index]
            values = set(profile.values)
            if not values or not values <= DEBIT_WORDS | CREDIT_WORDS:
                continue
            both_sides = bool(values & DEBIT_WORDS) and bool(values & CREDIT_WORDS)
            blanks = profile.nonempty < len(self.data[:PROFILE_ROWS])
            if values <= SINGLE_LETTERS and not both_sides and index not in named:
                continue
            if not both_sides and not blanks and index not in named:
                continue
            taken.add(index)
            self.direction_values = (values, blanks)
            return index
        return None

    def _descriptions(
        self,
        ranks: list[dict[Role, int]],
        profiles: list[_Profile],
        taken: set[int],
        given: Mapping[Role, int | None],
        rows: int,
        payee_at: int | None,
    ) -> tuple[int, ...]:
        if Role.DESCRIPTION in given:
            index = given[Role.DESCRIPTION]
            return () if index is None else (index,)
        named = [i for i, r in enumerate(ranks) if Role.DESCRIPTION in r and i not in taken]
        if rows >= 2 and len(named) > 1:
            # A column with one value in every row (the account's name) tells nothing.
            varying = [
                i for i in named if len(profiles[i].values) != 1 or profiles[i].nonempty < rows
            ]
            named = varying or named[:1]
        if named:
            taken.update(named)
            return tuple(named)
        if payee_at is not None:
            return ()
        texts = [
            i
            for i, p in enumerate(profiles)
            if i not in taken and p.nonempty and p.share(p.money) < 0.5 and p.share(p.dates) < 0.5
        ]
        if not texts:
            return ()
        longest = max(texts, key=lambda i: profiles[i].length / max(profiles[i].nonempty, 1))
        taken.add(longest)
        self.guessed.append("description")
        return (longest,)

    def _decimal_marks(self, columns: Columns) -> dict[str, str]:
        given = self.overrides.decimal_mark
        marks: dict[str, str] = {}
        undecided: list[Role] = []
        used = {role: getattr(columns, role.value) for role in MONEY_ROLES}
        used = {role: index for role, index in used.items() if index is not None}
        for role, index in used.items():
            if given:
                marks[role.value] = given
                self.reasons[role.value] = "given"
                continue
            profile = self.profiles[index]
            if len(profile.marks) > 1:
                raise LayoutQuestion(
                    "decimal_mark",
                    f"{self._column_text(index)} has amounts with a decimal point and "
                    "amounts with a decimal comma: give the decimal mark",
                )
            if profile.marks:
                marks[role.value] = next(iter(profile.marks))
                self.reasons[role.value] = f"{_mark_name(marks[role.value])} in the amounts"
            else:
                undecided.append(role)
        if undecided and not self.at_end:
            rest = self._scan_rest(columns.date, [used[r] for r in undecided], need_dates=False)
            for role in list(undecided):
                found = rest.marks.get(used[role], set())
                if len(found) == 1:
                    marks[role.value] = next(iter(found))
                    self.reasons[role.value] = (
                        f"{_mark_name(marks[role.value])} in amounts further down the file"
                    )
                    undecided.remove(role)
        seen = set(marks.values())
        for role in undecided:
            index = used[role]
            profile = self.profiles[index]
            if len(seen) == 1:
                marks[role.value] = next(iter(seen))
                self.reasons[role.value] = f"{_mark_name(marks[role.value])} like the other amounts"
            elif not profile.ambiguous_separators:
                marks[role.value] = "."
                self.reasons[role.value] = "whole numbers"
            else:
                raise LayoutQuestion(
                    "decimal_mark",
                    f"amounts in {self._column_text(index)} like 1,250 or 1.250 could be "
                    "thousands or decimals and no row tells which: give the decimal mark",
                )
        return marks

    def _date_format(self, columns: Columns, marks: Mapping[str, str]) -> str:
        date_at = columns.date
        name = self.names[date_at]
        cells = [
            _cell(r.cells, date_at)
            for r in self.data
            if normalise_name(_cell(r.cells, date_at)) not in PENDING_WORDS
        ]
        given = self.overrides.date_format
        if given:
            read = compile_date_format(given)
            readable = [c for c in cells if c.strip()]
            if readable and not any(read(c) for c in readable[:50]):
                raise LayoutQuestion(
                    "date_format",
                    f"the date format {given} does not match the dates in "
                    f"{self._column_text(date_at)}, such as {readable[0].strip()!r}",
                )
            self.reasons["date_format"] = "given"
            return given
        shapes: Counter[str] = Counter()
        details: list[tuple[str, dict[str, str], str]] = []
        for cell in cells:
            shape = date_shape(cell)
            if shape is not None:
                shapes[shape[0]] += 1
                details.append((shape[0], shape[1], cell.strip()))
        if not shapes:
            example = next((c.strip() for c in cells if c.strip()), "")
            raise LayoutQuestion(
                "date_format",
                f"the dates in {self._column_text(date_at)} (like {example!r}) are in a form "
                "not recognised: give the date format",
            )
        kind = shapes.most_common(1)[0][0]
        chosen = [(groups, cell) for shape, groups, cell in details if shape == kind]
        separator = Counter(g.get("s", "") for g, _ in chosen).most_common(1)[0][0]
        if kind == "ymd":
            self.reasons["date_format"] = "year first"
            return f"%Y{separator}%m{separator}%d"
        if kind == "digits8":
            years = [int(g["a"][:4]) for g, _ in chosen]
            months = [int(g["a"][4:6]) for g, _ in chosen]
            if all(1900 <= y <= 2100 for y in years) and all(1 <= m <= 12 for m in months):
                self.reasons["date_format"] = "eight digits, year first"
                return "%Y%m%d"
            self.reasons["date_format"] = "eight digits, day first"
            return "%d%m%Y"
        year = "%Y" if all(len(g["c"]) == 4 for g, _ in chosen) else "%y"
        if kind == "day_month_name":
            month = "%b" if all(len(g["b"].rstrip(".")) <= 4 for g, _ in chosen) else "%B"
            self.reasons["date_format"] = "day, month name, year"
            return f"%d{separator}{month}{separator}{year}"
        if kind == "month_name_day":
            month = "%b" if all(len(g["b"].rstrip(".")) <= 4 for g, _ in chosen) else "%B"
            self.reasons["date_format"] = "month name, day, year"
            return f"{month} %d{separator} {year}"
        return self._day_or_month_first(chosen, separator, year, name, marks, date_at)

    def _day_or_month_first(
        self,
        chosen: list[tuple[dict[str, str], str]],
        separator: str,
        year: str,
        name: str,
        marks: Mapping[str, str],
        date_at: int,
    ) -> str:
        day_first = f"%d{separator}%m{separator}{year}"
        month_first = f"%m{separator}%d{separator}{year}"
        first = max(chosen, key=lambda gc: int(gc[0]["a"]))
        second = max(chosen, key=lambda gc: int(gc[0]["b"]))
        max_first, max_second = int(first[0]["a"]), int(second[0]["b"])
        if max_first <= 12 and max_second <= 12 and not self.at_end:
            rest = self._scan_rest(date_at, [], need_dates=True)
            if rest.max_first > 12 or rest.max_second > 12:
                max_first, max_second = rest.max_first, rest.max_second
                first = second = ({}, rest.example)
        if max_first > 12 and max_second > 12:
            raise LayoutQuestion(
                "date_format",
                f"dates in {self._column_text(date_at)} disagree on the order of day and month "
                f"({first[1]!r} and {second[1]!r}): give the date format",
            )
        if max_first > 12:
            self.reasons["date_format"] = f"day first: {first[1]!r} has no month {max_first}"
            return day_first
        if max_second > 12:
            self.reasons["date_format"] = f"month first: {second[1]!r} has no month {max_second}"
            return month_first
        if separator == ".":
            self.reasons["date_format"] = "day first: dates written with dots are day-first"
            return day_first
        if DAY_FIRST_DATE_HEADER.fullmatch(name):
            self.reasons["date_format"] = (
                f"day first: the date column is named in a language that writes the day "
                f"first ({self._column_text(date_at)})"
            )
            return day_first
        if "," in marks.values():
            self.reasons["date_format"] = "day first: amounts use a decimal comma"
            return day_first
        ordered = [
            fmt
            for fmt in (day_first, month_first)
            if _in_date_order([cell for _, cell in chosen], fmt)
        ]
        if len(ordered) == 1:
            order = "day first" if ordered[0] == day_first else "month first"
            self.reasons["date_format"] = f"{order}: only then are the rows in date order"
            return ordered[0]
        example = chosen[0][1]
        raise LayoutQuestion(
            "date_format",
            f"every date in the file (like {example!r}) could be day-first or month-first: "
            f"give the date format, {day_first} or {month_first}",
        )

    @dataclass
    class _Rest:
        max_first: int = 0
        max_second: int = 0
        example: str = ""
        marks: dict[int, set[str]] = field(default_factory=dict)

    def _scan_rest(self, date_at: int, money_at: list[int], need_dates: bool) -> _Rest:
        """Evidence from the file after the sample, cheaply: dates by one regular expression
        over the text (only the lines it finds are split as CSV), amounts by csv alone."""
        rest = self._Rest()
        self.stream.seek(self.start)
        blocks = self._blocks_after_sample()
        if need_dates and not money_at:
            self._scan_dates(blocks, date_at, rest)
            return rest
        lines = (line for block in blocks for line in io.StringIO(block))
        for cells in csv.reader(lines, delimiter=self.delimiter):
            if need_dates and date_at < len(cells):
                self._date_evidence(cells[date_at], rest)
            for index in money_at:
                if index < len(cells):
                    parts = money_parts(cells[index])
                    if parts is not None:
                        mark = mark_evidence(parts[1])
                        if mark:
                            rest.marks.setdefault(index, set()).add(mark)
            done_dates = not need_dates or rest.max_first > 12 or rest.max_second > 12
            if done_dates and all(i in rest.marks for i in money_at):
                break
        return rest

    def _blocks_after_sample(self) -> Iterator[str]:
        to_skip = self.sample_lines
        for block in Lines(self.stream, self.encoding, self.newline).blocks():
            if to_skip:
                lines_here = block.count("\n")
                if lines_here <= to_skip:
                    to_skip -= lines_here
                    continue
                position = 0
                for _ in range(to_skip):
                    position = block.index("\n", position) + 1
                block, to_skip = block[position:], 0
            yield block

    def _scan_dates(self, blocks: Iterator[str], date_at: int, rest: _Rest) -> None:
        delimiter = re.escape(self.delimiter)
        # A date cell with a day over 12 in either place; rows it finds are checked as CSV.
        big = r"(?:1[3-9]|[23]\d)"
        small = r"\d{1,2}"
        candidate = re.compile(
            rf'^(?:[^{delimiter}\n]*{delimiter}){{{date_at}}}\s*"?\s*'
            rf"(?:{big}[-/.]{small}|{small}[-/.]{big})[-/.]\d{{2,4}}",
            re.MULTILINE,
        )
        for block in blocks:
            for match in candidate.finditer(block):
                line_end = block.find("\n", match.start())
                line = block[match.start() : line_end if line_end >= 0 else None]
                cells = next(csv.reader([line], delimiter=self.delimiter), [])
                if date_at < len(cells):
                    self._date_evidence(cells[date_at], rest)
                    if rest.max_first > 12 or rest.max_second > 12:
                        return

    @staticmethod
    def _date_evidence(cell: str, rest: _Rest) -> None:
        match = _NUMERIC_DATE.match(cell)
        if match:
            first, second = int(match[1]), int(match[2])
            if (first > 12 or second > 12) and not rest.example:
                rest.example = cell.strip()
            rest.max_first = max(rest.max_first, first)
            rest.max_second = max(rest.max_second, second)

    def _sign_rule(self, layout: Layout) -> Layout:
        overrides = self.overrides
        columns = layout.columns
        given = SignRule(overrides.sign_rule) if overrides.sign_rule is not None else None
        if overrides.debit_value is not None or overrides.credit_value is not None:
            if columns.direction is None:
                raise LayoutQuestion(
                    "columns.direction",
                    "a debit or credit value was given, but the file has no direction column "
                    "found: name it",
                )
            debit: tuple[str, ...] = ()
            credit: tuple[str, ...] = ()
            if overrides.debit_value:
                debit = (normalise_name(overrides.debit_value),)
            if overrides.credit_value:
                credit = (normalise_name(overrides.credit_value),)
            self.reasons["direction"] = "given"
            return self._with(layout, SignRule.DIRECTION, "given", debit, credit)
        if given is not None:
            needs = {
                SignRule.DEBIT_CREDIT: columns.debit is not None or columns.credit is not None,
                SignRule.DIRECTION: columns.direction is not None and columns.amount is not None,
                SignRule.NEGATIVE_OUT: columns.amount is not None,
                SignRule.POSITIVE_OUT: columns.amount is not None,
            }
            if not needs[given]:
                raise LayoutQuestion(
                    "sign_rule",
                    f"the sign rule {given.value} needs columns the file does not have: name them",
                )
            if given is SignRule.DIRECTION:
                debit, credit = self._direction_sides()
                return self._with(layout, given, "given", debit, credit)
            return self._with(layout, given, "given")
        if columns.amount is None:
            if columns.debit is None and columns.credit is None:
                raise LayoutQuestion("columns.amount", "the file has no amount column: name it")
            return self._with(layout, SignRule.DEBIT_CREDIT, "separate debit and credit columns")
        signed = self._signed_amounts(layout)
        if columns.direction is not None:
            debit, credit = self._direction_sides()
            agreement = _direction_agrees(signed, debit, credit)
            if agreement is not None:
                why = f"{self._column_text(columns.direction)} says which way each amount goes"
                if agreement:
                    why += " (and the signs agree)"
                return self._with(layout, SignRule.DIRECTION, why, debit, credit)
            layout = _replace_columns(layout, direction=None)
        marked = self._debit_credit_marks(layout)
        if marked is not None:
            return self._with(layout, *marked)
        negatives = sum(1 for value, _, _ in signed if value < 0)
        positives = sum(1 for value, _, _ in signed if value > 0)
        if negatives == 0 and {"expense id", "created at"} <= set(self.names):
            return self._with(
                layout, SignRule.POSITIVE_OUT, "budgetcli's own export: every row is an expense"
            )
        if negatives > positives:
            return self._with(
                layout,
                SignRule.NEGATIVE_OUT,
                f"most amounts are negative ({negatives} of {negatives + positives})",
            )
        income = [line for value, text, line in signed if value > 0 and INCOME_TEXT.search(text)]
        card = [
            line for value, text, line in signed if value < 0 and CARD_PAYMENT_TEXT.search(text)
        ]
        if income and not card:
            return self._with(
                layout,
                SignRule.NEGATIVE_OUT,
                f"positive amounts are money received (line {income[0]})",
            )
        if card and not income:
            return self._with(
                layout,
                SignRule.POSITIVE_OUT,
                f"negative amounts are payments to the card (line {card[0]})",
            )
        if negatives == 0:
            what = "every amount is positive"
        else:
            what = f"the file has {positives} positive and {negatives} negative amounts"
        raise LayoutQuestion(
            "sign_rule",
            f"{what}, and nothing in the file tells whether it is an account statement "
            "(negative amounts are money out) or a card statement (positive amounts are "
            "charges): give the sign rule",
        )

    def _debit_credit_marks(self, layout: Layout) -> tuple[SignRule, str] | None:
        """The sign rule that amounts marked `DR` or `CR` imply for the unmarked ones."""
        at = layout.columns.amount
        marks = {debit_or_credit(_cell(record.cells, at)) for record in self.data[:PROFILE_ROWS]}
        if marks <= {0}:
            return None
        if 0 not in marks:
            return SignRule.NEGATIVE_OUT, "every amount says DR (money out) or CR (money in)"
        if marks == {0, 1}:
            return SignRule.POSITIVE_OUT, "amounts marked CR are money in, the others charges"
        if marks == {0, -1}:
            return SignRule.NEGATIVE_OUT, "amounts marked DR are money out, the others money in"
        return None

    def _with(
        self,
        layout: Layout,
        rule: SignRule,
        why: str,
        debit: tuple[str, ...] = (),
        credit: tuple[str, ...] = (),
    ) -> Layout:
        self.reasons["sign_rule"] = why
        return _replace(layout, sign_rule=rule, debit_values=debit, credit_values=credit)

    def _direction_sides(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self.direction_values is None:
            return (), ()
        values, blanks = self.direction_values
        debit = tuple(sorted(values & DEBIT_WORDS))
        credit = tuple(sorted(values & CREDIT_WORDS))
        if blanks and not debit:
            debit = ("",)
        elif blanks and not credit:
            credit = ("",)
        return debit, credit

    def _signed_amounts(self, layout: Layout) -> list[tuple[Decimal, str, int]]:
        """(amount as written, row text, line) of the sample's rows with a non-zero amount.

        The row text ends with the direction cell after a \\x1f.
        """
        reader = RowReader(_replace(layout, sign_rule=SignRule.NEGATIVE_OUT))
        columns = layout.columns
        text_at = [*columns.description, *([columns.payee] if columns.payee is not None else [])]
        found: list[tuple[Decimal, str, int]] = []
        for record in self.data[:PROFILE_ROWS]:
            _, delta = reader.read(record.line, record.cells)
            if delta:
                text = " ".join([_cell(record.cells, i) for i in text_at])
                direction = _cell(record.cells, columns.direction)
                found.append((delta, f"{text}\x1f{normalise_name(direction)}", record.line))
        return found

    def _checked(self, layout: Layout) -> Layout:
        """The layout with its proof; LayoutQuestion if the sample says it is wrong."""
        reader = RowReader(layout)
        chain = BalanceChain(layout.columns.balance is not None)
        read = bad = 0
        first_bad: BadRow | None = None
        ids: list[str] = []
        for record in self.data:
            outcome, delta = reader.read(record.line, record.cells)
            if outcome is None or isinstance(outcome, Undated):
                continue
            read += 1
            if isinstance(outcome, BadRow):
                bad += 1
                first_bad = first_bad or outcome
                chain.interrupt()
                continue
            if delta is not None:
                chain.add(record.line, delta, reader.balance(record.cells))
            if isinstance(outcome, StatementRow) and outcome.bank_id:
                ids.append(outcome.bank_id)
            elif isinstance(outcome, SkippedRow) and layout.columns.bank_id is not None:
                ids.append(_cell(record.cells, layout.columns.bank_id).strip())
        if first_bad is not None and bad * 2 > read:
            raise LayoutQuestion(
                "columns",
                f"most rows cannot be read as detected (line {first_bad.line}: "
                f"{first_bad.error}): name the columns or give the formats",
            )
        balance_at = layout.columns.balance
        proof = chain.proof(self._column_text(balance_at) if balance_at is not None else "")
        if proof.status is ProofStatus.CONTRADICTED:
            raise LayoutQuestion(
                "columns.balance",
                f"the rows as read do not add up: {proof.detail}. Check that the file is a "
                "whole statement, name the amount columns, or say the file has no balance "
                "column",
            )
        guessed = tuple(dict.fromkeys(self.guessed))
        unique = bool(ids) and len(set(ids)) == len(ids) and all(ids)
        return _replace(
            layout,
            proof=proof,
            reasons=dict(self.reasons),
            guessed=guessed,
            bank_id_unique=unique,
        )


def _replace(layout: Layout, **changes: object) -> Layout:
    from dataclasses import replace

    return replace(layout, **changes)  # type: ignore[arg-type]


def _replace_columns(layout: Layout, **changes: object) -> Layout:
    from dataclasses import replace

    return replace(layout, columns=replace(layout.columns, **changes))  # type: ignore[arg-type]


def _direction_agrees(
    signed: list[tuple[Decimal, str, int]], debit: tuple[str, ...], credit: tuple[str, ...]
) -> bool | None:
    """True if signs and direction split the rows alike, False if the amounts are unsigned,
    None if they disagree (so the column is no direction column)."""
    if not any(value < 0 for value, _, _ in signed):
        return False
    negative_by_side: dict[bool, set[bool]] = {True: set(), False: set()}
    for value, text, _ in signed:
        direction = text.rpartition("\x1f")[2]
        if direction in debit:
            is_debit = True
        elif direction in credit or not credit:
            is_debit = False
        elif not debit:
            is_debit = True
        else:
            return None
        negative_by_side[is_debit].add(value < 0)
    if any(len(signs) > 1 for signs in negative_by_side.values()):
        return None
    if negative_by_side[True] and negative_by_side[True] == negative_by_side[False]:
        return None
    return True


def _records(lines: list[str], delimiter: str) -> list[_Record]:
    reader = csv.reader((line + "\n" for line in lines), delimiter=delimiter)
    records: list[_Record] = []
    ended = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            ended = reader.line_num
            continue
        records.append(_Record(ended + 1, cells))
        ended = reader.line_num
    return records


def _width(data: list[_Record], header: tuple[str, ...] | None) -> int:
    return max(max((len(r.cells) for r in data), default=0), len(header or ()))


def _nonblank(cells: Iterable[str]) -> int:
    return sum(1 for cell in cells if cell.strip())


def _is_data_like(cells: list[str]) -> bool:
    dates = [i for i, c in enumerate(cells) if date_shape(c)]
    if not dates:
        return False
    return any(
        i not in dates and c.strip() and money_parts(c) is not None and _loose_money(c) is not None
        for i, c in enumerate(cells)
    )


def _is_text_row(cells: list[str], data_cells: list[str]) -> bool:
    filled = [c for c in cells if c.strip()]
    return (
        len(filled) >= 2
        and len(cells) >= _nonblank(data_cells) - 1
        and not any(date_shape(c) or money_parts(c) is not None for c in filled)
    )


def _profiles(data: list[_Record], width: int) -> list[_Profile]:
    profiles = [_Profile() for _ in range(width)]
    for record in data:
        for index, cell in enumerate(record.cells):
            text = unwrap_excel(cell).strip()
            if not text:
                continue
            profile = profiles[index]
            profile.nonempty += 1
            profile.length += len(text)
            if len(profile.values) < 60:
                profile.values[normalise_name(text)] += 1
            if date_shape(text):
                profile.dates += 1
            parts = money_parts(text)
            if parts is None:
                continue
            profile.money += 1
            negative, number = parts
            mark = mark_evidence(number)
            if mark:
                profile.marks.add(mark)
            elif either_mark(number):
                profile.ambiguous_separators += 1
            decimals = mark and len(number) - number.rfind(mark) - 1 <= 2
            if decimals or negative or text[:1] in "+-" or not text[0].isdigit():
                profile.monetary += 1
            if negative:
                profile.negatives += 1
    return profiles


def _loose_money(text: str) -> Decimal | None:
    from budgetcli.statements.cells import CellError, parse_money

    parts = money_parts(text)
    if parts is None:
        return None
    mark = mark_evidence(parts[1]) or "."
    try:
        return parse_money(text, mark)
    except CellError:
        return None


def _cell(cells: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return unwrap_excel(cells[index])


def _mark_name(mark: str) -> str:
    return "decimal comma" if mark == "," else "decimal point"


def _in_date_order(cells: list[str], date_format: str) -> bool:
    read = compile_date_format(date_format)
    days = [read(cell) for cell in cells]
    if any(day is None for day in days) or len(set(days)) < 3:
        return False
    pairs = list(zip(days, days[1:], strict=False))
    return all(a <= b for a, b in pairs if a and b) or all(a >= b for a, b in pairs if a and b)


def _find_column(wanted: str, header: Sequence[str], role: str) -> int:
    target = wanted.strip().casefold()
    for index, cell in enumerate(header):
        if cell.strip().casefold() == target:
            return index
    for index, cell in enumerate(header):
        if normalise_name(cell) == normalise_name(wanted):
            return index
    found = ", ".join(repr(c.strip()) for c in header if c.strip()) or "no names"
    raise LayoutQuestion(f"columns.{role}", f"the header has no column {wanted!r} (it has {found})")


def _check_overrides(overrides: Overrides) -> None:
    for role in overrides.columns:
        if role not in {r.value for r in Role}:
            roles = ", ".join(r.value for r in Role)
            raise LayoutQuestion("columns", f"{role!r} is not a column role: use one of {roles}")
    delimiter = overrides.delimiter
    if delimiter is not None and delimiter != "\t":
        if delimiter.strip(" ").lower() not in DELIMITER_NAMES:
            raise LayoutQuestion("delimiter", f"{delimiter!r} must be ',', ';', tab or '|'")
    if overrides.sign_rule is not None and overrides.sign_rule not in {r.value for r in SignRule}:
        rules = ", ".join(r.value for r in SignRule)
        raise LayoutQuestion(
            "sign_rule", f"{overrides.sign_rule!r} is not a sign rule: use one of {rules}"
        )
    if overrides.decimal_mark is not None and overrides.decimal_mark not in (".", ","):
        raise LayoutQuestion("decimal_mark", "the decimal mark must be '.' or ','")
    if overrides.date_format is not None and "%" not in overrides.date_format:
        raise LayoutQuestion(
            "date_format", f"{overrides.date_format!r} is not a date format: write it like %d/%m/%Y"
        )
    if overrides.skip_lines is not None and overrides.skip_lines < 0:
        raise LayoutQuestion("skip_lines", "the number of lines to skip cannot be negative")
    for pattern in overrides.skip_patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise LayoutQuestion(
                "skip_patterns", f"{pattern!r} is not a regular expression ({exc})"
            ) from None
