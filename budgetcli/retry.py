"""The one retry-with-backoff: full jitter, capped, for writes that may conflict or be throttled."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator


def backoff(attempt: int) -> float:
    """Seconds to wait before retry `attempt` (0-based): up to 50 ms, 100 ms, ... 2 s."""
    return random.uniform(0, min(2.0, 0.05 * 2**attempt))


def attempts(count: int) -> Iterator[int]:
    """0..count-1, sleeping `backoff` before each attempt after the first.

    `for attempt in attempts(n): ... break` ends early on success; the loop's `else`
    runs when every attempt was used.
    """
    for attempt in range(count):
        if attempt:
            time.sleep(backoff(attempt - 1))
        yield attempt
