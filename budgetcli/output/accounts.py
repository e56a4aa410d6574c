"""Accounts: who is logged in."""

from __future__ import annotations

from budgetcli.models import User


def user_record(user: User) -> dict[str, str]:
    """The contract's `whoami` object."""
    return {"user_id": user.user_id, "username": user.username, "email": user.email}
