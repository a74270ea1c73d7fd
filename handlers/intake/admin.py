"""缺票 in the console (B4): flag a period of a client missing (标记缺票) and resolve a flag (已补齐), from the
client's page. Both go through handlers/intake/rules.py, as the sidebar's 服务 and 收票 tabs do."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from handlers.admin.shell import ConsoleRoutes, done
from handlers.clients.admin_detail import missing, visible
from handlers.intake import rules
from handlers.records.spec import CellError, Column, parse_period

console = ConsoleRoutes()
NEED = "wecom.service"  # the 缺票 flags live on the 服务 tab, under 服务情况（到期提醒、缺票提醒）
PERIOD = Column("所属期", "period", "period")


def _flag(me, client_id: int, period: str, note: str, now):
    if visible(me, client_id) is None:
        return None
    return rules.flag_missing(me, client_id, period, note, now)


@console.post(r"/admin/clients/{id:\d+}/missing-flags", need=NEED)
async def flag(request: web.Request, me: models.Staff) -> web.Response:
    client_id = parse_id(request.match_info["id"]) or 0
    form = await request.post()
    try:
        period = parse_period(PERIOD, str(form.get("period", "")), None)
    except CellError as exc:
        found = await request.app[keys.DB].run(visible, me, client_id)
        return done(f"/admin/clients/{client_id}#missing", f"没有标记：{exc}") if found else missing(request)
    result = await request.app[keys.DB].atomic(_flag, me, client_id, period, str(form.get("note", "")),
                                               request.app[keys.CLOCK]())
    if result is None:
        return missing(request)
    return done(f"/admin/clients/{client_id}#missing", f"已标记 {period} 缺票。")


def _resolve(me, flag_id: int, now):
    found = models.MissingInvoiceFlag.get_or_none(models.MissingInvoiceFlag.id == flag_id)
    if found is None or visible(me, found.client_id) is None:
        return None
    return found, rules.resolve_flag(me, found, now)


@console.post(r"/admin/missing-flags/{id:\d+}/resolve", need=NEED)
async def resolve(request: web.Request, me: models.Staff) -> web.Response:
    result = await request.app[keys.DB].atomic(_resolve, me, parse_id(request.match_info["id"]) or 0,
                                               request.app[keys.CLOCK]())
    if result is None:
        return missing(request, "这条缺票标记")
    found, changed = result
    text = f"已将 {found.period} 缺票标为已补齐。" if changed else f"{found.period} 缺票早已处理。"
    return done(f"/admin/clients/{found.client_id}#missing", text)
