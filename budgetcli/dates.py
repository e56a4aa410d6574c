"""Calendar arithmetic on dates and months; no parsing, no storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


@dataclass(frozen=True)
class DateRange:
    """Days `first`..`last`, both inclusive; an end left as None is open."""

    first: date | None = None
    last: date | None = None

    @classmethod
    def month_of(cls, day: date) -> DateRange:
        """The whole calendar month that `day` falls in."""
        first = day.replace(day=1)
        return cls(first, month_end(first))


@dataclass(frozen=True)
class Period:
    """A closed range of days, both ends known: what a report or an alert run covers."""

    first: date
    last: date

    @classmethod
    def month_of(cls, day: date) -> Period:
        first = day.replace(day=1)
        return cls(first, month_end(first))

    @property
    def label(self) -> str:
        """`2026-11` for a whole month, else `2026-11-03 to 2026-11-20`."""
        if self.first.day == 1 and self.last == month_end(self.first):
            return format_month(self.first)
        return f"{self.first} to {self.last}"

    @property
    def whole_months(self) -> int | None:
        """How many whole months the period is; None when it starts or ends mid-month."""
        if self.first.day == 1 and self.last == month_end(self.last):
            return months_between(self.first, self.last)
        return None

    def months(self) -> list[Period]:
        """The period cut at month boundaries, oldest first."""
        slices = []
        start = self.first
        while start <= self.last:
            stop = min(month_end(start), self.last)
            slices.append(Period(start, stop))
            start = stop + timedelta(days=1)
        return slices


def month_end(day: date) -> date:
    next_month = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return next_month - timedelta(days=1)


def format_month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """How many calendar months `first`..`last` touches."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def utc_now_iso() -> str:
    """A timestamp as stored in `created_at`: ISO 8601 UTC with microseconds and +00:00."""
    return datetime.now(UTC).isoformat()
