"""Tracked background tasks: late handlers run here and are drained on shutdown, never lost silently."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Coroutine

log = logging.getLogger(__name__)


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def __len__(self) -> int:
        return len(self._tasks)

    def running(self, name: str) -> bool:
        """Whether a task spawned under ``name`` is still in flight (e.g. a sync the console started)."""
        return any(task.get_name() == name and not task.done() for task in self._tasks)

    async def drain(self, timeout: float) -> None:
        """Wait for running tasks up to ``timeout`` seconds, then cancel what is left."""
        if not self._tasks:
            return
        done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            log.warning("cancelling background task %s at shutdown", task.get_name())
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


async def nap(poke: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    """Sleep up to `seconds`, waking early when `poke` or `stop` is set (the senders' loops)."""
    waiters = [asyncio.ensure_future(poke.wait()), asyncio.ensure_future(stop.wait())]
    await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
