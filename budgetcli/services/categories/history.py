"""Which of a person's expenses teach learning, which are waiting for a category, and
reading them from storage.

A category teaches when a person chose it: by hand (`add`, `edit`, the web app), in the
file they imported (its category column), or by accepting a suggestion in `budget
categorize`. What rules, learning or the fallback decided never teaches; nor does an
import made before budgetcli kept where categories came from, since its category may be
the fallback category every row of the file was given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from budgetcli.dates import add_months
from budgetcli.models import CategorySource, Expense, category_key
from budgetcli.services.categories.learning import Example
from budgetcli.store import Store
from budgetcli.tables import expenses as table

TEACHING_SOURCES = frozenset({CategorySource.PERSON, CategorySource.FILE, CategorySource.CONFIRMED})
LEARNING_MONTHS = 24
"""How far back learning reads: two years of habits, whatever the history's length."""
UNCATEGORIZED = "uncategorized"
"""The category of an imported row that nothing else categorised."""
_YEARS_IN_PARALLEL = 4


def teaches(expense: Expense) -> bool:
    return expense.category_source in TEACHING_SOURCES and bool(expense.category.strip())


def awaits_category(expense: Expense, fallbacks: Iterable[str] = ()) -> bool:
    """Whether `budget categorize` may propose a category for it: imported into the
    fallback category and not touched by a person since; or imported before budgetcli
    kept where categories came from, into `uncategorized` or one of `fallbacks`."""
    source = expense.category_source
    if source is CategorySource.FALLBACK:
        return True
    if source is None:
        names = {UNCATEGORIZED, *(category_key(name) for name in fallbacks)}
        return category_key(expense.category) in names
    return False


def example_of(expense: Expense) -> Example:
    return Example(
        expense.expense_id, expense.date, expense.amount, expense.description, expense.category
    )


def learning_window(today: date) -> tuple[date, date]:
    """The dates learning reads: `LEARNING_MONTHS` back, and ahead to the end of next
    year (a standing order entered ahead teaches too)."""
    return add_months(today, -LEARNING_MONTHS), date(today.year + 1, 12, 31)


def expenses_between(store: Store, user_id: str, first: date, last: date) -> list[Expense]:
    """The user's expenses from `first` to `last`, oldest first: a Query per year, a few at
    once (a long history reads faster in yearly slices; see services.reports)."""
    years = []
    start = first
    while start <= last:
        end = min(date(start.year, 12, 31), last)
        years.append((start, end))
        start = date(start.year + 1, 1, 1)

    def read(span: tuple[date, date]) -> list[Expense]:
        return list(table.for_categories(store, user_id, *span))

    if len(years) == 1:
        return read(years[0])
    with ThreadPoolExecutor(min(_YEARS_IN_PARALLEL, len(years)), "categories") as pool:
        return [expense for year in pool.map(read, years) for expense in year]


def teaching_examples(expenses: Iterable[Expense]) -> Iterator[Example]:
    for expense in expenses:
        if teaches(expense):
            yield example_of(expense)
