"""修改关联 in the console (L4, L5): pick the clients a contact or group is linked to, and save them through
handlers/contacts/rules.py (the sidebar's rules: only clients the member may see; one audit entry per link)."""
from __future__ import annotations

from typing import Callable

from aiohttp import web
from peewee import IntegrityError

from bot import keys
from bot.edge.inputs import parse_id
from handlers.access import visible_clients
from handlers.admin.shell import done, message, render
from handlers.contacts import rules
from models import Client, Staff

KINDS = {"single": ("微信联系人", "/admin/contacts", "contacts"), "group": ("客户群", "/admin/groups", "groups")}
FOUND = 20


def _search(me: Staff, text: str, exclude: list[int]) -> list[Client]:
    like = (Client.name.contains(text) | Client.short_name.contains(text) | Client.tax_id.contains(text)
            | Client.pinyin_initials.contains(text.lower()))
    query = visible_clients(me).where(like)
    if exclude:
        query = query.where(Client.id.not_in(exclude))
    return list(query.order_by(Client.name).limit(FOUND))


def _form(me: Staff, kind: str, entity, text: str) -> dict:
    linked = rules.linked_ids(kind, entity)
    current = list(Client.select().where(Client.id.in_(linked)).order_by(Client.name)) if linked else []
    return {"current": current, "found": _search(me, text, linked) if text else []}


def _title(kind: str, entity) -> str:
    if kind == "single":
        return entity.name + (f"（{entity.corp_name}）" if entity.corp_name else "")
    return entity.name or "（未命名客户群）"


async def _entity(request: web.Request, me: Staff, find: Callable):
    return await request.app[keys.DB].run(find, me, request.match_info["id"])


def _page(request, me, kind, entity, context: dict, error: str = "", status: int = 200) -> web.Response:
    label, back, area = KINDS[kind]
    return render(request, "admin/contacts/links.html",
                  {"kind": kind, "label": label, "back": back, "entity": entity, "title": _title(kind, entity),
                   "action": f"{back}/{entity.id}/links", "q": request.query.get("q", "").strip()[:30],
                   "error": error, **context}, status=status, area=area)


async def show(request: web.Request, me: Staff, kind: str, find: Callable) -> web.Response:
    """GET: the clients linked now (checked) and, for a search, visible clients to add."""
    entity = await _entity(request, me, find)
    if entity is None:
        return _missing(request, kind)
    text = request.query.get("q", "").strip()[:30]
    context = await request.app[keys.DB].run(_form, me, kind, entity, text)
    return _page(request, me, kind, entity, context)


def _missing(request: web.Request, kind: str) -> web.Response:
    label = KINDS[kind][0]
    return message(request, f"没有找到这个{label}", f"这个{label}不存在、已从企业微信删除，或你无权查看。", status=404)


async def save(request: web.Request, me: Staff, kind: str, find: Callable) -> web.Response:
    """POST client=…: make the checked clients the linked ones; refuse all if one may not be linked."""
    entity = await _entity(request, me, find)
    if entity is None:
        return _missing(request, kind)
    form = await request.post()
    ids = [parse_id(str(value)) for value in form.getall("client", [])]
    if None in ids:
        return await _refuse(request, me, kind, entity, "客户编号不正确", 400)
    try:
        added, removed = await request.app[keys.DB].run(rules.set_links, me, kind, entity, ids)
    except rules.LinkRefused as exc:
        return await _refuse(request, me, kind, entity, f"{exc}，没有保存任何修改。", 403)
    except IntegrityError:  # a client deleted meanwhile
        return await _refuse(request, me, kind, entity, "所选客户已不存在，请刷新后重试。", 400)
    back = KINDS[kind][1]
    if not added and not removed:
        return done(f"{back}/{entity.id}/links", "关联没有变化")
    return done(f"{back}/{entity.id}/links", f"已保存：新关联 {len(added)} 个客户，取消关联 {len(removed)} 个客户")


async def _refuse(request, me, kind, entity, error: str, status: int) -> web.Response:
    context = await request.app[keys.DB].run(_form, me, kind, entity, "")
    return _page(request, me, kind, entity, context, error=error, status=status)
