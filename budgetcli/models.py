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

    @property
    def imported(self) -> bool:
        """Imports derive ids from content (uuid5); `budget add` draws them at random (uuid4)."""
        return uuid.UUID(self.expense_id).version == 5


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
