"""What an import did (counts, the rows it rejected, the layout it chose, the first rows it
would store), and the import profiles.

Notes for people (the profile used, a layout that is only a guess) go to stderr on a
terminal only: under cron an import prints nothing but its `error:` lines on stderr.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from budgetcli import output
from budgetcli.errors import Field, render
from budgetcli.money import cents
from budgetcli.output import Column, OutputFormat

if TYPE_CHECKING:
    from budgetcli.models import Expense
    from budgetcli.services.imports import ImportSummary
    from budgetcli.services.imports.profiles import Profile
    from budgetcli.statements import Layout

ERRORS_SHOWN = 50
HEADER_CELLS_SHOWN = 4
# The proof statuses that say the reading rests on no evidence from the file.
_GUESSES = ("unproven",)
OWN_FORMAT = "budgetcli"
# What a layout choice or a rejected row needs to be read comfortably when it wraps.
TEXT_NEEDS = 30
# Two columns, "what" and "how": a layout's choices, a profile; stacked when narrow.
CHOICE_COLUMNS = [
    Column("", "what", style="bold", no_wrap=True, heading=True),
    Column("", "how", own_line=True, needs=TEXT_NEEDS),
]
PREVIEW_COLUMNS = [
    Column("Date", "date", no_wrap=True, heading=True),
    Column("Amount", "amount", justify="right", no_wrap=True, heading=True),
    Column("Category", "category", heading=True),
    Column("Description", "description", own_line=True, needs=TEXT_NEEDS),
]
ERROR_COLUMNS = [
    Column("Line", "line", "right", no_wrap=True, heading=True),
    Column("Rejected because", "error", own_line=True, needs=TEXT_NEEDS),
]


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def preview_record(expense: Expense) -> dict[str, str]:
    return {
        "date": expense.date.isoformat(),
        "amount": cents(expense.amount),
        "category": expense.category,
        "description": expense.description,
    }


def layout_record(summary: ImportSummary) -> dict[str, Any]:
    """How the file was read: its format, the profile, the proof, what was guessed."""
    layout = summary.layout
    record: dict[str, Any] = {
        "format": OWN_FORMAT if layout is None else layout.kind,
        "profile": summary.profile.used,
        "remembered_as": summary.profile.saved,
        "proof": summary.proof.status.value if summary.proof is not None else None,
        "guessed": list(layout.guessed) if layout is not None else [],
    }
    if summary.dry_run:
        record["choices"] = [{"what": what, "how": how} for what, how in _choices(summary)]
    return record


def _choices(summary: ImportSummary) -> list[tuple[str, str]]:
    layout = summary.layout
    if layout is None:
        return [("format", "budgetcli's own columns: date, amount, category, description")]
    choices = layout.describe()
    if summary.proof is not None:
        # The proof over the whole file, not only the part detection read.
        choices = [
            (what, f"{summary.proof.status}: {summary.proof.detail}" if what == "proof" else how)
            for what, how in choices
        ]
    if summary.profile.used:
        choices.insert(0, ("profile", summary.profile.used))
    return choices


def summary_record(summary: ImportSummary, names: Mapping[str, str]) -> dict[str, Any]:
    """The contract's import object; each error said with the command's option names."""
    record: dict[str, Any] = {"read": summary.read, "imported": summary.imported}
    if summary.dry_run:
        record["would_import"] = summary.would_import
    record |= {
        "duplicates": summary.duplicates,
        "rejected": summary.rejected,
        "skipped": summary.skipped,
        "skipped_by_reason": dict(sorted(summary.skipped_by_reason.items())),
        "category_file": summary.category_file,
        "category_rule": summary.category_rule,
        "category_learned": summary.category_learned,
        "category_fallback": summary.category_fallback,
        "errors": [{"line": e.line, "error": e.error.render(names)} for e in summary.errors],
        "dry_run": summary.dry_run,
        "layout": layout_record(summary),
    }
    if summary.dry_run:
        record["preview"] = [preview_record(expense) for expense in summary.preview]
    return record


def categories_decided(summary: ImportSummary) -> str:
    """How the rows' categories were decided, for people: "12 by rule, 30 learned, ..."
    ("" when every row had its category in the file)."""
    if not (summary.category_rule or summary.category_learned or summary.category_fallback):
        return ""
    parts = [
        (summary.category_file, "from the file"),
        (summary.category_rule, "by your rules"),
        (summary.category_learned, "learned from your history"),
        (summary.category_fallback, "left in the fallback category"),
    ]
    return ", ".join(f"{count} {how}" for count, how in parts if count)


def emit_summary(fmt: OutputFormat, summary: ImportSummary, names: Mapping[str, str]) -> None:
    record = summary_record(summary, names)
    errors = record["errors"]
    if fmt is OutputFormat.JSON:
        output.emit_json(record)
    elif fmt is OutputFormat.CSV:
        counts = ["read", "imported", "would_import", "duplicates", "rejected", "skipped"]
        counts += ["category_file", "category_rule", "category_learned", "category_fallback"]
        output.emit_object(fmt, {key: record[key] for key in counts if key in record})
        for row_error in errors:
            output.note(f"line {row_error['line']}: {row_error['error']}")
    else:
        _emit_tables(summary, record, names)
    _notes(summary, names)


def _emit_tables(summary: ImportSummary, record: dict[str, Any], names: Mapping[str, str]) -> None:
    if summary.dry_run:
        output.emit_table(
            CHOICE_COLUMNS,
            [{"what": what, "how": how} for what, how in _choices(summary)],
            title="Layout",
            show_header=False,
        )
        output.emit_table(
            PREVIEW_COLUMNS, record["preview"], title="First rows as they would be stored"
        )
    reasons = ", ".join(
        f"{count} {why.replace('_', ' ')}" for why, count in record["skipped_by_reason"].items()
    )
    decided = categories_decided(summary)
    caption = [
        f"skipped: {reasons}" if reasons else "",
        f"categories: {decided}" if decided else "",
    ]
    output.emit_table(
        [Column("Read", "read", "right", no_wrap=True)]
        + [
            Column("Would import", "would_import", "right", no_wrap=True)
            if summary.dry_run
            else Column("Imported", "imported", "right", no_wrap=True)
        ]
        + [
            Column("Duplicates", "duplicates", "right", no_wrap=True),
            Column("Rejected", "rejected", "right", no_wrap=True),
        ]
        + ([Column("Skipped", "skipped", "right", no_wrap=True)] if summary.skipped else []),
        [record],
        title="Dry run: nothing written" if summary.dry_run else None,
        caption="\n".join(line for line in caption if line) or None,
    )
    errors = record["errors"]
    if errors:
        shown = errors[:ERRORS_SHOWN]
        more = len(errors) - len(shown)
        output.emit_table(
            ERROR_COLUMNS,
            shown,
            caption=render([f"and {more} more: ", Field("fmt"), " json lists them all"], names)
            if more
            else None,
        )


def _notes(summary: ImportSummary, names: Mapping[str, str]) -> None:
    """What a person at a terminal should know about how the file was read."""
    if summary.profile.used:
        used = summary.profile.used
        output.terminal_note(f"read with the layout remembered for this bank (profile {used})")
    proof = summary.proof
    if proof is not None and not summary.dry_run:
        if proof.status.value in _GUESSES:
            output.terminal_note(
                render(
                    [f"the layout is a guess ({proof.detail}): check it with ", Field("dry_run")],
                    names,
                )
            )
        elif proof.status.value == "partly proven":
            output.terminal_note(f"warning: {proof.detail}")
    if summary.profile.saved:
        output.terminal_note(
            f"layout remembered as profile {summary.profile.saved_name or summary.profile.saved}: "
            "the next file like this one needs no options"
        )
    if summary.dry_run and not summary.strict_failed:
        output.terminal_note(
            f"dry run: {_rows(summary.would_import)} would be imported; nothing was written"
        )


# --- profiles -------------------------------------------------------------------------------


def _header_text(layout: Layout) -> str:
    if layout.kind != "csv":
        return layout.kind.upper()
    if layout.header is None:
        return f"no header, {layout.width} columns"
    cells = [cell.strip() for cell in layout.header if cell.strip()]
    shown = ", ".join(cells[:HEADER_CELLS_SHOWN])
    return shown + (", ..." if len(cells) > HEADER_CELLS_SHOWN else "")


def _minute(timestamp: str) -> str:
    """'2026-11-27T08:46:45.214190+00:00' -> '2026-11-27 08:46' (UTC), for a table."""
    return timestamp[:16].replace("T", " ")


def profile_record(profile: Profile) -> dict[str, Any]:
    layout = profile.layout
    return {
        "profile_id": profile.profile_id,
        "name": profile.name,
        "saved_at": profile.saved_at,
        "delimiter": layout.delimiter,
        "header": list(layout.header) if layout.header is not None else None,
    }


def emit_profiles(fmt: OutputFormat, profiles: Sequence[Profile]) -> None:
    if fmt is OutputFormat.JSON:
        output.emit_json([profile_record(p) for p in profiles])
        return
    for_people = fmt is OutputFormat.TABLE
    records = [
        profile_record(p)
        | {
            # A script gets every column of the header; a person the first few.
            "columns": _header_text(p.layout) if for_people else _full_header(p.layout),
            "saved": _minute(p.saved_at),
        }
        for p in profiles
    ]
    output.emit_records(
        fmt,
        [
            Column("Id", "profile_id", no_wrap=True, heading=True),
            Column("Name", "name", heading=True),
            Column("Saved", "saved" if for_people else "saved_at", no_wrap=True),
            Column("Columns", "columns", own_line=True, needs=TEXT_NEEDS),
        ],
        records,
    )


def _full_header(layout: Layout) -> str:
    if layout.kind != "csv" or layout.header is None:
        return _header_text(layout)
    return ", ".join(cell.strip() for cell in layout.header if cell.strip())


def emit_profile(fmt: OutputFormat, profile: Profile) -> None:
    choices = profile.layout.describe()
    if fmt is OutputFormat.JSON:
        output.emit_json(
            profile_record(profile)
            | {
                "choices": [{"what": what, "how": how} for what, how in choices],
                "layout": profile.layout.to_dict(),
            }
        )
        return
    rows = [{"what": "id", "how": profile.profile_id}]
    if profile.name:
        rows.append({"what": "name", "how": profile.name})
    rows.append({"what": "saved", "how": profile.saved_at})
    rows += [{"what": what, "how": how} for what, how in choices]
    if fmt is OutputFormat.CSV:
        output.emit_csv([Column("what", "what"), Column("how", "how")], rows)
    else:
        output.emit_table(CHOICE_COLUMNS, rows, show_header=False)
