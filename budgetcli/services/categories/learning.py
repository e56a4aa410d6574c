"""Learning categories from the person's own categorised history, and abstaining when
unsure.

Two kinds of evidence, one after the other:

1. The payee (see `text.payee_of`): the categories this person gave to the same payee,
   each past expense weighted by how close its amount is to this one's, so that a shop
   whose small and large purchases go to different categories is told apart by amount.
2. A naive Bayes model over the description's words, the size of the amount (in steps of
   about x3) and its direction: for payees never seen, and as a weak prior beside the
   payee's own history (worth `PRIOR_WEIGHT` past expenses).

The two are mixed into one probability per category; below `THRESHOLD` (or, for a payee
never seen, `UNSEEN_THRESHOLD`) the learner abstains. It learns only what it is given:
`history.teaches` says which expenses a person categorised.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from budgetcli.models import category_key
from budgetcli.services.categories.text import payee_and_words, payee_of, words_of

THRESHOLD = 0.7
"""Least probability of the top category to decide, when the payee was seen before."""
UNSEEN_THRESHOLD = 0.9
"""The same for a payee never seen: only words and amount speak for it."""
PRIOR_WEIGHT = 1.0
"""How many past expenses of the payee the words-and-amount model counts as."""
RECENT_SIGHTINGS = 30
"""Past expenses of a payee remembered: habits change, the latest count."""
RECENCY = 0.97
"""Each older expense of a payee counts this much less than the one after it."""
AMOUNT_SCALE = 0.7
"""How far apart (natural log of the ratio) two amounts of a payee may be and still
count fully as alike: e^0.7 is about x2. Beyond, each further step of x2 counts e^-2
(about a seventh) as much."""
TELLING_PAYEES = 2
TELLING_SHARE = 0.8
"""For a payee never seen, at least one word must have been seen with this many payees,
this share of them in the category."""
SMOOTHING = 0.5
EXAMPLES_SHOWN = 3
_T = TypeVar("_T")


class Basis(StrEnum):
    PAYEE = "payee"
    """Past expenses of the same payee."""
    WORDS = "words"
    """Past expenses sharing words and amount size, for a payee never seen."""


@dataclass(frozen=True)
class Example:
    """A past expense a person categorised: what learning is taught with."""

    expense_id: str
    day: date
    amount: Decimal
    """Positive for money out."""
    description: str
    category: str


@dataclass(frozen=True)
class Guess:
    category: str
    confidence: float
    basis: Basis
    payee: str
    seen: int
    """How many past expenses of the payee are remembered (0: a new payee)."""
    examples: tuple[Example, ...]
    """The past expenses that speak most for this category."""


def _amount_features(amount: Decimal) -> tuple[str, ...]:
    size = abs(amount)
    step = math.floor(math.log10(size) * 2) if size > 0 else -99
    features = (f"$amount:{step}",)
    return (*features, "$in") if amount < 0 else features


def _remember(latest: deque[_T], item: _T, earlier: bool) -> None:
    """Keep `item` among the `maxlen` latest: last when it is the newest, first when it
    is older than every one kept (and only while there is room)."""
    if not earlier:
        latest.append(item)
    elif latest.maxlen is None or len(latest) < latest.maxlen:
        latest.appendleft(item)


def _log_amount(amount: Decimal) -> float:
    size = abs(amount)
    return math.log(size) if size > 0 else 0.0


class Learner:
    """What a person's categorised expenses teach; `learn` one at a time, oldest first
    (or all of them newest first, each `earlier` than those before)."""

    def __init__(self) -> None:
        self.learned = 0
        self._names: dict[str, str] = {}  # category key -> the spelling last taught
        self._keys: dict[str, str] = {}  # category as written -> its key
        self._examples_in: dict[str, int] = {}
        self._features_in: dict[str, int] = {}
        self._feature_counts: dict[str, dict[str, int]] = {}
        self._counted: dict[tuple[str, str], set[str]] = {}  # (payee, key) -> features
        self._sightings: dict[str, deque[tuple[str, float, Example]]] = {}
        self._by_word: dict[tuple[str, str], deque[Example]] = {}
        self._frozen: _Model | None = None

    def _key(self, category: str) -> str:
        key = self._keys.get(category)
        if key is None:
            key = self._keys[category] = category_key(category)
        return key

    def learn(self, example: Example, *, earlier: bool = False) -> None:
        """Learn one more expense: the newest so far, or with `earlier` the oldest (so
        that history can be learned from its newest end while older pages are read)."""
        key = self._key(example.category)
        if not key:
            return
        self._frozen = None
        self.learned += 1
        if earlier:
            self._names.setdefault(key, example.category)
        else:
            self._names[key] = example.category
        payee, words = payee_and_words(example.description)
        if payee:
            sightings = self._sightings.get(payee)
            if sightings is None:
                sightings = self._sightings[payee] = deque(maxlen=RECENT_SIGHTINGS)
            _remember(sightings, (key, _log_amount(example.amount), example), earlier)
        # The words model speaks for payees never seen: what it learns is how many
        # payees of a category had a word, not how often one favourite was visited.
        who = payee or " ".join(sorted(words))
        counted = self._counted.get((who, key))
        if counted is None:
            counted = self._counted[(who, key)] = set()
            self._examples_in[key] = self._examples_in.get(key, 0) + 1
        new = words.union(_amount_features(example.amount)).difference(counted)
        if new:
            counted |= new
            for feature in new:
                counts = self._feature_counts.get(feature)
                if counts is None:
                    counts = self._feature_counts[feature] = {}
                counts[key] = counts.get(key, 0) + 1
            self._features_in[key] = self._features_in.get(key, 0) + len(new)
            # What the words model shows for a word: an expense of each payee it counted.
            for word in words & new:
                shown = self._by_word.get((word, key))
                if shown is None:
                    shown = self._by_word[(word, key)] = deque(maxlen=EXAMPLES_SHOWN)
                _remember(shown, example, earlier)

    def learn_all(self, examples: Iterable[Example], *, newest_first: bool = False) -> None:
        for example in examples:
            self.learn(example, earlier=newest_first)

    def knows_payee(self, description: str, payee: str | None = None) -> bool:
        return (payee if payee is not None else payee_of(description)) in self._sightings

    def guesses(
        self, description: str, amount: Decimal, payee: str | None = None, *, limit: int = 3
    ) -> list[Guess]:
        """The `limit` likeliest categories with their probabilities, best first ([] before
        any learning)."""
        scored = self._scored(description, amount, payee)
        return [scored.guess(self, key, probability) for key, probability in scored.ranked[:limit]]

    def decide(self, description: str, amount: Decimal, payee: str | None = None) -> Guess | None:
        """The category, when the learner is sure enough; None when it abstains."""
        scored = self._scored(description, amount, payee)
        if not scored.ranked:
            return None
        key, probability = scored.ranked[0]
        if scored.sightings:
            sure = probability >= THRESHOLD
        else:
            sure = probability >= UNSEEN_THRESHOLD and self._telling_word(scored.words, key)
        return scored.guess(self, key, probability) if sure else None

    def _telling_word(self, words: frozenset[str], key: str) -> bool:
        """Whether a word of the row names `key` by itself: most payees that had it were
        in that category (such as KITCHEN or PHARMACY, unlike a town's name)."""
        for word in words:
            counts = self._feature_counts.get(word)
            if counts is None:
                continue
            payees = counts.get(key, 0)
            if payees >= TELLING_PAYEES and payees >= TELLING_SHARE * sum(counts.values()):
                return True
        return False

    def _scored(self, description: str, amount: Decimal, payee: str | None) -> _Scored:
        if payee is None:
            payee, words = payee_and_words(description)
        else:
            words = words_of(description)
        if not self._examples_in:
            return _Scored([], payee, words, None)
        model = self._frozen or self._freeze()
        prior = model.posterior([*words, *_amount_features(amount)])
        sightings = self._sightings.get(payee) if payee else None
        if not sightings:
            mixed = prior
        else:
            weights: dict[str, float] = {}
            here = _log_amount(amount)
            recency = 1.0
            for key, log_amount, _ in reversed(sightings):
                distance = abs(here - log_amount) / AMOUNT_SCALE
                alike = 1.0 if distance <= 1 else math.exp(2 * (1 - distance))
                weights[key] = weights.get(key, 0.0) + alike * recency
                recency *= RECENCY
            total = sum(weights.values()) + PRIOR_WEIGHT
            mixed = {
                key: (weights.get(key, 0.0) + PRIOR_WEIGHT * probability) / total
                for key, probability in prior.items()
            }
        # Ties (categories the evidence says nothing about) in name order, whatever
        # the order they were learned in.
        ranked = sorted(mixed.items(), key=lambda pair: (-pair[1], pair[0]))
        return _Scored(ranked, payee, words, sightings)

    def _examples_for(
        self,
        key: str,
        words: frozenset[str],
        sightings: deque[tuple[str, float, Example]] | None,
    ) -> tuple[Example, ...]:
        if sightings:
            same = [example for k, _, example in reversed(sightings) if k == key]
            if same:
                return tuple(same[:EXAMPLES_SHOWN])
        found: dict[str, tuple[int, Example]] = {}
        for word in words:
            for example in self._by_word.get((word, key), ()):
                shared, _ = found.get(example.expense_id, (0, example))
                found[example.expense_id] = (shared + 1, example)
        best = sorted(found.values(), key=lambda pair: (pair[0], pair[1].day), reverse=True)
        return tuple(example for _, example in best[:EXAMPLES_SHOWN])

    def _freeze(self) -> _Model:
        self._frozen = _Model(self._examples_in, self._features_in, self._feature_counts)
        return self._frozen


@dataclass
class _Scored:
    ranked: list[tuple[str, float]]
    payee: str
    words: frozenset[str]
    sightings: deque[tuple[str, float, Example]] | None

    def guess(self, learner: Learner, key: str, probability: float) -> Guess:
        return Guess(
            category=learner._names[key],
            confidence=probability,
            basis=Basis.PAYEE if self.sightings else Basis.WORDS,
            payee=self.payee,
            seen=len(self.sightings) if self.sightings else 0,
            examples=learner._examples_for(key, self.words, self.sightings),
        )


class _Model:
    """The naive Bayes model of the counts as they are, in logs, ready to score."""

    def __init__(
        self,
        examples_in: dict[str, int],
        features_in: dict[str, int],
        feature_counts: dict[str, dict[str, int]],
    ) -> None:
        total = sum(examples_in.values())
        vocabulary = len(feature_counts)
        log_smoothing = math.log(SMOOTHING)
        self.categories = list(examples_in)
        self.log_prior = {key: math.log(count / total) for key, count in examples_in.items()}
        # log P(feature | category) = log(count + a) - log(features_in + a * V)
        self.log_norm = {
            key: math.log(features_in[key] + SMOOTHING * vocabulary) for key in self.categories
        }
        self.log_smoothing = log_smoothing
        self.feature_counts = feature_counts
        self._lift: dict[str, dict[str, float]] = {}

    def _lift_of(self, feature: str) -> dict[str, float] | None:
        """log(count + a) - log(a) per category that has the feature: the only terms
        that differ from a feature never seen in the category."""
        lift = self._lift.get(feature)
        if lift is None:
            counts = self.feature_counts.get(feature)
            if counts is None:
                return None
            lift = {
                key: math.log(count + SMOOTHING) - self.log_smoothing
                for key, count in counts.items()
            }
            self._lift[feature] = lift
        return lift

    def posterior(self, features: Iterable[str]) -> dict[str, float]:
        lifts = [lift for feature in features if (lift := self._lift_of(feature)) is not None]
        known = len(lifts)
        scores = {
            key: self.log_prior[key] + known * (self.log_smoothing - self.log_norm[key])
            for key in self.categories
        }
        for lift in lifts:
            for key, value in lift.items():
                scores[key] += value
        top = max(scores.values())
        exponentials = {key: math.exp(score - top) for key, score in scores.items()}
        total = sum(exponentials.values())
        return {key: value / total for key, value in exponentials.items()}
