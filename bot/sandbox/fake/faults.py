"""Scripted faults of the fake WeCom: the answers real WeCom (or the network in front of it) gives on a bad day.

Each fault is taken by the next matching call, in the order injected, so a test scripts a sequence such as
"deliver, then answer -1; then 45009 twice; then a gateway 502". A fault either refuses the call before
anything happens (the default) or, with ``after_delivery``, lets the endpoint do its work first and only
then spoils the answer: WeCom's "system busy" after the message went out, a 502 from a gateway, or a
connection that stalls until the client gives up.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.fake.records import path_matches


@dataclass
class Fault:
    suffix: str
    remaining: int
    errcode: int = 0             # answered as WeCom's JSON error (HTTP 200)
    errmsg: str | None = None
    status: int = 200            # != 200: an HTTP error page from the gateway instead
    stall: float = 0.0           # > 0: hold the answer this many (real) seconds, so the client times out
    after_delivery: bool = False  # the endpoint does its work before the answer goes wrong


class Faults:
    """The queue of injected faults."""

    def __init__(self) -> None:
        self.queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.queue.append(fault)

    def take(self, path: str) -> Fault | None:
        """The next fault for this endpoint (consumed), or None."""
        for fault in self.queue:
            if path_matches(path, fault.suffix):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.queue.remove(fault)
                return fault
        return None
