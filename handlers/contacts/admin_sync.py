"""同步微信联系人 / 同步客户群 from the console (L1, L2): start the same sync the bot's 同步 starts, as a tracked
background task, refuse a second one while one runs (the bot's wording), and report progress as JSON for the
page's data-poll element."""
from __future__ import annotations

from aiohttp import web

from bot import keys
from handlers.admin.shell import ConsoleRoutes, done
from handlers.contacts import runs
from handlers.contacts.commands import sync_kinds
from handlers.contacts.sync import SyncEnv
from models import Staff, SyncRun

console = ConsoleRoutes()
AREA = None
PAGES = {"contacts": "/admin/contacts", "groups": "/admin/groups"}


def task_name(kind: str) -> str:
    return f"console-sync:{kind}"


def _when(request: web.Request, at) -> str:
    return at.astimezone(request.app[keys.CONFIG].agency.tz).strftime("%Y-%m-%d %H:%M")


@console.post("/admin/sync/{kind}", need="wecom.link")
async def start(request: web.Request, me: Staff) -> web.Response:
    """Start a full sync of contacts or groups, unless one of that kind is already running."""
    kind = request.match_info["kind"]
    if kind not in PAGES:
        raise web.HTTPNotFound()
    app = request.app
    busy = await app[keys.DB].run(runs.running, kind, app[keys.CLOCK]())
    if busy is not None or app[keys.TASKS].running(task_name(kind)):
        started = _when(request, busy.started_at) if busy else _when(request, app[keys.CLOCK]())
        text = app[keys.TEXTS].get_template("contacts/sync_busy.txt").render(started=started, label=runs.KINDS[kind])
        return done(PAGES[kind], text.strip())
    env = SyncEnv(app[keys.DB], app[keys.WECOM], app[keys.CLOCK])
    app[keys.TASKS].spawn(sync_kinds(env, [kind], actor=me, when=lambda at: _when(request, at)),
                          name=task_name(kind))
    return done(PAGES[kind], f"已开始同步{runs.KINDS[kind]}，进度见下方。")


def _latest(kind: str) -> SyncRun | None:
    return SyncRun.select().where(SyncRun.kind == kind).order_by(SyncRun.id.desc()).first()


def progress_text(request: web.Request, kind: str, run: SyncRun | None, now, starting: bool) -> tuple[str, bool]:
    """What the page says about the latest sync of ``kind``, and whether it is still running."""
    label = runs.KINDS[kind]
    if run is not None and run.state == "running" and now - run.heartbeat_at < runs.STALE_AFTER:
        items = (run.cursor or {}).get("items", 0)
        return f"正在同步{label}（开始于 {_when(request, run.started_at)}），已处理 {items} 条……", True
    if starting:
        return f"正在开始同步{label}……", True
    if run is None:
        return f"还没有同步过{label}。", False
    c = run.counts or {}
    prefix = "contacts" if kind == "contacts" else "groups"
    if run.state == "done":
        return (f"上次同步{label}完成于 {_when(request, run.finished_at)}：共 {c.get(prefix + '_seen', 0)}，"
                f"新增 {c.get(prefix + '_added', 0)}，更新 {c.get(prefix + '_updated', 0)}，"
                f"已消失 {c.get(prefix + '_vanished', 0)}。"), False
    when = _when(request, run.finished_at or run.heartbeat_at)
    return f"上次同步{label}未完成（{when}）。已同步的部分已保存，再次同步会从中断处继续。", False


@console.get("/admin/sync/{kind}/progress", need="member")
async def progress(request: web.Request, me: Staff) -> web.Response:
    """{"text": ..., "running": bool} for the page's data-poll element."""
    kind = request.match_info["kind"]
    if kind not in PAGES:
        raise web.HTTPNotFound()
    run = await request.app[keys.DB].run(_latest, kind)
    starting = request.app[keys.TASKS].running(task_name(kind))
    text, running = progress_text(request, kind, run, request.app[keys.CLOCK](), starting)
    return web.json_response({"text": text, "running": running})

