"""知识库 (K2, K4): the entries list every member can search (audited entries only, unless they maintain or audit
the knowledge base), the add/edit form, bulk 删除 / 审核 / 取消审核, and the two exports.

知识库维护 (knowledge.maintain) edits; 知识库审核 (knowledge.audit) audits; admins have both. Auditing an entry
written for a knowledge gap tells the members who asked (gaps.py), through the late-reply outbox.
"""
from __future__ import annotations

from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web
from peewee import JOIN

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.outbox.replies import REPLIES
from bot.router import UserError
from handlers.admin.kit import ListQuery, paginate, xlsx_response
from handlers.admin.shell import Area, ConsoleRoutes, allowed, done, message, render
from handlers.knowledge import categories, gaps, maintain
from handlers.knowledge.records import KNOWLEDGE, LIST_HEADERS, list_rows, template_rows
from handlers.records.template import render_template

console = ConsoleRoutes()
AREA = Area("knowledge", "知识库", "/admin/knowledge", need="member", order=85)
PATH = "/admin/knowledge"
E = models.KnowledgeEntry
SORTS = {"updated": E.updated_at, "title": E.title, "hits": E.hits, "audited": E.audited_at}
STATES = {"audited": "已审核", "draft": "未审核"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAINTAIN, AUDIT = "knowledge.maintain", "knowledge.audit"


def xlsx_file(body: bytes, filename: str) -> web.Response:
    return web.Response(body=body, content_type=XLSX,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


def rights(me: models.Staff) -> dict:
    return {"maintain": allowed(me, MAINTAIN), "audit": allowed(me, AUDIT)}


def sees_drafts(me: models.Staff) -> bool:
    """Unaudited entries are for the people who write and check them; everyone else sees what staff send."""
    return allowed(me, MAINTAIN) or allowed(me, AUDIT)


def _filtered(lq: ListQuery, drafts: bool):
    Auditor = models.Staff.alias()
    query = (E.select(E, models.KnowledgeCategory, Auditor).join(models.KnowledgeCategory)
             .switch(E).join(Auditor, JOIN.LEFT_OUTER, on=(E.audited_by == Auditor.id)))
    state = lq.filters.get("state") if drafts else "audited"
    if state in STATES:
        query = query.where(E.audited == (state == "audited"))
    category = parse_id(lq.filters.get("category", ""))
    if category:
        C = models.KnowledgeCategory
        query = query.where((E.category == category) | (C.parent == category))
    if lq.q:
        query = query.where(E.title.contains(lq.q) | E.brief.contains(lq.q) | E.answer.contains(lq.q)
                            | E.keywords.contains(lq.q))
    return query


def _row(entry: models.KnowledgeEntry, zone) -> dict:
    top, sub = categories.path_of(entry.category)
    return {"id": entry.id, "title": entry.title, "brief": entry.brief, "category": f"{top} / {sub}" if sub else top,
            "keywords": entry.keywords, "audited": entry.audited, "hits": entry.hits,
            "auditor": entry.audited_by.name if entry.audited_by_id else "",
            "audited_at": entry.audited_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if entry.audited_at else "",
            "updated": entry.updated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")}


def _list(lq: ListQuery, drafts: bool, zone) -> dict:
    page = paginate(_filtered(lq, drafts), lq, SORTS)
    return {"page": page, "rows": [_row(e, zone) for e in page.rows], "categories": categories.choices(),
            "waiting": E.select().where(E.audited == False).count() if drafts else 0,  # noqa: E712
            "open_gaps": models.KnowledgeGap.select().where(models.KnowledgeGap.answered_at.is_null()
                                                           & models.KnowledgeGap.draft.is_null()).count()}


def _zone(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[keys.CONFIG].agency.timezone)


def _read(request: web.Request) -> ListQuery:
    return ListQuery.read(request, list(SORTS), "-updated", filters=("category", "state"))


@console.get(PATH, need="member")
async def entries_page(request: web.Request, me: models.Staff) -> web.Response:
    lq, drafts = _read(request), sees_drafts(me)
    context = await request.app[keys.DB].run(_list, lq, drafts, _zone(request))
    return render(request, "admin/knowledge/list.html",
                  {"lq": lq, "states": STATES, "drafts": drafts, "can": rights(me), "tab": "list", **context},
                  area="knowledge")


def _detail(entry_id: int, drafts: bool, zone) -> dict | None:
    entry = E.get_or_none(E.id == entry_id)
    if entry is None or not (entry.audited or drafts):
        return None
    gap = models.KnowledgeGap.get_or_none(models.KnowledgeGap.draft == entry.id)
    askers = gap.askers.count() if gap else 0
    return {"entry": entry, "row": _row(entry, zone), "gap": gap, "askers": askers}


@console.get(PATH + r"/{id:\d+}", need="member")
async def entry_page(request: web.Request, me: models.Staff) -> web.Response:
    view = await request.app[keys.DB].run(_detail, int(request.match_info["id"]), sees_drafts(me), _zone(request))
    if view is None:
        return message(request, "没有这条知识", "这条知识不存在，或尚未审核。", status=404)
    return render(request, "admin/knowledge/entry.html", {**view, "can": rights(me), "tab": "list"},
                  area="knowledge")


async def _form(request: web.Request, values: dict, errors: dict, entry_id: int | None = None,
                status: int = 200) -> web.Response:
    def load() -> dict:
        entry = E.get_or_none(E.id == entry_id) if entry_id else None
        gap = models.KnowledgeGap.get_or_none(models.KnowledgeGap.draft == entry_id) if entry_id else None
        return {"entry": entry, "gap": gap, "askers": gap.askers.count() if gap else 0,
                "categories": categories.choices()}
    context = await request.app[keys.DB].run(load)
    if entry_id and context["entry"] is None:
        return message(request, "没有这条知识", "这条知识不存在（可能已被删除）。", status=404)
    return render(request, "admin/knowledge/form.html",
                  {"values": values, "errors": errors, "tab": "list", "limits": maintain.LIMITS, **context},
                  status=status, area="knowledge")


@console.get(PATH + "/new", need=MAINTAIN)
async def new_form(request: web.Request, me: models.Staff) -> web.Response:
    return await _form(request, {"category": request.query.get("category", "")}, {})


def _values(form) -> dict:
    return {name: str(form.get(name, "")) for name in maintain.FIELDS}


@console.post(PATH + "/new", need=MAINTAIN)
async def create(request: web.Request, me: models.Staff) -> web.Response:
    values, db, now = _values(await request.post()), request.app[keys.DB], request.app[keys.CLOCK]()
    errors = await db.run(maintain.check, values)
    if errors:
        return await _form(request, values, errors, status=400)
    entry = await db.atomic(maintain.create, me, values, now)
    return done(f"{PATH}/{entry.id}", f"已新增知识「{entry.title}」，审核后才会出现在聊天侧边栏。")


@console.get(PATH + r"/{id:\d+}/edit", need=MAINTAIN)
async def edit_form(request: web.Request, me: models.Staff) -> web.Response:
    entry_id = int(request.match_info["id"])
    entry = await request.app[keys.DB].run(E.get_or_none, E.id == entry_id)
    values = {name: getattr(entry, name + "_id" if name == "category" else name) for name in maintain.FIELDS} \
        if entry else {}
    return await _form(request, values, {}, entry_id)


@console.post(PATH + r"/{id:\d+}/edit", need=MAINTAIN)
async def edit(request: web.Request, me: models.Staff) -> web.Response:
    entry_id, db = int(request.match_info["id"]), request.app[keys.DB]
    values = _values(await request.post())
    errors = await db.run(maintain.check, values)
    if errors:
        return await _form(request, values, errors, entry_id, status=400)
    try:
        entry = await db.atomic(maintain.edit, me, entry_id, values, request.app[keys.CLOCK]())
    except UserError as exc:
        return done(f"{PATH}/{entry_id}", str(exc))
    return done(f"{PATH}/{entry.id}", f"已保存「{entry.title}」")


def _ids(form) -> list[int]:
    return [n for n in (parse_id(str(v)) for v in form.getall("ids", [])) if n][:1000]


def _back(form) -> str:
    back = str(form.get("back", ""))
    return back if back.startswith(PATH) and "//" not in back else PATH


@console.post(PATH + "/delete", need=MAINTAIN)
async def delete(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    try:
        count = await request.app[keys.DB].atomic(maintain.delete, me, _ids(form))
    except UserError as exc:
        return done(_back(form), str(exc))
    return done(PATH if "/admin/knowledge/" in _back(form) else _back(form), f"已删除 {count} 条知识")


def _audit_and_queue(me, ids: list[int], now, request: web.Request) -> tuple[int, int]:
    """审核 and, in the same transaction, the messages to the members whose gap an entry answers."""
    count, notices = maintain.audit(me, ids, now)
    texts, agency = request.app[keys.TEXTS], request.app[keys.CONFIG].agency
    template = texts.get_template("knowledge/gap_answered.txt")
    queued = gaps.queue(notices, lambda n: template.render(notice=n, agency=agency).strip(), now)
    return count, queued


@console.post(PATH + "/audit", need=AUDIT)
async def audit(request: web.Request, me: models.Staff) -> web.Response:
    form, app = await request.post(), request.app
    try:
        count, told = await app[keys.DB].atomic(_audit_and_queue, me, _ids(form), app[keys.CLOCK](), request)
    except UserError as exc:
        return done(_back(form), str(exc))
    if told and REPLIES in app:
        app[keys.TASKS].spawn(app[REPLIES].send_due(), name="knowledge-gap-answered")
    extra = f"，已通知 {told} 位问过这个问题的同事" if told else ""
    return done(_back(form), f"已审核 {count} 条知识{extra}" if count else "所选知识都已审核")


@console.post(PATH + "/unaudit", need=AUDIT)
async def unaudit(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    try:
        count = await request.app[keys.DB].atomic(maintain.unaudit, me, _ids(form), request.app[keys.CLOCK]())
    except UserError as exc:
        return done(_back(form), str(exc))
    return done(_back(form), f"已取消审核 {count} 条知识，它们不再出现在聊天侧边栏" if count else "所选知识都未审核")


@console.get(PATH + "/export.xlsx", need=MAINTAIN)
async def export(request: web.Request, me: models.Staff) -> web.Response:
    """引出数据: the filtered list (按列表), or ?layout=template in the import template's layout (按引入模板)."""
    lq, zone, layout = _read(request), _zone(request), request.query.get("layout", "")

    def build() -> web.Response:
        entries = list(_filtered(lq, True).order_by(*lq.order(SORTS)))
        models.audit(me, "knowledge.export", "KnowledgeEntry", after={"rows": len(entries), "layout": layout or "list"})
        if layout == "template":
            return xlsx_file(render_template(KNOWLEDGE, template_rows(entries)), "知识库（按导入模板）.xlsx")
        return xlsx_response("知识库.xlsx", "知识库", LIST_HEADERS, list_rows(entries, zone))
    return await request.app[keys.DB].atomic(build)
