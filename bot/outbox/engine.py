"""The reminder outbox: items written before anything is sent, digests pushed within WeCom's caps.

Exactly once: every reminder is an item row with a unique dedupe key (kind|key|recipient), inserted before
sending (a job run's items in short transactions, then its admins' summary counted from them: runs.py).
A digest bundles one member's waiting items of one kind into one message; the items are claimed by the
digest in the same transaction that stores the rendered message, and marked sent with WeCom's msgid when
it is delivered. A send whose outcome is unknown (crash, timeout, -1, 5xx) is repeated with the identical
stored message only while WeCom's duplicate check (asked for at its maximum) still absorbs it, then reported
uncertain; a send WeCom refused (45009/45033, configuration errors) releases the items to ride in a later
digest. Rows: bot/outbox/store.py; the state machine of one send: bot/outbox/sends.py; late replies:
bot/outbox/replies.py.

Stops by itself (X2): just before each send the items are checked against the records; done ones are
dropped and counted. Within caps (X3): per member ≤ jobs.per_minute_cap a minute and ≤ per_hour_cap an hour
(counted from the rows, so across processes and restarts), never in jobs.avoid_minutes, never in quiet hours.
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

import jinja2

from bot.config.settings import Config
from bot.outbox import review, sends, store
from bot.outbox.calls import Result, deliver
from bot.outbox.digest import DigestTemplates, render_message, template_task
from bot.tasks import nap
from bot.wecom import WeComClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One reminder for one member; `key` names the matter and its step, e.g. 'c12|svc45:2026-12-01@30'."""
    kind: str
    key: str
    recipient: str
    client_id: int | None
    data: dict  # template values and the ids its re-check needs; JSON-able

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}|{self.key}|{self.recipient}"

    def row(self, now: datetime, run_key: str | None = None) -> dict:
        return {"dedupe_key": self.dedupe_key, "kind": self.kind, "client": self.client_id,
                "recipient_userid": self.recipient, "payload": self.data, "state": "pending",
                "created_at": now, "run_key": run_key}


@dataclass(frozen=True)
class Kind:
    """How a kind of item is worded and re-checked."""
    name: str
    templates: DigestTemplates
    recheck: Callable[[list[dict]], dict] | None = None  # sync: items -> {id: None (done) | fresh values}
    title: str = ""
    link: str = ""  # query string added to the digest's link
    mode: str = "digest"  # digest: message/send to a member | template: add_msg_template task for a customer


@dataclass
class SendReport:
    digests: int = 0       # messages delivered
    sent: int = 0          # items delivered in them
    dropped: int = 0       # items the records showed done before sending
    failed: int = 0        # items given up on (see last_error)
    deferred: int = 0      # digests held back by the caps
    uncertain: int = 0     # items that may or may not have arrived, and will not be repeated blind
    next_wake: datetime | None = None

    def add(self, other: "SendReport") -> None:
        for name in ("digests", "sent", "dropped", "failed", "deferred", "uncertain"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.next_wake = other.next_wake


class Outbox:
    """Writes items and sends digests; one instance per process, all sharing the database."""

    def __init__(self, config: Config, db: Any, wecom: WeComClient | None, texts: jinja2.Environment,
                 kinds: list[Kind], clock: Callable[[], datetime],
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.config, self.db, self.wecom, self.texts, self.clock, self.sleep = \
            config, db, wecom, texts, clock, sleep
        self.kinds = {kind.name: kind for kind in kinds}
        self.limits = store.limits_of(config)
        self.tz = config.jobs.tz(config.agency.timezone)
        self.paused_until: datetime | None = None
        self._poke = asyncio.Event()

    # ---- writing --------------------------------------------------------------------------------------
    async def enqueue(self, items: list[Item]) -> set[str]:
        """Insert the items not yet known; returns the new dedupe keys. Then wakes the sender."""
        now = self.clock()
        unique = list({item.dedupe_key: item for item in items}.values())
        new = await self.db.run(store.insert_items, [item.row(now) for item in unique]) if unique else []
        if new:
            self._poke.set()
        return set(new)

    async def enqueue_run(self, items: list[Item], run_key: str, chunk: int) -> set[str]:
        """enqueue() for a job run's plan: its rows tagged with the run (bot/outbox/runs.py), `chunk` rows a
        transaction, so a long plan never holds the database (on SQLite, every callback's claim) for long."""
        now = self.clock()
        rows = [item.row(now, run_key) for item in {item.dedupe_key: item for item in items}.values()]
        new: set[str] = set()
        for start in range(0, len(rows), chunk):
            new.update(await self.db.run(store.insert_items, rows[start:start + chunk]))
        if new:
            self._poke.set()
        return new

    def render(self, kind: str, items: list[dict]) -> dict:
        """The stored message for a digest of `items` (sync; also used by dry runs)."""
        spec = self.kinds[kind]
        url = self.config.base_url + self.config.jobs.link_path + (f"?{spec.link}" if spec.link else "")
        values = {"url": url, "title": spec.title, "agency": self.config.agency,
                  "today": self.clock().astimezone(self.tz).date(),
                  "recipient_name": items[0].get("recipient_name", "") if items else ""}
        if spec.mode == "template":
            return template_task(self.texts, spec.templates, items, values)
        return render_message(self.texts, spec.templates, self.config.jobs.digest_format, items, values)

    # ---- gates ----------------------------------------------------------------------------------------
    def closed_until(self, now: datetime) -> datetime | None:
        """None when a push may go out now; else when the quiet hours or avoided minute end."""
        local = now.astimezone(self.tz)
        window = self.config.jobs.quiet_window()
        if window is not None:
            start, end = window
            t = local.time()
            quiet = start <= t < end if start < end else (t >= start or t < end)
            if quiet:
                opens = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
                if opens <= local:
                    opens += timedelta(days=1)
                return self._jitter(opens)
        avoid = set(self.config.jobs.avoid_minutes)
        # Also keep clear of the last seconds before an avoided minute: the request takes a moment.
        soon = (local + timedelta(seconds=5)).minute
        if local.minute in avoid or soon in avoid:
            opens = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
            while opens.minute in avoid:
                opens += timedelta(minutes=1)
            return self._jitter(opens)
        return None

    @staticmethod
    def _jitter(at: datetime) -> datetime:
        # Several agencies' servers opening at the same second is what WeCom warns about.
        return at + timedelta(seconds=random.uniform(1, 20))

    # ---- sending --------------------------------------------------------------------------------------
    def _blocked(self, now: datetime) -> datetime | None:
        paused = self.paused_until if self.paused_until and self.paused_until > now else None
        return self.closed_until(now) or paused

    async def send_due(self) -> SendReport:
        """One round: every member with something due gets what their caps allow, now.

        Sends go in waves of at most jobs.send_concurrency members, one digest each: short transactions
        record the previous wave's outcomes and mark this wave in flight, then the sends run together."""
        report = SendReport()
        blocked = self._blocked(self.clock())
        if blocked:
            report.next_wake = blocked
            return report
        tick = await self._plan_round()
        queues = {recipient: list(ids) for recipient, ids in tick.plan.items()}
        wake, outcomes = tick.wake, []
        while queues:
            blocked = self._blocked(self.clock())
            if blocked:
                wake = store.earliest(wake, blocked)
                break
            wave = {r: queues[r].pop(0) for r in list(queues)[:self.config.jobs.send_concurrency]}
            outcomes, deferred = await self._wave(outcomes, wave, report)
            for recipient in set(deferred) | {r for r in wave if not queues[r]}:
                queues.pop(recipient, None)  # a member held back by the caps waits for the next round
            wake = store.earliest(wake, *deferred.values())
        if outcomes:
            self._count(report, await self.db.run(sends.finish_many, outcomes, self.clock(), self.limits))
        later = await self.db.run(store.next_wake, self.clock(), list(self.kinds))
        report.next_wake = store.earliest(wake, later)
        return report

    async def _plan_round(self) -> store.Tick:
        """store.plan_tick with one digest composed per transaction: a round of 200 digests would otherwise
        hold the database (and, on SQLite, every callback) for a second (bench/sweep_latency.py)."""
        now = self.clock()
        work = await self.db.read(store.read_round, now, list(self.kinds), self.limits)
        for recipient, kind, ids in work.groups:  # read and render beside the writer, then a short claim
            draft = await self.db.read(store.draft_group, kind, ids, self.render)
            digest_id = await self.db.run(store.compose_group, recipient, kind, ids, now, self.render, draft)
            if digest_id is not None:
                work.digests.setdefault(recipient, []).append(digest_id)
        return work.tick()

    @staticmethod
    def _count(report: SendReport, counts: sends.Counts) -> None:
        report.sent += counts.sent
        report.failed += counts.failed
        report.uncertain += counts.uncertain

    async def _wave(self, previous: list, wave: dict[str, int], report: SendReport) -> tuple[list, dict]:
        """Record the previous wave's outcomes and mark this wave in flight (a commit each), then send it.

        Returns this wave's outcomes (recorded with the next wave) and the members the caps deferred."""
        rechecks = {name: kind.recheck for name, kind in self.kinds.items()}
        attempts: dict = {}
        # Short transactions (on SQLite each one holds every callback's claim): one per outcome recorded, one
        # per digest begun, the digest's re-check read beforehand beside the writer (bot/outbox/review.py).
        for outcome in previous:
            self._count(report, await self.db.run(sends.finish_many, [outcome], self.clock(), self.limits))
        for digest_id in wave.values():
            now = self.clock()
            ahead = await self.db.read(review.review_ahead, digest_id, now, rechecks, self.render)
            attempts.update(await self.db.run(sends.begin_attempts, [digest_id], now, self.limits, rechecks,
                                              self.render, {digest_id: ahead}))
        deferred = {}
        for recipient, digest_id in wave.items():
            attempt = attempts[digest_id]
            report.dropped += attempt.dropped
            report.uncertain += attempt.uncertain
            if attempt.action == "defer":
                report.deferred += 1
                deferred[recipient] = attempt.until
        sending = [(digest_id, a) for digest_id, a in attempts.items() if a.action == "send"]
        results = await asyncio.gather(*(self._call(a) for _, a in sending))
        outcomes = [store.Outcome(digest_id, r.result, r.msgid, r.error)
                    for (digest_id, _), r in zip(sending, results)]
        report.digests += sum(o.result == "ok" for o in outcomes)
        return outcomes, deferred

    async def _call(self, attempt: store.Attempt) -> Result:
        result = await deliver(self.wecom, attempt.recipient, attempt.message, attempt.dup_window,
                               attempt.resend_within)
        if result.rate_limited:  # WeCom's own limit tripped: everyone waits, nothing is lost
            self.paused_until = self.clock() + timedelta(seconds=self.config.jobs.retry_base)
            log.warning("reminder pushes paused %ss: %s", self.config.jobs.retry_base, result.error[:80])
        return result

    # ---- loops ----------------------------------------------------------------------------------------
    async def drain(self, max_rounds: int = 10_000, max_wait: float | None = None) -> SendReport:
        """Send until nothing is pending (sleeping through caps and gates); for the CLI and tests.

        `max_wait` seconds: stop instead of waiting longer than that for the next round."""
        total = SendReport()
        for _ in range(max_rounds):
            report = await self.send_due()
            total.add(report)
            if report.next_wake is None:
                break
            wait = (report.next_wake - self.clock()).total_seconds()
            if max_wait is not None and wait > max_wait:
                break
            await self.sleep(max(wait, 0.0))
        return total

    def poke(self) -> None:
        """Something new was queued: send without waiting for the next poll."""
        self._poke.set()

    async def run(self, stop: asyncio.Event) -> None:
        """The leader's sender: rounds until `stop`, sleeping until the next due time or a poke."""
        poll = self.config.jobs.poll_interval
        while not stop.is_set():
            self._poke.clear()
            try:
                report = await self.send_due()
                wait = poll if report.next_wake is None else \
                    min(max((report.next_wake - self.clock()).total_seconds(), 0.05), poll)
            except Exception:  # noqa: BLE001 - e.g. the database briefly unreachable; try again
                log.exception("reminder sender round failed")
                wait = poll
            await nap(self._poke, stop, wait)
