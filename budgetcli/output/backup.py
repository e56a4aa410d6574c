"""Backups: what a backup wrote, and what a restore did kind by kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from budgetcli import output
from budgetcli.errors import Field, render
from budgetcli.output import Column, OutputFormat

if TYPE_CHECKING:
    from budgetcli.services.backup import RestoreSummary

CONFLICTS_SHOWN = 50
# (one, many) where a kind's name is not a noun that takes an "s"
_NOUNS = {
    "import-profiles": ("set of import profiles", "sets of import profiles"),
    "rules": ("set of rules", "sets of rules"),
    "moves": ("category tally", "category tallies"),
}


def _counted(kind: str, count: int) -> str:
    one, many = _NOUNS.get(kind, (kind.replace("-", " "), kind.replace("-", " ") + "s"))
    return f"1 {one}" if count == 1 else f"{count:,} {many}"


def backup_note(username: str, counts: Mapping[str, int], where: str) -> str:
    items = sum(counts.values())
    parts = ", ".join(_counted(kind, count) for kind, count in counts.items())
    return f"backed up {username}: {items:,} items ({parts}) to {where}"


RESTORE_COLUMNS = [
    Column("Kind", "kind"),
    Column("In file", "in_file", "right"),
    Column("Restored", "restored", "right"),
    Column("Unchanged", "unchanged", "right"),
    Column("Conflicts", "conflicts", "right"),
]


def restore_record(summary: RestoreSummary) -> dict[str, Any]:
    """The contract's restore object."""
    return {
        "user_id": summary.user_id,
        "username": summary.username,
        "dry_run": summary.dry_run,
        "kinds": [
            {
                "kind": kind,
                "in_file": counts.in_file,
                "restored": counts.restored,
                "unchanged": counts.unchanged,
                "conflicts": counts.conflicts,
            }
            for kind, counts in summary.kinds.items()
        ],
        "conflicts": [{"kind": kind, "key": key} for kind, key in summary.conflicts],
    }


def emit_restore(fmt: OutputFormat, summary: RestoreSummary, names: Mapping[str, str]) -> None:
    record = restore_record(summary)
    if fmt is OutputFormat.JSON:
        output.emit_json(record)
    elif fmt is OutputFormat.CSV:
        output.emit_csv(RESTORE_COLUMNS, record["kinds"])
    else:
        total = summary.total
        verb = "would restore" if summary.dry_run else "restored"
        output.emit_table(
            RESTORE_COLUMNS,
            record["kinds"],
            title=f"Dry run: {verb} {summary.username}"
            if summary.dry_run
            else f"Restored {summary.username}",
            footer={
                "kind": "Total",
                "in_file": str(total.in_file),
                "restored": str(total.restored),
                "unchanged": str(total.unchanged),
                "conflicts": str(total.conflicts),
            },
        )
        if record["conflicts"]:
            shown = record["conflicts"][:CONFLICTS_SHOWN]
            more = total.conflicts - len(shown)
            output.emit_table(
                [Column("Kept as it is here", "kind"), Column("Key", "key")],
                shown,
                caption=render([f"and {more} more: ", Field("fmt"), " json lists them"], names)
                if more
                else None,
            )
    if summary.dry_run:
        output.note(f"dry run: {total_restored(summary)} would be restored; nothing was written")
    elif summary.account_created:
        output.note(
            f"now log in with the password {summary.username} had when the backup was made: "
            f"budget login {summary.username}"
        )


def total_restored(summary: RestoreSummary) -> str:
    restored = summary.total.restored
    return "1 item" if restored == 1 else f"{restored:,} items"


def conflicts_message(summary: RestoreSummary) -> str:
    conflicts = summary.total.conflicts
    if conflicts == 1:
        return "1 item differs here from the backup (changed since it was made): it was kept"
    return (
        f"{conflicts:,} items differ here from the backup (changed since it was made): "
        "they were kept as they are"
    )
