"""基础资料 (B1, L4, L5): the client behind a chat, its people and tags; linking chats to clients."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from handlers.access import visible_clients
from handlers.clients import changes
from handlers.contacts import rules
from handlers.sidebar.scope import Scope, chat_scope, client_scope, json_error, read_json, require_perm

API = "/sidebar/api"
# Adding a client's contacts and editing its tags change the client's profile: the same right as linking chats to
# clients (关联微信联系人和客户群); members without it see the profile read-only.
PROFILE_EDIT = "wecom.link"
MAX_TAGS, MAX_TAG_LEN = 10, 12


def setup(app: web.Application) -> None:
    app.router.add_get(API + "/clients/{client_id}/profile", profile)
    app.router.add_get(API + "/clients/search", search)
    app.router.add_post(API + "/links", link)
    app.router.add_delete(API + "/links/{client_id}", unlink)
    app.router.add_post(API + "/clients/{client_id}/contacts", add_contact)
    app.router.add_put(API + "/clients/{client_id}/tags", set_tags)


def _profile(client: models.Client) -> dict:
    contacts = client.contacts.order_by(models.ClientContact.is_primary.desc(), models.ClientContact.id)
    wecom = (models.ExternalContact.select().join(models.ContactClientLink)
             .where(models.ContactClientLink.client == client).order_by(models.ExternalContact.name))
    groups = (models.CustomerGroup.select().join(models.GroupClientLink)
              .where(models.GroupClientLink.client == client).order_by(models.CustomerGroup.name))
    return {
        "id": client.id, "name": client.name, "short_name": client.short_name, "tax_id": client.tax_id or "",
        "taxpayer": models.TAXPAYER_TYPES.get(client.taxpayer_type, client.taxpayer_type),
        "vat_cycle": models.VAT_CYCLES[client.vat_cycle] if client.vat_cycle else "",  # '' while unset (inferred)
        "status": models.CLIENT_STATUSES.get(client.status, client.status), "tags": client.tags or [],
        "manager": client.manager.name if client.manager else "",
        "accountant": client.accountant.name if client.accountant else "",
        "legal_person": client.legal_person, "address": client.address,
        "contacts": [{"id": c.id, "name": c.name, "title": c.title, "mobile": c.mobile or "",
                      "is_primary": c.is_primary} for c in contacts],
        "wecom_contacts": [{"name": c.name, "corp_name": c.corp_name or ""} for c in wecom],
        "groups": [{"name": g.name} for g in groups],
    }


async def profile(request: web.Request) -> web.Response:
    """GET: company, contacts, tags and linked WeCom contacts/groups of a client linked to this chat."""
    _, client = await client_scope(request)
    return web.json_response(await request.app[keys.DB].run(_profile, client))


def _search(staff, text: str) -> list[dict]:
    like = (models.Client.name.contains(text) | models.Client.short_name.contains(text)
            | models.Client.pinyin_initials.contains(text.lower()))
    query = visible_clients(staff).where(like).order_by(models.Client.name).limit(20)
    return [{"id": c.id, "name": c.name, "short_name": c.short_name} for c in query]


async def search(request: web.Request) -> web.Response:
    """GET ?q=: clients this member may link to the current chat."""
    scope = await chat_scope(request)
    text = request.query.get("q", "").strip()
    if not text:
        raise json_error(400, "请输入客户名称、简称或拼音首字母")
    results = await request.app[keys.DB].run(_search, scope.staff, text[:30])
    linked = set(scope.client_ids)
    return web.json_response([{**r, "linked": r["id"] in linked} for r in results])


def _link(scope: Scope, client_id: int) -> dict:
    try:
        created = rules.link_client(scope.staff, scope.kind, scope.entity, client_id)
    except rules.LinkRefused as exc:
        raise json_error(403, str(exc)) from None
    return {"linked": True, "created": created}


async def link(request: web.Request) -> web.Response:
    """POST {client_id}: link the current chat to a client (关联客户)."""
    scope = await chat_scope(request)
    require_perm(scope.staff, "wecom.link")
    body = await read_json(request)
    client_id = body.get("client_id")
    if not isinstance(client_id, int):
        raise json_error(400, "请选择要关联的客户")
    return web.json_response(await request.app[keys.DB].run(_link, scope, client_id))


def _unlink(scope: Scope, client_id: int) -> None:
    try:
        rules.unlink_client(scope.staff, scope.kind, scope.entity, client_id)
    except rules.LinkMissing as exc:
        raise json_error(404, str(exc)) from None


async def unlink(request: web.Request) -> web.Response:
    """DELETE: remove the link between the current chat and a client (修改关联)."""
    scope, client = await client_scope(request)
    require_perm(scope.staff, "wecom.link")
    await request.app[keys.DB].run(_unlink, scope, client.id)
    return web.json_response({"linked": False})


def _contact_fields(body: dict) -> dict:
    fields = {"name": str(body.get("name", "")).strip(), "title": str(body.get("title", "")).strip(),
              "mobile": str(body.get("mobile", "")).strip() or None, "is_primary": bool(body.get("is_primary"))}
    problems = changes.contact_problems(fields)
    if problems:
        raise json_error(400, next(iter(problems.values())))
    return fields


def _add_contact(scope: Scope, client: models.Client, fields: dict) -> dict:
    with models.db.atomic():
        contact = changes.add_contact(scope.staff, client, fields)
    return {"id": contact.id, **fields, "mobile": fields["mobile"] or ""}


async def add_contact(request: web.Request) -> web.Response:
    """POST {name, title, mobile}: add a person on the client's side (添加联系人)."""
    scope, client = await client_scope(request)
    require_perm(scope.staff, PROFILE_EDIT)
    fields = _contact_fields(await read_json(request))
    return web.json_response(await request.app[keys.DB].run(_add_contact, scope, client, fields), status=201)


def _clean_tags(raw) -> list[str]:
    if not isinstance(raw, list):
        raise json_error(400, "标签必须是列表")
    tags = list(dict.fromkeys(str(t).strip() for t in raw if str(t).strip()))
    if len(tags) > MAX_TAGS:
        raise json_error(400, f"最多 {MAX_TAGS} 个标签")
    if any(len(t) > MAX_TAG_LEN for t in tags):
        raise json_error(400, f"每个标签最多 {MAX_TAG_LEN} 个字")
    return tags


def _set_tags(scope: Scope, client: models.Client, tags: list[str]) -> dict:
    with models.db.atomic():
        before = list(client.tags or [])
        client.tags = tags
        client.save(only=[models.Client.tags])
        models.audit(scope.staff, "edit_client_tags", client, before={"tags": before}, after={"tags": tags})
    return {"tags": tags}


async def set_tags(request: web.Request) -> web.Response:
    """PUT {tags: [...]}: replace the client's tags (编辑标签)."""
    scope, client = await client_scope(request)
    require_perm(scope.staff, PROFILE_EDIT)
    tags = _clean_tags((await read_json(request)).get("tags"))
    return web.json_response(await request.app[keys.DB].run(_set_tags, scope, client, tags))
