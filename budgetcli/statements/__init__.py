"""What is in a bank statement file: detect its layout, then read its rows.

    layout = detect(stream)            # LayoutQuestion (an InvalidInput) when unsure
    stream.seek(0)
    for row in read_rows(stream, layout):
        ...                            # StatementRow | SkippedRow | BadRow

Pure: no storage, no terminal. `Layout.to_dict()`/`Layout.from_dict()` store a layout as
a profile, keyed by `layout.fingerprint`; `layout.as_overrides()` reuses it for the next
file from the same bank.
"""

from budgetcli.statements.detect import detect, layout_fingerprint
from budgetcli.statements.model import (
    BadLayout,
    BadRow,
    Columns,
    Layout,
    LayoutQuestion,
    Overrides,
    Proof,
    ProofStatus,
    Role,
    SignRule,
    SkippedRow,
    SkipReason,
    StatementRow,
)
from budgetcli.statements.read import Row, StatementReader, read_rows

__all__ = [
    "BadLayout",
    "BadRow",
    "Columns",
    "Layout",
    "LayoutQuestion",
    "Overrides",
    "Proof",
    "ProofStatus",
    "Role",
    "Row",
    "SignRule",
    "SkipReason",
    "SkippedRow",
    "StatementReader",
    "StatementRow",
    "detect",
    "layout_fingerprint",
    "read_rows",
]
