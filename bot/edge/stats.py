"""What the callback edge saw since this process started: callbacks accepted by kind, duplicates, and refusals
by reason. In memory only (refusals are never stored: a flood of forged requests must not write rows); the
console's 运行状况 page and /metrics read it."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

# Why a callback was refused: the code every refusal is counted under (callback.refuse passes one).
REFUSAL_REASONS = ("params", "timestamp", "signature", "receive_id", "decrypt", "oversize", "slow_body",
                   "no_encrypt", "dtd", "encoding", "malformed")


class EdgeStats:
    """Counters for one process; plain ints bumped on the event loop, so no lock."""

    def __init__(self) -> None:
        self.started_at = datetime.now(timezone.utc)
        self.accepted: Counter[str] = Counter()  # new callbacks by kind ('text', 'event:…')
        self.duplicates = 0
        self.refused: Counter[str] = Counter()

    def accept(self, kind: str, new: bool) -> None:
        if new:
            self.accepted[kind] += 1
        else:
            self.duplicates += 1

    def refuse(self, reason: str) -> None:
        self.refused[reason] += 1
