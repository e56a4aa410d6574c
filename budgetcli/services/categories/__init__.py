"""Categories for spending that arrives without one: the person's rules first, then what
their own categorised history teaches, and abstaining rather than guessing.

`Categorizer.decide` is what an import asks for each row without a category; `load`
reads what it needs once (the rules, and two years of history); `on_first_use` in
another thread, when the first row asks. The stages, each a module: `text` (payees and words of a
description), `rules` (the person's rules), `learning` (the model), `history` (what
teaches, read from storage), `review` (`budget categorize`), `evaluation` (how well
learning does on the person's own history), `moves` (repeated corrections offered as a
rule).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from budgetcli.models import CategoryOrigin, CategorySource, Rule, category_key
from budgetcli.services.categories.history import UNCATEGORIZED, learning_history
from budgetcli.services.categories.learning import Example, Guess, Learner
from budgetcli.services.categories.rules import RuleSet, rules_of
from budgetcli.services.categories.text import payee_of
from budgetcli.store import Store

__all__ = [
    "UNCATEGORIZED",
    "Categorizer",
    "Decides",
    "Decision",
    "BackgroundCategorizer",
    "load",
    "on_first_use",
    "taught",
]


@dataclass(frozen=True)
class Decision:
    """A category for an expense, and why: the rule that matched, or what learning saw."""

    category: str
    source: CategorySource
    """RULE or LEARNED."""
    confidence: float
    """1 for a rule; learning's probability otherwise."""
    rule: Rule | None = None
    guess: Guess | None = None

    @property
    def origin(self) -> CategoryOrigin:
        return CategoryOrigin(self.source, self.category, self.rule.name if self.rule else None)


class Categorizer:
    """The person's rules and what their history teaches, ready for many rows."""

    def __init__(self, rules: RuleSet, learner: Learner) -> None:
        self.rules = rules
        self.learner = learner

    def decide(
        self, description: str, amount: Decimal, payee: str | None = None
    ) -> Decision | None:
        """The category of a row: the first rule that matches, else learning when it is
        sure; None when neither speaks. `amount` is positive for money out."""
        payee = payee if payee is not None else payee_of(description)
        rule = self.rules.first_match(description, amount, payee)
        if rule is not None:
            return Decision(rule.category, CategorySource.RULE, 1.0, rule=rule)
        guess = self.learner.decide(description, amount, payee)
        if guess is not None:
            return Decision(guess.category, CategorySource.LEARNED, guess.confidence, guess=guess)
        return None

    def suggestions(
        self, description: str, amount: Decimal, payee: str | None = None, *, limit: int = 3
    ) -> list[Decision]:
        """The likeliest categories, best first: the matching rule's, then learning's
        guesses (sure or not), each category once."""
        found: list[Decision] = []
        rule = self.rules.first_match(description, amount, payee)
        if rule is not None:
            found.append(Decision(rule.category, CategorySource.RULE, 1.0, rule=rule))
        for guess in self.learner.guesses(description, amount, payee, limit=limit):
            if all(category_key(d.category) != category_key(guess.category) for d in found):
                found.append(
                    Decision(guess.category, CategorySource.LEARNED, guess.confidence, guess=guess)
                )
        return found[:limit]


def load(store: Store, user_id: str, *, today: date | None = None) -> Categorizer:
    """The user's rules, and a learner taught their categorised expenses of the last
    two years (see `history.learning_history`)."""
    with ThreadPoolExecutor(1, "rules") as pool:
        rules = pool.submit(rules_of, store, user_id)  # read while history is
        history = learning_history(store, user_id, today or date.today())
        learner = Learner()
        learner.learn_all(history, newest_first=True)
        return Categorizer(RuleSet(rules.result()), learner)


def taught(store: Store, user_id: str, newest_first: Iterable[Example]) -> Categorizer:
    """The user's rules, and a learner taught `newest_first`."""
    learner = Learner()
    learner.learn_all(newest_first, newest_first=True)
    return Categorizer(RuleSet(rules_of(store, user_id)), learner)


class Decides(Protocol):
    def decide(
        self, description: str, amount: Decimal, payee: str | None = None
    ) -> Decision | None: ...


class BackgroundCategorizer:
    """A Categorizer loaded in another thread from `start` (the first row that needs
    one; an import whose rows all have a category reads no rules and no history), while
    the caller goes on; `decide` waits for it."""

    def __init__(self, load_now: Callable[[], Categorizer]) -> None:
        self._load = load_now
        self._thread: threading.Thread | None = None
        self._loaded: Categorizer | None = None
        self._failed: BaseException | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="categories", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._loaded = self._load()
        except BaseException as exc:  # raised again in the thread that asks
            self._failed = exc

    @property
    def loading(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def decide(
        self, description: str, amount: Decimal, payee: str | None = None
    ) -> Decision | None:
        self.start()
        assert self._thread is not None
        self._thread.join()
        if self._failed is not None:
            raise self._failed
        assert self._loaded is not None
        return self._loaded.decide(description, amount, payee)


def on_first_use(store: Store, user_id: str) -> BackgroundCategorizer:
    return BackgroundCategorizer(lambda: load(store, user_id))
