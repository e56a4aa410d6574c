"""A person's rules: checking a new one, matching rows against all of them fast, changing
the list safely, and the file they are exported to and imported from.

Rules are kept in order with the account (see `tables.rules`); the first that matches a
row decides its category. A rule reads the description, or the payee it names (see
`text.payee_of`), as text found in any case or as a regular expression; it may also ask
for an amount range and a direction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from budgetcli.errors import Conflict, Field, InvalidInput, NotFound
from budgetcli.models import Direction, MatchKind, Rule, RuleField
from budgetcli.parsing import parse_amount, parse_category
from budgetcli.services.categories.text import folded, payee_of
from budgetcli.store import Store
from budgetcli.tables import rules as table

MAX_RULES = 500  # with the longest patterns and names, one item stays under 400 KB
MAX_PATTERN_LENGTH = 200
MAX_NAME_LENGTH = 64
FILE_FORMAT = "budgetcli-rules"
FILE_VERSION = 1
# Tries of a change that another change got ahead of.
SAVE_ATTEMPTS = 5


def _check_text(value: str, what: str, limit: int, field: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(Field(field), f" is empty: give the rule's {what}")
    if len(text) > limit:
        raise InvalidInput(Field(field), f" is longer than {limit} characters")
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text):
        raise InvalidInput(Field(field), " contains control characters")
    return text


def new_rule(
    pattern: str,
    category: str,
    *,
    name: str | None = None,
    field: RuleField = RuleField.DESCRIPTION,
    match: MatchKind = MatchKind.TEXT,
    min_amount: Decimal | None = None,
    max_amount: Decimal | None = None,
    direction: Direction | None = None,
) -> Rule:
    """A rule, checked: a pattern that compiles, a range whose ends are in order. Its name
    defaults to the pattern."""
    pattern = _check_text(pattern, "pattern", MAX_PATTERN_LENGTH, "pattern")
    if match is MatchKind.REGEX:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InvalidInput(
                f"{pattern!r} is not a regular expression ({exc}): fix it, or drop ",
                Field("regex"),
                " to match it as text",
            ) from None
    if min_amount is not None and max_amount is not None and min_amount > max_amount:
        raise InvalidInput(
            Field("min_amount"),
            f" {min_amount} is more than ",
            Field("max_amount"),
            f" {max_amount}",
        )
    return Rule(
        name=_check_text(name if name is not None else pattern, "name", MAX_NAME_LENGTH, "name"),
        pattern=pattern,
        category=category,
        field=field,
        match=match,
        min_amount=min_amount,
        max_amount=max_amount,
        direction=direction,
    )


def _same_name(rule: Rule, name: str) -> bool:
    return folded(rule.name) == folded(name.strip())


# --- matching --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    on_payee: bool
    needle: str | None
    regex: re.Pattern[str] | None
    low: Decimal | None
    high: Decimal | None
    direction: Direction | None

    def amount_fits(self, amount: Decimal) -> bool:
        if self.direction is not None and (amount < 0) != (self.direction is Direction.IN):
            return False
        size = abs(amount)
        return (self.low is None or size >= self.low) and (self.high is None or size <= self.high)


class RuleSet:
    """Rules in order, compiled once, for matching many rows."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)
        self._compiled = [
            _Compiled(
                rule=rule,
                on_payee=rule.field is RuleField.PAYEE,
                needle=folded(rule.pattern) if rule.match is MatchKind.TEXT else None,
                regex=(
                    re.compile(rule.pattern, re.IGNORECASE)
                    if rule.match is MatchKind.REGEX
                    else None
                ),
                low=rule.min_amount,
                high=rule.max_amount,
                direction=rule.direction,
            )
            for rule in self.rules
        ]
        # By what they read and how, each rule with its place in the order: one
        # comprehension per kind tries them all much faster than a loop over rules.
        self._description_needles = self._numbered(on_payee=False, regex=False)
        self._description_regexes = self._numbered(on_payee=False, regex=True)
        self._payee_needles = self._numbered(on_payee=True, regex=False)
        self._payee_regexes = self._numbered(on_payee=True, regex=True)
        self._uses_payee = bool(self._payee_needles or self._payee_regexes)
        # Which rules' text matches a description: statements repeat their descriptions.
        self._text_matches: dict[tuple[str, str | None], tuple[_Compiled, ...]] = {}

    def __len__(self) -> int:
        return len(self.rules)

    def _numbered(self, *, on_payee: bool, regex: bool) -> list[tuple[int, Any]]:
        return [
            (number, compiled.regex if regex else compiled.needle)
            for number, compiled in enumerate(self._compiled)
            if compiled.on_payee is on_payee and (compiled.regex is not None) is regex
        ]

    def _matching_text(self, description: str, payee: str | None) -> tuple[_Compiled, ...]:
        key = (description, payee)
        found = self._text_matches.get(key)
        if found is None:
            text = folded(description)
            numbers = [n for n, needle in self._description_needles if needle in text]
            numbers += [n for n, regex in self._description_regexes if regex.search(description)]
            if self._uses_payee:
                payee_text = folded(payee) if payee is not None else payee_of(description)
                numbers += [n for n, needle in self._payee_needles if needle in payee_text]
                numbers += [n for n, regex in self._payee_regexes if regex.search(payee_text)]
            numbers.sort()
            found = tuple(self._compiled[n] for n in numbers)
            if len(self._text_matches) < 100_000:
                self._text_matches[key] = found
        return found

    def first_match(
        self, description: str, amount: Decimal, payee: str | None = None
    ) -> Rule | None:
        """The first rule that matches; `amount` is positive for money out."""
        for compiled in self._matching_text(description, payee):
            if compiled.amount_fits(amount):
                return compiled.rule
        return None


# --- changing the stored list ------------------------------------------------------------


def rules_of(store: Store, user_id: str) -> tuple[Rule, ...]:
    return table.load(store, user_id).rules


def _change(
    store: Store, user_id: str, change: Callable[[tuple[Rule, ...]], tuple[Rule, ...]]
) -> tuple[Rule, ...]:
    """Apply `change` to the stored list and save it, again from a fresh read whenever
    another change was saved in between (so that none is lost)."""
    for _ in range(SAVE_ATTEMPTS):
        stored = table.load(store, user_id)
        changed = change(stored.rules)
        if len(changed) > MAX_RULES:
            raise InvalidInput(
                f"at most {MAX_RULES} rules: remove some with `budget rules rm` first"
            )
        if table.save(store, user_id, changed, revision=stored.revision):
            return changed
    raise Conflict("the rules kept changing while this ran: run the command again")


def add_rule(store: Store, user_id: str, rule: Rule, *, position: int | None = None) -> int:
    """Add `rule` at `position` (1 is first; default: last); returns where it went."""

    def insert(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        if any(_same_name(existing, rule.name) for existing in rules):
            raise Conflict(
                f"a rule named {rule.name!r} exists: choose another ",
                Field("name"),
                ", or remove it first",
            )
        at = len(rules) if position is None else min(position, len(rules) + 1) - 1
        return (*rules[:at], rule, *rules[at:])

    rules = _change(store, user_id, insert)
    return next(i for i, r in enumerate(rules, 1) if r.name == rule.name)


def _index_of(rules: Sequence[Rule], name: str) -> int:
    for index, rule in enumerate(rules):
        if _same_name(rule, name):
            return index
    raise NotFound(f"no rule named {name.strip()!r} (see `budget rules list`)")


def remove_rules(store: Store, user_id: str, names: Sequence[str]) -> list[Rule]:
    """Remove the named rules, all or none; returns them."""
    removed: list[Rule] = []

    def without(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        indexes = {_index_of(rules, name) for name in names}
        removed[:] = [rules[i] for i in sorted(indexes)]
        return tuple(rule for i, rule in enumerate(rules) if i not in indexes)

    _change(store, user_id, without)
    return removed


def move_rule(store: Store, user_id: str, name: str, position: int) -> tuple[Rule, ...]:
    """Put the named rule at `position` (1 is first; past the end is last)."""
    if position < 1:
        raise InvalidInput(Field("position"), " starts at 1 (the first rule)")

    def moved(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
        index = _index_of(rules, name)
        rest = [*rules[:index], *rules[index + 1 :]]
        rest.insert(min(position, len(rules)) - 1, rules[index])
        return tuple(rest)

    return _change(store, user_id, moved)


@dataclass(frozen=True)
class RulesImported:
    added: int
    replaced: int
    total: int


def import_rules(
    store: Store, user_id: str, rules: Sequence[Rule], *, replace_all: bool = False
) -> RulesImported:
    """Add the rules of a file after the user's own; a rule whose name the user has
    replaces it where it stands. With `replace_all`, the file's rules are all there is."""
    counts = {"added": 0, "replaced": 0}

    def merged(existing: tuple[Rule, ...]) -> tuple[Rule, ...]:
        counts.update(added=0, replaced=0)
        if replace_all:
            counts["added"] = len(rules)
            return tuple(rules)
        result = list(existing)
        for rule in rules:
            at = next((i for i, r in enumerate(result) if _same_name(r, rule.name)), None)
            if at is None:
                result.append(rule)
                counts["added"] += 1
            else:
                result[at] = rule
                counts["replaced"] += 1
        return tuple(result)

    total = len(_change(store, user_id, merged))
    return RulesImported(counts["added"], counts["replaced"], total)


# --- the file ----------------------------------------------------------------------------


def rule_record(rule: Rule) -> dict[str, Any]:
    """A rule as the rules file (and the JSON listing of rules) writes it."""
    record: dict[str, Any] = {
        "name": rule.name,
        "field": str(rule.field),
        "match": str(rule.match),
        "pattern": rule.pattern,
        "category": rule.category,
        "min_amount": str(rule.min_amount) if rule.min_amount is not None else None,
        "max_amount": str(rule.max_amount) if rule.max_amount is not None else None,
        "direction": str(rule.direction) if rule.direction is not None else None,
    }
    return record


def rules_document(rules: Sequence[Rule]) -> dict[str, Any]:
    return {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "rules": [rule_record(rule) for rule in rules],
    }


def _choice(enum: Any, value: Any, what: str, at: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(str(member) for member in enum)
        raise InvalidInput(f"{at}: {what} {value!r} must be one of {choices}") from None


def _amount(value: Any, at: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return parse_amount(str(value))
    except InvalidInput as exc:
        raise InvalidInput(f"{at}: ", *exc.parts) from None


def rules_from_document(text: str) -> list[Rule]:
    """The rules of a rules file, every one checked as `rules add` checks it."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"not a rules file: not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise InvalidInput("not a rules file: export one with `budget rules export`")
    if document.get("version") != FILE_VERSION:
        raise InvalidInput(
            f"rules file version {document.get('version')!r}: this budgetcli reads version "
            f"{FILE_VERSION}; upgrade budgetcli"
        )
    entries = document.get("rules")
    if not isinstance(entries, list):
        raise InvalidInput("not a rules file: it has no list of rules")
    if len(entries) > MAX_RULES:
        raise InvalidInput(f"the file has {len(entries)} rules; at most {MAX_RULES} are kept")
    rules: list[Rule] = []
    for number, entry in enumerate(entries, 1):
        at = f"rule {number}"
        if not isinstance(entry, dict):
            raise InvalidInput(f"{at} is not an object")
        try:
            rule = new_rule(
                str(entry.get("pattern") or ""),
                parse_category(str(entry.get("category") or "")),
                name=str(entry["name"]) if entry.get("name") is not None else None,
                field=_choice(RuleField, entry.get("field", "description"), "field", at),
                match=_choice(MatchKind, entry.get("match", "text"), "match", at),
                min_amount=_amount(entry.get("min_amount"), at),
                max_amount=_amount(entry.get("max_amount"), at),
                direction=(
                    _choice(Direction, entry["direction"], "direction", at)
                    if entry.get("direction") is not None
                    else None
                ),
            )
        except InvalidInput as exc:
            if str(exc).startswith(at):
                raise
            raise InvalidInput(f"{at}: ", *exc.parts) from None
        if any(_same_name(rule, seen.name) for seen in rules):
            raise InvalidInput(f"{at}: the name {rule.name!r} is used twice in the file")
        rules.append(rule)
    return rules
