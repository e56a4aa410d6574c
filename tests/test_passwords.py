"""Password hashes: Werkzeug's default cost, for new hashes and for an unknown username."""

from __future__ import annotations

import pytest

from budgetcli.services import passwords
from tests.conftest import TEST_SCRYPT

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


def test_a_hash_this_werkzeug_cannot_check_matches_nothing() -> None:
    assert passwords.matches("sha256$salt$0123abcd", "anything") is False
    assert passwords.matches("", "anything") is False


@pytest.mark.parametrize(
    "password_hash",
    ["scrypt:1024:8:1$s$h", "scrypt:4096:8:1$s$h", "scrypt$s$h", "bcrypt:12$s$h", "garbage"],
)
def test_hashes_as_strong_as_the_default_or_unreadable_are_kept(password_hash: str) -> None:
    # conftest makes scrypt:1024:8:1 (TEST_SCRYPT) the default for the suite.
    assert passwords.stronger(password_hash, "a password") is None


def test_weaker_scrypt_and_pbkdf2_hashes_are_remade_with_the_same_method(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import werkzeug.security

    monkeypatch.setattr(werkzeug.security, "DEFAULT_PBKDF2_ITERATIONS", 2000)
    scrypt = passwords.stronger("scrypt:512:8:1$s$h", "a password")
    assert scrypt is not None and scrypt.startswith(f"{TEST_SCRYPT}$")
    pbkdf2 = passwords.stronger("pbkdf2:sha512:1000$s$h", "a password")
    assert pbkdf2 is not None and pbkdf2.startswith("pbkdf2:sha512:2000$")
    assert passwords.matches(pbkdf2, "a password")
    assert passwords.stronger("pbkdf2:sha256:2000$s$h", "a password") is None
