"""What an import did: counts, and the rows it rejected with their line numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from budgetcli import output
from budgetcli.errors import Field, render
from budgetcli.output import Column, OutputFormat

if TYPE_CHECKING:
    from budgetcli.services.imports import ImportSummary

ERRORS_SHOWN = 50


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def summary_record(summary: ImportSummary, names: Mapping[str, str]) -> dict[str, Any]:
    """The contract's import object; each error said with the command's option names."""
    return {
        "read": summary.read,
        "imported": summary.imported,
        "duplicates": summary.duplicates,
        "rejected": summary.rejected,
        "skipped": summary.skipped,
        "category_file": summary.category_file,
        "category_rule": summary.category_rule,
        "category_learned": summary.category_learned,
        "category_fallback": summary.category_fallback,
        "errors": [{"line": e.line, "error": e.error.render(names)} for e in summary.errors],
    }


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
    errors = record.pop("errors")
    if fmt is OutputFormat.JSON:
        output.emit_json(record | {"errors": errors})
    elif fmt is OutputFormat.CSV:
        output.emit_object(fmt, record)
        for row_error in errors:
            output.note(f"line {row_error['line']}: {row_error['error']}")
    else:
        output.emit_table(
            [Column("Read", "read", "right")]
            + [Column("Would import" if summary.dry_run else "Imported", "imported", "right")]
            + [Column("Duplicates", "duplicates", "right"), Column("Rejected", "rejected", "right")]
            + ([Column("Skipped", "skipped", "right")] if summary.skipped else []),
            [record],
            title="Dry run: nothing written" if summary.dry_run else None,
        )
        if decided := categories_decided(summary):
            output.note(f"categories: {decided}")
        if errors:
            shown = errors[:ERRORS_SHOWN]
            more = len(errors) - len(shown)
            output.emit_table(
                [Column("Line", "line", "right"), Column("Rejected because", "error")],
                shown,
                caption=render([f"and {more} more: ", Field("fmt"), " json lists them all"], names)
                if more
                else None,
            )
    if summary.strict_failed:
        wrong = "row is" if summary.rejected == 1 else "rows are"
        output.note(
            render(
                [
                    Field("strict"),
                    f": nothing was imported because {summary.rejected} {wrong} wrong",
                ],
                names,
            )
        )
    elif summary.dry_run:
        output.note(f"dry run: {_rows(summary.imported)} would be imported; nothing was written")
    elif summary.rejected and fmt is OutputFormat.TABLE:
        output.note(
            "fix the rejected rows and run the same command again: "
            "rows already imported are skipped"
        )
