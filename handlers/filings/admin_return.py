"""One return on the 报税看板 (X4): mark it 已申报 or 零申报, correct the figure or date (更正), or 撤销申报 back to
未申报 with a reason; and what the audit log says happened to it. Writes: handlers/filings/marks.py."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.money import format_fen
from handlers.access import can_see_client
from handlers.admin.shell import ConsoleRoutes, done, message, render
from handlers.filings import board
from handlers.filings.admin import KINDS, PERM, today, yuan_text
from handlers.filings.marks import MarkError, amount_for, mark_filed, parse_day, unmark
from handlers.filings.rules import BOARD_STATES

console = ConsoleRoutes()
PATH = "/admin/filings/{filing_id:\\d+}"
ACTIONS = {"filing.mark": "标记申报", "filing.correct": "更正申报", "filing.undo": "撤销申报"}
CHANNELS = {"console": "后台", "sidebar": "侧边栏", "bot": "机器人"}


def _after(after: dict | None) -> str:
    """An audit entry's result in words: '已申报，税额 ¥1,234.56，2026-11-28 申报（后台）'."""
    if not after:
        return ""
    if after.get("status") == "pending":
        text = "未申报"
    else:
        text = "零申报" if not after.get("amount_fen") else f"已申报，税额 {format_fen(after['amount_fen'])}"
        text += f"，{after.get('filed_on')} 申报" if after.get("filed_on") else ""
    return text + (f"（{CHANNELS.get(after.get('via'), after.get('via'))}）" if after.get("via") else "")


def _back(request: web.Request) -> str:
    """Where to return after a write: the board as it was filtered (only ever one of our own board pages)."""
    back = request.query.get("back", "")
    return back if back.startswith("/admin/filings?") or back == "/admin/filings" else "/admin/filings"


def _history(filing_id: int, tz) -> list[dict]:
    entries = (models.AuditLog.select().where((models.AuditLog.entity == "TaxFiling")
                                              & (models.AuditLog.entity_id == str(filing_id)))
               .order_by(models.AuditLog.at.desc(), models.AuditLog.id.desc()).limit(50))
    return [{"at": e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), "who": e.actor.name if e.actor_id else e.actor_label,
             "action": ACTIONS.get(e.action, e.action), "reason": (e.after or {}).get("reason", ""),
             "after": _after(e.after)} for e in entries]


def _load(me: models.Staff, filing_id: int, season_day, calendar, tz) -> dict | None:
    filing = (models.TaxFiling.select(models.TaxFiling, models.Client).join(models.Client)
              .where(models.TaxFiling.id == filing_id).first())
    if filing is None or not can_see_client(me, filing.client_id):
        return None
    season = board.Season(filing.period, season_day, calendar)
    row = board.row_of(filing, season, tz)
    row["period"] = filing.period
    row["filed_by"] = filing.filed_by.name if filing.filed_by_id else ""
    return {"row": row, "history": _history(filing_id, tz)}


async def _show(request: web.Request, me: models.Staff, form: dict | None = None, status: int = 200):
    config = request.app[keys.CONFIG]
    filing_id = parse_id(request.match_info["filing_id"])
    found = await request.app[keys.DB].run(_load, me, filing_id, today(request), config.filings, config.agency.tz)
    if found is None:
        return message(request, "没有这条申报", "这条申报记录不存在，或不在你能查看的客户中。", status=404)
    row = found["row"]
    values = {"amount": yuan_text(row["amount_fen"]) if row["status"] != "pending" or row["amount_fen"] else "",
              "filed_on": row["filed_on"] or today(request).isoformat(), "reason": ""}
    form = {"values": {**values, **(form or {}).get("values", {})}, "errors": (form or {}).get("errors", {})}
    return render(request, "admin/filings/return.html",
                  {**found, "form": form, "back": _back(request), "states": BOARD_STATES, "kinds": KINDS,
                   "today": today(request).isoformat(), "query": request.query_string}, status=status,
                  area="filings")


@console.get(PATH, need=PERM)
async def show_return(request: web.Request, me: models.Staff) -> web.Response:
    return await _show(request, me)


@console.post(PATH, need=PERM)
async def mark_return(request: web.Request, me: models.Staff) -> web.Response:
    """已申报 with the tax typed, or 零申报; on a filed return, a correction."""
    form = await request.post()
    config, now = request.app[keys.CONFIG], request.app[keys.CLOCK]()
    kind, values = str(form.get("kind", "")), {k: str(form.get(k, "")).strip() for k in ("amount", "filed_on")}
    try:
        if kind not in KINDS:
            raise MarkError("请选择标记为已申报还是零申报")
        fen = amount_for(kind, values["amount"])
        day = parse_day(values["filed_on"], today(request))
        await request.app[keys.DB].atomic(mark_filed, parse_id(request.match_info["filing_id"]), fen, day, me, now,
                                          config.agency.tz, "console")
    except MarkError as exc:
        return await _show(request, me, {"values": values, "errors": {exc.field or "form": exc.message}}, status=400)
    return done(_back(request), f"已标记为{KINDS[kind]}（{day}）")


@console.post(PATH + "/undo", need=PERM)
async def undo_return(request: web.Request, me: models.Staff) -> web.Response:
    """撤销申报: back to 未申报, with the reason in the audit log."""
    form = await request.post()
    reason = str(form.get("reason", "")).strip()
    try:
        await request.app[keys.DB].atomic(unmark, parse_id(request.match_info["filing_id"]), reason, me,
                                          request.app[keys.CONFIG].agency.tz, "console")
    except MarkError as exc:
        return await _show(request, me, {"values": {"reason": reason}, "errors": {exc.field or "form": exc.message}},
                           status=400)
    return done(_back(request), "已撤销申报，恢复为未申报")
