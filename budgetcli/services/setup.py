"""`init-tables`: create the four tables, check existing ones against the model."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from budgetcli.errors import StorageError
from budgetcli.store import IndexSpec, Store, TableSpec
from budgetcli.tables import budgets, expenses
from budgetcli.tables.schema import BUDGETS, EXPENSES, TABLES


class TableOutcome(StrEnum):
    CREATED = "created"
    EXISTED = "already existed"
    WRONG_SCHEMA = "wrong schema"
    MIGRATED = "migrated"


@dataclass(frozen=True)
class TableReport:
    table: str
    outcome: TableOutcome
    detail: str = ""


def schema_differences(spec: TableSpec, hash_key: str, indexes: tuple[IndexSpec, ...]) -> list[str]:
    """What an existing table lacks or has differently from `spec`, in words."""
    problems = []
    if hash_key != spec.hash_key:
        problems.append(f"key is {hash_key!r}, expected {spec.hash_key!r}")
    existing = {index.name: index for index in indexes}
    for wanted in spec.indexes:
        found = existing.get(wanted.name)
        if found is None:
            problems.append(f"index {wanted.name} is missing")
        elif found != wanted:
            problems.append(f"index {wanted.name} has a different key")
    return problems


def init_tables(store: Store) -> list[TableReport]:
    """Create whichever tables are missing and wait until all are ACTIVE.

    Existing tables are checked against the model and never changed.
    """
    reports: list[TableReport] = []
    to_wait_for: list[str] = []
    for spec in TABLES:
        name = store.table_name(spec.name)
        state = store.describe_table(spec.name)
        if state is None and store.create_table(spec):
            reports.append(TableReport(name, TableOutcome.CREATED))
            to_wait_for.append(spec.name)
            continue
        state = state or store.describe_table(spec.name)
        if state is None:
            raise StorageError(
                f"{name} vanished while being created: run `budget init-tables` again"
            )
        if problems := schema_differences(spec, state.hash_key, state.indexes):
            reports.append(TableReport(name, TableOutcome.WRONG_SCHEMA, "; ".join(problems)))
            continue
        reports.append(TableReport(name, TableOutcome.EXISTED))
        to_wait_for.append(spec.name)
    store.wait_until_active(to_wait_for)
    return reports


def migrate(store: Store) -> list[TableReport]:
    """Bring items written by budgetcli before 0.2 to the shapes the web app reads:
    tombstones out of its queries (and where a backup finds them), budgets with
    `alert_threshold`. Safe to run again: a second run changes nothing. It reads the
    expenses and budgets tables whole."""
    tombstones = expenses.upgrade_tombstones(store)
    legacy_budgets = budgets.upgrade_legacy(store)
    return [
        TableReport(
            store.table_name(EXPENSES),
            TableOutcome.MIGRATED,
            f"{tombstones} tombstone{'' if tombstones == 1 else 's'} of removed imports upgraded",
        ),
        TableReport(
            store.table_name(BUDGETS),
            TableOutcome.MIGRATED,
            f"{legacy_budgets} budget{'' if legacy_budgets == 1 else 's'} given alert_threshold",
        ),
    ]
