"""A failed `budget login` must not tell whether the username exists.

One run, one DynamoDB Local, passwords hashed at Werkzeug's default cost (as `budget
register` stores them). Four failed logins of the installed `budget`, interleaved (one
of each per round, in a rotating order), in two pairs that type the same shape of name
(a lower-case name is looked up once, a mixed-case one as typed and lower-cased): an
unknown username against a wrong password for `alice`, registered here, and an unknown
mixed-case username against a wrong password for `Carol`, whom the web app made. Every
fourth round a correct login resets the failure counts (untimed), so that no account is
ever locked. The goal: the median over rounds of each round's unknown/wrong ratio within
5% of 1 (a round's two runs are seconds apart, so the ratio cancels the machine's drift).

    BUDGET_DYNAMODB_LOCAL_DIR=$PWD/.cache/dynamodb-local .venv/bin/python bench/bench_login.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BUDGET, bench_environment, bench_store  # noqa: E402
from budgetcli.tables.schema import USERS  # noqa: E402

PASSWORD = "bench password 123"
WRONG = "not the password 123"
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
GOAL = "0.95-1.05"


def login(env: dict[str, str], username: str, password: str) -> tuple[float, int]:
    started = time.perf_counter()
    result = subprocess.run(
        [BUDGET, "login", username, "--password-stdin"],
        env=env,
        input=password + "\n",
        text=True,
        capture_output=True,
    )
    return time.perf_counter() - started, result.returncode


def main() -> None:
    from werkzeug.security import generate_password_hash

    with bench_environment() as env:
        store = bench_store()
        subprocess.run(
            [BUDGET, "register", "alice", "--email", "alice@example.com", "--password-stdin"],
            env=env,
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        # As the web app writes its users: no markers, no sessions map.
        store.put(
            USERS,
            {
                "user_id": str(uuid.uuid4()),
                "username": "Carol",
                "email": "carol@example.com",
                "password_hash": generate_password_hash(PASSWORD),
                "created_at": datetime.now(UTC).isoformat(),
            },
        )
        cases = {
            "unknown user `nobody`": ("nobody", PASSWORD),
            "wrong password for `alice`": ("alice", WRONG),
            "unknown user `Nobody`": ("Nobody", PASSWORD),
            "wrong password for `Carol` (web app)": ("Carol", WRONG),
        }
        timings: dict[str, list[float]] = {name: [] for name in cases}
        for name in ("alice", "Carol"):  # first run: warm the engine and the disk cache
            login(env, name, PASSWORD)
        names = list(cases)
        for round_number in range(ROUNDS):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                seconds, code = login(env, *cases[name])
                assert code == 3, (name, code)
                timings[name].append(seconds)
            if round_number % 4 == 3:
                for username in ("alice", "Carol"):
                    assert login(env, username, PASSWORD)[1] == 0
        print(f"failed `budget login`, medians of {ROUNDS} interleaved rounds")
        for unknown, wrong in (names[0:2], names[2:4]):
            for name in (unknown, wrong):
                print(f"  {name:38} {statistics.median(timings[name]) * 1000:7.0f} ms")
            # Each round's two runs are seconds apart: their ratio cancels the load's drift.
            ratios = [u / w for u, w in zip(timings[unknown], timings[wrong], strict=True)]
            ratio = statistics.median(ratios)
            print(f"  {'unknown / wrong, median of rounds':38} {ratio:7.3f}  (goal: {GOAL})")


if __name__ == "__main__":
    main()
