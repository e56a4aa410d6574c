"""The users table: accounts, their uniqueness markers, login attempts and sessions.

Uniqueness: the user item is written in one transaction with two marker items,
`USERNAME#<name>` and `EMAIL#<email>` (case-folded), each conditional on not existing.
Markers carry no `username`/`email` attribute, so they stay out of the GSIs the web app
queries. The web app writes user items without markers: those are found through
`username-index` and `email-index`, and get their markers at their first login here.

Sessions: the users table keeps each session token's SHA-256 and expiry in the item's
`sessions` map; the token itself lives only in the local session file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from budgetcli.models import User
from budgetcli.store import ConditionFailed, Item, Store, TransactionCancelled
from budgetcli.tables import profiles, rules
from budgetcli.tables.kinds import ItemKind
from budgetcli.tables.schema import USERS, USERS_BY_EMAIL, USERS_BY_USERNAME

# Takes the counted attempt of a login to an unknown username, which makes the requests
# of a wrong password, so that both cost DynamoDB a write. It has no `username` or
# `email`: it is on no index, and no login can reach it.
UNKNOWN_LOGINS = "LOGIN#unknown-username"


class Taken(StrEnum):
    """What a new account clashed with."""

    USERNAME = "username"
    EMAIL = "email"
    RACE = "race"  # another registration touched the same markers at the same moment


@dataclass(frozen=True)
class Account:
    """A user item as login needs it: the user, the hash, the lock and the sessions."""

    user: User
    password_hash: str
    failed_logins: int = 0
    locked_until: int | None = None
    sessions: dict[str, int] | None = field(default_factory=dict)
    """None when the item has no `sessions` map yet (made by the web app)."""


def _username_marker(username: str) -> str:
    return f"USERNAME#{username}"


def _email_marker(email: str) -> str:
    return f"EMAIL#{email.casefold()}"


def user_from_item(item: Item) -> User:
    return User(
        user_id=str(item["user_id"]),
        username=str(item["username"]),
        email=str(item["email"]),
        phone=str(item["phone_number"]) if item.get("phone_number") else None,
    )


def create(store: Store, user: User, password_hash: str, created_at: str) -> Taken | None:
    """Write the user with its markers, all or nothing; what clashed, or None when written."""
    item: dict[str, Any] = {
        "user_id": user.user_id,
        "username": user.username,
        "email": user.email,
        "password_hash": password_hash,
        "created_at": created_at,
        "failed_logins": 0,
        "sessions": {},
    }
    if user.phone:
        item["phone_number"] = user.phone
    new_only = "attribute_not_exists(user_id)"
    markers = [_username_marker(user.username), _email_marker(user.email)]
    operations = [store.put_op(USERS, item, condition=new_only)] + [
        store.put_op(USERS, {"user_id": marker, "owner_user_id": user.user_id}, condition=new_only)
        for marker in markers
    ]
    try:
        store.transact_write(operations)
    except TransactionCancelled as cancelled:
        reasons = cancelled.reasons
        if len(reasons) == 3 and reasons[1] == "ConditionalCheckFailed":
            return Taken.USERNAME
        if len(reasons) == 3 and reasons[2] == "ConditionalCheckFailed":
            return Taken.EMAIL
        if "TransactionConflict" in reasons or "ConditionalCheckFailed" not in reasons:
            return Taken.RACE
        raise
    return None


def with_username(store: Store, username: str) -> list[User]:
    """The users whose `username` is exactly this, as the seed finds them."""
    return _by_index(store, USERS_BY_USERNAME, "username", username)


def with_email(store: Store, email: str) -> list[User]:
    """The users whose `email` is exactly this."""
    return _by_index(store, USERS_BY_EMAIL, "email", email)


def _by_index(store: Store, index: str, attribute: str, value: str) -> list[User]:
    items = store.query(
        USERS,
        index=index,
        key_condition="#attribute = :value",
        names={"#attribute": attribute},
        values={":value": value},
    )
    return [user_from_item(item) for item in items if "user_id" in item and "email" in item]


def add_markers(store: Store, user: User) -> None:
    """Give an account made elsewhere the markers that make its name and email taken
    here; a marker that another account holds already is left as it is."""
    for marker in (_username_marker(user.username.casefold()), _email_marker(user.email)):
        try:
            store.put(
                USERS,
                {"user_id": marker, "owner_user_id": user.user_id},
                condition="attribute_not_exists(user_id)",
            )
        except ConditionFailed:
            pass


def owner_of(store: Store, username: str) -> str | None:
    """The user_id that holds `username`, read consistently from its marker."""
    marker = store.get(USERS, {"user_id": _username_marker(username)}, consistent=True)
    return str(marker["owner_user_id"]) if marker else None


def get_user(store: Store, user_id: str) -> User | None:
    item = store.get(USERS, {"user_id": user_id}, consistent=True)
    return user_from_item(item) if item and "username" in item else None


def get_account(store: Store, user_id: str) -> Account | None:
    item = store.get(USERS, {"user_id": user_id}, consistent=True)
    if not item or "username" not in item:
        return None
    return Account(
        user=user_from_item(item),
        password_hash=str(item.get("password_hash", "")),
        failed_logins=int(item.get("failed_logins", 0)),
        locked_until=int(item["locked_until"]) if item.get("locked_until") is not None else None,
        sessions=(
            {str(k): int(v) for k, v in item["sessions"].items()}
            if isinstance(item.get("sessions"), dict)
            else None
        ),
    )


def count_attempt(store: Store, user_id: str, *, limit: int, now: int) -> int | None:
    """Count one more failed login, unless `limit` is reached or the account is locked at
    `now`; returns the new count, or None when it was not counted."""
    try:
        updated = store.update(
            USERS,
            {"user_id": user_id},
            update="SET failed_logins = if_not_exists(failed_logins, :zero) + :one",
            condition="attribute_exists(user_id) "
            "AND (attribute_not_exists(failed_logins) OR failed_logins < :max) "
            "AND (attribute_not_exists(locked_until) OR locked_until <= :now)",
            values={":zero": 0, ":one": 1, ":max": limit, ":now": now},
        )
    except ConditionFailed:
        return None
    return int(updated["failed_logins"])


def count_unknown_attempt(store: Store, *, now: int) -> None:
    """Count a failed login to an unknown username as `count_attempt` counts one to an
    account (the same update and condition, on the UNKNOWN_LOGINS item)."""
    store.update(
        USERS,
        {"user_id": UNKNOWN_LOGINS},
        update="SET failed_logins = if_not_exists(failed_logins, :zero) + :one",
        condition="attribute_not_exists(locked_until) OR locked_until <= :now",
        values={":zero": 0, ":one": 1, ":now": now},
    )


def unlock(store: Store, user_id: str, *, locked_until: int) -> None:
    """Reset the count of a lock that has run out (only the lock seen, once)."""
    try:
        store.update(
            USERS,
            {"user_id": user_id},
            update="SET failed_logins = :zero REMOVE locked_until",
            condition="locked_until = :seen",
            values={":zero": 0, ":seen": locked_until},
        )
    except ConditionFailed:
        pass


def lock(store: Store, user_id: str, *, until: int, only_if_unlocked: bool = False) -> bool:
    """Lock the account until the epoch second `until`; False when `only_if_unlocked`
    and a lock was already written."""
    try:
        store.update(
            USERS,
            {"user_id": user_id},
            update="SET locked_until = :until",
            condition="attribute_not_exists(locked_until)" if only_if_unlocked else None,
            values={":until": until},
        )
    except ConditionFailed:
        return False
    return True


def open_session(
    store: Store,
    user_id: str,
    token_hash: str,
    *,
    expires: int,
    expired: list[str],
    first: bool = False,
) -> None:
    """Record a new session, clear the failed logins and the lock, drop `expired` sessions.

    `first`: the item has no `sessions` map yet (an account made by the web app).
    """
    if first:
        try:
            store.update(
                USERS,
                {"user_id": user_id},
                update="SET failed_logins = :zero, sessions = :sessions REMOVE locked_until",
                condition="attribute_not_exists(sessions)",
                values={":zero": 0, ":sessions": {token_hash: expires}},
            )
            return
        except ConditionFailed:
            pass  # another login made the map first: add to it below
    names = {"#new": token_hash} | {f"#old{i}": digest for i, digest in enumerate(expired)}
    remove = ", ".join(["locked_until", *(f"sessions.#old{i}" for i in range(len(expired)))])
    store.update(
        USERS,
        {"user_id": user_id},
        update=f"SET failed_logins = :zero, sessions.#new = :expires REMOVE {remove}",
        names=names,
        values={":zero": 0, ":expires": expires},
    )


def close_session(store: Store, user_id: str, token_hash: str) -> bool:
    """Revoke one session; False when it was not there (revoked, or another store's)."""
    try:
        store.update(
            USERS,
            {"user_id": user_id},
            update="REMOVE sessions.#token",
            condition="attribute_exists(sessions.#token)",
            names={"#token": token_hash},
        )
    except ConditionFailed:
        return False
    return True


def close_all_sessions(store: Store, user_id: str) -> None:
    """Revoke every session of the account."""
    store.update(
        USERS,
        {"user_id": user_id},
        update="SET sessions = :none",
        condition="attribute_exists(user_id)",
        values={":none": {}},
    )


def upgrade_hash(store: Store, user_id: str, *, old: str, new: str) -> bool:
    """Replace the password hash `old` with `new`, a stronger hash of the same password;
    False when the password changed in between (the new one is kept)."""
    try:
        store.update(
            USERS,
            {"user_id": user_id},
            update="SET password_hash = :new",
            condition="password_hash = :old",
            values={":new": new, ":old": old},
        )
    except ConditionFailed:
        return False
    return True


def change_password(
    store: Store, user_id: str, *, old: str, new: str, keep: tuple[str, int]
) -> bool:
    """Set the hash of a new password and keep only the session `keep` (token hash,
    expiry), in one write; False when the password changed or that session was revoked
    in between. Failed logins and a lock are cleared."""
    token_hash, expires = keep
    try:
        store.update(
            USERS,
            {"user_id": user_id},
            update="SET password_hash = :new, sessions = :sessions, failed_logins = :zero "
            "REMOVE locked_until",
            condition="password_hash = :old AND attribute_exists(sessions.#token)",
            names={"#token": token_hash},
            values={":new": new, ":old": old, ":sessions": {token_hash: expires}, ":zero": 0},
        )
    except ConditionFailed:
        return False
    return True


# --- what a backup holds of an account ----------------------------------------------------


def _user_owner(item: Item) -> str | None:
    if "username" in item and "email" in item and isinstance(item.get("user_id"), str):
        return str(item["user_id"])
    return None


def _marker_owner(prefix: str) -> Callable[[Item], str | None]:
    def owner(item: Item) -> str | None:
        key, holder = item.get("user_id"), item.get("owner_user_id")
        if isinstance(key, str) and key.startswith(prefix) and isinstance(holder, str):
            return holder
        return None

    return owner


# What other features keep for an account in this table: one item per kind, keyed
# `<PREFIX><user_id>`, its owner in `owner_user_id`, no `username` or `email`.
# (name in a backup, key prefix); the import profiles of tables/profiles.py and the rules
# and category tallies of tables/rules.py.
SIDE_ITEMS: tuple[tuple[str, str], ...] = (
    ("import-profiles", profiles.KEY_PREFIX),
    ("rules", rules.RULES_PREFIX),
    ("moves", rules.MOVES_PREFIX),
)


def _side_item_owner(prefix: str) -> Callable[[Item], str | None]:
    def owner(item: Item) -> str | None:
        key, holder = item.get("user_id"), item.get("owner_user_id")
        if not isinstance(key, str) or not key.startswith(prefix) or len(key) == len(prefix):
            return None
        keyed_to = key.removeprefix(prefix)
        if holder is not None and holder != keyed_to:
            return None  # says it is someone else's: it is nobody's to back up or restore
        return keyed_to

    return owner


def _side_item_kind(name: str, prefix: str) -> ItemKind:
    return ItemKind(
        name,
        USERS,
        "user_id",
        owner=_side_item_owner(prefix),
        keys_of=lambda user: [f"{prefix}{user.user_id}"],
    )


def _username_markers(user: User) -> list[str]:
    return [_username_marker(user.username.casefold())]


def _email_markers(user: User) -> list[str]:
    return [_email_marker(user.email)]


BACKUP_KINDS = (
    ItemKind(
        "user",
        USERS,
        "user_id",
        owner=_user_owner,
        keys_of=lambda user: [user.user_id],
        # Sessions are live credentials; the lockout counts belong to this store's logins.
        private=frozenset({"sessions", "failed_logins", "locked_until"}),
        with_account=True,
    ),
    ItemKind(
        "username-marker",
        USERS,
        "user_id",
        owner=_marker_owner("USERNAME#"),
        keys_of=_username_markers,
        with_account=True,
    ),
    ItemKind(
        "email-marker",
        USERS,
        "user_id",
        owner=_marker_owner("EMAIL#"),
        keys_of=_email_markers,
        with_account=True,
    ),
    *(_side_item_kind(name, prefix) for name, prefix in SIDE_ITEMS),
)
