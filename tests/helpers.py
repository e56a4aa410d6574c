"""Helpers for tests that need accounts and sessions."""

from __future__ import annotations

from budgetcli import config
from budgetcli.services import accounts
from budgetcli.services.accounts import User
from budgetcli.store import Store

PASSWORD = "correct horse battery staple"


def make_user(store: Store, username: str, phone: str | None = None) -> User:
    return accounts.register(store, username, f"{username}@example.com", PASSWORD, phone)


def log_in(store: Store, username: str, password: str = PASSWORD) -> User:
    """Log `username` in through the service and write the session file, as `budget login` does."""
    session = accounts.login(store, username, password, days=30)
    config.write_session_file(session.to_dict())
    return accounts.verify_session(store, session)
