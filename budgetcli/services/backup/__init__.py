"""`budget backup` and `budget restore`: every item an account owns, in every table, out
to one file and back into any store.

A backup streams item by item, kind by kind (`KINDS`); nothing of another account and no
live session is ever in it. A restore reads the whole file once to check it (nothing is
written from a file that is cut short or was edited), checks who may restore it here,
then writes what is missing, never changing an item that is there: an item that differs
from the backup is a conflict, reported and kept as it is. The account itself (user item
and markers) is written last, in one transaction, so an interrupted restore leaves no
account to log in to, and running the same restore again finishes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import BinaryIO

from budgetcli import __version__
from budgetcli.dates import utc_now_iso
from budgetcli.errors import AuthError, BudgetError, Conflict, ExitCode, StorageError
from budgetcli.models import User
from budgetcli.services.backup import files
from budgetcli.services.backup.format import (
    VERSION,
    Header,
    Line,
    Writer,
    read_backup,
    refused,
)
from budgetcli.store import Item, Store
from budgetcli.tables import budgets, expenses, kinds, notifications, users
from budgetcli.tables.kinds import ItemKind

__all__ = [
    "KINDS",
    "BackupSummary",
    "CheckedBackup",
    "RestoreStopped",
    "RestoreSummary",
    "checked_backup",
    "restore_backup",
    "write_backup",
]

# The order a backup is written and restored in. Notifications come before budgets, so
# that an alerts run during a restore finds the alerts it must not raise again.
KINDS: tuple[ItemKind, ...] = (
    *users.BACKUP_KINDS,
    *notifications.BACKUP_KINDS,
    *expenses.BACKUP_KINDS,
    *budgets.BACKUP_KINDS,
)
_BY_NAME = {kind.name: kind for kind in KINDS}
_KNOWN = frozenset(_BY_NAME)
CHUNK_ITEMS = 100  # one BatchGetItem, one TransactWriteItems
WORKERS = 4
MAX_CHUNKS_IN_FLIGHT = 2 * WORKERS
MAX_CONFLICTS_LISTED = 1000


def _shown(item: Item, kind: ItemKind) -> Item:
    return {name: value for name, value in item.items() if name not in kind.private}


# --- backup -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupSummary:
    user: User
    counts: dict[str, int]

    @property
    def items(self) -> int:
        return sum(self.counts.values())


def write_backup(
    store: Store,
    user: User,
    stream: BinaryIO,
    *,
    on_item: Callable[[int], None] | None = None,
    now: str | None = None,
) -> BackupSummary:
    """Write every item `user` owns to `stream`, one line at a time."""
    writer = Writer(stream)
    writer.header(
        Header(VERSION, user.user_id, user.username, now or utc_now_iso()),
        f"budgetcli {__version__}",
    )
    written = 0
    for kind in KINDS:
        for item in kind.owned_items(store, user):
            writer.item(kind.name, _shown(item, kind))
            written += 1
            if on_item:
                on_item(written)
    footer = writer.close()
    return BackupSummary(user, footer.counts)


# --- checking a backup before anything is written ------------------------------------------


class _Copying:
    """Reads lines from a stream that can be read only once, keeping a copy in `spool`."""

    def __init__(self, stream: BinaryIO, spool: BinaryIO) -> None:
        self.stream = stream
        self.spool = spool

    def readline(self, limit: int = -1) -> bytes:
        line = self.stream.readline(limit)
        self.spool.write(line)
        return line


@dataclass
class CheckedBackup:
    """A backup file read through once and found whole: its account, its counts, and
    the account's own items (the user item and its markers), to be written last."""

    name: str
    header: Header
    user: User
    counts: dict[str, int]
    account_items: list[tuple[ItemKind, Item]]
    _stream: BinaryIO

    @property
    def items(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> Iterator[Line]:
        """Every item again, from the start, checked again on the way (the file could
        have changed since)."""
        self._stream.seek(0)
        header, lines = read_backup(self._stream, self.name, _KNOWN)
        if header != self.header:
            raise refused(self.name, "the file changed while it was being restored")
        for line in lines:
            _check_owner(_BY_NAME[line.kind], line, header, self.name)
            yield line


@contextlib.contextmanager
def checked_backup(path: Path | None) -> Iterator[CheckedBackup]:
    """Read the backup at `path` (None: stdin) through once and check all of it: its
    header, every line, the owner of every item, and the closing line's counts and
    checksum. InvalidInput names the first thing wrong; no storage is involved."""
    name = str(path) if path is not None else "stdin"
    with files.readable_twice(path) as (stream, spool):
        reading = stream if spool is None else _Copying(stream, spool)
        header, lines = read_backup(reading, name, _KNOWN)  # type: ignore[arg-type]
        counts: dict[str, int] = {}
        account_items: list[tuple[ItemKind, Item]] = []
        for line in lines:
            kind = _BY_NAME[line.kind]
            _check_owner(kind, line, header, name)
            counts[kind.name] = counts.get(kind.name, 0) + 1
            if kind.with_account:
                account_items.append((kind, line.item))
        user = _account_user(account_items, header, name)
        yield CheckedBackup(name, header, user, counts, account_items, spool or stream)


def _check_owner(kind: ItemKind, line: Line, header: Header, name: str) -> None:
    key = line.item.get(kind.key)
    if not isinstance(key, str) or not key:
        raise refused(name, f"line {line.number}: the {kind.name} has no {kind.key}")
    owner = kind.owner(line.item)
    if owner != header.user_id:
        whose = "another account's" if owner else "no account's"
        raise refused(
            name,
            f"line {line.number}: the {kind.name} {key} is {whose}, not {header.username}'s: "
            "the file was edited",
        )


def _account_user(account: list[tuple[ItemKind, Item]], header: Header, name: str) -> User:
    """The account's user, once its items agree with each other and with the header."""
    user_items = [item for kind, item in account if kind.name == "user"]
    if len(user_items) != 1:
        raise refused(name, f"it holds {len(user_items)} user items, not one")
    user = users.user_from_item(user_items[0])
    if user.username != header.username:
        raise refused(name, "its user item and its header name different accounts")
    keys: set[str] = set()
    for kind, item in account:
        key = item[kind.key]
        if kind.keys_of is not None and key not in kind.keys_of(user):
            raise refused(name, f"its {kind.name} {key!r} is not {user.username}'s")
        if key in keys:
            raise refused(name, f"it holds {key!r} twice")
        keys.add(key)
    return user


# --- restore ------------------------------------------------------------------------------


@dataclass
class KindCounts:
    in_file: int = 0
    restored: int = 0
    unchanged: int = 0
    conflicts: int = 0


@dataclass
class RestoreSummary:
    """What a restore did (or, with `dry_run`, would do), kind by kind."""

    user_id: str
    username: str
    dry_run: bool = False
    kinds: dict[str, KindCounts] = field(default_factory=dict)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    """(kind, key) of items that differ here from the backup, kept as they are; the first
    MAX_CONFLICTS_LISTED of them."""
    account_created: bool = False

    @property
    def total(self) -> KindCounts:
        counts = KindCounts()
        for kind in self.kinds.values():
            counts.in_file += kind.in_file
            counts.restored += kind.restored
            counts.unchanged += kind.unchanged
            counts.conflicts += kind.conflicts
        return counts

    def add(self, kind: str, outcome: _Outcome) -> None:
        counts = self.kinds.setdefault(kind, KindCounts())
        counts.restored += outcome.restored
        counts.unchanged += outcome.unchanged
        counts.conflicts += len(outcome.conflicts)
        room = MAX_CONFLICTS_LISTED - len(self.conflicts)
        self.conflicts += [(kind, key) for key in outcome.conflicts[: max(room, 0)]]


class RestoreStopped(BudgetError):
    """A restore stopped part-way (Ctrl-C, or storage failed); running it again finishes it."""

    def __init__(self, summary: RestoreSummary, cause: StorageError | None) -> None:
        so_far = f"{summary.total.restored} items restored so far"
        again = "run the same restore again to finish: what is restored is not written twice"
        if cause is None:
            super().__init__(f"restore interrupted ({so_far}): {again}")
            self.exit_code = ExitCode.INTERRUPTED
        else:
            super().__init__(*cause.parts, f" ({so_far}); then {again}")
            self.exit_code = cause.exit_code
        self.summary = summary


def check_target(store: Store, backup: CheckedBackup, logged_in: User | None) -> None:
    """Refuse a restore that would write into another account, or give this account a
    name or email that another account has here.

    Where the account does not exist yet, no session is needed: that is how an account
    moves to an empty store. Where it exists, only its own session may restore into it.
    """
    wanted = backup.user
    here = users.get_user(store, wanted.user_id)
    if here is not None:
        if logged_in is None:
            raise AuthError(
                f"the account {wanted.username!r} exists in this store: run `budget login "
                f"{here.username}` first to restore into it"
            )
        if logged_in.user_id != wanted.user_id:
            raise Conflict(
                f"this is a backup of the account {wanted.username!r}, but you are logged in "
                f"as {logged_in.username!r}: log in as {here.username} to restore it"
            )
        return
    if logged_in is not None:
        raise Conflict(
            f"this is a backup of the account {wanted.username!r}, not of {logged_in.username!r}, "
            "who is logged in: run `budget logout` first to restore it as an account of its own"
        )
    for kind, item in backup.account_items:
        holder = kind.owner(item)
        stored = kinds.stored_versions(store, kind, [item[kind.key]]).get(item[kind.key])
        if stored is not None and kind.owner(stored) != holder:
            raise Conflict(_taken(kind.name, wanted))
    for username in dict.fromkeys([wanted.username, wanted.username.casefold()]):
        if any(user.user_id != wanted.user_id for user in users.with_username(store, username)):
            raise Conflict(_taken("username-marker", wanted))
    for email in dict.fromkeys([wanted.email, wanted.email.casefold()]):
        if any(user.user_id != wanted.user_id for user in users.with_email(store, email)):
            raise Conflict(_taken("email-marker", wanted))


def _taken(kind: str, user: User) -> str:
    if kind == "email-marker":
        what = f"the email {user.email!r}"
    else:
        what = f"the username {user.username!r}"
    return (
        f"{what} belongs to another account in this store: restore into a store (or "
        "BUDGET_TABLE_PREFIX) where it is free"
    )


def restore_backup(
    store: Store,
    backup: CheckedBackup,
    logged_in: User | None,
    *,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> RestoreSummary:
    """Write what the backup holds and this store lacks; see the module's docstring."""
    check_target(store, backup, logged_in)
    summary = RestoreSummary(backup.header.user_id, backup.header.username, dry_run)
    for kind in KINDS:
        if count := backup.counts.get(kind.name):
            summary.kinds[kind.name] = KindCounts(in_file=count)
    try:
        _restore_items(store, backup, summary, dry_run, on_progress)
        account = _restore_chunk(store, backup.account_items, dry_run, together=True)
    except KeyboardInterrupt:
        raise RestoreStopped(summary, None) from None
    except StorageError as exc:
        raise RestoreStopped(summary, exc) from None
    for name, outcome in account.items():
        summary.add(name, outcome)
    summary.account_created = any(
        outcome.restored for name, outcome in account.items() if name == "user"
    )
    return summary


def _chunks(lines: Iterator[Line]) -> Iterator[list[tuple[ItemKind, Item]]]:
    """Consecutive items of one kind, up to CHUNK_ITEMS, no key twice in one chunk; the
    account's own items are left for last."""
    for name, same_kind in groupby(lines, key=lambda line: line.kind):
        kind = _BY_NAME[name]
        if kind.with_account:
            continue
        chunk: list[tuple[ItemKind, Item]] = []
        keys: set[str] = set()
        for line in same_kind:
            key = line.item[kind.key]
            if len(chunk) == CHUNK_ITEMS or key in keys:
                yield chunk
                chunk, keys = [], set()
            chunk.append((kind, line.item))
            keys.add(key)
        if chunk:
            yield chunk


def _restore_items(
    store: Store,
    backup: CheckedBackup,
    summary: RestoreSummary,
    dry_run: bool,
    on_progress: Callable[[int], None] | None,
) -> None:
    """Restore every item but the account's, a few chunks at a time in parallel. On any
    exception the chunks already sending finish and are counted before it goes on."""
    done = 0

    def settle(finished: set[Future[dict[str, _Outcome]]]) -> None:
        nonlocal done
        for future in finished:
            for name, outcome in future.result().items():
                summary.add(name, outcome)
                done += outcome.restored + outcome.unchanged + len(outcome.conflicts)
        if on_progress:
            on_progress(done)

    with ThreadPoolExecutor(WORKERS, thread_name_prefix="budget-restore") as pool:
        in_flight: set[Future[dict[str, _Outcome]]] = set()
        try:
            for chunk in _chunks(backup.lines()):
                in_flight.add(pool.submit(_restore_chunk, store, chunk, dry_run))
                if len(in_flight) >= MAX_CHUNKS_IN_FLIGHT:
                    finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    settle(finished)
            finished, in_flight = wait(in_flight)
            settle(finished)
        except BaseException:
            for future in in_flight:
                future.cancel()
            completed = wait(in_flight).done
            with contextlib.suppress(Exception):
                settle({f for f in completed if not f.cancelled() and f.exception() is None})
            raise


@dataclass
class _Outcome:
    restored: int = 0
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)


def _restore_chunk(
    store: Store,
    chunk: Sequence[tuple[ItemKind, Item]],
    dry_run: bool,
    *,
    together: bool = False,
) -> dict[str, _Outcome]:
    """Write the items of one table whose key is free, and compare the others with what
    is stored. `together`: all of them in one transaction, or none."""
    outcomes = {kind.name: _Outcome() for kind, _ in chunk}
    if not chunk:
        return outcomes
    table_kind = chunk[0][0]
    stored = kinds.stored_versions(store, table_kind, [item[table_kind.key] for _, item in chunk])
    absent = [(kind, item) for kind, item in chunk if item[kind.key] not in stored]
    for kind, item in chunk:
        if (there := stored.get(item[kind.key])) is not None:
            _compare(kind, item, there, outcomes[kind.name])
    if together and any(kind.name == "user" for kind, _ in absent):
        if taken := [kind for kind, _ in chunk if outcomes[kind.name].conflicts]:
            # Taken since the check: the new account could not be logged in to.
            raise Conflict(_taken(taken[0].name, users.user_from_item(_user_item(chunk))))
    if dry_run or not absent:
        for kind, _ in absent:
            outcomes[kind.name].restored += 1
        return outcomes
    items = [item for _, item in absent]
    if together:
        if not kinds.put_all_if_absent(store, table_kind, items):
            raise Conflict(
                "the account changed in this store during the restore: run the restore again"
            )
        written = [True] * len(items)
    else:
        written = kinds.put_new(store, table_kind, items)
    raced = [(kind, item) for (kind, item), new in zip(absent, written, strict=True) if not new]
    for (kind, _), new in zip(absent, written, strict=True):
        outcomes[kind.name].restored += new
    if raced:  # written by someone else since it was read: compare with theirs
        now = kinds.stored_versions(store, table_kind, [item[table_kind.key] for _, item in raced])
        for kind, item in raced:
            _compare(kind, item, now.get(item[kind.key]), outcomes[kind.name])
    return outcomes


def _compare(kind: ItemKind, item: Item, stored: Item | None, outcome: _Outcome) -> None:
    """An item that is here already is unchanged when it is the backup's, private
    attributes aside (sessions, lockout counts); else a conflict, and it is kept."""
    if stored is not None and _shown(stored, kind) == item:
        outcome.unchanged += 1
    else:
        outcome.conflicts.append(item[kind.key])


def _user_item(chunk: Sequence[tuple[ItemKind, Item]]) -> Item:
    return next(item for kind, item in chunk if kind.name == "user")
