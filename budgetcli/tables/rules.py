"""What categorising keeps with an account, in the users table: the person's rules, and
the tally of the categories people moved imported expenses to.

Each is one item per user, keyed `RULES#<user_id>` and `MOVES#<user_id>`, with the
owner in `owner_user_id`. Neither has a `username` or `email` attribute, so neither is
on the users table's GSIs, the only ways the web app reads that table.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from budgetcli.dates import utc_now_iso
from budgetcli.models import Direction, MatchKind, Rule, RuleField
from budgetcli.store import ConditionFailed, Item, Store
from budgetcli.tables.schema import USERS

RULES_PREFIX = "RULES#"
MOVES_PREFIX = "MOVES#"


def rules_key(user_id: str) -> dict[str, str]:
    return {"user_id": f"{RULES_PREFIX}{user_id}"}


def moves_key(user_id: str) -> dict[str, str]:
    return {"user_id": f"{MOVES_PREFIX}{user_id}"}


def rule_to_map(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": rule.name,
        "field": str(rule.field),
        "match": str(rule.match),
        "pattern": rule.pattern,
        "category": rule.category,
    }
    if rule.min_amount is not None:
        data["min_amount"] = rule.min_amount
    if rule.max_amount is not None:
        data["max_amount"] = rule.max_amount
    if rule.direction is not None:
        data["direction"] = str(rule.direction)
    return data


def rule_from_map(data: Item) -> Rule:
    return Rule(
        name=str(data["name"]),
        pattern=str(data["pattern"]),
        category=str(data["category"]),
        field=RuleField(data.get("field", RuleField.DESCRIPTION)),
        match=MatchKind(data.get("match", MatchKind.TEXT)),
        min_amount=Decimal(data["min_amount"]) if data.get("min_amount") is not None else None,
        max_amount=Decimal(data["max_amount"]) if data.get("max_amount") is not None else None,
        direction=Direction(data["direction"]) if data.get("direction") else None,
    )


@dataclass(frozen=True)
class StoredRules:
    rules: tuple[Rule, ...]
    revision: int
    """0 when the user has no rules item yet; every save adds one."""


def load(store: Store, user_id: str) -> StoredRules:
    """The user's rules in order, read consistently."""
    item = store.get(USERS, rules_key(user_id), consistent=True, projection=["rules", "revision"])
    if not item:
        return StoredRules((), 0)
    return StoredRules(
        tuple(rule_from_map(data) for data in item.get("rules") or []),
        int(item.get("revision") or 0),
    )


def save(store: Store, user_id: str, rules: tuple[Rule, ...], *, revision: int) -> bool:
    """Replace the user's rules, only if they are still at `revision` (as loaded):
    False when another change came first."""
    values: dict[str, Any] = {
        ":rules": [rule_to_map(rule) for rule in rules],
        ":next": revision + 1,
        ":me": user_id,
        ":now": utc_now_iso(),
    }
    if revision == 0:
        condition = "attribute_not_exists(user_id)"
    else:
        condition = "#revision = :seen"
        values[":seen"] = revision
    try:
        store.update(
            USERS,
            rules_key(user_id),
            update="SET #rules = :rules, #revision = :next, owner_user_id = :me, updated_at = :now",
            condition=condition,
            names={"#rules": "rules", "#revision": "revision"},
            values=values,
        )
    except ConditionFailed:
        return False
    return True


MOVE_SEPARATOR = "\x1f"


def count_move(store: Store, user_id: str, payee: str, category: str) -> dict[str, int]:
    """Count one imported expense of `payee` moved to `category` by a person; returns the
    whole tally, {payee<US>category: moves}."""
    move = f"{payee}{MOVE_SEPARATOR}{category}"
    for _ in range(3):
        try:
            item = store.update(
                USERS,
                moves_key(user_id),
                update="SET #moves.#move = if_not_exists(#moves.#move, :zero) + :one",
                condition="attribute_exists(#moves)",
                names={"#moves": "moves", "#move": move},
                values={":zero": 0, ":one": 1},
            )
            return {str(key): int(count) for key, count in item["moves"].items()}
        except ConditionFailed:
            pass
        try:
            store.update(
                USERS,
                moves_key(user_id),
                update="SET #moves = :first, owner_user_id = :me",
                condition="attribute_not_exists(#moves)",
                names={"#moves": "moves"},
                values={":first": {move: 1}, ":me": user_id},
            )
            return {move: 1}
        except ConditionFailed:
            pass  # another edit made the tally first: count into it
    raise ConditionFailed("the tally of moves kept changing")


def forget_moves(store: Store, user_id: str, moves: list[str]) -> None:
    """Drop entries of the tally (those a rule now covers, or the oldest when it grows)."""
    if not moves:
        return
    names = {f"#m{i}": move for i, move in enumerate(moves)}
    try:
        store.update(
            USERS,
            moves_key(user_id),
            update="REMOVE " + ", ".join(f"#moves.{name}" for name in names),
            condition="attribute_exists(#moves)",
            names=names | {"#moves": "moves"},
        )
    except ConditionFailed:
        pass
