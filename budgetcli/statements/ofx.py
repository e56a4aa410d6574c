"""OFX and QFX statements (most North American banks), read with ofxtools.

ofxtools parses the header and the SGML (OFX 1, tags without closing tags) or XML
(OFX 2) body into an element tree; the transactions are read from that tree, not from
ofxtools' validating models, so that a bank's small deviations from the standard (a long
NAME, a missing optional element) do not reject a whole statement.

The standard fixes what a CSV leaves open: amounts are signed from the account holder's
side (a purchase is negative on a bank and on a card statement), dates are YYYYMMDD
first, and FITID is the bank's own id of each transaction. `line` is the line where the
transaction's <STMTTRN> starts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, BinaryIO

from budgetcli.errors import InvalidInput
from budgetcli.statements.model import (
    BadRow,
    Columns,
    Layout,
    Proof,
    ProofStatus,
    SignRule,
    SkippedRow,
    SkipReason,
    StatementRow,
)

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from budgetcli.statements.read import Row

_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})")
_TRANSACTION_START = re.compile(rb"<STMTTRN>", re.IGNORECASE)


def ofx_layout() -> Layout:
    return Layout(
        kind="ofx",
        encoding="ofx",
        columns=Columns(date=0),
        date_format="%Y%m%d",
        sign_rule=SignRule.NEGATIVE_OUT,
        bank_id_unique=True,
        proof=Proof(ProofStatus.STANDARD, "OFX signs amounts and names each transaction (FITID)"),
        reasons={"format": "the file starts with an OFX header"},
    )


def read_ofx(stream: BinaryIO) -> Iterator[Row]:
    try:
        from ofxtools.Parser import OFXTree
    except ImportError:
        raise InvalidInput(
            "reading OFX and QFX files needs the ofxtools package: install budgetcli with "
            "its 'ofx' extra (pip install 'budgetcli[ofx]')"
        ) from None
    data = stream.read()
    starts = [data.count(b"\n", 0, m.start()) + 1 for m in _TRANSACTION_START.finditer(data)]
    tree = OFXTree()
    try:
        root = tree.parse(io.BytesIO(data))
    except Exception as exc:  # ofxtools raises ParseError, OFXHeaderError, ValueError...
        raise InvalidInput(f"the OFX file cannot be read ({exc})") from None
    number = 0
    for statement in _statements(root):
        currency = _text(statement, "CURDEF") or None
        for transaction in statement.iter("STMTTRN"):
            line = starts[number] if number < len(starts) else number + 1
            number += 1
            yield _row(transaction, line, currency)


def _statements(root: Element) -> Iterator[Element]:
    for tag in ("STMTRS", "CCSTMTRS"):
        yield from root.iter(tag)


def _text(element: Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _row(transaction: Element, line: int, currency: str | None) -> Row:
    posted = _text(transaction, "DTPOSTED") or _text(transaction, "DTUSER")
    date_match = _DATE.match(posted)
    amount_text = _text(transaction, "TRNAMT")
    try:
        amount = Decimal(amount_text.replace(",", ".") if "." not in amount_text else amount_text)
    except InvalidOperation:
        return BadRow(line, f"amount {amount_text!r} is not a number")
    if date_match is None:
        return BadRow(line, f"date {posted!r} is not an OFX date (YYYYMMDD...)")
    try:
        day = date(int(date_match[1]), int(date_match[2]), int(date_match[3]))
    except ValueError:
        return BadRow(line, f"date {posted!r} is not a real calendar date")
    if amount == 0:
        return SkippedRow(line, SkipReason.ZERO)
    if amount > 0:
        return SkippedRow(line, SkipReason.CREDIT, f"{amount} in")
    name = " ".join(_text(transaction, "NAME").split())
    payee = transaction.find("PAYEE")
    if not name and payee is not None:
        name = " ".join(_text(payee, "NAME").split())
    memo = " ".join(_text(transaction, "MEMO").split())
    fitid = _text(transaction, "FITID")
    return StatementRow(
        line=line,
        date=day,
        amount=-amount,
        description=memo,
        payee=name or None,
        bank_id=fitid or None,
        currency=currency,
    )
