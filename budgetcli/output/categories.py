"""Categories: the rules, `budget categorize`'s proposals with why, and how well learning
did on the person's own history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from budgetcli import output
from budgetcli.models import CategorySource, MatchKind, Rule, RuleField
from budgetcli.money import cents
from budgetcli.output import Column, OutputFormat

if TYPE_CHECKING:
    from budgetcli.services.categories import Decision
    from budgetcli.services.categories.evaluation import Evaluation
    from budgetcli.services.categories.learning import Example
    from budgetcli.services.categories.review import Proposal

# What a rule's pattern or a proposal's reason needs to be read when it wraps.
TEXT_NEEDS = 30
RULE_COLUMNS = [
    Column("#", "position", justify="right", no_wrap=True, heading=True),
    Column("Name", "name", heading=True),
    Column("Category", "category", heading=True),
    Column("Matches", "matches", needs=TEXT_NEEDS),
    Column("Amount", "amount", no_wrap=True),
]
RULE_CSV_COLUMNS = [
    Column(key, key)
    for key in (
        "position",
        "name",
        "field",
        "match",
        "pattern",
        "category",
        "min_amount",
        "max_amount",
        "direction",
    )
]


def rule_record(rule: Rule, position: int) -> dict[str, Any]:
    from budgetcli.services.categories.rules import rule_record as file_record

    return {"position": position} | file_record(rule)


def _matches(rule: Rule) -> str:
    field = "payee" if rule.field is RuleField.PAYEE else "description"
    how = "matches regex" if rule.match is MatchKind.REGEX else "contains"
    return f"{field} {how} {rule.pattern!r}"


def _amounts(rule: Rule) -> str:
    parts = []
    if rule.min_amount is not None and rule.max_amount is not None:
        parts.append(f"{cents(rule.min_amount)}-{cents(rule.max_amount)}")
    elif rule.min_amount is not None:
        parts.append(f">= {cents(rule.min_amount)}")
    elif rule.max_amount is not None:
        parts.append(f"<= {cents(rule.max_amount)}")
    if rule.direction is not None:
        parts.append(f"money {rule.direction}")
    return ", ".join(parts)


def emit_rules(fmt: OutputFormat, rules: Sequence[Rule]) -> None:
    records = [rule_record(rule, position) for position, rule in enumerate(rules, 1)]
    if fmt is OutputFormat.JSON:
        output.emit_json(records)
    elif fmt is OutputFormat.CSV:
        output.emit_csv(RULE_CSV_COLUMNS, records)
    elif not rules:
        output.note("no rules yet: add one with `budget rules add tesco groceries`")
    else:
        output.emit_table(RULE_COLUMNS, rule_rows(rules), title="Rules, first match wins")


def rule_rows(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """The rules as the table shows them."""
    return [
        {
            "position": position,
            "name": rule.name,
            "matches": _matches(rule),
            "amount": _amounts(rule),
            "category": rule.category,
        }
        for position, rule in enumerate(rules, 1)
    ]


# --- proposals ---------------------------------------------------------------------------


def _percent(confidence: float) -> str:
    return f"{confidence * 100:.0f}%"


def _example_record(example: Example) -> dict[str, Any]:
    return {
        "expense_id": example.expense_id,
        "date": example.day.isoformat(),
        "amount": cents(example.amount),
        "description": example.description,
        "category": example.category,
    }


def _decision_record(decision: Decision) -> dict[str, Any]:
    record: dict[str, Any] = {
        "category": decision.category,
        "source": str(decision.source),
        "confidence": round(decision.confidence, 3),
        "rule": decision.rule.name if decision.rule else None,
    }
    guess = decision.guess
    if guess is not None:
        record |= {
            "basis": str(guess.basis),
            "payee": guess.payee,
            "payee_seen": guess.seen,
            "examples": [_example_record(example) for example in guess.examples],
        }
    return record


def why(decision: Decision) -> str:
    """One short line on where a suggestion comes from (JSON has the whole of it)."""
    if decision.source is CategorySource.RULE and decision.rule is not None:
        return f"rule {decision.rule.name!r}"
    guess = decision.guess
    if guess is None:
        return str(decision.source)
    sure = _percent(decision.confidence)
    if guess.seen:
        return f"{sure}: {guess.seen} past {guess.payee!r}"
    if guess.examples:
        return f"{sure}: like {guess.examples[0].description!r}"
    return sure


def proposal_record(proposal: Proposal) -> dict[str, Any]:
    expense = proposal.expense
    return {
        "expense_id": expense.expense_id,
        "date": expense.date.isoformat(),
        "amount": cents(expense.amount),
        "description": expense.description,
        "category": expense.category,
        "proposed": _decision_record(proposal.decision) if proposal.decision else None,
        "suggestions": [_decision_record(decision) for decision in proposal.suggestions],
        "applied": proposal.applied,
    }


PROPOSAL_CSV_COLUMNS = [
    Column(key, key)
    for key in (
        "expense_id",
        "date",
        "amount",
        "description",
        "category",
        "proposed",
        "source",
        "confidence",
        "rule",
        "applied",
    )
]
PROPOSAL_COLUMNS = [
    Column("Date", "date", no_wrap=True, heading=True),
    Column("Amount", "amount", justify="right", no_wrap=True, heading=True),
    Column("Description", "description", own_line=True, needs=TEXT_NEEDS),
    Column("Proposed", "proposed", heading=True),
    Column("Why", "why", needs=TEXT_NEEDS),
]


def emit_proposals(fmt: OutputFormat, proposals: Sequence[Proposal], *, title: str) -> None:
    if fmt is OutputFormat.JSON:
        output.emit_json([proposal_record(proposal) for proposal in proposals])
        return
    if fmt is OutputFormat.CSV:
        rows = []
        for proposal in proposals:
            record = proposal_record(proposal)
            proposed = record.pop("proposed") or {}
            record.pop("suggestions")
            rows.append(
                record
                | {
                    "proposed": proposed.get("category", ""),
                    "source": proposed.get("source", ""),
                    "confidence": proposed.get("confidence", ""),
                    "rule": proposed.get("rule") or "",
                    "applied": "yes" if proposal.applied else "no",
                }
            )
        output.emit_csv(PROPOSAL_CSV_COLUMNS, rows)
        return
    output.emit_table(PROPOSAL_COLUMNS, proposal_rows(proposals), title=title)


def proposal_rows(proposals: Sequence[Proposal]) -> list[dict[str, Any]]:
    """The proposals as the table shows them: the category, and why in a few words."""
    rows = []
    for proposal in proposals:
        decision = proposal.decision
        if decision is not None:
            proposed, reason = decision.category, why(decision)
        else:
            proposed = "?"
            reason = "unsure: " + (
                ", ".join(f"{s.category} {_percent(s.confidence)}" for s in proposal.suggestions)
                or "nothing learned yet"
            )
        rows.append(
            {
                "date": proposal.expense.date.isoformat(),
                "amount": cents(proposal.expense.amount),
                "description": proposal.expense.description,
                "proposed": proposed,
                "why": reason,
            }
        )
    return rows


# --- evaluation --------------------------------------------------------------------------


def _share(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:.1f}"


def evaluation_record(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "months": evaluation.months,
        "rows": evaluation.rows,
        "decided": evaluation.decided,
        "correct": evaluation.correct,
        "coverage": _share(evaluation.coverage),
        "accuracy": _share(evaluation.accuracy),
        "seen_rows": evaluation.seen_rows,
        "seen_decided": evaluation.seen_decided,
        "seen_abstention": _share(evaluation.seen_abstention),
    }


def emit_evaluation(fmt: OutputFormat, evaluation: Evaluation) -> None:
    record = evaluation_record(evaluation)
    if fmt is not OutputFormat.TABLE:
        output.emit_object(fmt, record)
        return
    if not evaluation.rows:
        output.note(
            "nothing to replay: learning needs at least two months of expenses you categorised"
        )
        return

    output.emit_table(EVALUATION_COLUMNS, evaluation_rows(evaluation), show_header=False)


EVALUATION_COLUMNS = [
    Column("", "what", style="bold", heading=True, needs=TEXT_NEEDS),
    Column("", "value", justify="right", no_wrap=True),
]


def evaluation_rows(evaluation: Evaluation) -> list[dict[str, Any]]:
    def share(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:.1f}%"

    return [
        {"what": "months predicted from the months before", "value": evaluation.months},
        {"what": "expenses predicted", "value": evaluation.rows},
        {"what": "coverage: categorised, not abstained", "value": share(evaluation.coverage)},
        {"what": "accuracy: right among those", "value": share(evaluation.accuracy)},
        {"what": "expenses whose payee was seen before", "value": evaluation.seen_rows},
        {"what": "abstained among those", "value": share(evaluation.seen_abstention)},
    ]
