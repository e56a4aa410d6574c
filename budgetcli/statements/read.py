"""Read the rows of a statement with a known layout, streaming.

`read_rows` yields, in file order, a `StatementRow` for each row of money going out, a
`SkippedRow` for rows that are not expenses (credits, zero amounts, pending, declined,
summary lines after the last transaction, rows matching a skip pattern) and a `BadRow`
for rows that are malformed. Memory does not grow with the file: only rows that might be
a trailing summary are held back, and at most `MAX_HELD` of them.

The running balance, where the file has one, is checked on the way: `BalanceChain`
counts the steps where the balance moved by the row's amount (see `proof`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from budgetcli.statements.cells import (
    CellError,
    compile_date_format,
    debit_or_credit,
    parse_money,
)
from budgetcli.statements.model import (
    BadRow,
    Layout,
    Proof,
    ProofStatus,
    SignRule,
    SkippedRow,
    SkipReason,
    StatementRow,
    normalise_name,
)
from budgetcli.statements.text import Lines
from budgetcli.statements.vocabulary import DECLINED_WORDS, PENDING_WORDS

Row = StatementRow | SkippedRow | BadRow
MAX_HELD = 1000
_CONTROL = dict.fromkeys(range(32), " ") | {0x7F: " "}
ZERO = Decimal(0)
EMPTY = "empty"


@dataclass(frozen=True)
class Undated:
    """A row whose date cell is no date: an error, unless only summary lines follow it."""

    line: int
    error: str
    cells: tuple[str, ...]


Outcome = Row | Undated | None


class RowReader:
    """Turns one CSV record into an outcome under a layout; also used by detection."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        columns = layout.columns
        self._date_at = columns.date
        self._read_date = compile_date_format(layout.date_format)
        self._skip = [re.compile(p, re.IGNORECASE) for p in layout.skip_patterns]
        marks = layout.decimal_marks
        self._amount = (columns.amount, marks.get("amount", "."))
        self._debit = (columns.debit, marks.get("debit", "."))
        self._credit = (columns.credit, marks.get("credit", "."))
        self._balance = (columns.balance, marks.get("balance", "."))
        self._debit_values = frozenset(layout.debit_values)
        self._credit_values = frozenset(layout.credit_values)
        self._descriptions = columns.description
        self._shown_values = self._direction_values_text()

    def _direction_values_text(self) -> str:
        out = " or ".join(repr(v) for v in self.layout.debit_values) or "nothing"
        into = " or ".join(repr(v) for v in self.layout.credit_values) or "nothing"
        return f"money out is {out}, money in is {into}"

    def read(self, line: int, cells: Sequence[str]) -> tuple[Outcome, Decimal | None]:
        """(outcome, signed amount with money in positive) of one record."""
        if not "".join(cells).strip():
            return None, None
        layout = self.layout
        for pattern in self._skip:
            if any(pattern.fullmatch(cell.strip()) for cell in cells):
                return SkippedRow(line, SkipReason.PATTERN, pattern.pattern), None
        columns = layout.columns
        if columns.status is not None:
            status = normalise_name(_cell(cells, columns.status))
            if status in PENDING_WORDS:
                return SkippedRow(line, SkipReason.PENDING, _cell(cells, columns.status)), None
            if status in DECLINED_WORDS:
                return SkippedRow(line, SkipReason.DECLINED, _cell(cells, columns.status)), None
        date_text = _cell(cells, self._date_at)
        day = self._read_date(date_text)
        if day is None:
            if normalise_name(date_text) in PENDING_WORDS:
                return SkippedRow(line, SkipReason.PENDING, f"date {date_text.strip()!r}"), None
            if not date_text.strip():
                error = f"the date ({layout.column_name(self._date_at)}) is empty"
            else:
                error = f"date {_shown(date_text)} does not match the format {layout.date_format}"
            return Undated(line, error, tuple(cells)), None
        try:
            delta = self._signed_amount(cells)
        except CellError as exc:
            return BadRow(line, str(exc)), None
        if isinstance(delta, str):
            if delta.endswith(EMPTY) and self.balance(cells) is not None:
                return SkippedRow(line, SkipReason.SUMMARY, "a balance, no amount"), None
            return BadRow(line, delta, empty_amount=delta.endswith(EMPTY)), None
        if delta == ZERO:
            return SkippedRow(line, SkipReason.ZERO), delta
        if delta > ZERO:
            return SkippedRow(line, SkipReason.CREDIT, f"{delta} in"), delta
        currency = _cell(cells, columns.currency).strip() if columns.currency is not None else ""
        payee = _text(_cell(cells, columns.payee)) if columns.payee is not None else ""
        category = _text(_cell(cells, columns.category)) if columns.category is not None else ""
        bank_id = _cell(cells, columns.bank_id).strip() if columns.bank_id is not None else ""
        return (
            StatementRow(
                line=line,
                date=day,
                amount=-delta,
                description=self._description(cells),
                payee=payee or None,
                category=category or None,
                bank_id=bank_id or None,
                balance=self.balance(cells),
                currency=currency or layout.currency,
            ),
            delta,
        )

    def _signed_amount(self, cells: Sequence[str]) -> Decimal | str:
        rule = self.layout.sign_rule
        if rule is SignRule.DEBIT_CREDIT:
            debit = self._money(cells, self._debit)
            credit = self._money(cells, self._credit)
            if debit is None and credit is None:
                return f"the debit and credit cells are both {EMPTY}"
            return abs(credit or ZERO) - abs(debit or ZERO)
        value = self._money(cells, self._amount)
        if value is None:
            return f"the amount ({self.layout.column_name(self._amount[0] or 0)}) is {EMPTY}"
        if rule in (SignRule.NEGATIVE_OUT, SignRule.POSITIVE_OUT):
            marked = debit_or_credit(_cell(cells, self._amount[0]))
            if marked:
                return marked * abs(value)
            return value if rule is SignRule.NEGATIVE_OUT else -value
        direction_at = self.layout.columns.direction
        direction = normalise_name(_cell(cells, direction_at))
        if direction in self._debit_values:
            return -abs(value)
        if direction in self._credit_values:
            return abs(value)
        # One side given: every other value is the other side.
        if not self._credit_values:
            return abs(value)
        if not self._debit_values:
            return -abs(value)
        if value == ZERO:
            return ZERO
        shown = _cell(cells, direction_at).strip()
        return f"direction {shown!r} is neither money out nor in ({self._shown_values})"

    @staticmethod
    def _money(cells: Sequence[str], column: tuple[int | None, str]) -> Decimal | None:
        index, mark = column
        if index is None:
            return None
        return parse_money(_cell(cells, index), mark)

    def balance(self, cells: Sequence[str]) -> Decimal | None:
        if self._balance[0] is None:
            return None
        try:
            return self._money(cells, self._balance)
        except CellError:
            return None

    def _description(self, cells: Sequence[str]) -> str:
        parts: list[str] = []
        for index in self._descriptions:
            text = _text(_cell(cells, index))
            if text and text not in parts:
                parts.append(text)
        return " / ".join(parts)


def _cell(cells: Sequence[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    cell = cells[index]
    return cell[2:-1] if cell[:2] == '="' and cell[-1:] == '"' else cell


def unwrap_excel(cell: str) -> str:
    """'="0012"' -> '0012': how spreadsheets are told to keep a cell as text."""
    if cell[:2] == '="' and cell[-1:] == '"':
        return cell[2:-1]
    return cell


def _text(cell: str) -> str:
    # Banks put line breaks and tabs in memo fields: one line of text is what is kept.
    if cell.isprintable():
        if "  " not in cell and cell[:1] != " " and cell[-1:] != " ":
            return cell
        return " ".join(cell.split())
    return " ".join(cell.translate(_CONTROL).split())


def _shown(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= 40 else text[:40] + "...")


class BalanceChain:
    """Checks a running balance against the amounts, in both row orders at once.

    Oldest-first files show the balance after each row; newest-first files the same,
    read backwards. A row with a blank balance (Bank of Ireland prints one a day) adds
    its amount to the next step. Either sign of balance is accepted (a card's balance
    owed rises with a charge), but one sign for the whole file.
    """

    VARIANTS = (
        ("oldest first", 1),
        ("oldest first", -1),
        ("newest first", 1),
        ("newest first", -1),
    )

    def __init__(self, has_balance: bool) -> None:
        self.has_balance = has_balance
        self.steps = 0
        self.agreeing = [0, 0, 0, 0]
        self.first_break: list[int | None] = [None, None, None, None]
        self._previous: Decimal | None = None
        self._previous_delta = ZERO
        self._since = ZERO
        self._first_balance: Decimal | None = None
        self.changes = False

    def add(self, line: int, delta: Decimal, balance: Decimal | None) -> None:
        if balance is None:
            self._since += delta
            return
        if self._first_balance is None:
            self._first_balance = balance
        elif balance != self._first_balance:
            self.changes = True
        previous = self._previous
        if previous is not None:
            self.steps += 1
            oldest = self._since + delta
            newest = self._previous_delta + self._since
            checks = (
                balance == previous + oldest,
                balance == previous - oldest,
                previous == balance + newest,
                previous == balance - newest,
            )
            for variant, agrees in enumerate(checks):
                if agrees:
                    self.agreeing[variant] += 1
                elif self.first_break[variant] is None:
                    self.first_break[variant] = line
        self._previous, self._previous_delta, self._since = balance, delta, ZERO

    def interrupt(self) -> None:
        """A row whose amount is unknown: no step can be checked across it."""
        self._previous = None
        self._since = ZERO

    def proof(self, column: str) -> Proof:
        if not self.has_balance:
            return Proof(ProofStatus.UNPROVEN, "no running balance column: the reading is a guess")
        if self.steps == 0:
            return Proof(ProofStatus.UNPROVEN, f"fewer than two rows have a balance in {column}")
        if not self.changes:
            return Proof(
                ProofStatus.UNPROVEN,
                f"the balance in {column} never changes, so it is no running balance",
            )
        best = max(range(4), key=lambda v: self.agreeing[v])
        agreeing, order = self.agreeing[best], self.VARIANTS[best][0]
        first_break = self.first_break[best]
        if agreeing == self.steps:
            return Proof(
                ProofStatus.PROVEN,
                f"the balance in {column} moves by each row's amount "
                f"({self.steps} step{'s' if self.steps != 1 else ''}, {order})",
                self.steps,
                agreeing,
            )
        status = ProofStatus.PARTLY_PROVEN if agreeing else ProofStatus.CONTRADICTED
        detail = (
            f"the balance in {column} moves by the row's amount at {agreeing} of "
            f"{self.steps} steps ({order}); the first that does not is at line {first_break}"
        )
        if agreeing:
            detail += ": rows may be missing from the file"
        return Proof(status, detail, self.steps, agreeing, first_break)


class StatementReader:
    """Iterate for the rows; afterwards `proof` holds the whole file's balance check."""

    def __init__(self, source: BinaryIO | bytes, layout: Layout) -> None:
        self._stream = io.BytesIO(source) if isinstance(source, bytes) else source
        self.layout = layout
        self.chain = BalanceChain(layout.columns.balance is not None)

    @property
    def proof(self) -> Proof:
        if self.layout.kind != "csv":
            return self.layout.proof
        balance_at = self.layout.columns.balance
        return self.chain.proof(self.layout.column_name(balance_at or 0))

    def __iter__(self) -> Iterator[Row]:
        layout = self.layout
        if layout.kind == "ofx":
            from budgetcli.statements.ofx import read_ofx

            yield from read_ofx(self._stream)
            return
        lines = Lines(self._stream, layout.encoding, layout.newline)
        line_iter = iter(lines)
        skipped = layout.skip_lines + (1 if layout.header is not None else 0)
        for _ in range(skipped):
            if next(line_iter, None) is None:
                return
        reader = csv.reader(line_iter, delimiter=layout.delimiter)
        rows = RowReader(layout)
        chain = self.chain
        held: list[Undated] = []
        seen_dated = False
        ended = skipped
        while True:
            try:
                cells: list[str] | None = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                cells = None
                error = f"line {ended + 1} is not valid CSV ({exc})"
            line = ended + 1
            ended = skipped + reader.line_num
            if lines.undecodable and (bad := _undecodable(lines.undecodable, line, ended)):
                outcome: Outcome = BadRow(line, bad)
                delta = None
            elif cells is None:
                outcome, delta = BadRow(line, error), None
            else:
                outcome, delta = rows.read(line, cells)
            if outcome is None:
                continue
            if isinstance(outcome, Undated):
                held.append(outcome)
                if len(held) > MAX_HELD:
                    yield BadRow(held[0].line, held[0].error)
                    del held[0]
                continue
            if held:
                chain.interrupt()
                for undated in held:
                    if seen_dated:
                        yield BadRow(undated.line, undated.error)
                    else:
                        yield SkippedRow(undated.line, SkipReason.SUMMARY, "before the first row")
                held.clear()
            seen_dated = True
            if isinstance(outcome, BadRow):
                chain.interrupt()
            elif delta is not None:
                chain.add(
                    line,
                    delta,
                    outcome.balance
                    if isinstance(outcome, StatementRow)
                    else rows.balance(cells or []),
                )
            yield outcome
        for undated in held:
            yield SkippedRow(undated.line, SkipReason.SUMMARY, "after the last transaction")


def _undecodable(undecodable: dict[int, str], first: int, last: int) -> str | None:
    for line in range(first, last + 1):
        if line in undecodable:
            return undecodable[line]
    return None


def read_rows(source: BinaryIO | bytes, layout: Layout) -> Iterator[Row]:
    """The rows of `source` (from its current position: the file's first byte) read with
    `layout`. Use `StatementReader` to see the balance check afterwards."""
    return iter(StatementReader(source, layout))
