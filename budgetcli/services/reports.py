"""Reports: spending per category, and per month over a range, summed exactly in Decimal.

Both are built on the ranged Query of `tables.expenses` and project only what they sum.
A month report queries its range a year at a time, in parallel (botocore clients are
thread-safe), and sums each item into its month.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from budgetcli.dates import DateRange, Period, add_months, format_month, month_end, months_between
from budgetcli.errors import Field, InvalidInput
from budgetcli.models import ReportBy, category_key
from budgetcli.money import ZERO
from budgetcli.services.expenses import spending_by_category
from budgetcli.store import Store
from budgetcli.tables import budgets
from budgetcli.tables.expenses import amounts

DEFAULT_TREND_MONTHS = 12
MAX_MONTHS = 1200
# Queries in flight at once; botocore keeps 10 pooled connections per client.
MAX_PARALLEL_QUERIES = 8
MONTHS_PER_QUERY = 12


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
    store: Store, user_id: str, months: Sequence[Period], category: str | None = None
) -> list[tuple[Decimal, int]]:
    """Total and count of each of `months` (periods within one month each, in order).

    One Query per MONTHS_PER_QUERY months, several in flight at once: fewer, longer
    Queries cost less than one a month (each is a request to sign, send and parse), and
    than one for the whole range, which DynamoDB Local pages through slowly.
    """
    groups = [months[i : i + MONTHS_PER_QUERY] for i in range(0, len(months), MONTHS_PER_QUERY)]

    def sums(group: Sequence[Period]) -> list[tuple[Decimal, int]]:
        return _sum_months(store, user_id, group, category)

    if len(groups) <= 1:
        return [total for group in groups for total in sums(group)]
    with ThreadPoolExecutor(min(MAX_PARALLEL_QUERIES, len(groups)), "report") as pool:
        return [total for group_sums in pool.map(sums, groups) for total in group_sums]


def _sum_months(
    store: Store, user_id: str, months: Sequence[Period], category: str | None
) -> list[tuple[Decimal, int]]:
    """Total and count of each of `months`, from one Query from the first to the last,
    each item counted in its month if it falls inside that month's period."""
    bounds = {format_month(m.first): (m.first.isoformat(), m.last.isoformat()) for m in months}
    totals = dict.fromkeys(bounds, ZERO)
    counts = dict.fromkeys(bounds, 0)
    wanted = category_key(category) if category is not None else None
    for day, name, amount in amounts(
        store, user_id, months[0].first, months[-1].last, categories=wanted is not None
    ):
        month = day[:7]
        span = bounds.get(month)
        if span and span[0] <= day <= span[1] and (wanted is None or category_key(name) == wanted):
            totals[month] += amount
            counts[month] += 1
    return [(totals[month], counts[month]) for month in bounds]


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
