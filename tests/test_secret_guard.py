"""The suite-wide secrets check really fails a run that leaks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.helpers import PASSWORD

if os.environ.get("BUDGET_SECRET_GUARD_DEMO"):

    def test_deliberate_leak() -> None:
        import werkzeug.security

        werkzeug.security.generate_password_hash(PASSWORD)  # remembered as a secret
        print(f"oops: {PASSWORD}")


# `make test` runs the suite in xdist workers, each of which sees only its own outputs.
@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["one process", "xdist"])
def test_a_leaked_password_fails_the_run(workers: list[str]) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *workers,
            f"{__file__}::test_deliberate_leak",
        ],
        cwd=REPO,
        env={**os.environ, "BUDGET_SECRET_GUARD_DEMO": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "1 passed" in result.stdout
    assert "SECRETS LEAKED into 1 outputs" in result.stdout
    assert result.returncode == 1
