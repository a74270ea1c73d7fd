"""知识库缺口 (X8): what members searched for and did not find (无结果), or found but sent nothing from
(有结果但未发送, see searchlog), with how often and who asked; one click makes
a draft entry for it, 忽略 drops it. The askers are told when that entry is audited (see admin.audit)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web
from peewee import JOIN

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.router import UserError
from handlers.admin.kit import ListQuery, paginate
from handlers.admin.shell import ConsoleRoutes, done, redirect, render
from handlers.knowledge import gaps, maintain, searchlog

console = ConsoleRoutes()
PATH = "/admin/knowledge/gaps"
MAINTAIN = "knowledge.maintain"
G, A = models.KnowledgeGap, models.KnowledgeGapAsker
SORTS = {"times": G.times, "last": G.last_at, "query": G.query}
SHOWN_ASKERS = 5


def _filtered(lq: ListQuery):
    query = G.select()
    state = lq.filters.get("state") or "open"
    if state == "open":
        query = query.where(G.answered_at.is_null() & G.draft.is_null())
    elif state == "drafted":
        query = query.where(G.answered_at.is_null() & G.draft.is_null(False))
    elif state == "answered":
        query = query.where(G.answered_at.is_null(False))
    if lq.q:
        query = query.where(G.query.contains(lq.q.lower()))
    return query


def _askers(gap_ids: list[int]) -> dict[int, list[str]]:
    """Gap id -> names of the members who asked, most frequent first."""
    names: dict[int, list[str]] = {}
    rows = (A.select(A.gap, A.userid, models.Staff.name).join(models.Staff, on=(A.staff == models.Staff.id),
                                                              join_type=JOIN.LEFT_OUTER)
            .where(A.gap.in_(gap_ids)).order_by(A.times.desc(), A.id).tuples()) if gap_ids else []
    for gap_id, userid, name in rows:
        names.setdefault(gap_id, []).append(name or userid)
    return names


def _page(lq: ListQuery, zone) -> dict:
    page = paginate(_filtered(lq), lq, SORTS)
    askers = _askers([g.id for g in page.rows])
    rows = [{"id": g.id, "query": g.query, "times": g.times, "state": gaps.state_of(g),
             "state_label": gaps.STATES[gaps.state_of(g)], "draft": g.draft_id,
             "askers": askers.get(g.id, [])[:SHOWN_ASKERS], "more": max(0, len(askers.get(g.id, [])) - SHOWN_ASKERS),
             "asker_count": len(askers.get(g.id, [])), "reasons": searchlog.reasons(g),
             "last": g.last_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")} for g in page.rows]
    return {"page": page, "rows": rows}


@console.get(PATH, need=MAINTAIN)
async def gaps_page(request: web.Request, me: models.Staff) -> web.Response:
    lq = ListQuery.read(request, list(SORTS), "-times", filters=("state",))
    lq.filters["state"] = lq.filters.get("state") or "open"
    config = request.app[keys.CONFIG]
    zone = ZoneInfo(config.agency.timezone)
    # Searches whose window passed with nothing sent become gaps now (bounded; see searchlog.fold)
    await request.app[keys.DB].atomic(searchlog.fold, request.app[keys.CLOCK](), config.knowledge.gaps_per_member_daily)
    context = await request.app[keys.DB].run(_page, lq, zone)
    return render(request, "admin/knowledge/gaps.html", {"lq": lq, "states": gaps.STATES, "tab": "gaps", **context},
                  area="knowledge")


@console.post(PATH + r"/{id:\d+}/draft", need=MAINTAIN)
async def draft(request: web.Request, me: models.Staff) -> web.Response:
    """写成知识: a draft titled with the question, opened for editing."""
    try:
        entry = await request.app[keys.DB].atomic(maintain.draft_for_gap, me, int(request.match_info["id"]),
                                                  request.app[keys.CLOCK]())
    except UserError as exc:
        return done(PATH, str(exc))
    return redirect(f"/admin/knowledge/{entry.id}/edit")


@console.post(PATH + "/dismiss", need=MAINTAIN)
async def dismiss(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    ids = [n for n in (parse_id(str(v)) for v in form.getall("ids", [])) if n]
    try:
        count = await request.app[keys.DB].atomic(gaps.dismiss, me, ids)
    except UserError as exc:
        return done(PATH, str(exc))
    return done(PATH, f"已忽略 {count} 个缺口")
