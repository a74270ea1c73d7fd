"""A job run's plan written in short transactions, without ever losing the admins' summary (issue 10, item 4).

A run of job J on day D is one JobRun row, key 'J@D'. begin() opens it (a second run that day reopens and
continues it); every item the run writes carries run_key = key and goes in in transactions of WRITE_CHUNK
rows, so SQLite's single writer is never held for long by a plan (callbacks claim their keys in between);
finish() then writes, in one transaction, the admins' summary counted from the rows tagged with the key and
the run's completion. The summary is derived from what is in the database, not from the planner's memory,
so a crash anywhere leaves nothing to reconstruct but an open run with the items it wrote: the next run
that day continues it (its summary counts both attempts' items), else the leader finishes it on start-up
or the job's next run does. Items and summaries keep their dedupe keys (a summary's is per job and day),
so finishing twice, or in two processes at once, sends nothing twice. Synchronous: run on a database thread.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from peewee import fn

import models
from bot.outbox.store import insert_items
from models import JobRun
from models import ReminderOutbox as Row

# Rows per transaction of a plan: on SQLite a callback's claim waits at most one such transaction.
WRITE_CHUNK = 25


@dataclass(frozen=True)
class RunInfo:
    key: str
    job: str
    day: date
    found: int
    unassigned: int
    started_at: datetime


def run_key(job: str, day: date) -> str:
    """The key of job `job`'s run on `day` (what its items are tagged with)."""
    return f"{job}@{day.isoformat()}"


def _info(run: JobRun) -> RunInfo:
    return RunInfo(run.key, run.job, run.day, run.found, run.unassigned, run.started_at)


def begin(key: str, job: str, day: date, found: int, unassigned: int, now: datetime) -> None:
    """Open the run (or reopen that day's run: its items so far stay its items)."""
    values = {"started_at": now, "finished_at": None, "found": found, "unassigned": unassigned}
    with models.db.atomic():
        (JobRun.insert(key=key, job=job, day=day, **values)
         .on_conflict(conflict_target=[JobRun.key], update=values).execute())


def get(key: str) -> RunInfo | None:
    run = JobRun.get_or_none(JobRun.key == key)
    return _info(run) if run is not None else None


def open_runs(job: str) -> list[RunInfo]:
    """Runs of `job` that began and never finished (a crash, or a failure while writing), oldest first."""
    query = JobRun.select().where((JobRun.job == job) & JobRun.finished_at.is_null()).order_by(JobRun.day)
    return [_info(run) for run in query]


def staff_counts(key: str, kind: str) -> list[tuple[str, str, int]]:
    """(member, member's name, items) of kind `kind` the run wrote, most first (ties: first written first)."""
    groups = list(Row.select(Row.recipient_userid, fn.COUNT(Row.id), fn.MIN(Row.id))
                  .where((Row.run_key == key) & (Row.kind == kind)).group_by(Row.recipient_userid).tuples())
    names = {row_id: (payload or {}).get("recipient_name")
             for row_id, payload in Row.select(Row.id, Row.payload).where(Row.id.in_([g[2] for g in groups])).tuples()}
    groups.sort(key=lambda g: (-g[1], g[2]))
    return [(userid, names.get(first) or userid, count) for userid, count, first in groups]


def finish(key: str, rows: list[dict], now: datetime, record: Callable[[], None] | None = None) -> bool:
    """In one transaction: the summary rows (ignoring ones already there), the run's completion and `record`
    (the run's audit entry). False, writing nothing, if the run was not open (finished meanwhile elsewhere)."""
    with models.db.atomic():
        if not JobRun.update(finished_at=now).where((JobRun.key == key) & JobRun.finished_at.is_null()).execute():
            return False
        if rows:
            insert_items(rows)
        if record is not None:
            record()
    return True
