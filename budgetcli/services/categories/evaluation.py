"""How well learning would have done on a person's own history: each month is predicted
from the months before it only, then taught, and so on to the newest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from budgetcli.models import category_key
from budgetcli.services.categories.learning import Example, Learner
from budgetcli.services.categories.text import payee_of


@dataclass
class Evaluation:
    """Counts over every month after the first. `seen_*` count the rows whose payee was
    in an earlier month."""

    months: int = 0
    rows: int = 0
    decided: int = 0
    correct: int = 0
    seen_rows: int = 0
    seen_decided: int = 0
    seen_correct: int = 0
    wrong: list[tuple[Example, str]] = field(default_factory=list)
    """(the expense, the category learning gave it), for a closer look."""

    @property
    def coverage(self) -> float | None:
        return self.decided / self.rows if self.rows else None

    @property
    def accuracy(self) -> float | None:
        """Right among the rows it decided."""
        return self.correct / self.decided if self.decided else None

    @property
    def seen_abstention(self) -> float | None:
        """Abstained among the rows whose payee was seen before."""
        return 1 - self.seen_decided / self.seen_rows if self.seen_rows else None

    @property
    def seen_accuracy(self) -> float | None:
        return self.seen_correct / self.seen_decided if self.seen_decided else None


def replay(examples: Iterable[Example], *, keep_wrong: int = 0) -> Evaluation:
    """Replay `examples` (any order) month by month; `keep_wrong` wrong guesses are kept."""
    months: dict[str, list[Example]] = {}
    for example in sorted(examples, key=lambda e: (e.day, e.expense_id)):
        months.setdefault(example.day.strftime("%Y-%m"), []).append(example)
    learner = Learner()
    seen_payees: set[str] = set()
    result = Evaluation()
    for number, month in enumerate(months.values()):
        if number:
            result.months += 1
            for example in month:
                payee = payee_of(example.description)
                seen = bool(payee) and payee in seen_payees
                guess = learner.decide(example.description, example.amount, payee)
                right = guess is not None and category_key(guess.category) == category_key(
                    example.category
                )
                result.rows += 1
                result.decided += guess is not None
                result.correct += right
                if seen:
                    result.seen_rows += 1
                    result.seen_decided += guess is not None
                    result.seen_correct += right
                if guess is not None and not right and len(result.wrong) < keep_wrong:
                    result.wrong.append((example, guess.category))
        for example in month:
            learner.learn(example)
            if payee := payee_of(example.description):
                seen_payees.add(payee)
    return result
