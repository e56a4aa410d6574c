"""Password hashes: Werkzeug's default cost, for new hashes and for an unknown username."""

from __future__ import annotations

from budgetcli.services import passwords

# As shipped: the suite lowers the cost (conftest.TEST_SCRYPT) once tests start.
SHIPPED_DEFAULT = passwords.DEFAULT_SCRYPT


def werkzeug_default_method() -> str:
    """The method and parameters Werkzeug hashes with today (one real scrypt run)."""
    from werkzeug.security import _hash_internal

    return _hash_internal("scrypt", "salt", "password")[1]


def test_the_default_and_the_unknown_user_hash_are_werkzeugs_default() -> None:
    """So that an unknown username costs what a real account's check costs, and hashes
    weaker than Werkzeug's default are found: update both when Werkzeug raises it."""
    assert SHIPPED_DEFAULT == werkzeug_default_method()
    assert passwords.UNKNOWN_USER_HASH.split("$")[0] == SHIPPED_DEFAULT
