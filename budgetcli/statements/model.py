"""What a statement file is made of: the layout, the overrides, and the rows read from it.

Everything here is plain data. A `Layout` goes to and from a JSON-able dict so that it
can be stored as a profile and reused for the next file from the same bank.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any

from budgetcli.errors import InvalidInput

LAYOUT_VERSION = 1


class LayoutQuestion(InvalidInput):
    """Detection cannot tell and will not guess: `field` names the override that answers.

    `field` is an `Overrides` field ("date_format", "sign_rule", "decimal_mark",
    "columns.amount", ...); the message says what is unclear and what to give.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class BadLayout(InvalidInput):
    """A stored or given layout that cannot be used (wrong shape, unknown values)."""


class SignRule(StrEnum):
    """How a row's amount tells money going out."""

    NEGATIVE_OUT = "negative_out"  # account statement: spending is negative
    POSITIVE_OUT = "positive_out"  # card statement: a charge is positive, a payment negative
    DEBIT_CREDIT = "debit_credit"  # money out and money in have a column each
    DIRECTION = "direction"  # a column says which way the (unsigned) amount goes


SIGN_RULE_TEXT = {
    SignRule.NEGATIVE_OUT: "negative amounts are money out (account statement)",
    SignRule.POSITIVE_OUT: "positive amounts are money out (card statement)",
    SignRule.DEBIT_CREDIT: "money out is in the debit column, money in in the credit column",
    SignRule.DIRECTION: "the direction column says which amounts are money out",
}


class SkipReason(StrEnum):
    CREDIT = "credit"  # money in
    ZERO = "zero amount"  # holds, unused rows
    PENDING = "pending"  # not booked yet
    DECLINED = "declined"  # declined, reverted, failed, cancelled
    PATTERN = "matches a skip pattern"
    SUMMARY = "summary line"  # text after the last transaction


class ProofStatus(StrEnum):
    PROVEN = "proven"  # every balance step agrees with the amounts as read
    PARTLY_PROVEN = "partly proven"  # some steps agree; the others break (rows left out?)
    UNPROVEN = "unproven"  # no usable running balance: the reading is a guess
    CONTRADICTED = "contradicted"  # the balance never moves by the amounts as read
    STANDARD = "standard"  # OFX: the format itself fixes dates and signs


class Role(StrEnum):
    DATE = "date"
    AMOUNT = "amount"
    DEBIT = "debit"
    CREDIT = "credit"
    DIRECTION = "direction"
    BALANCE = "balance"
    DESCRIPTION = "description"
    PAYEE = "payee"
    CATEGORY = "category"
    BANK_ID = "bank_id"
    CURRENCY = "currency"
    STATUS = "status"


MONEY_ROLES = (Role.AMOUNT, Role.DEBIT, Role.CREDIT, Role.BALANCE)


@dataclass(frozen=True)
class Overrides:
    """What the caller knows better than detection; every field left empty is detected.

    `columns` maps a role (see `Role`) to a header name, a 1-based column number, or
    None for "the file has no such column" (e.g. {"balance": None} skips the proof).
    `column_names` names the columns of a file without a header row (implies
    `no_header`). `skip_lines` counts the lines before the header row (or before the
    first data row without one). `debit_value`/`credit_value` say which value of the
    direction column means money out / in. `skip_patterns` are regular expressions; a
    row with a cell that matches one fully (ignoring case) is skipped.
    """

    encoding: str | None = None
    delimiter: str | None = None
    skip_lines: int | None = None
    no_header: bool = False
    column_names: tuple[str, ...] = ()
    columns: Mapping[str, str | int | None] = field(default_factory=dict)
    date_format: str | None = None
    decimal_mark: str | None = None
    sign_rule: SignRule | None = None
    debit_value: str | None = None
    credit_value: str | None = None
    skip_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Columns:
    """0-based positions of each role; None (or empty) where the file has no such column."""

    date: int
    amount: int | None = None
    debit: int | None = None
    credit: int | None = None
    direction: int | None = None
    balance: int | None = None
    description: tuple[int, ...] = ()
    payee: int | None = None
    category: int | None = None
    bank_id: int | None = None
    currency: int | None = None
    status: int | None = None

    def used(self) -> dict[Role, tuple[int, ...]]:
        found: dict[Role, tuple[int, ...]] = {}
        for role in Role:
            value = getattr(self, role.value)
            positions = value if isinstance(value, tuple) else (() if value is None else (value,))
            if positions:
                found[role] = positions
        return found


@dataclass(frozen=True)
class Proof:
    status: ProofStatus
    detail: str
    steps: int = 0  # balance steps checked
    agreeing: int = 0
    first_break_line: int | None = None


@dataclass(frozen=True)
class Layout:
    """How to read one bank's statement file; `reasons` says why each choice was made."""

    kind: str  # "csv" or "ofx"
    encoding: str
    delimiter: str = ","
    newline: str = "\n"
    skip_lines: int = 0
    header: tuple[str, ...] | None = None
    width: int = 0  # the most fields a row has
    columns: Columns = field(default_factory=lambda: Columns(date=0))
    date_format: str = "%Y-%m-%d"
    decimal_marks: Mapping[str, str] = field(default_factory=dict)  # money role -> "." or ","
    sign_rule: SignRule = SignRule.NEGATIVE_OUT
    debit_values: tuple[str, ...] = ()  # direction values, casefolded; "" for a blank cell
    credit_values: tuple[str, ...] = ()
    skip_patterns: tuple[str, ...] = ()
    currency: str | None = None  # from a header like "Betrag (EUR)"
    bank_id_unique: bool = False  # every row's bank id differed in the sample
    proof: Proof = field(default_factory=lambda: Proof(ProofStatus.UNPROVEN, "not checked"))
    reasons: Mapping[str, str] = field(default_factory=dict)
    guessed: tuple[str, ...] = ()  # choices made without evidence

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.kind, self.delimiter, self.header, self.width)

    def column_name(self, index: int) -> str:
        if self.header is not None and index < len(self.header) and self.header[index].strip():
            return repr(self.header[index].strip())
        return f"column {index + 1}"

    def describe(self) -> list[tuple[str, str]]:
        """The choices as (what, how) pairs for a person to check before importing."""
        return describe(self)

    def to_dict(self) -> dict[str, Any]:
        return layout_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Layout:
        return layout_from_dict(data)

    def as_overrides(self) -> Overrides:
        """Overrides that pin this layout's choices for another file from the same bank.

        The header line is found again (preambles vary in length) and the proof is redone.
        """
        columns: dict[str, str | int | None] = {}
        for role in Role:
            positions = self.columns.used().get(role, ())
            if role is Role.DESCRIPTION:
                continue
            columns[role.value] = positions[0] + 1 if positions else None
        return Overrides(
            encoding=self.encoding,
            delimiter=self.delimiter,
            no_header=self.header is None,
            columns=columns,
            date_format=self.date_format,
            decimal_mark=self.decimal_marks.get("amount") or self.decimal_marks.get("debit"),
            sign_rule=self.sign_rule,
            debit_value=self.debit_values[0] if len(self.debit_values) == 1 else None,
            credit_value=self.credit_values[0] if len(self.credit_values) == 1 else None,
            skip_patterns=self.skip_patterns,
        )


@dataclass(frozen=True)
class StatementRow:
    """One row of money going out. `amount` is positive."""

    line: int
    date: date
    amount: Decimal
    description: str
    payee: str | None = None
    category: str | None = None
    bank_id: str | None = None
    balance: Decimal | None = None
    currency: str | None = None

    @property
    def text(self) -> str:
        """Payee and description in one line, for an expense's description."""
        if self.payee and self.payee.casefold() not in self.description.casefold():
            return f"{self.payee} - {self.description}" if self.description else self.payee
        return self.description


@dataclass(frozen=True)
class SkippedRow:
    """A row that is not an expense (see `SkipReason`); not an error."""

    line: int
    reason: SkipReason
    detail: str = ""


@dataclass(frozen=True)
class BadRow:
    """A malformed row; `error` says what is wrong with it."""

    line: int
    error: str
    empty_amount: bool = False  # its amount cells are empty (a caller may skip such rows)


@lru_cache(maxsize=4096)
def normalise_name(text: str) -> str:
    """A header cell as compared: no accents, case or punctuation ('Débit' -> 'debit')."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return " ".join(words)


def fingerprint(kind: str, delimiter: str, header: tuple[str, ...] | None, width: int) -> str:
    """What identifies one bank's layout: its header cells and delimiter."""
    if kind != "csv":
        shape = kind
    elif header is None:
        shape = f"csv\x1f{delimiter}\x1fno header\x1f{width}"
    else:
        cells = [normalise_name(cell) for cell in header]
        while cells and not cells[-1]:
            cells.pop()
        shape = "\x1f".join(["csv", delimiter, *cells])
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


def describe(layout: Layout) -> list[tuple[str, str]]:
    def why(key: str) -> str:
        reason = layout.reasons.get(key)
        guess = " (a guess)" if key in layout.guessed else ""
        return f" ({reason}){guess}" if reason else guess

    if layout.kind == "ofx":
        return [
            ("format", "OFX"),
            ("sign rule", SIGN_RULE_TEXT[SignRule.NEGATIVE_OUT]),
            ("proof", f"{layout.proof.status}: {layout.proof.detail}"),
        ]
    names = layout.column_name
    lines: list[tuple[str, str]] = [
        ("encoding", f"{layout.encoding}{why('encoding')}"),
        ("delimiter", f"{_delimiter_text(layout.delimiter)}{why('delimiter')}"),
    ]
    if layout.header is None:
        lines.append(("header", f"none; data from line {layout.skip_lines + 1}{why('header')}"))
    else:
        shown = layout.header if len(layout.header) <= 12 else (*layout.header[:12], "...")
        cells = ", ".join(repr(cell) for cell in shown)
        lines.append(("header", f"line {layout.skip_lines + 1}: {cells}{why('header')}"))
    lines.append(
        ("date", f"{names(layout.columns.date)}, format {layout.date_format}{why('date_format')}")
    )
    for role in MONEY_ROLES:
        index = getattr(layout.columns, role.value)
        if index is not None:
            mark = layout.decimal_marks.get(role.value, ".")
            mark_text = "decimal comma" if mark == "," else "decimal point"
            lines.append((role.value, f"{names(index)}, {mark_text}{why(role.value)}"))
    if layout.columns.direction is not None:
        out = ", ".join(repr(v) for v in layout.debit_values) or "-"
        lines.append(("direction", f"{names(layout.columns.direction)}; money out: {out}"))
    lines.append(("sign rule", f"{SIGN_RULE_TEXT[layout.sign_rule]}{why('sign_rule')}"))
    for role in (
        Role.DESCRIPTION,
        Role.PAYEE,
        Role.CATEGORY,
        Role.BANK_ID,
        Role.CURRENCY,
        Role.STATUS,
    ):
        positions = layout.columns.used().get(role, ())
        if positions:
            lines.append((role.value.replace("_", " "), " + ".join(names(p) for p in positions)))
    if layout.skip_patterns:
        lines.append(("skip rows matching", ", ".join(repr(p) for p in layout.skip_patterns)))
    lines.append(("proof", f"{layout.proof.status}: {layout.proof.detail}"))
    return lines


def _delimiter_text(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else repr(delimiter)


def layout_to_dict(layout: Layout) -> dict[str, Any]:
    columns = {
        role.value: list(ps) if role is Role.DESCRIPTION else ps[0]
        for role, ps in layout.columns.used().items()
    }
    proof = layout.proof
    return {
        "version": LAYOUT_VERSION,
        "kind": layout.kind,
        "encoding": layout.encoding,
        "delimiter": layout.delimiter,
        "newline": layout.newline,
        "skip_lines": layout.skip_lines,
        "header": list(layout.header) if layout.header is not None else None,
        "width": layout.width,
        "columns": columns,
        "date_format": layout.date_format,
        "decimal_marks": dict(layout.decimal_marks),
        "sign_rule": layout.sign_rule.value,
        "debit_values": list(layout.debit_values),
        "credit_values": list(layout.credit_values),
        "skip_patterns": list(layout.skip_patterns),
        "currency": layout.currency,
        "bank_id_unique": layout.bank_id_unique,
        "proof": {
            "status": proof.status.value,
            "detail": proof.detail,
            "steps": proof.steps,
            "agreeing": proof.agreeing,
            "first_break_line": proof.first_break_line,
        },
        "reasons": dict(layout.reasons),
        "guessed": list(layout.guessed),
    }


def layout_from_dict(data: Mapping[str, Any]) -> Layout:
    """The inverse of `Layout.to_dict`; BadLayout when the dict is not one."""
    try:
        if data.get("version") != LAYOUT_VERSION:
            raise BadLayout(f"stored layout has version {data.get('version')!r}, not 1")
        raw_columns = data["columns"]
        column_values: dict[str, Any] = {}
        for name, value in raw_columns.items():
            role = Role(name)
            if role is Role.DESCRIPTION:
                column_values[name] = tuple(_index(v) for v in value)
            else:
                column_values[name] = _index(value)
        proof = data["proof"]
        header = data["header"]
        layout = Layout(
            kind=_choice(data["kind"], ("csv", "ofx")),
            encoding=_text(data["encoding"]),
            delimiter=_choice(data["delimiter"], (",", ";", "\t", "|")),
            newline=_choice(data["newline"], ("\n", "\r")),
            skip_lines=_index(data["skip_lines"]),
            header=tuple(_text(c) for c in header) if header is not None else None,
            width=_index(data["width"]),
            columns=Columns(**column_values),
            date_format=_text(data["date_format"]),
            decimal_marks={
                Role(k).value: _choice(v, (".", ",")) for k, v in data["decimal_marks"].items()
            },
            sign_rule=SignRule(data["sign_rule"]),
            debit_values=tuple(_text(v) for v in data["debit_values"]),
            credit_values=tuple(_text(v) for v in data["credit_values"]),
            skip_patterns=tuple(_text(v) for v in data["skip_patterns"]),
            currency=_text(data["currency"]) if data["currency"] is not None else None,
            bank_id_unique=bool(data["bank_id_unique"]),
            proof=Proof(
                status=ProofStatus(proof["status"]),
                detail=_text(proof["detail"]),
                steps=_index(proof["steps"]),
                agreeing=_index(proof["agreeing"]),
                first_break_line=(
                    _index(proof["first_break_line"])
                    if proof["first_break_line"] is not None
                    else None
                ),
            ),
            reasons={_text(k): _text(v) for k, v in data["reasons"].items()},
            guessed=tuple(_text(v) for v in data["guessed"]),
        )
    except BadLayout:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadLayout(f"stored layout is not valid ({type(exc).__name__}: {exc})") from None
    return layout


def _index(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a column position")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return value


def _choice(value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{value!r} is not one of {allowed}")
    return str(value)
