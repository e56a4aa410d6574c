"""Repeated corrections, offered as a rule: "you moved 3 'tesco stores' expenses to
groceries". Each time a person changes the category of an imported expense, the move
(payee, new category) is counted with the account; from the third, the command that
made it offers the rule, unless a rule already gives the payee that category.
"""

from __future__ import annotations

from dataclasses import dataclass

from budgetcli.models import Expense, category_key
from budgetcli.services.categories.rules import RuleSet, rules_of
from budgetcli.services.categories.text import payee_of
from budgetcli.store import Store
from budgetcli.tables import rules as table

MOVES_BEFORE_OFFER = 3
MAX_MOVES_KEPT = 1000
"""Distinct (payee, category) moves kept; past that, those made once are forgotten."""


@dataclass(frozen=True)
class RuleOffer:
    payee: str
    category: str
    moves: int


def count_move(store: Store, user_id: str, moved: Expense) -> RuleOffer | None:
    """Count a person's new category for an imported expense (`moved` as it is now);
    a RuleOffer when that payee has been moved to it often enough."""
    if not moved.imported:
        return None
    payee = payee_of(moved.description)
    if not payee or not moved.category:
        return None
    category = category_key(moved.category)
    tally = table.count_move(store, user_id, payee, category)
    if len(tally) > MAX_MOVES_KEPT:
        table.forget_moves(store, user_id, [move for move, count in tally.items() if count == 1])
    moves = tally.get(f"{payee}{table.MOVE_SEPARATOR}{category}", 0)
    if moves < MOVES_BEFORE_OFFER:
        return None
    rule = RuleSet(rules_of(store, user_id)).first_match(moved.description, moved.amount)
    if rule is not None and category_key(rule.category) == category:
        return None
    return RuleOffer(payee, moved.category, moves)
