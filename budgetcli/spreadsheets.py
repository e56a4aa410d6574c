"""CSV for spreadsheets: cells a spreadsheet would run as formulas, made inert, and back.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` as
a formula: `=HYPERLINK(...)` in a description becomes a link, `+cmd|...` a command. OWASP
("CSV Injection") adds a leading tab and carriage return, ASVS 1.2.10 a NUL. An
excel-safe CSV puts a `'` before such cells, which spreadsheets then show as text, and
says so with an extra, empty `excel_safe` column, so that `budget import` knows to take
the `'` off again: the round trip stays exact.

A cell that already starts with `'` before such a character gets one more, so that a
description typed as `'=1+1` comes back as it was; `'90s` is no formula and is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EXCEL_SAFE_COLUMN = "excel_safe"
_FORMULA = re.compile(r"'*[=+\-@\t\r\x00]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r\x00]")


def excel_safe(cell: str) -> str:
    """`cell` as a spreadsheet shows it without running it."""
    return f"'{cell}" if _FORMULA.match(cell) else cell


def undo_excel_safe(cell: str) -> str:
    """The cell `excel_safe` was given."""
    return cell[1:] if _ESCAPED.match(cell) else cell


def marks_excel_safe(header: Iterable[str]) -> bool:
    """Whether a CSV header says that its cells were written by `excel_safe`."""
    return any(name.strip().casefold() == EXCEL_SAFE_COLUMN for name in header)
