"""GET /reminders: the page a digest links to: the member's reminders of the last 30 days and their state.

A member sees the reminders addressed to them (so only their own clients); admins see everyone's. Sign-in
is WeCom OAuth, the same signed session cookie as the sidebar.
"""
from __future__ import annotations

from datetime import timedelta

import aiohttp_jinja2
from aiohttp import web

import models
from bot import keys
from bot.money import format_fen
from bot.outbox import health
from handlers.signin import message_page, signed_in_staff

PATH = "/reminders"
DAYS = 30
SHOWN = 500
STATES = {"pending": "待发送", "sent": "已发送", "dropped": "已办结，自动停止", "failed": "发送失败",
          "uncertain": "不确定是否送达"}


def setup(app: web.Application, jobs: list) -> None:
    app[TITLES] = {job.name: job.title for job in jobs}
    app.router.add_get(PATH, page)


TITLES = web.AppKey("reminder_titles", dict)


def _rows(userid: str, everyone: bool, kinds: list[str], since, tz) -> list[dict]:
    out = models.ReminderOutbox
    query = out.select().where(out.kind.in_(kinds) & (out.created_at >= since))
    if not everyone:
        query = query.where(out.recipient_userid == userid)
    names = dict(models.Staff.select(models.Staff.wecom_userid, models.Staff.name)
                 .where(models.Staff.wecom_userid.is_null(False)).tuples())
    rows = []
    for row in query.order_by(out.created_at.desc(), out.id.desc()).limit(SHOWN):
        when = row.sent_at if row.state == "sent" else (row.resolved_at or row.created_at)
        rows.append({"kind": row.kind, "state": row.state, "state_label": STATES.get(row.state, row.state),
                     "to": names.get(row.recipient_userid, row.recipient_userid), "data": row.payload or {},
                     "owed": format_fen(row.payload.get("outstanding_fen", 0)) if row.payload else "",
                     "when": when.astimezone(tz).strftime("%m-%d %H:%M") if when else "", "error": row.last_error})
    return rows


async def page(request: web.Request) -> web.Response:
    """The signed-in member's reminders, optionally of one job (?kind=arrears)."""
    staff = await signed_in_staff(request)
    if isinstance(staff, web.Response):
        return staff
    config = request.app[keys.CONFIG]
    titles = request.app[TITLES]
    kind = request.query.get("kind", "")
    if kind and kind not in titles:
        return message_page(request, "没有这类提醒", "链接有误，请从提醒消息重新打开。", 404)
    tz = config.agency.tz
    since = request.app[keys.CLOCK]() - timedelta(days=DAYS)
    rows = await request.app[keys.DB].run(_rows, staff.wecom_userid, staff.is_admin, [kind] if kind else list(titles),
                                          since, tz)
    # Admins also see every message that may or may not have arrived (late replies and client pushes too).
    uncertain = await request.app[keys.DB].run(_uncertain, tz, titles) if staff.is_admin else []
    return aiohttp_jinja2.render_template("reminders/list.html", request, {
        "staff": staff, "rows": rows, "titles": titles, "kind": kind, "days": DAYS, "everyone": staff.is_admin,
        "shown": SHOWN, "uncertain": uncertain})


def _uncertain(tz, titles: dict) -> list[dict]:
    names = dict(models.Staff.select(models.Staff.wecom_userid, models.Staff.name)
                 .where(models.Staff.wecom_userid.is_null(False)).tuples())
    return [{"what": row.what, "to": names.get(row.recipient, row.recipient), "error": row.error,
             "kind": _kind_label(row.kind, titles),
             "when": row.since.astimezone(tz).strftime("%m-%d %H:%M") if row.since else ""}
            for row in health.uncertain_rows(SHOWN)]


def _kind_label(kind: str, titles: dict) -> str:
    job, _, variant = kind.partition(".")
    if kind == "reply":
        return "命令回复"
    return titles.get(job, job) + {"summary": "（汇总）", "client": "（客户群发）"}.get(variant, "")
