"""Accounts and sessions: registration that holds under races, login with lockout, tokens.

Sessions: the token lives only in the local session file; the users table keeps its
SHA-256 and expiry, so logout or expiry revokes it everywhere (see `tables.users`). The
session file also records which tables it belongs to (`Location`), and is refused
elsewhere: a command run with other settings must neither use it nor claim to end it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from budgetcli import retry
from budgetcli.errors import AuthError, Conflict, InvalidInput, NotFound, StorageError
from budgetcli.models import User
from budgetcli.services import passwords
from budgetcli.store import Store, TransactionCancelled
from budgetcli.tables import users
from budgetcli.tables.users import Account, Taken

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$", re.ASCII)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$", re.ASCII)
_TRANSACTION_ATTEMPTS = 6
WRONG_CREDENTIALS = "wrong username or password"

Location = Mapping[str, str]
"""Which tables a session belongs to, as `store.location` describes them."""


def describe(location: Location) -> str:
    """A location in words: "tables smart-budget-* on the local engine in /data"."""
    tables = f"tables {location.get('table_prefix', '?')}-*"
    if "data_dir" in location:
        return f"{tables} on the local engine in {location['data_dir']}"
    if location.get("backend") == "aws":
        return f"{tables} in AWS {location.get('region')} ({location.get('endpoint')})"
    return f"{tables} at {location.get('endpoint')}"


@dataclass(frozen=True)
class Session:
    """What the session file holds. Only `token_hash(token)` is stored in DynamoDB."""

    user_id: str
    username: str
    token: str
    expires_at: datetime
    store: Location | None = None
    """None in session files written before sessions recorded their tables."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user_id": self.user_id,
            "username": self.username,
            "token": self.token,
            "expires_at": self.expires_at.isoformat(),
        }
        if self.store is not None:
            data["store"] = dict(self.store)
        return data

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
        store = data.get("store")
        if store is not None and not (
            isinstance(store, dict)
            and store
            and all(isinstance(k, str) and isinstance(v, str) for k, v in store.items())
        ):
            raise corrupt
        return cls(fields["user_id"], fields["username"], fields["token"], expires_at, store)

    def check_location(self, location: Location | None) -> None:
        """AuthError when the session belongs to other tables than `location`."""
        if location is None or self.store is None or dict(self.store) == dict(location):
            return
        raise AuthError(
            f"the session is for {describe(self.store)}, not {describe(location)}: use the "
            "settings you logged in with, or log in here with `budget login USERNAME`"
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_username(text: str) -> str:
    username = text.strip().casefold()
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"username {text.strip()!r} is not allowed: use 3-32 of a-z, 0-9, '.', '_' or "
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


@dataclass(frozen=True)
class NewAccount:
    """A username, email and phone that passed the checks: what `register` takes."""

    username: str
    email: str
    phone: str | None = None
    typed_username: str = ""
    """The username as typed, which an account made by the web app may have exactly."""

    @classmethod
    def parse(cls, username: str, email: str, phone: str | None = None) -> NewAccount:
        """Normalised values, or InvalidInput naming the bad one."""
        return cls(
            normalise_username(username),
            normalise_email(email),
            normalise_phone(phone) if phone else None,
            typed_username=username.strip(),
        )

    def taken_by(self, store: Store) -> Taken | None:
        """What an account made elsewhere (without markers) already has, read from the
        indexes the web app uses: the username as typed or lower-cased, the email as
        typed or case-folded. A GSI cannot match other spellings."""
        for username in {self.username, self.typed_username} - {""}:
            if users.with_username(store, username):
                return Taken.USERNAME
        for email in {self.email, self.email.casefold()}:
            if users.with_email(store, email):
                return Taken.EMAIL
        return None


def register(store: Store, account: NewAccount, password: str) -> User:
    """Create an account; a taken username or email (in any case) is a Conflict."""
    check_password_strength(password)
    user = User(str(uuid.uuid4()), account.username, account.email, account.phone)
    password_hash = passwords.hash_password(password)
    created_at = datetime.now(UTC).isoformat()
    for _ in retry.attempts(_TRANSACTION_ATTEMPTS):
        # Markers make budgetcli's own registrations race-proof; the web app writes none,
        # so its accounts are looked up in the indexes it uses.
        taken = account.taken_by(store)
        if taken is None:
            try:
                taken = users.create(store, user, password_hash, created_at)
            except TransactionCancelled:
                raise StorageError("registration failed: try again") from None
        if taken is None:
            return user
        if taken is Taken.USERNAME:
            raise Conflict(f"username {user.username!r} is taken: choose another")
        if taken is Taken.EMAIL:
            raise Conflict(f"email {user.email!r} is already registered: log in instead")
        # Taken.RACE: retry, and the condition checks then say which value is taken.
    raise StorageError("registration kept conflicting with others: try again")


def get_user(store: Store, user_id: str) -> User:
    user = users.get_user(store, user_id)
    if user is None:
        raise NotFound(f"no such user: {user_id}")
    return user


def _account_named(store: Store, username: str) -> str | None:
    """The user_id of the account `username` logs in to: budgetcli's through its marker
    (any case), else one made by the web app, whose username is matched as stored.

    The index is queried even when the marker answers, so that the requests depend only
    on what was typed, never on whether or where the account exists.
    """
    typed = username.strip()
    try:
        normalised: str | None = normalise_username(typed)
    except InvalidInput:
        normalised = None  # the web app may allow names budgetcli would not
    owner = users.owner_of(store, normalised) if normalised is not None else None
    found = {
        user.user_id
        for name in dict.fromkeys(n for n in (typed, normalised) if n)
        for user in users.with_username(store, name)
    }
    if owner is not None:
        return owner
    return found.pop() if len(found) == 1 else None


def _reserve_attempt(store: Store, user_id: str, now: datetime) -> int:
    """Count this attempt as a failure before the password is checked, so parallel
    attempts cannot exceed the limit; returns the attempt's number. Raises when locked."""
    epoch = int(now.timestamp())
    for _ in range(_TRANSACTION_ATTEMPTS):
        counted = users.count_attempt(store, user_id, limit=MAX_FAILED_LOGINS, now=epoch)
        if counted is not None:
            return counted
        account = users.get_account(store, user_id)
        locked_until = account.locked_until if account else None
        if locked_until is not None and locked_until <= epoch:
            # The lock has run out: one process resets the count, then all retry.
            users.unlock(store, user_id, locked_until=locked_until)
            continue
        if locked_until is None:
            # The limit was reached but the lock was never written (a crash): write it now.
            locked_until = epoch + int(LOCKOUT.total_seconds())
            if not users.lock(store, user_id, until=locked_until, only_if_unlocked=True):
                continue
        until = datetime.fromtimestamp(locked_until, UTC).strftime("%H:%M UTC")
        raise AuthError(
            f"account locked after {MAX_FAILED_LOGINS} failed logins: try again after {until}"
        )
    raise StorageError("login kept conflicting with other attempts: try again")


def _check_password(store: Store, user_id: str, password: str, now: datetime) -> Account:
    """The account, if `password` is its password; else AuthError, the failure counted
    (and the account locked at MAX_FAILED_LOGINS)."""
    attempt = _reserve_attempt(store, user_id, now)
    account = users.get_account(store, user_id)
    if account is None or not passwords.matches(account.password_hash, password):
        if attempt >= MAX_FAILED_LOGINS:
            users.lock(store, user_id, until=int((now + LOCKOUT).timestamp()))
        raise AuthError(WRONG_CREDENTIALS)
    return account


def login(
    store: Store,
    username: str,
    password: str,
    *,
    days: int,
    replacing: Session | None = None,
    location: Location | None = None,
    now: datetime | None = None,
) -> Session:
    """Check the password and open a session valid for `days`, recorded as belonging to
    `location`.

    A wrong username and a wrong password give the same AuthError, after the same
    requests and one hash check each. After MAX_FAILED_LOGINS consecutive failures the
    account is locked for LOCKOUT. A hash weaker than Werkzeug's default is replaced by
    a stronger one. The session this one is `replacing` is revoked when it belongs
    here, so that it is not left usable.
    """
    now = now or datetime.now(UTC)
    user_id = _account_named(store, username)
    if user_id is None:
        _fail_like_a_wrong_password(store, password, now)
    account = _check_password(store, user_id, password, now)
    if (stronger := passwords.stronger(account.password_hash, password)) is not None:
        users.upgrade_hash(store, user_id, old=account.password_hash, new=stronger)
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=days)
    epoch = int(now.timestamp())
    sessions = account.sessions
    expired = [digest for digest, expiry in (sessions or {}).items() if expiry <= epoch]
    users.open_session(
        store,
        user_id,
        token_hash(token),
        expires=int(expires_at.timestamp()),
        expired=expired,
        first=sessions is None,
    )
    if sessions is None:  # made by the web app: its name and email are now taken here too
        users.add_markers(store, account.user)
    session = Session(user_id, account.user.username, token, expires_at, location)
    if replacing is not None and replacing.store in (None, location):
        users.close_session(store, replacing.user_id, token_hash(replacing.token))
    return session


def _fail_like_a_wrong_password(store: Store, password: str, now: datetime) -> NoReturn:
    """An unknown username: the requests and the hash work of a wrong password, the
    attempt counted on an item that is no account."""
    users.count_unknown_attempt(store, now=int(now.timestamp()))
    users.get_account(store, users.UNKNOWN_LOGINS)
    passwords.matches(passwords.UNKNOWN_USER_HASH, password)
    raise AuthError(WRONG_CREDENTIALS)


def _verified_account(
    store: Store, session: Session, location: Location | None, now: datetime
) -> Account:
    session.check_location(location)
    if session.expires_at <= now:
        raise AuthError("your session has expired: run `budget login USERNAME`")
    account = users.get_account(store, session.user_id)
    expiry = (account.sessions or {}).get(token_hash(session.token)) if account else None
    if (
        account is None
        or expiry is None
        or expiry <= int(now.timestamp())
        or account.user.username != session.username
    ):
        raise AuthError("your session is no longer valid: run `budget login USERNAME`")
    return account


def verify_session(
    store: Store,
    session: Session,
    *,
    location: Location | None = None,
    now: datetime | None = None,
) -> User:
    """The session's user, if it belongs to `location` and its token is still valid in
    the table; else AuthError. A session that records no location (written by an
    earlier version) is checked against the table alone."""
    return _verified_account(store, session, location, now or datetime.now(UTC)).user


def logout(
    store: Store, session: Session, *, location: Location | None = None, now: datetime | None = None
) -> bool:
    """Revoke the session's token here; False when it had ended already.

    AuthError, revoking nothing, when the session belongs to other tables, or records
    none (an earlier version's) and is not one of this store's: it may still be valid
    where it came from.
    """
    session.check_location(location)
    if users.close_session(store, session.user_id, token_hash(session.token)):
        return True
    if session.store is None and session.expires_at > (now or datetime.now(UTC)):
        here = describe(location) if location is not None else "these tables"
        raise AuthError(
            f"the session is not one of {here}, and was written by an earlier budgetcli that "
            "did not record its tables: nothing was revoked; run `budget logout` with the "
            "settings you logged in with, or `budget login USERNAME` to replace it"
        )
    return False


def logout_everywhere(
    store: Store, session: Session, *, location: Location | None = None, now: datetime | None = None
) -> int:
    """Revoke every session of the session's account, this one included (the session
    must be valid); returns how many were live."""
    now = now or datetime.now(UTC)
    account = _verified_account(store, session, location, now)
    users.close_all_sessions(store, account.user.user_id)
    epoch = int(now.timestamp())
    return sum(1 for expiry in (account.sessions or {}).values() if expiry > epoch)


def change_password(
    store: Store,
    session: Session,
    current: str,
    new: str,
    *,
    location: Location | None = None,
    now: datetime | None = None,
) -> int:
    """Replace the password of the session's account, if `current` is its password
    (a wrong one counts as a failed login), and revoke every other session; returns how
    many other sessions were live."""
    check_password_strength(new)
    if new == current:
        raise InvalidInput("the new password is the same as the current one: choose another")
    now = now or datetime.now(UTC)
    user_id = _verified_account(store, session, location, now).user.user_id
    try:
        account = _check_password(store, user_id, current, now)
    except AuthError as exc:
        if str(exc) == WRONG_CREDENTIALS:
            raise AuthError("the current password is wrong") from None
        raise
    mine = token_hash(session.token)
    sessions = account.sessions or {}
    if mine not in sessions:
        raise AuthError("your session is no longer valid: run `budget login USERNAME`")
    changed = users.change_password(
        store,
        user_id,
        old=account.password_hash,
        new=passwords.hash_password(new),
        keep=(mine, sessions[mine]),
    )
    if not changed:
        raise Conflict("the password or this session changed meanwhile: try again")
    epoch = int(now.timestamp())
    return sum(1 for digest, expiry in sessions.items() if digest != mine and expiry > epoch)
