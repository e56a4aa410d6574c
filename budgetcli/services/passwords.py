"""Password hashes: Werkzeug's, as the web app stores them too.

A failed login costs one hash check whether or not the username exists: an unknown one
is checked against `UNKNOWN_USER_HASH`, made at Werkzeug's default cost. A successful
one replaces a hash weaker than Werkzeug's default for its method (`stronger`).
"""

from __future__ import annotations

# Werkzeug's default method and parameters today (test_passwords checks that it still is).
DEFAULT_SCRYPT = "scrypt:32768:8:1"
# A hash, at DEFAULT_SCRYPT, of a random password that was thrown away. Made once and
# kept here: making it at login would cost a second scrypt run, for unknown users only.
UNKNOWN_USER_HASH = (
    "scrypt:32768:8:1$XOdxq2ZgCcWuLdXY$ea91668da496aef39ac56c1e4878f6fb0d0ec02d01116021c09b5a"
    "3171cf29af15004c498a5633de316fcac33ea8593642a67cb9881b3cb6d752d57e33f2ab7e"
)


def hash_password(password: str) -> str:
    """A new hash of `password` with Werkzeug's default method."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password)


def matches(password_hash: str, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from."""
    from werkzeug.security import check_password_hash

    try:
        return check_password_hash(password_hash, password)
    except ValueError:  # a method this Werkzeug cannot check, such as plain "sha256$"
        return False


def _work(params: list[str]) -> int:
    """scrypt's cost grows with n * r * p."""
    n, r, p = (int(param) for param in params)
    return n * r * p


def stronger(password_hash: str, password: str) -> str | None:
    """A new hash of `password` when `password_hash` (made from it) is weaker than
    Werkzeug's default for its method; None when it is not, or cannot be read.

    The method is kept: the web app may run a Werkzeug older than 2.3, which cannot
    check scrypt, so a pbkdf2 hash gets pbkdf2's default iterations instead.
    """
    from werkzeug.security import DEFAULT_PBKDF2_ITERATIONS, generate_password_hash

    method, *params = password_hash.split("$", 1)[0].split(":")
    try:
        if method == "scrypt" and _work(params) < _work(DEFAULT_SCRYPT.split(":")[1:]):
            return generate_password_hash(password)
        if method == "pbkdf2" and int(params[1]) < DEFAULT_PBKDF2_ITERATIONS:
            return generate_password_hash(
                password, method=f"pbkdf2:{params[0]}:{DEFAULT_PBKDF2_ITERATIONS}"
            )
    except (ValueError, IndexError):
        return None
    return None
