"""/metrics: the health figures in Prometheus' text exposition format 0.0.4, for a scraper with a bearer token.

A scraper has no console session, so access is the token in config (admin.metrics_token, env METRICS_TOKEN),
compared in constant time; without a configured token the endpoint does not exist (404). Counters named
*_total count since this process started (Prometheus handles the reset on restart); the rest are gauges.
"""
from __future__ import annotations

import hmac
import math
from datetime import datetime

from aiohttp import web

from bot import keys
from bot.edge.stats import REFUSAL_REASONS
from handlers.health.figures import OUTBOX_STATES, gather

PATH = "/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Exposition:
    """Families written one after another: HELP, TYPE, then the samples, labels escaped as the format asks."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str, samples: list[tuple[dict, float]]) -> None:
        help_text = help_text.replace("\\", "\\\\").replace("\n", "\\n")
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for labels, value in samples:
            self.lines.append(f"{name}{_labels(labels)} {_number(value)}")

    def one(self, name: str, kind: str, help_text: str, value: float | None) -> None:
        self.family(name, kind, help_text, [] if value is None else [({}, value)])

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _escape(value: object) -> str:
    """A label value: backslash, double quote and line feed escaped, as the format asks."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(labels: dict) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items()) + "}"


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _ts(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


def exposition(figures: dict) -> str:
    """The figures as exposition text."""
    out = Exposition()
    edge, database, stored = figures["edge"], figures["database"], figures["stored"]
    out.one("zhangfang_database_up", "gauge", "1 when a query gets through (a busy SQLite file is up).",
            database["state"] != "down")
    out.family("zhangfang_database_info", "gauge", "The database kind.", [({"kind": database["kind"]}, 1)])
    out.one("zhangfang_process_start_time_seconds", "gauge", "When this process started counting callbacks.",
            _ts(edge["since"]))
    out.family("zhangfang_callbacks_total", "counter", "New callbacks accepted by this process, by kind.",
               [({"kind": kind}, count) for kind, count in sorted(edge["accepted"].items())])
    out.one("zhangfang_callback_duplicates_total", "counter", "Repeated deliveries answered without processing.",
            edge["duplicates"])
    out.family("zhangfang_callback_refusals_total", "counter", "Callbacks refused by this process, by reason.",
               [({"reason": reason}, edge["refused"].get(reason, 0)) for reason in REFUSAL_REASONS])
    if stored is not None:
        _stored(out, stored, figures["now"])
    return out.text()


def _stored(out: Exposition, stored: dict, now: datetime) -> None:
    callbacks, outbox, scheduler = stored["callbacks"], stored["outbox"], stored["scheduler"]
    last = callbacks["last"]
    out.one("zhangfang_last_callback_timestamp_seconds", "gauge", "When the last callback was received.",
            _ts(last["received_at"]) if last else None)
    out.family("zhangfang_callbacks_last_24h", "gauge", "Callbacks received in the last 24 hours, by kind.",
               [({"kind": kind}, count) for kind, count in callbacks["kinds"]])
    syncs = stored["syncs"]
    out.family("zhangfang_sync_last_success_timestamp_seconds", "gauge", "When a sync of this kind last succeeded.",
               [({"kind": s["kind"]}, _ts(s["success_at"])) for s in syncs if s["success_at"]])
    out.family("zhangfang_sync_last_failed", "gauge", "1 when the latest finished sync of this kind failed.",
               [({"kind": s["kind"]}, s["last"]["state"] == "failed") for s in syncs if s["last"]])
    out.family("zhangfang_sync_running", "gauge", "1 while a sync of this kind runs with a fresh heartbeat.",
               [({"kind": s["kind"]}, bool(s["running"]) and not s["running"]["stale"]) for s in syncs])
    drift = stored["drift"]
    done = drift is not None and drift["state"] == "done"
    out.one("zhangfang_contacts_drift", "gauge", "Follow relations that differ from WeCom at the last check.",
            drift["drift"] if done else None)
    out.one("zhangfang_contacts_drift_checked_timestamp_seconds", "gauge", "When the last drift check finished.",
            _ts(drift["finished_at"]) if done else None)
    out.family("zhangfang_outbox_items", "gauge", "Outbox items (digests not counted) by state.",
               [({"state": state}, outbox["counts"][state]) for state in OUTBOX_STATES])
    out.one("zhangfang_outbox_oldest_pending_seconds", "gauge", "Age of the oldest pending outbox item.",
            outbox["oldest_pending_age"] or 0)
    out.family("zhangfang_scheduler_leader", "gauge", "The process holding the scheduler lease.",
               [({"holder": scheduler["holder"]}, 1)] if scheduler["live"] else [])
    out.family("zhangfang_job_next_run_timestamp_seconds", "gauge", "When each enabled job fires next.",
               [({"job": job["name"]}, _ts(job["next"])) for job in scheduler["jobs"] if job["next"]])
    out.family("zhangfang_token_expires_in_seconds", "gauge", "Seconds until a cached token or ticket expires.",
               [({"key": token["key"]}, token["expires_in"]) for token in stored["tokens"]])
    out.one("zhangfang_migration_version", "gauge", "The highest applied schema migration.", stored["migration"])


def authorized(request: web.Request, token: str) -> bool:
    """A bearer token equal to ``token``, compared in constant time (never logged)."""
    sent = request.headers.get("Authorization", "")
    scheme, _, value = sent.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())


async def metrics(request: web.Request) -> web.Response:
    token = request.app[keys.CONFIG].admin.metrics_token
    if not token:
        raise web.HTTPNotFound()
    if not authorized(request, token):
        return web.Response(status=401, text="unauthorized\n", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    body = exposition(await gather(request.app))
    return web.Response(body=body.encode("utf-8"), headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, metrics)
