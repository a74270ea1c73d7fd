"""运行状况 (X7): the console page showing the health figures, and the 检查差异 button."""
from __future__ import annotations

from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from aiohttp import web

import models
from bot import keys
from bot.edge.stats import REFUSAL_REASONS
from handlers.admin.shell import Area, ConsoleRoutes, done, render
from handlers.health import drift
from handlers.health.figures import gather

console = ConsoleRoutes()
AREA = Area("health", "运行状况", "/admin/health", need="admin", order=80)
PATH = "/admin/health"


def when(zone: ZoneInfo) -> Callable[[datetime | None], str]:
    """A moment as the agency reads it (the machine runs on UTC)."""
    def show(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"
    return show


def ago(seconds: float | None) -> str:
    """A duration as people say it: 刚刚, 5 分钟, 3 小时, 2 天."""
    if seconds is None:
        return "—"
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)} 秒"
    if seconds < 3600:
        return f"{int(seconds // 60)} 分钟"
    if seconds < 86400:
        return f"{int(seconds // 3600)} 小时 {int(seconds % 3600 // 60)} 分钟"
    return f"{int(seconds // 86400)} 天 {int(seconds % 86400 // 3600)} 小时"


def bars(per_hour: list[tuple[datetime, int]]) -> list[dict]:
    """The last 24 hours as CSS bars: the label, the count and the height relative to the busiest hour."""
    peak = max((count for _, count in per_hour), default=0) or 1
    return [{"hour": hour.strftime("%H"), "day": hour.strftime("%m-%d"), "count": count,
             "height": round(count * 100 / peak)} for hour, count in per_hour]


@console.get(PATH, need="admin")
async def page(request: web.Request, me: models.Staff) -> web.Response:
    figures = await gather(request.app)
    zone = ZoneInfo(request.app[keys.CONFIG].agency.timezone)
    stored = figures["stored"]
    context = {"f": figures, "s": stored, "when": when(zone), "ago": ago, "reasons": REFUSAL_REASONS,
               "bars": bars(stored["callbacks"]["per_hour"]) if stored else [],
               "retention_hours": request.app[keys.CONFIG].wecom.callback_inbox_retention // 3600}
    return render(request, "admin/health.html", context, area="health")


@console.post(PATH + "/drift", need="admin")
async def check_drift(request: web.Request, me: models.Staff) -> web.Response:
    """Start a drift check in the background (it calls WeCom once per member); the page shows the result."""
    app = request.app
    check = await app[keys.DB].run(drift.start, app[keys.CLOCK](), me)
    if check is None:
        return done(PATH + "#drift", "已有一次差异检查正在进行，请稍后刷新本页查看结果。")
    app[keys.TASKS].spawn(drift.run(app, check.id), name=f"drift-check:{check.id}")
    return done(PATH + "#drift", "已开始检查差异，完成后刷新本页即可看到结果。")
