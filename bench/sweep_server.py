"""The processes bench/sweep_latency.py starts: the server under test (the product's `create_app`, plus three
bench-only routes and probes that watch it from inside) and the fake WeCom.

Routes: POST /bench/sweep fires the four jobs as the cron does and answers once the outbox is empty;
POST /bench/phase ends a measuring phase (returns the probes' figures); POST /bench/reset empties the outbox
so the next sweep does all the work again.
"""
from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import gc
import logging
import os
import time

from aiohttp import web

from bench.reminders import CORP, SECRET, offset_clock

AGENT, TOKEN, AES_KEY = 1000002, "BenchToken1", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
JOB_NAMES = ("service_expiry", "missing_invoices", "arrears", "filing_deadline")


def serve_fake(port: int, latency: float) -> None:
    from bot.sandbox.fake.app import create_fake_wecom_app
    from bot.sandbox.fake.records import FakeConfig
    from bot.sandbox.fake.state import FakeWeCom
    fake = FakeWeCom(FakeConfig(corp_id=CORP, agent_id=AGENT, secret=SECRET, latency=latency),
                     directory={"members": [{"userid": f"u{n:02d}", "name": f"员工{n:02d}", "department": [1]}
                                            for n in range(50)]})
    web.run_app(create_fake_wecom_app(fake), host="127.0.0.1", port=port, print=None, access_log=None)


def bench_config(db_url: str, api_base: str):
    from bot.config.settings import load_config
    config = load_config(env={"WECOM_CORP_ID": CORP, "WECOM_AGENT_ID": str(AGENT), "WECOM_SECRET": SECRET,
                              "WECOM_TOKEN": TOKEN, "WECOM_AES_KEY": AES_KEY, "WECOM_API_BASE": api_base,
                              "DATABASE_URL": db_url})
    off = {name: dataclasses.replace(getattr(config.jobs, name), enabled=False)  # fired by /bench/sweep
           for name in JOB_NAMES}
    return config.replace(jobs={"quiet_hours": "", **off}, server={"public_url": "http://bench.example"})


def _p(values: list[float], q: float) -> float:
    return values[max(int(len(values) * q) - 1, 0)] * 1000 if values else 0.0


class Probes:
    """What the server sees during a phase: its event loop's lag (a 5 ms timer), each callback's time in the
    handler and in its claim, the sweep's background database trips, full garbage collections, its CPU."""

    def __init__(self):
        self.lag: list[float] = []
        self.handler: list[float] = []
        self.claim: list[float] = []
        self.trips: list[tuple[float, str]] = []
        self.gc: list[float] = []
        self._gc_began = 0.0
        self.since = (time.perf_counter(), time.process_time())
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                self._gc_began = time.perf_counter()
            else:
                self.gc.append(time.perf_counter() - self._gc_began)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + 0.005
            await asyncio.sleep(0.005)
            self.lag.append(max(loop.time() - expected, 0.0))

    def take(self) -> dict:
        """The figures since the last take(), and start again."""
        lag, handler, claim = sorted(self.lag), sorted(self.handler), sorted(self.claim)
        trips, gcs = sorted(self.trips), sorted(self.gc)
        self.lag, self.handler, self.claim, self.trips, self.gc = [], [], [], [], []
        (wall, cpu), self.since = self.since, (time.perf_counter(), time.process_time())
        return {"cpu": (self.since[1] - cpu) / max(self.since[0] - wall, 1e-9), "load": os.getloadavg()[0],
                "lag_p99": _p(lag, 0.99), "lag_max": _p(lag, 1.0), "handler_p99": _p(handler, 0.99),
                "claim_p99": _p(claim, 0.99), "gc_n": len(gcs), "gc_max": _p(gcs, 1.0),
                "trip_p99": _p([t for t, _ in trips], 0.99), "trips": _by_name(trips)}

    def install(self, app: web.Application) -> None:
        """Wrap the callback handler, the claim and the database's background trips with timers."""
        from bot.db import Database
        from bot.edge.inbox import Admission
        admit, submit = Admission.admit, getattr(Database, "_submit", None)
        background_run = getattr(Database, "_background_run", None)
        in_background = contextvars.ContextVar("in_background", default=False)
        probes = self

        async def timed_admit(self, *args):
            began = time.perf_counter()
            try:
                return await admit(self, *args)
            finally:
                probes.claim.append(time.perf_counter() - began)

        async def marked_background_run(self, *args, **kwargs):
            token = in_background.set(True)
            try:
                return await background_run(self, *args, **kwargs)
            finally:
                in_background.reset(token)

        def timed_submit(self, fn, *args):
            future, began = submit(self, fn, *args), time.perf_counter()
            if in_background.get():  # how long a sweep's trip holds its database thread
                name = {"some": "plan slice"}.get(getattr(fn, "__name__", "?"), getattr(fn, "__name__", "?"))
                future.add_done_callback(lambda _: probes.trips.append((time.perf_counter() - began, name)))
            return future

        @web.middleware
        async def timed_handler(request, handler):
            began = time.perf_counter()
            try:
                return await handler(request)
            finally:
                if request.path == "/wecom/callback":
                    probes.handler.append(time.perf_counter() - began)

        Admission.admit = timed_admit
        if background_run is not None:  # (the code before issue 10 has no background trips to time)
            Database._submit, Database._background_run = timed_submit, marked_background_run
        app.middlewares.append(timed_handler)


def _by_name(trips: list[tuple[float, str]]) -> str:
    """Per kind of trip: count, p50, p90 and max in ms, the costliest kinds first."""
    names: dict[str, list[float]] = {}
    for t, name in trips:
        names.setdefault(name, []).append(t * 1000)
    return "; ".join(f"{n} ×{len(ts)} {ts[len(ts) // 2]:.0f}/{ts[int(len(ts) * .9)]:.0f}/{ts[-1]:.0f}"
                     for n, ts in sorted(names.items(), key=lambda kv: -sum(kv[1])))


def serve(port: int, db_url: str, api_base: str) -> None:
    import models
    from bot import keys
    from bot.app import create_app
    from bot.outbox import store
    from bot.scheduler import SCHEDULER

    logging.basicConfig(level=logging.WARNING, format="server: %(levelname)s %(name)s: %(message)s")
    app = create_app(bench_config(db_url, api_base), clock=offset_clock())
    probes = Probes()
    probes.install(app)

    async def sweep(request: web.Request) -> web.Response:
        scheduler, began = request.app[SCHEDULER], time.perf_counter()
        while not scheduler.leader:
            await asyncio.sleep(0.05)
        probes.take()
        queued = 0
        for name in JOB_NAMES:
            report = await scheduler.fire(name)
            queued += report.new if report else 0
        planned, kinds = time.perf_counter(), list(scheduler.outbox.kinds)
        while await request.app[keys.DB].run(store.pending_count, kinds) and time.perf_counter() - began < 300:
            await asyncio.sleep(0.25)
        return web.json_response({"queued": queued, "plan": planned - began, "total": time.perf_counter() - began,
                                  **probes.take()})

    async def phase(request: web.Request) -> web.Response:
        return web.json_response(probes.take())

    def clear() -> None:
        models.ReminderOutbox.delete().execute()
        models.AuditLog.delete().where(models.AuditLog.action == "job_run").execute()

    async def reset(request: web.Request) -> web.Response:
        await request.app[keys.DB].run(clear)
        return web.json_response({})

    async def probing(app: web.Application):
        task = asyncio.create_task(probes.run())
        yield
        task.cancel()

    app.cleanup_ctx.append(probing)
    app.router.add_post("/bench/sweep", sweep)
    app.router.add_post("/bench/phase", phase)
    app.router.add_post("/bench/reset", reset)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
