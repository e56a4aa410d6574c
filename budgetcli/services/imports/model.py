"""What an import is asked to do, and what it did."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from budgetcli.errors import Field, InvalidInput
from budgetcli.models import CategorySource

# The expense fields a column can be mapped to.
FIELDS = ("date", "amount", "category", "description")


@dataclass(frozen=True)
class ImportOptions:
    """How to read the rows of a file, and whether to write them."""

    columns: Mapping[str, str] = field(default_factory=dict)
    """{field: header} for fields whose column has another name, e.g. {"amount": "Debit"}."""
    date_format: str | None = None
    """A strptime pattern every date follows."""
    category: str | None = None
    """The category of rows without one that neither rules nor learning categorise
    (parsed already); None: uncategorized."""
    debits_negative: bool = False
    """Spending is written as negative amounts; positive ones (credits) are skipped."""
    dry_run: bool = False
    strict: bool = False
    """Nothing is written unless every row is valid."""
    delimiter: str | None = None
    """None: read from the header line (see `reading.detect_delimiter`)."""
    decimal_comma: bool = False
    """Amounts like 1.234,56: ',' is the decimal mark, '.' or a space groups thousands."""
    skip_empty_amount: bool = False
    """A row with an empty amount cell (a credit in a separate "Paid in" column) is
    skipped instead of rejected."""

    def __post_init__(self) -> None:
        # Checked when the options are made, so that a command refuses them before storage.
        for name in self.columns:
            if name not in FIELDS:
                raise InvalidInput(
                    Field("columns"), f" {name!r}: the field must be one of {', '.join(FIELDS)}"
                )


@dataclass(frozen=True)
class RowError:
    line: int
    error: InvalidInput


@dataclass
class ImportSummary:
    """Counts of one import. `read` counts non-blank data rows.

    `skipped` counts credits (positive amounts) left out under `debits_negative` and
    rows with an empty amount left out under `skip_empty_amount`.
    With `dry_run`, `imported` is what would have been imported.
    The `category_*` counts say how the category of each valid row (duplicates too) was
    decided: by the file, a rule, learning, or the fallback.
    """

    read: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    category_file: int = 0
    category_rule: int = 0
    category_learned: int = 0
    category_fallback: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    strict_failed: bool = False

    @property
    def done(self) -> int:
        """Rows settled so far, for a progress bar."""
        return self.imported + self.duplicates + self.rejected + self.skipped

    def count_category(self, source: CategorySource) -> None:
        if source is CategorySource.RULE:
            self.category_rule += 1
        elif source is CategorySource.LEARNED:
            self.category_learned += 1
        elif source is CategorySource.FALLBACK:
            self.category_fallback += 1
        else:
            self.category_file += 1

    def reject(self, line: int, error: InvalidInput) -> None:
        self.rejected += 1
        self.errors.append(RowError(line, error))
