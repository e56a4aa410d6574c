"""Reports: spending per category, and per month over a range, summed exactly in Decimal.

Both are built on the ranged Query of `tables.expenses` and project only what they sum.
A month report queries its months in parallel: each month is one short key range, and
botocore clients are thread-safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from budgetcli.dates import DateRange, Period, add_months, format_month, month_end, months_between
from budgetcli.errors import Field, InvalidInput
from budgetcli.models import category_key
from budgetcli.money import ZERO
from budgetcli.services.expenses import spending_by_category
from budgetcli.store import Store
from budgetcli.tables import budgets
from budgetcli.tables.expenses import amounts

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
    period: Period
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
    period: Period
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


def report_period(by: ReportBy, days: DateRange, *, today: date | None = None) -> Period:
    """The days a report covers: `days`, with its open ends filled in.

    By default a category report covers the current month and a month report the
    twelve months up to and including it.
    """
    today = today or date.today()
    last = days.last
    if last is None:
        last = month_end(today)
        if days.first is not None and days.first > last:
            raise InvalidInput(
                Field("first"),
                f" {days.first} is after the end of the current month: give ",
                Field("last"),
                " as well",
            )
    first = days.first
    if first is None:
        back = 0 if by is ReportBy.CATEGORY else DEFAULT_TREND_MONTHS - 1
        first = add_months(last, -back)
    if by is ReportBy.MONTH and months_between(first, last) > MAX_MONTHS:
        raise InvalidInput(
            f"{first}..{last} spans more than {MAX_MONTHS} months: choose a shorter range"
        )
    return Period(first, last)


def category_rows(
    totals: Mapping[str, tuple[Decimal, int]],
    limits: Mapping[str, Decimal],
    months: int | None,
) -> tuple[list[CategoryTotal], list[CategoryTotal]]:
    """Rows with spending, largest first, and budgets with none, by name.

    Budgets are monthly, so each is scaled by `months` (None: not whole months, no budgets).
    """
    scaled = {name: limit * months for name, limit in limits.items()} if months else {}
    rows = [
        CategoryTotal(category, total, count, scaled.get(category))
        for category, (total, count) in totals.items()
    ]
    rows.sort(key=lambda row: (-row.total, row.category))
    unspent = [
        CategoryTotal(category, ZERO, 0, limit)
        for category, limit in sorted(scaled.items())
        if category not in totals
    ]
    return rows, unspent


def _monthly_budgets(store: Store, user_id: str) -> dict[str, Decimal]:
    """Each category's monthly limit (summed where the web app left two for one category)."""
    limits: dict[str, Decimal] = {}
    for budget in budgets.for_user(store, user_id):
        key = category_key(budget.category)
        limits[key] = limits.get(key, ZERO) + budget.amount
    return limits


def category_report(
    store: Store, user_id: str, period: Period, *, category: str | None = None
) -> CategoryReport:
    """Total and count per category for `period`, largest total first, with the budgets
    where the period is whole months. `category` keeps that one category only."""
    totals = spending_by_category(store, user_id, period, category=category)
    months = period.whole_months
    limits = _monthly_budgets(store, user_id) if months else {}
    if category is not None:
        limits = {name: limit for name, limit in limits.items() if name == category_key(category)}
    rows, unspent = category_rows(totals, limits, months)
    return CategoryReport(period, tuple(rows), tuple(unspent), months)


def sum_in_parallel(
    store: Store, user_id: str, spans: Sequence[Period], category: str | None = None
) -> list[tuple[Decimal, int]]:
    """Total and count of each span, one Query per span, several in flight at once."""

    def total(span: Period) -> tuple[Decimal, int]:
        if category is None:
            found = [
                amount
                for _, amount in amounts(store, user_id, span.first, span.last, categories=False)
            ]
            return sum(found, ZERO), len(found)
        sums = spending_by_category(store, user_id, span, category=category).values()
        return sum((amount for amount, _ in sums), ZERO), sum(count for _, count in sums)

    if len(spans) <= 1:
        return [total(span) for span in spans]
    workers = min(MAX_PARALLEL_QUERIES, len(spans))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report") as pool:
        return list(pool.map(total, spans))


def month_report(
    store: Store, user_id: str, period: Period, *, category: str | None = None
) -> MonthReport:
    """Total and count for every month touched by `period`, oldest first.

    The first and last months count only the days inside the period. The month before
    is queried too, so that every month has a change against the one before.
    """
    slices = period.months()
    before_first = add_months(period.first, -1)
    sums = sum_in_parallel(
        store, user_id, [Period(before_first, month_end(before_first)), *slices], category
    )
    rows = []
    previous = sums[0][0]
    for span, (total, count) in zip(slices, sums[1:], strict=True):
        rows.append(MonthTotal(span.first.replace(day=1), total, count, previous))
        previous = total
    budget = _monthly_budgets(store, user_id).get(category_key(category)) if category else None
    return MonthReport(period, tuple(rows), category, budget)
