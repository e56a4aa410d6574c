"""The values budgetcli works with: plain dataclasses with Decimal amounts and real dates.

Services build and return them, `tables/` turns them into DynamoDB items and back,
`output/` renders them. None of them knows about any of those.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from budgetcli.money import percent_of


def category_key(name: str) -> str:
    """The form categories are compared in: `Food` from the web app and `food` typed here
    are one category. NFC first, so that "café" typed and "café" pasted are one too.

    `"İ".lower()` is "i" + U+0307 COMBINING DOT ABOVE, a dot that misaligns tables: the
    key has a plain "i" there, for `İ` and for the dotted form earlier versions stored.
    """
    lowered = unicodedata.normalize("NFC", name).strip().lower().replace(_DOTTED_I, "i")
    return unicodedata.normalize("NFC", lowered)


_DOTTED_I = "i\u0307"


@dataclass(frozen=True)
class User:
    user_id: str
    username: str
    email: str
    phone: str | None = None


class CategorySource(StrEnum):
    """Where an expense's category came from."""

    PERSON = "person"
    """Set by hand: `add`, `edit`, and every expense the web app writes."""
    FILE = "file"
    """The category column of an imported file."""
    RULE = "rule"
    LEARNED = "learned"
    """Learnt from the person's own categorised history."""
    FALLBACK = "fallback"
    """An imported row nothing could categorise: `--category`, or uncategorized."""
    CONFIRMED = "confirmed"
    """A suggestion a person accepted in `budget categorize`."""


@dataclass(frozen=True)
class CategoryOrigin:
    """Where a category came from, stored beside it. `category` is the category that
    source set: when the expense's category is another, a person (possibly in another
    client) changed it since."""

    source: CategorySource
    category: str
    rule: str | None = None
    """The name of the rule that set it."""


@dataclass(frozen=True)
class Expense:
    expense_id: str
    user_id: str
    amount: Decimal
    category: str
    description: str
    date: date
    created_at: str
    receipt_url: str | None = None
    category_origin: CategoryOrigin | None = None
    """None for expenses written before budgetcli kept it, and by other clients."""

    @property
    def imported(self) -> bool:
        """Imports derive ids from content (uuid5); `budget add` draws them at random (uuid4)."""
        return uuid.UUID(self.expense_id).version == 5

    @property
    def category_source(self) -> CategorySource | None:
        """Where the category came from; None for an import made before budgetcli kept it
        (its category came from the file or from `--category`: nobody can tell which)."""
        origin = self.category_origin
        if origin is None:
            try:
                imported = self.imported
            except ValueError:  # not a UUID: another client's id, not an import's
                imported = False
            return None if imported else CategorySource.PERSON
        if category_key(origin.category) != category_key(self.category):
            return CategorySource.PERSON
        return origin.source


class RuleField(StrEnum):
    """What a rule's pattern is matched against."""

    DESCRIPTION = "description"
    PAYEE = "payee"
    """The description reduced to the payee's name (see services.categories.text)."""


class MatchKind(StrEnum):
    TEXT = "text"
    """The pattern appears in the field, in any case."""
    REGEX = "regex"
    """A Python regular expression found in the field, in any case."""


class Direction(StrEnum):
    OUT = "out"
    """Money spent: every expense."""
    IN = "in"
    """Money received, such as a refund."""


@dataclass(frozen=True)
class Rule:
    """A person's rule: an expense whose field matches gets the category. Rules are kept
    in order; the first that matches decides."""

    name: str
    pattern: str
    category: str
    field: RuleField = RuleField.DESCRIPTION
    match: MatchKind = MatchKind.TEXT
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    """Both inclusive, compared with the amount's size."""
    direction: Direction | None = None


class Level(StrEnum):
    WARNING = "warning"
    EXCEEDED = "exceeded"


@dataclass(frozen=True)
class Budget:
    budget_id: str
    user_id: str
    category: str
    amount: Decimal
    threshold: int
    created_at: str


@dataclass(frozen=True)
class BudgetStatus:
    """A budget and what one period spent against it."""

    budget: Budget
    spent: Decimal

    @property
    def remaining(self) -> Decimal:
        """Negative when the period is over the limit."""
        return self.budget.amount - self.spent

    @property
    def percent(self) -> Decimal:
        return percent_of(self.spent, self.budget.amount)

    @property
    def levels(self) -> list[Level]:
        """`warning` once spent >= threshold% of the limit; `exceeded` once spent > limit.

        Compared exactly: 79.99% is below an 80% threshold, 100% of the limit is not over it.
        """
        levels = []
        if self.spent * 100 >= self.budget.amount * self.budget.threshold:
            levels.append(Level.WARNING)
        if self.spent > self.budget.amount:
            levels.append(Level.EXCEEDED)
        return levels


class ReportBy(StrEnum):
    """What a report's rows are."""

    CATEGORY = "category"
    MONTH = "month"


class DeliveryMethod(StrEnum):
    CONSOLE = "console"
    EMAIL = "email"
    SMS = "sms"


class DeliveryStatus(StrEnum):
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True)
class Alert:
    """One notification. budgetcli's own are a budget level reached in a month; others,
    such as the web app's, have only the seed's attributes and are shown as they are."""

    notification_id: str
    user_id: str
    level: str
    """The item's `type`: a Level for budgetcli's own alerts, anything for others."""
    message: str
    delivery_method: str
    created_at: str
    delivery_status: str = DeliveryStatus.DELIVERED
    budget_id: str = ""
    category: str = ""
    month: str = ""
    spent: Decimal | None = None
    amount: Decimal | None = None
    threshold: int | None = None
    delivery_error: str | None = None
    delivery_attempts: int = 0
    delivered_at: str | None = None

    @property
    def percent(self) -> Decimal | None:
        if self.spent is None or not self.amount:
            return None
        return percent_of(self.spent, self.amount)

    @property
    def subject(self) -> str:
        title = "over budget" if self.level == Level.EXCEEDED else "budget warning"
        return f"{self.category} {title} for {self.month} ({self.percent}%)"
