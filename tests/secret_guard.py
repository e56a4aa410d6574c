"""Every secret the suite creates is remembered, and no captured output may contain one.

Secrets: passwords that were hashed, the hashes, session tokens and their SHA-256.
Outputs: every CliRunner result and every test's captured stdout/stderr/log.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import typer.main
import typer.testing
from typer.testing import CliRunner, Result

SECRETS: set[str] = set()
OUTPUTS: list[tuple[str, str]] = []


def remember(secret: str) -> None:
    if len(secret) >= 8:
        SECRETS.add(secret)


_COMMANDS: dict[int, Any] = {}
_build_command = typer.main.get_command


def _built_once(app: Any) -> Any:
    """Typer rebuilds the whole Click tree of `budget` on every invoke (~10 ms, a tenth of
    the suite); the real command builds it once per process, and so do the tests."""
    key = id(app)
    if key not in _COMMANDS:
        _COMMANDS[key] = (app, _build_command(app))  # the app is kept, so its id stays its own
    return _COMMANDS[key][1]


# typer.testing looks the builder up by this name on every invoke.
vars(typer.testing)["_get_command"] = _built_once


class RecordingCliRunner(CliRunner):
    """A CliRunner whose every stdout and stderr is kept for the secrets check."""

    def __init__(self, test_id: str) -> None:
        super().__init__()
        self.test_id = test_id

    def invoke(self, *args: Any, **kwargs: Any) -> Result:
        result = super().invoke(*args, **kwargs)
        OUTPUTS.append((self.test_id, result.stdout + result.stderr))
        if result.exception and not isinstance(result.exception, SystemExit):
            OUTPUTS.append((self.test_id, repr(result.exception)))
        return result


class RecordingSecrets:
    """Stands in for the `secrets` module inside budgetcli.services.accounts."""

    def __getattr__(self, name: str) -> Any:
        return getattr(secrets, name)

    def token_urlsafe(self, nbytes: int | None = None) -> str:
        token = secrets.token_urlsafe(nbytes)
        remember(token)
        remember(hashlib.sha256(token.encode()).hexdigest())
        return token


def recording_hash(real: Any) -> Any:
    def generate_password_hash(password: str, *args: Any, **kwargs: Any) -> str:
        hashed = str(real(password, *args, **kwargs))
        remember(password)
        remember(hashed)
        return hashed

    return generate_password_hash


def leaks() -> list[str]:
    found = []
    for test_id, text in OUTPUTS:
        for secret in SECRETS:
            if secret in text:
                found.append(f"{test_id}: output contains a secret ({secret[:4]}...)")
    return sorted(set(found))
