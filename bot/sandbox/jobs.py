"""/sandbox's 立即运行提醒 (demo only): run one reminder job now, so a visitor sees the digests at any hour.

It is the scheduler's own run (bot.scheduler.run_job, as `python -m bot jobs run NAME` and a cron firing use):
planned, queued with dedupe keys and handed to the sender, so a second click finds nothing new and sends
nothing twice. The demo has no quiet hours (bot/sandbox/demo.py), so the pushes follow at once.
"""
from __future__ import annotations

from aiohttp import web

from bot.scheduler import SCHEDULER, run_job


def setup(app: web.Application) -> None:
    app.router.add_post("/sandbox/api/jobs/run", run_now)


def job_rows(app: web.Application) -> list[dict]:
    """The reminder jobs the simulator offers, in the scheduler's order (none when jobs.enabled is off)."""
    scheduler = app.get(SCHEDULER)
    return [] if scheduler is None else [{"name": j.name, "title": j.title} for j in scheduler.jobs.values()]


def _error(status: int, text: str) -> web.Response:
    return web.json_response({"error": text}, status=status)


async def run_now(request: web.Request) -> web.Response:
    """POST {"job": name}: run it now; answers what it found and queued."""
    if request.content_type != "application/json":
        return _error(415, "请求体必须是 JSON")
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "请求体必须是 JSON")
    scheduler = request.app.get(SCHEDULER)
    if scheduler is None:
        return _error(409, "定时提醒未启用（config.yaml 中 jobs.enabled 为 false）")
    name = str(body.get("job") or "") if isinstance(body, dict) else ""
    job = scheduler.jobs.get(name)
    if job is None:
        return _error(404, f"没有名为「{name[:40]}」的提醒任务")
    # The leader's sender pushes what the run queued (as after a cron firing); a process that is not the
    # leader has no sender running, so it sends itself, as the CLI does.
    report = await run_job(job, scheduler.ctx, scheduler.outbox, send=not scheduler.leader)
    if scheduler.leader:
        scheduler.outbox.poke()
    return web.json_response({"job": job.name, "title": job.title, "found": report.found, "new": report.new,
                              "unassigned": report.unassigned})
