"""The suite-wide secrets check really fails a run that leaks."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO
from tests.helpers import PASSWORD

if os.environ.get("BUDGET_SECRET_GUARD_DEMO"):

    def test_deliberate_leak() -> None:
        import werkzeug.security

        werkzeug.security.generate_password_hash(PASSWORD)  # remembered as a secret
        print(f"oops: {PASSWORD}")


def test_a_leaked_password_fails_the_run() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
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
