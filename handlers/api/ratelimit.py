"""Requests per token: a token bucket in this process's memory, refilled evenly (``api.rate_limit`` a minute).

Kept in memory on purpose: a limit that protects the server need not survive a restart, and several processes
each allow the rate (an agency runs one or two). The clock is monotonic, so a frozen or travelled wall clock in
tests or an NTP step does not refill or drain a bucket.
"""
from __future__ import annotations

import math
import time
from typing import Callable


class RateLimiter:
    """``take(key)`` spends one request of ``key``'s bucket: None when allowed, else seconds to wait."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # requests refilled per second
        self.clock = clock
        self.buckets: dict[object, tuple[float, float]] = {}  # key -> (tokens left, when counted)

    def take(self, key: object) -> int | None:
        now = self.clock()
        left, then = self.buckets.get(key, (self.capacity, now))
        left = min(self.capacity, left + (now - then) * self.rate)
        if left >= 1:
            self.buckets[key] = (left - 1, now)
            return None
        self.buckets[key] = (left, now)
        return max(1, math.ceil((1 - left) / self.rate))
