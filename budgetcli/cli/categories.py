"""`budget rules add|list|rm|move|export|import` and `budget categorize`."""

import sys
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from budgetcli import output, parsing
from budgetcli.cli.common import (
    FormatOption,
    FromOption,
    MonthOption,
    Panel,
    ToOption,
    add_command,
    current_user,
    group,
    open_store,
)
from budgetcli.errors import Field, InvalidInput
from budgetcli.models import Direction
from budgetcli.output import OutputFormat

app = group(
    help="Your rules for categorising imported spending: the first rule that matches decides."
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="rules", rich_help_panel=Panel.CATEGORIES)
    add_command(root, "categorize", categorize, panel=Panel.CATEGORIES)


class DirectionChoice(StrEnum):
    OUT = "out"
    IN = "in"


def _amount(text: str | None) -> Decimal | None:
    return parsing.parse_amount(text) if text is not None else None


def add_rule(
    pattern: Annotated[
        str, typer.Argument(help="Text found in the description, in any case (or a --regex).")
    ],
    category: Annotated[str, typer.Argument(help="The category it sets; stored lower-case.")],
    name: Annotated[
        str | None,
        typer.Option("--name", help="What to call it (default: the pattern).", show_default=False),
    ] = None,
    payee: Annotated[
        bool,
        typer.Option(
            "--payee",
            help="Match the payee (the description without store numbers, dates, "
            "references and card boilerplate) instead of the whole description.",
        ),
    ] = False,
    regex: Annotated[
        bool, typer.Option("--regex", help="PATTERN is a regular expression, in any case.")
    ] = False,
    min_amount: Annotated[
        str | None,
        typer.Option("--min", metavar="A", help="Only amounts of at least A.", show_default=False),
    ] = None,
    max_amount: Annotated[
        str | None,
        typer.Option("--max", metavar="A", help="Only amounts of at most A.", show_default=False),
    ] = None,
    direction: Annotated[
        DirectionChoice | None,
        typer.Option(
            "--direction",
            help="Only money out (spending) or money in (refunds).",
            show_default=False,
            case_sensitive=False,
        ),
    ] = None,
    position: Annotated[
        int | None,
        typer.Option(
            "--position", min=1, help="Where it goes, 1 first (default: last).", show_default=False
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Add a rule: imported spending that matches gets its category.

    Rules are kept with your account, so an import on any machine uses them.

    The first rule that matches decides; rules come before what your history teaches.

    Example:  budget rules add tesco groceries --payee
    """
    from budgetcli.models import MatchKind, RuleField
    from budgetcli.output.categories import rule_record
    from budgetcli.services.categories import rules

    rule = rules.new_rule(
        pattern,
        parsing.parse_category(category),
        name=name,
        field=RuleField.PAYEE if payee else RuleField.DESCRIPTION,
        match=MatchKind.REGEX if regex else MatchKind.TEXT,
        min_amount=_amount(min_amount),
        max_amount=_amount(max_amount),
        direction=Direction(direction) if direction is not None else None,
    )
    store = open_store()
    at = rules.add_rule(store, current_user(store).user_id, rule, position=position)
    output.note(f"rule {rule.name!r} added at position {at}")
    output.emit_object(fmt, rule_record(rule, at))


def list_rules(fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List your rules in the order they are tried.

    Example:  budget rules list
    """
    from budgetcli.output.categories import emit_rules
    from budgetcli.services.categories import rules

    store = open_store()
    emit_rules(fmt, rules.rules_of(store, current_user(store).user_id))


def remove_rules(
    names: Annotated[
        list[str],
        typer.Argument(metavar="NAME...", help="Rules by name (see `budget rules list`)."),
    ],
) -> None:
    """Remove rules by name: all of them, or none when a name is unknown.

    Example:  budget rules rm tesco
    """
    from budgetcli.services.categories import rules

    store = open_store()
    removed = rules.remove_rules(store, current_user(store).user_id, names)
    output.note(f"removed {len(removed)} rule{'' if len(removed) == 1 else 's'}")


def move_rule(
    name: Annotated[str, typer.Argument(help="The rule to move.")],
    position: Annotated[int, typer.Argument(min=1, help="Its new place, 1 first.")],
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Move a rule to another place in the order (the first that matches decides).

    Example:  budget rules move "uber eats" 1
    """
    from budgetcli.output.categories import emit_rules
    from budgetcli.services.categories import rules

    store = open_store()
    emit_rules(fmt, rules.move_rule(store, current_user(store).user_id, name, position))


def export_rules() -> None:
    """Write your rules to stdout as a JSON file that `budget rules import` reads.

    Example:  budget rules export > rules.json
    """
    from budgetcli.services.categories import rules

    store = open_store()
    found = rules.rules_of(store, current_user(store).user_id)
    output.emit_json(rules.rules_document(found))


def import_rules(
    file: Annotated[
        str, typer.Argument(metavar="FILE|-", help="A file of `budget rules export`; - is stdin.")
    ],
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Replace all your rules with the file's."),
    ] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Add the rules of a file after yours; one with the name of yours replaces it in place.

    Importing the same file again changes nothing.

    Example:  budget rules import rules.json
    """
    from budgetcli.services.categories import rules

    if file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {file}: {exc}") from None
    found = rules.rules_from_document(text)
    store = open_store()
    done = rules.import_rules(store, current_user(store).user_id, found, replace_all=replace)
    output.note(f"{done.added} added, {done.replaced} replaced: {done.total} rules in all")
    output.emit_object(fmt, {"added": done.added, "replaced": done.replaced, "total": done.total})


add_command(app, "add", add_rule)
add_command(app, "list", list_rules)
add_command(app, "rm", remove_rules)
add_command(app, "move", move_rule)
add_command(app, "export", export_rules)
add_command(app, "import", import_rules)


def categorize(
    first: FromOption = None,
    last: ToOption = None,
    month: MonthOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the proposals; change nothing.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Apply the proposals without asking (scripts).")
    ] = False,
    fallbacks: Annotated[
        list[str] | None,
        typer.Option(
            "--fallback",
            metavar="C",
            help="Also review imports made before budgetcli kept where categories came "
            "from, filed under C (e.g. the --category of old imports). Repeatable.",
        ),
    ] = None,
    evaluate: Annotated[
        bool,
        typer.Option(
            "--eval",
            help="Replay your own categorised history, each month predicted from the months "
            "before, and print how often learning decides and how often it is right.",
        ),
    ] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Propose categories for imported spending left uncategorised, and why.

    It covers expenses an import left in its fallback category (--category, or
    uncategorized), by default those of the last two years.

    Each proposal comes from one of your rules, or from past expenses you categorised;
    where learning is unsure it proposes nothing and shows its best guesses.

    A category a person set is never changed. Nothing is applied until you confirm.

    Example:  budget categorize --month 2026-11 --dry-run
    """
    from budgetcli.services.categories import review

    days = parsing.parse_date_range(first, last, month)
    names = [parsing.parse_category(name) for name in fallbacks or []]
    if evaluate and (dry_run or yes or names):
        raise InvalidInput(
            Field("evaluate"),
            " only replays your history: it cannot be combined with ",
            Field("dry_run"),
            ", ",
            Field("yes"),
            " or ",
            Field("fallbacks"),
        )
    if dry_run and yes:
        raise InvalidInput(Field("dry_run"), " and ", Field("yes"), " contradict each other")
    store = open_store()
    user_id = current_user(store).user_id
    if evaluate:
        from budgetcli.output.categories import emit_evaluation

        emit_evaluation(fmt, review.evaluate(store, user_id, days))
        return
    from budgetcli.output.categories import emit_proposals

    found = review.proposals(store, user_id, days, fallbacks=names)
    ready = sum(1 for proposal in found if proposal.decision is not None)
    expenses = "expense" if len(found) == 1 else "expenses"
    title = f"{len(found)} {expenses} without a category, {ready} with a proposal"
    if not found:
        if fmt is OutputFormat.TABLE:
            output.terminal_note(
                "nothing to categorise: no imported expense is waiting for a category"
            )
        else:
            emit_proposals(fmt, [], title=title)
        return
    if dry_run or not ready:
        emit_proposals(fmt, found, title=title)
        # For a person: under cron a run that went well writes nothing on stderr.
        output.terminal_note(
            f"dry run: {ready} of {len(found)} would be categorised; nothing was changed"
            if dry_run
            else f"no proposal among {len(found)}: add rules, or categorise some by hand"
        )
        return
    if not yes:
        emit_proposals(fmt, found, title=title)
        try:
            agreed = typer.confirm(f"Apply {ready} categories?", default=False, err=True)
        except typer.Abort:
            agreed = False
        if not agreed:
            output.note("nothing was changed (pass --yes to apply without asking)")
            return
    done = review.apply(store, found, confirmed=not yes)
    if yes:
        emit_proposals(fmt, done.proposals, title=title)
    changed = (
        f"; {done.changed} changed meanwhile and were left as they are" if done.changed else ""
    )
    output.terminal_note(f"categorised {done.applied} of {len(found)} expenses{changed}")
