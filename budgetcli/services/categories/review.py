"""`budget categorize`: proposals for the expenses waiting for a category, applying them,
and replaying the person's history to say how well learning does.

An expense waits for a category when an import left it in the fallback category (see
`history.awaits_category`). A category a person set is never proposed over: such an
expense is not waiting, and one a person changes while the review runs is left as they
made it (each write is conditional on the category and its origin as they were read).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from budgetcli.dates import DateRange
from budgetcli.models import CategoryOrigin, CategorySource, Expense
from budgetcli.services.categories import Categorizer, Decision, load, taught
from budgetcli.services.categories.evaluation import Evaluation, replay
from budgetcli.services.categories.history import (
    awaits_category,
    enough_to_learn,
    example_of,
    expenses_between,
    learning_window,
    teaches,
)
from budgetcli.store import Store
from budgetcli.tables import expenses as table

SUGGESTIONS = 3
_WRITERS = 4


@dataclass(frozen=True)
class Proposal:
    expense: Expense
    decision: Decision | None
    """What would be applied; None when learning abstains and no rule matches."""
    suggestions: tuple[Decision, ...]
    """The likeliest categories, best first, sure or not."""
    applied: bool = False


def _bounds(days: DateRange, today: date) -> tuple[date, date]:
    first, last = learning_window(today)
    return days.first or first, days.last or last


def proposals(
    store: Store,
    user_id: str,
    days: DateRange,
    *,
    fallbacks: Sequence[str] = (),
    today: date | None = None,
    categorizer: Categorizer | None = None,
) -> list[Proposal]:
    """A proposal for each of the user's expenses in `days` that waits for a category
    (oldest first). An open end of `days` is the end of learning's window.

    Learning reads the two years up to the end of `days` (or today): a review of an
    old month learns from the corrections made around it."""
    today = today or date.today()
    first, last = _bounds(days, today)
    learned_until = min(today, last)
    window = learning_window(learned_until)
    if categorizer is None and window[0] <= first and last <= window[1]:
        # What learning reads holds what waits: one read of the window for both.
        known = list(expenses_between(store, user_id, *window))
        categorizer = taught(store, user_id, enough_to_learn(known, learned_until))
        candidates: Iterable[Expense] = (e for e in known if first <= e.date <= last)
    else:
        categorizer = categorizer or load(store, user_id, today=learned_until)
        candidates = expenses_between(store, user_id, first, last)
    waiting = [expense for expense in candidates if awaits_category(expense, fallbacks)]
    found = []
    for expense in waiting:
        suggestions = categorizer.suggestions(
            expense.description, expense.amount, limit=SUGGESTIONS
        )
        found.append(
            Proposal(
                expense,
                categorizer.decide(expense.description, expense.amount),
                tuple(suggestions),
            )
        )
    return found


@dataclass(frozen=True)
class Applied:
    proposals: list[Proposal]
    applied: int
    changed: int
    """Proposals not applied because the expense changed since it was read."""


def apply(store: Store, found: Sequence[Proposal], *, confirmed: bool) -> Applied:
    """Give each proposal's expense its proposed category, unless the expense changed
    since it was read. `confirmed`: a person accepted them (then they teach learning)."""

    def write(proposal: Proposal) -> Proposal:
        decision = proposal.decision
        if decision is None:
            return proposal
        origin = decision.origin
        if confirmed:
            origin = CategoryOrigin(CategorySource.CONFIRMED, origin.category, origin.rule)
        done = table.set_category(store, proposal.expense, decision.category, origin)
        return Proposal(proposal.expense, decision, proposal.suggestions, applied=done)

    with ThreadPoolExecutor(_WRITERS, "categorize") as pool:
        written = list(pool.map(write, found))
    applied = sum(1 for proposal in written if proposal.applied)
    wanted = sum(1 for proposal in written if proposal.decision is not None)
    return Applied(written, applied, wanted - applied)


def evaluate(
    store: Store,
    user_id: str,
    days: DateRange,
    *,
    today: date | None = None,
    keep_wrong: int = 0,
) -> Evaluation:
    """Replay the user's categorised expenses in `days` (by default learning's window),
    each month predicted from the months before it."""
    expenses = expenses_between(store, user_id, *_bounds(days, today or date.today()))
    return replay(
        (example_of(expense) for expense in expenses if teaches(expense)), keep_wrong=keep_wrong
    )
