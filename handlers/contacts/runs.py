"""SyncRun bookkeeping: one running sync per kind, a heartbeat that doubles as the run's lease, resume.

A run writes its cursor, counts and heartbeat in the same transaction as the page it just stored, so after
a crash the next run carries on from the last stored page. The heartbeat value is also the lease: every
write is conditional on the heartbeat this process wrote last, so a process whose run was taken over (its
heartbeat went stale) notices at its next page and stops without writing.
"""
from __future__ import annotations

import base64
import datetime as dt
import zlib
from dataclasses import dataclass, field

from peewee import IntegrityError

import models
from models import SyncRun

STALE_AFTER = dt.timedelta(minutes=2)     # a running run silent this long belongs to a dead process
RESUME_WITHIN = dt.timedelta(hours=6)     # a failed run's cursor is picked up again within this window
MAX_RESUMES = 3                           # ... this many times: a cursor WeCom no longer takes must not trap us
KINDS = {"contacts": "客户联系人", "groups": "客户群"}


class SyncBusy(Exception):
    """Another sync of this kind is running (its heartbeat is fresh)."""

    def __init__(self, kind: str, started_at: dt.datetime):
        super().__init__(f"{kind} sync already running since {started_at.isoformat()}")
        self.kind = kind
        self.started_at = started_at


class SyncLost(Exception):
    """Another process took this run over; this one must stop without writing."""


@dataclass
class RunHandle:
    """The run this process owns: its row id and the heartbeat it wrote last."""
    id: int
    kind: str
    heartbeat: dt.datetime
    since: dt.datetime  # when the work behind the cursor began (kept across resumes)
    cursor: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    resumed: bool = False


class IdSet:
    """Row ids a run has seen, as a compressed bitmap: a few KB in the cursor for 20,000 rows."""

    def __init__(self, data: bytes = b""):
        self.bits = bytearray(data)

    def add(self, row_id: int) -> None:
        byte = row_id >> 3
        if byte >= len(self.bits):
            self.bits.extend(bytes(byte + 1 - len(self.bits)))
        self.bits[byte] |= 1 << (row_id & 7)

    def __contains__(self, row_id: int) -> bool:
        byte = row_id >> 3
        return byte < len(self.bits) and bool(self.bits[byte] & (1 << (row_id & 7)))

    def __len__(self) -> int:
        return sum(bin(b).count("1") for b in self.bits)

    def dump(self) -> str:
        return base64.b64encode(zlib.compress(bytes(self.bits))).decode()

    @classmethod
    def load(cls, text: str | None) -> "IdSet":
        return cls(zlib.decompress(base64.b64decode(text)) if text else b"")


def running(kind: str, now: dt.datetime) -> SyncRun | None:
    """The live running run of ``kind`` (heartbeat fresh), or None."""
    row = SyncRun.get_or_none((SyncRun.kind == kind) & (SyncRun.state == "running"))
    return row if row is not None and now - row.heartbeat_at < STALE_AFTER else None


def claim(kind: str, now: dt.datetime, started_by: int | None = None) -> RunHandle:
    """Start a run of ``kind``: take over a dead one, resume a recent failed one, or begin afresh.

    Raises SyncBusy while another live run of this kind exists (the unique partial index settles races)."""
    try:
        with models.db.atomic():
            return _claim(kind, now, started_by)
    except IntegrityError:  # another process inserted its running row between our read and our insert
        row = SyncRun.get_or_none((SyncRun.kind == kind) & (SyncRun.state == "running"))
        raise SyncBusy(kind, row.started_at if row else now) from None


def _claim(kind: str, now: dt.datetime, started_by: int | None) -> RunHandle:
    row = SyncRun.get_or_none((SyncRun.kind == kind) & (SyncRun.state == "running"))
    if row is not None:
        if now - row.heartbeat_at < STALE_AFTER:
            raise SyncBusy(kind, row.started_at)
        beat = _next_beat(row.heartbeat_at, now)
        taken = (SyncRun.update(heartbeat_at=beat)
                 .where((SyncRun.id == row.id) & (SyncRun.state == "running")
                        & (SyncRun.heartbeat_at == row.heartbeat_at)).execute())
        if not taken:
            raise SyncBusy(kind, row.started_at)
        return _handle(row, beat, resumed=True)
    failed = (SyncRun.select().where((SyncRun.kind == kind) & (SyncRun.state == "failed")
                                     & SyncRun.cursor.is_null(False) & (SyncRun.heartbeat_at > now - RESUME_WITHIN))
              .order_by(SyncRun.id.desc()).first())
    if failed is not None:  # its cursor now belongs to the new run (or is given up): never resumed twice
        SyncRun.update(cursor=None).where(SyncRun.id == failed.id).execute()
        if failed.cursor.get("resumes", 0) >= MAX_RESUMES:
            failed = None
    new = SyncRun.create(kind=kind, state="running", started_at=now, heartbeat_at=now, started_by=started_by,
                         cursor=failed.cursor if failed else None, counts=failed.counts if failed else {})
    return _handle(new, now, resumed=failed is not None)


def _handle(row: SyncRun, beat: dt.datetime, resumed: bool) -> RunHandle:
    cursor = dict(row.cursor or {})
    since = dt.datetime.fromisoformat(cursor["since"]) if cursor.get("since") else row.started_at
    cursor["since"] = since.isoformat()
    cursor["resumes"] = cursor.get("resumes", 0) + int(resumed)
    return RunHandle(row.id, row.kind, beat, since, cursor, dict(row.counts or {}), resumed)


def _next_beat(previous: dt.datetime, now: dt.datetime) -> dt.datetime:
    """Strictly after ``previous`` even when the clock stands still, so each beat is a distinct lease token."""
    return now if now > previous else previous + dt.timedelta(microseconds=1)


def save(run: RunHandle, now: dt.datetime, progress: bool = True, **changes) -> None:
    """Write cursor, counts and heartbeat (inside the caller's transaction); SyncLost if taken over."""
    beat = _next_beat(run.heartbeat, now)
    values = {SyncRun.heartbeat_at: beat}
    if progress:
        values.update({SyncRun.cursor: run.cursor, SyncRun.counts: run.counts})
    values.update({getattr(SyncRun, k): v for k, v in changes.items()})
    updated = (SyncRun.update(values)
               .where((SyncRun.id == run.id) & (SyncRun.state == "running") & (SyncRun.heartbeat_at == run.heartbeat))
               .execute())
    if updated != 1:
        raise SyncLost(f"sync run {run.id} was taken over by another process")
    run.heartbeat = beat


def finish(run: RunHandle, now: dt.datetime) -> None:
    """Mark the run done (inside the transaction that stored its last changes)."""
    run.cursor = None
    save(run, now, state="done", finished_at=now)


def fail(run: RunHandle, now: dt.datetime, error: str) -> None:
    """Mark the run failed, keeping its last stored cursor so the next run resumes (the in-memory one may
    belong to a page whose transaction rolled back); a no-op if the run was taken over."""
    try:
        with models.db.atomic():
            save(run, now, progress=False, state="failed", finished_at=now, error=error[:2000])
    except SyncLost:
        pass
