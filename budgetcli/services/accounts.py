"""Accounts and sessions: registration that holds under races, login with lockout, tokens.

Uniqueness: the user item is written in one transaction with two marker items,
`USERNAME#<name>` and `EMAIL#<email>`, each conditional on not existing. Markers carry
no `username`/`email` attribute, so they stay out of the GSIs.

Sessions: the token lives only in the local session file; the users table keeps its
SHA-256 and expiry in the `sessions` map, so logout or expiry revokes it everywhere.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from budgetcli.errors import AuthError, Conflict, InvalidInput, NotFound, StorageError
from budgetcli.services.tables import USERS
from budgetcli.store import ConditionFailed, Store, TransactionCancelled

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$", re.ASCII)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$", re.ASCII)
_TRANSACTION_RETRIES = 6
WRONG_CREDENTIALS = "wrong username or password"
# Checked when the username is unknown, so both failures cost one hash check.
_DUMMY_HASH: str | None = None


@dataclass(frozen=True)
class User:
    user_id: str
    username: str
    email: str
    phone: str | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> User:
        return cls(
            user_id=str(item["user_id"]),
            username=str(item["username"]),
            email=str(item["email"]),
            phone=str(item["phone_number"]) if item.get("phone_number") else None,
        )

    def to_json(self) -> dict[str, str]:
        return {"user_id": self.user_id, "username": self.username, "email": self.email}


@dataclass(frozen=True)
class Session:
    """What the session file holds. Only `token_hash(token)` is stored in DynamoDB."""

    user_id: str
    username: str
    token: str
    expires_at: datetime

    def to_dict(self) -> dict[str, str]:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "token": self.token,
            "expires_at": self.expires_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: object) -> Session:
        """Parse a session file's content; anything malformed is an AuthError."""
        corrupt = AuthError("the session file is corrupt: run `budget login USERNAME` again")
        if not isinstance(data, dict):
            raise corrupt
        try:
            fields = {key: data[key] for key in ("user_id", "username", "token", "expires_at")}
            if not all(isinstance(value, str) and value for value in fields.values()):
                raise corrupt
            expires_at = datetime.fromisoformat(fields["expires_at"])
        except (KeyError, ValueError):
            raise corrupt from None
        if expires_at.tzinfo is None:
            raise corrupt
        return cls(fields["user_id"], fields["username"], fields["token"], expires_at)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_username(text: str) -> str:
    username = text.strip().casefold()
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"username {text.strip()!r} is not allowed: use 3-32 letters, digits, '.', '_' or "
            "'-', starting with a letter or digit"
        )
    return username


def normalise_email(text: str) -> str:
    email = text.strip()
    if len(email) > 254 or not _EMAIL.match(email) or not email.isprintable():
        raise InvalidInput(
            f"email {email!r} is not a valid address: write it like name@example.com"
        )
    return email


def normalise_phone(text: str) -> str:
    phone = re.sub(r"[\s()-]", "", text.strip())
    if not _E164.match(phone):
        raise InvalidInput(
            f"phone {text.strip()!r} is not in E.164 form: write it like +15551234567"
        )
    return phone


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password is too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"password is longer than {MAX_PASSWORD_LENGTH} characters")


def validate_registration(
    username: str, email: str, phone: str | None
) -> tuple[str, str, str | None]:
    """Normalised username, email and phone, or InvalidInput naming the bad one."""
    return (
        normalise_username(username),
        normalise_email(email),
        normalise_phone(phone) if phone else None,
    )


def _username_marker(username: str) -> str:
    return f"USERNAME#{username}"


def _email_marker(email: str) -> str:
    return f"EMAIL#{email.casefold()}"


def register(
    store: Store, username: str, email: str, password: str, phone: str | None = None
) -> User:
    """Create an account; a taken username or email (in any case) is a Conflict."""
    from werkzeug.security import generate_password_hash

    username, email, phone = validate_registration(username, email, phone)
    check_password_strength(password)
    user = User(str(uuid.uuid4()), username, email, phone)
    item: dict[str, Any] = {
        "user_id": user.user_id,
        "username": username,
        "email": email,
        "password_hash": generate_password_hash(password),
        "created_at": datetime.now(UTC).isoformat(),
        "failed_logins": 0,
        "sessions": {},
    }
    if phone:
        item["phone_number"] = phone
    new_only = "attribute_not_exists(user_id)"
    operations = [
        store.put_op(USERS, item, condition=new_only),
        store.put_op(
            USERS,
            {"user_id": _username_marker(username), "owner_user_id": user.user_id},
            condition=new_only,
        ),
        store.put_op(
            USERS,
            {"user_id": _email_marker(email), "owner_user_id": user.user_id},
            condition=new_only,
        ),
    ]
    for attempt in range(_TRANSACTION_RETRIES):
        try:
            store.transact_write(operations)
            return user
        except TransactionCancelled as cancelled:
            reasons = cancelled.reasons
            if len(reasons) == 3 and reasons[1] == "ConditionalCheckFailed":
                raise Conflict(f"username {username!r} is taken: choose another") from None
            if len(reasons) == 3 and reasons[2] == "ConditionalCheckFailed":
                raise Conflict(f"email {email!r} is already registered: log in instead") from None
            if "TransactionConflict" not in reasons and "ConditionalCheckFailed" in reasons:
                raise StorageError("registration failed: try again") from None
            # Another registration touched the same markers at the same moment: retry,
            # and the condition checks then say which value is taken.
            time.sleep(0.02 * 2**attempt)
    raise StorageError("registration kept conflicting with others: try again")


def _owner_of(store: Store, username: str) -> str | None:
    marker = store.get(USERS, {"user_id": _username_marker(username)}, consistent=True)
    return str(marker["owner_user_id"]) if marker else None


def get_user(store: Store, user_id: str) -> User:
    item = store.get(USERS, {"user_id": user_id}, consistent=True)
    if not item or "username" not in item:
        raise NotFound(f"no such user: {user_id}")
    return User.from_item(item)


def _reserve_attempt(store: Store, user_id: str, now: datetime) -> int:
    """Count this attempt as a failure before the password is checked, so parallel
    attempts cannot exceed the limit; returns the attempt's number. Raises when locked."""
    epoch = int(now.timestamp())
    for _ in range(_TRANSACTION_RETRIES):
        try:
            updated = store.update(
                USERS,
                {"user_id": user_id},
                update="SET failed_logins = if_not_exists(failed_logins, :zero) + :one",
                condition="attribute_exists(user_id) "
                "AND (attribute_not_exists(failed_logins) OR failed_logins < :max) "
                "AND (attribute_not_exists(locked_until) OR locked_until <= :now)",
                values={":zero": 0, ":one": 1, ":max": MAX_FAILED_LOGINS, ":now": epoch},
            )
            return int(updated["failed_logins"])
        except ConditionFailed:
            pass
        item = store.get(USERS, {"user_id": user_id}, consistent=True) or {}
        locked_until = item.get("locked_until")
        if locked_until is not None and int(locked_until) <= epoch:
            # The lock has run out: one process resets the count, then all retry.
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
            continue
        if locked_until is None:
            # The limit was reached but the lock was never written (a crash): write it now.
            locked_until = epoch + int(LOCKOUT.total_seconds())
            try:
                store.update(
                    USERS,
                    {"user_id": user_id},
                    update="SET locked_until = :until",
                    condition="attribute_not_exists(locked_until)",
                    values={":until": locked_until},
                )
            except ConditionFailed:
                continue
        until = datetime.fromtimestamp(int(locked_until), UTC).strftime("%H:%M UTC")
        raise AuthError(
            f"account locked after {MAX_FAILED_LOGINS} failed logins: try again after {until}"
        )
    raise StorageError("login kept conflicting with other attempts: try again")


def login(
    store: Store, username: str, password: str, *, days: int, now: datetime | None = None
) -> Session:
    """Check the password and open a session valid for `days`.

    A wrong username and a wrong password give the same AuthError. After
    MAX_FAILED_LOGINS consecutive failures the account is locked for LOCKOUT.
    """
    from werkzeug.security import check_password_hash, generate_password_hash

    global _DUMMY_HASH
    now = now or datetime.now(UTC)
    try:
        username = normalise_username(username)
    except InvalidInput:
        raise AuthError(WRONG_CREDENTIALS) from None
    user_id = _owner_of(store, username)
    if user_id is None:
        _DUMMY_HASH = _DUMMY_HASH or generate_password_hash(secrets.token_hex(16))
        check_password_hash(_DUMMY_HASH, password)
        raise AuthError(WRONG_CREDENTIALS)
    attempt = _reserve_attempt(store, user_id, now)
    item = store.get(USERS, {"user_id": user_id}, consistent=True)
    if not item or not check_password_hash(str(item["password_hash"]), password):
        if attempt >= MAX_FAILED_LOGINS:
            store.update(
                USERS,
                {"user_id": user_id},
                update="SET locked_until = :until",
                values={":until": int((now + LOCKOUT).timestamp())},
            )
        raise AuthError(WRONG_CREDENTIALS)
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=days)
    expired = [
        digest
        for digest, expiry in (item.get("sessions") or {}).items()
        if int(expiry) <= int(now.timestamp())
    ]
    names = {"#new": token_hash(token)} | {f"#old{i}": digest for i, digest in enumerate(expired)}
    remove = ", ".join(["locked_until", *(f"sessions.#old{i}" for i in range(len(expired)))])
    store.update(
        USERS,
        {"user_id": user_id},
        update=f"SET failed_logins = :zero, sessions.#new = :expires REMOVE {remove}",
        names=names,
        values={":zero": 0, ":expires": int(expires_at.timestamp())},
    )
    return Session(user_id, username, token, expires_at)


def verify_session(store: Store, session: Session, *, now: datetime | None = None) -> User:
    """The session's user, if the token is still valid in the table; else AuthError."""
    now = now or datetime.now(UTC)
    if session.expires_at <= now:
        raise AuthError("your session has expired: run `budget login USERNAME`")
    item = store.get(USERS, {"user_id": session.user_id}, consistent=True)
    expiry = ((item or {}).get("sessions") or {}).get(token_hash(session.token))
    if (
        not item
        or expiry is None
        or int(expiry) <= int(now.timestamp())
        or item.get("username") != session.username
    ):
        raise AuthError("your session is no longer valid: run `budget login USERNAME`")
    return User.from_item(item)


def logout(store: Store, session: Session) -> None:
    """Revoke the session's token in the table (a no-op when it is already gone)."""
    try:
        store.update(
            USERS,
            {"user_id": session.user_id},
            update="REMOVE sessions.#token",
            condition="attribute_exists(user_id) AND attribute_exists(sessions)",
            names={"#token": token_hash(session.token)},
        )
    except ConditionFailed:
        pass
