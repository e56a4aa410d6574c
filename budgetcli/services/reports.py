"""Reports: spending per category, and per month over a range, summed exactly in Decimal.

Both are built on `query_expense_items`, the ranged Query on `user_id-date-index`, and
project only what they sum. A month report queries its months in parallel: each month
is one short key range, and boto3 clients are thread-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from budgetcli.errors import InvalidInput
from budgetcli.parsing import format_month, month_end, parse_date, parse_month
from budgetcli.services.expenses import query_expense_items, spending_by_category
from budgetcli.store import Store

ZERO = Decimal(0)
DEFAULT_TREND_MONTHS = 12
MAX_MONTHS = 1200
# Month queries in flight at once; botocore keeps 10 pooled connections per client.
MAX_PARALLEL_QUERIES = 8


class ReportBy(StrEnum):
    CATEGORY = "category"
    MONTH = "month"


@dataclass(frozen=True)
class CategoryTotal:
    """What was spent in one category; `budget` is its limit for the report's period."""

    category: str
    total: Decimal
    count: int
    budget: Decimal | None = None

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.total > self.budget


@dataclass(frozen=True)
class CategoryReport:
    first: date
    last: date
    rows: tuple[CategoryTotal, ...]
    """Categories with spending, largest total first."""
    unspent_budgets: tuple[CategoryTotal, ...] = ()
    """Categories with a budget and nothing spent in the period (total 0, count 0)."""
    budget_months: int | None = None
    """How many whole months the monthly budgets cover; None when the period is not
    whole months, so budgets cannot be compared."""

    @property
    def total(self) -> Decimal:
        return sum((row.total for row in self.rows), ZERO)

    @property
    def count(self) -> int:
        return sum(row.count for row in self.rows)


@dataclass(frozen=True)
class MonthTotal:
    """One month of a trend: `month` is its first day; `previous` is the month before's total."""

    month: date
    total: Decimal
    count: int
    previous: Decimal

    @property
    def label(self) -> str:
        return format_month(self.month)

    @property
    def change(self) -> Decimal:
        return self.total - self.previous

    @property
    def change_ratio(self) -> Decimal | None:
        """Change against the previous month as a fraction; None when that month was empty."""
        return self.change / self.previous if self.previous else None


@dataclass(frozen=True)
class MonthReport:
    first: date
    last: date
    rows: tuple[MonthTotal, ...]
    """Every month of the range, oldest first, empty ones with zero."""
    category: str | None = None
    budget: Decimal | None = None
    """The monthly budget of `category`, when there is one."""

    @property
    def total(self) -> Decimal:
        return sum((row.total for row in self.rows), ZERO)

    @property
    def count(self) -> int:
        return sum(row.count for row in self.rows)


def share(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a fraction of `whole`; zero when the whole is zero."""
    return part / whole if whole else ZERO


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months_between(first: date, last: date) -> int:
    """How many calendar months `first`..`last` touches."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def report_range(
    by: ReportBy,
    *,
    month: str | None = None,
    start: str | None = None,
    end: str | None = None,
    today: date | None = None,
) -> tuple[date, date]:
    """The first and last day a report covers, from --month or --from/--to.

    By default a category report covers the current month and a month report the
    twelve months up to and including it.
    """
    today = today or date.today()
    if month is not None and (start is not None or end is not None):
        raise InvalidInput("--month cannot be combined with --from/--to: use one or the other")
    if month is not None:
        return parse_month(month)
    first = parse_date(start, today=today) if start is not None else None
    last = parse_date(end, today=today) if end is not None else None
    if first is not None and last is not None and first > last:
        raise InvalidInput(f"--from {first} is after --to {last}: swap them")
    if last is None:
        last = month_end(today)
        if first is not None and first > last:
            raise InvalidInput(
                f"--from {first} is after the end of the current month: give --to as well"
            )
    if first is None:
        back = 0 if by is ReportBy.CATEGORY else DEFAULT_TREND_MONTHS - 1
        first = _add_months(last, -back)
    if by is ReportBy.MONTH and _months_between(first, last) > MAX_MONTHS:
        raise InvalidInput(
            f"{first}..{last} spans more than {MAX_MONTHS} months: choose a shorter range"
        )
    return first, last


def _whole_months(first: date, last: date) -> int | None:
    if first.day == 1 and last == month_end(last):
        return _months_between(first, last)
    return None


def _monthly_budgets(store: Store, user_id: str) -> dict[str, Decimal]:
    from budgetcli.services.budgets import budgets_for_user

    return {budget.category: budget.amount for budget in budgets_for_user(store, user_id)}


def category_report(
    store: Store, user_id: str, first: date, last: date, *, category: str | None = None
) -> CategoryReport:
    """Total and count per category for `first`..`last`, largest total first.

    Budgets are monthly, so each is scaled by the number of months when the period is
    whole months, and left out otherwise. `category` keeps that one category only.
    """
    totals = spending_by_category(store, user_id, first, last)
    months = _whole_months(first, last)
    limits = _monthly_budgets(store, user_id) if months else {}
    if category is not None:
        totals = {name: sums for name, sums in totals.items() if name == category}
        limits = {name: limit for name, limit in limits.items() if name == category}
    rows = [
        CategoryTotal(
            category,
            total,
            count,
            limits[category] * months if months and category in limits else None,
        )
        for category, (total, count) in totals.items()
    ]
    rows.sort(key=lambda row: (-row.total, row.category))
    unspent = tuple(
        CategoryTotal(category, ZERO, 0, limit * months)
        for category, limit in sorted(limits.items())
        if months and category not in totals
    )
    return CategoryReport(first, last, tuple(rows), unspent, months)


def _month_slices(first: date, last: date) -> list[tuple[date, date]]:
    """`first`..`last` cut at month boundaries."""
    slices = []
    start = first
    while start <= last:
        stop = min(month_end(start), last)
        slices.append((start, stop))
        start = stop + timedelta(days=1)
    return slices


def _sum_amounts(
    store: Store, user_id: str, span: tuple[date, date], category: str | None
) -> tuple[Decimal, int]:
    total, count = ZERO, 0
    for item in query_expense_items(
        store,
        user_id,
        first=span[0],
        last=span[1],
        category=category,
        projection=["amount"],
        newest_first=False,
    ):
        total += Decimal(item["amount"])
        count += 1
    return total, count


def sum_in_parallel(
    store: Store, user_id: str, spans: Sequence[tuple[date, date]], category: str | None = None
) -> list[tuple[Decimal, int]]:
    """Total and count of each span, one Query per span, several in flight at once."""
    if len(spans) <= 1:
        return [_sum_amounts(store, user_id, span, category) for span in spans]
    workers = min(MAX_PARALLEL_QUERIES, len(spans))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report") as pool:
        return list(pool.map(lambda span: _sum_amounts(store, user_id, span, category), spans))


def month_report(
    store: Store, user_id: str, first: date, last: date, *, category: str | None = None
) -> MonthReport:
    """Total and count for every month touched by `first`..`last`, oldest first.

    The first and last months count only the days inside the range. The month before
    the range is queried too, so that every month has a change against the one before.
    """
    slices = _month_slices(first, last)
    before_first = _add_months(first, -1)
    spans = [(before_first, month_end(before_first)), *slices]
    sums = sum_in_parallel(store, user_id, spans, category)
    rows = []
    previous = sums[0][0]
    for (start, _), (total, count) in zip(slices, sums[1:], strict=True):
        rows.append(MonthTotal(_month_start(start), total, count, previous))
        previous = total
    budget = _monthly_budgets(store, user_id).get(category) if category else None
    return MonthReport(first, last, tuple(rows), category, budget)
