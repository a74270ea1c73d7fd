"""Where the WeCom client keeps tokens and tickets: a store every process shares, refreshed by one caller."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable


@dataclass
class CachedValue:
    value: str
    expires_at: float  # epoch seconds


class TokenStore:
    """Where tokens and tickets are kept so every process shares them (the database in production)."""

    async def load(self, key: str) -> CachedValue | None:
        raise NotImplementedError

    async def save(self, key: str, item: CachedValue) -> None:
        raise NotImplementedError


class MemoryTokenStore(TokenStore):
    def __init__(self) -> None:
        self.items: dict[str, CachedValue] = {}

    async def load(self, key: str) -> CachedValue | None:
        return self.items.get(key)

    async def save(self, key: str, item: CachedValue) -> None:
        self.items[key] = item


class SingleFlight:
    """A cached secret value (token or ticket) refreshed by one caller at a time."""

    def __init__(self, key: str, store: TokenStore, fetch: Callable[[], Awaitable[tuple[str, int]]],
                 margin: float, clock: Callable[[], float]):
        self.key, self.store, self.fetch, self.margin, self.clock = key, store, fetch, margin, clock
        self.current: CachedValue | None = None
        self.lock = asyncio.Lock()

    def _fresh(self, item: CachedValue | None, rejected: str | None) -> bool:
        return bool(item) and item.value != rejected and item.expires_at - self.margin > self.clock()

    async def get(self, rejected: str | None = None) -> str:
        """A valid value; ``rejected`` is one WeCom just refused, so it is never handed out again."""
        if self._fresh(self.current, rejected):
            return self.current.value
        async with self.lock:
            if self._fresh(self.current, rejected):
                return self.current.value
            stored = await self.store.load(self.key)
            if self._fresh(stored, rejected):
                self.current = stored
                return stored.value
            value, expires_in = await self.fetch()
            self.current = CachedValue(value, self.clock() + expires_in)
            await self.store.save(self.key, self.current)
            return value
