"""Which of a person's expenses teach learning, which are waiting for a category, and
reading them from storage.

A category teaches when a person chose it: by hand (`add`, `edit`, the web app), in the
file they imported (its category column), or by accepting a suggestion in `budget
categorize`. What rules, learning or the fallback decided never teaches; nor does an
import made before budgetcli kept where categories came from, since its category may be
the fallback category every row of the file was given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from budgetcli.dates import add_months
from budgetcli.models import CategorySource, Expense, category_key
from budgetcli.services.categories.learning import Example
from budgetcli.store import Store
from budgetcli.tables import expenses as table

TEACHING_SOURCES = frozenset({CategorySource.PERSON, CategorySource.FILE, CategorySource.CONFIRMED})
LEARNING_MONTHS = 24
"""How far back learning reads: two years of habits, whatever the history's length..."""
RECENT_MONTHS = 12
ENOUGH_RECENT = 5_000
"""...or one year, when that year holds this many expenses a person categorised: a busy
account's year teaches what its two would (each payee's latest sightings count, and
every payee of the year is in it), in half the reading."""
UNCATEGORIZED = "uncategorized"
"""The category of an imported row that nothing else categorised."""
_MONTHS_A_QUERY = 3
_QUERIES_AT_ONCE = 4


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


def expenses_between(
    store: Store, user_id: str, first: date, last: date, *, newest_first: bool = False
) -> Iterator[Expense]:
    """The user's expenses from `first` to `last`, oldest (or newest) first, as they
    arrive: a Query per quarter, a few at once and ahead of the reader (who learns from
    one quarter while the next ones are read)."""
    quarters = []
    start = first
    while start <= last:
        following = add_months(start.replace(day=1), _MONTHS_A_QUERY)
        quarters.append((start, min(following - timedelta(days=1), last)))
        start = following
    if newest_first:
        quarters.reverse()

    def read(span: tuple[date, date]) -> list[Expense]:
        return list(table.for_categories(store, user_id, *span, newest_first=newest_first))

    if len(quarters) == 1:
        yield from read(quarters[0])
        return
    with ThreadPoolExecutor(min(_QUERIES_AT_ONCE, len(quarters)), "categories") as pool:
        for quarter in pool.map(read, quarters):
            yield from quarter


def learning_history(store: Store, user_id: str, today: date) -> Iterator[Example]:
    """What learning reads (see `learning_window`, `ENOUGH_RECENT`), newest first, as it
    arrives: the last year, then the year before unless the last held enough."""
    first, last = learning_window(today)
    middle = add_months(today, -RECENT_MONTHS)
    recent = 0
    for expense in expenses_between(store, user_id, middle, last, newest_first=True):
        if teaches(expense):
            recent += 1
            yield example_of(expense)
    if recent < ENOUGH_RECENT:
        older = expenses_between(
            store, user_id, first, middle - timedelta(days=1), newest_first=True
        )
        yield from teaching_examples(older)


def enough_to_learn(expenses: Sequence[Expense], today: date) -> list[Example]:
    """What learning reads of the expenses of its window (given oldest first), newest
    first, as `learning_history` reads them from storage."""
    middle = add_months(today, -RECENT_MONTHS)
    newest_first = list(teaching_examples(reversed(expenses)))
    recent = [example for example in newest_first if example.day >= middle]
    return recent if len(recent) >= ENOUGH_RECENT else newest_first


def teaching_examples(expenses: Iterable[Expense]) -> Iterator[Example]:
    for expense in expenses:
        if teaches(expense):
            yield example_of(expense)
