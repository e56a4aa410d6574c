"""What an import is asked to do, and what it did."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from budgetcli.errors import Field, InvalidInput
from budgetcli.models import CategorySource
from budgetcli.services.categories.history import UNCATEGORIZED
from budgetcli.statements import Role, SignRule, SkipReason

if TYPE_CHECKING:
    from budgetcli.models import Expense
    from budgetcli.statements import Layout, Proof

# The expense fields of budgetcli's own format (what `budget export` writes).
FIELDS = ("date", "amount", "category", "description")
# What a column can be named as: the fields, and what bank statements add.
ROLES = tuple(role.value for role in Role)
# The category of a row when neither the file, the person's rules and history, nor the
# options give one.
DEFAULT_CATEGORY = UNCATEGORIZED
PREVIEW_ROWS = 10


class Skip:
    """Why a row that is not an expense was left out: the JSON summary's keys."""

    CREDIT = "credit"
    ZERO = "zero_amount"
    PENDING = "pending"
    DECLINED = "declined"
    PATTERN = "skip_pattern"
    SUMMARY = "summary_line"
    EMPTY = "empty_amount"


SKIP_KEYS = {
    SkipReason.CREDIT: Skip.CREDIT,
    SkipReason.ZERO: Skip.ZERO,
    SkipReason.PENDING: Skip.PENDING,
    SkipReason.DECLINED: Skip.DECLINED,
    SkipReason.PATTERN: Skip.PATTERN,
    SkipReason.SUMMARY: Skip.SUMMARY,
}


@dataclass(frozen=True)
class ImportOptions:
    """How to read the rows of a file, and whether to write them.

    Every field left empty is detected from the file (or, for a file in budgetcli's own
    format, read as `budget export` writes it).
    """

    columns: Mapping[str, str | int | None] = field(default_factory=dict)
    """{role: header name, 1-based column number, or None for "no such column"}, e.g.
    {"amount": "Debit"}; roles are `ROLES`."""
    date_format: str | None = None
    """A strptime pattern every date follows."""
    category: str | None = None
    """The category of rows without one that neither rules nor learning categorise
    (parsed already); None: uncategorized."""
    sign_rule: SignRule | None = None
    """How amounts say money out: NEGATIVE_OUT (an account), POSITIVE_OUT (a card)."""
    dry_run: bool = False
    strict: bool = False
    """Nothing is written unless every row is valid."""
    delimiter: str | None = None
    decimal_mark: str | None = None
    """"." or ","; the other one (or a space, or ') groups thousands."""
    encoding: str | None = None
    skip_empty_amount: bool = False
    """A row with no amount is skipped instead of rejected."""
    skip_lines: int | None = None
    """Lines before the header row (before the first row with `no_header`)."""
    no_header: bool = False
    column_names: tuple[str, ...] = ()
    """The names of the columns of a file without a header row (implies `no_header`)."""
    debit_value: str | None = None
    credit_value: str | None = None
    """What the direction column says for money out / in."""
    skip_patterns: tuple[str, ...] = ()
    """Regular expressions: a row with a cell that matches one whole is skipped."""
    profile: str | None = None
    """The profile to read the file with, by name or id; after a good import the layout
    is remembered under this name."""

    def __post_init__(self) -> None:
        # Checked when the options are made, so that a command refuses them before storage.
        for name in self.columns:
            if name not in ROLES:
                raise InvalidInput(
                    Field("columns"), f" {name!r}: the field must be one of {', '.join(ROLES)}"
                )
        if self.decimal_mark not in (None, ".", ","):
            raise InvalidInput(Field("decimal_mark"), f" {self.decimal_mark!r} must be '.' or ','")
        if self.skip_lines is not None and self.skip_lines < 0:
            raise InvalidInput(Field("skip_lines"), " cannot be negative")

    @property
    def debits_negative(self) -> bool:
        return self.sign_rule is SignRule.NEGATIVE_OUT

    @property
    def decimal_comma(self) -> bool:
        return self.decimal_mark == ","


@dataclass(frozen=True)
class RowError:
    line: int
    error: InvalidInput


@dataclass(frozen=True)
class ProfileUse:
    """The profile an import read its file with, and the one it remembered."""

    used: str | None = None  # the label of the profile the layout came from
    saved: str | None = None  # the id of the profile written after the import
    saved_name: str | None = None


@dataclass
class ImportSummary:
    """Counts of one import. `read` counts non-blank data rows, and each of them is
    imported, a duplicate, rejected or skipped (`skipped_by_reason` says why).

    With `dry_run`, nothing is written: `would_import` is what would have been imported.
    The `category_*` counts say how the category of each valid row (duplicates too) was
    decided: by the file, a rule, learning, or the fallback.
    """

    read: int = 0
    imported: int = 0
    would_import: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    skipped_by_reason: Counter[str] = field(default_factory=Counter)
    category_file: int = 0
    category_rule: int = 0
    category_learned: int = 0
    category_fallback: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    strict_failed: bool = False
    layout: Layout | None = None
    """How the file was read; None for budgetcli's own format."""
    proof: Proof | None = None
    """The running balance's check over the whole file (None for budgetcli's format)."""
    profile: ProfileUse = field(default_factory=ProfileUse)
    preview: list[Expense] = field(default_factory=list)
    """The first rows as they would be stored (a dry run's)."""

    @property
    def done(self) -> int:
        """Rows settled so far, for a progress bar."""
        return self.imported + self.would_import + self.duplicates + self.rejected + self.skipped

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

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.skipped_by_reason[reason] += 1

    def count_new(self, rows: int) -> None:
        if self.dry_run:
            self.would_import += rows
        else:
            self.imported += rows
