"""新增客户, 编辑, 删除 and a client's contacts in the console (B1). Fields are parsed through the clients' import spec
(handlers/clients/records.py) and written through handlers/clients/changes.py; who may change what is decided
there (admins: everything; staff with wecom.link: the profile of a client they can see)."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from handlers.admin.forms import FormLookups, fields_of, form_text, parse_form, staff_options
from handlers.admin.shell import ConsoleRoutes, done, render
from handlers.clients import changes
from handlers.clients.admin_detail import missing, show, visible
from handlers.clients.records import CLIENTS, CONTACTS

console = ConsoleRoutes()
TEXTAREAS = ("note", "address")
CONTACT_FIELDS = ("name", "title", "mobile", "is_primary")


def _form_context(me: models.Staff, client_id: int | None) -> dict | None:
    client = visible(me, client_id) if client_id else None
    if client_id and client is None:
        return None
    people = staff_options()
    names = changes.editable_fields(me, creating=client is None)
    fields = fields_of(CLIENTS, names, {"manager": people, "accountant": people}, TEXTAREAS)
    return {"client": client, "fields": fields, "stored": form_text(CLIENTS, client.__data__) if client else {},
            "people": dict(people), "statuses": models.CLIENT_STATUSES}


async def _form(request, me, client_id: int | None, values: dict | None = None, errors: dict | None = None,
                status: int = 200) -> web.Response:
    context = await request.app[keys.DB].run(_form_context, me, client_id)
    if context is None:
        return missing(request)
    values = values if values is not None else (context["stored"] or {"taxpayer_type": "small", "status": "active"})
    return render(request, "admin/clients/form.html", {**context, "values": values, "errors": errors or {}},
                  status=status, area="clients")


@console.get("/admin/clients/new", need="admin")
async def new_client(request: web.Request, me: models.Staff) -> web.Response:
    return await _form(request, me, None)


@console.get(r"/admin/clients/{id:\d+}/edit", need=changes.EDIT_PERM)
async def edit_client(request: web.Request, me: models.Staff) -> web.Response:
    return await _form(request, me, parse_id(request.match_info["id"]) or 0)


def _save(me: models.Staff, client_id: int | None, form) -> tuple[models.Client | None, dict]:
    """(client, {}) once written; (None, errors) with nothing written; (None, {'404': ...}) if not visible."""
    client = visible(me, client_id) if client_id else None
    if client_id and client is None:
        return None, {"404": True}
    names = changes.editable_fields(me, creating=client is None)
    lookups = FormLookups(staff_ids=[int(i) for i, _ in staff_options()])
    values, errors = parse_form(CLIENTS, form, names, lookups)
    errors.update({k: v for k, v in changes.taken(values, client_id).items() if k not in errors})
    if errors:
        return None, errors
    if client is None:
        return changes.create_client(me, values), {}
    changes.update_client(me, client, values)
    return client, {}


async def _post(request: web.Request, me: models.Staff, client_id: int | None) -> web.Response:
    form = await request.post()
    client, errors = await request.app[keys.DB].atomic(_save, me, client_id, form)
    if errors.get("404"):
        return missing(request)
    if errors:
        values = {k: str(v) for k, v in form.items() if k != "_csrf"}
        return await _form(request, me, client_id, values, errors, status=400)
    verb = "已保存" if client_id else "已新增客户"
    return done(f"/admin/clients/{client.id}", f"{verb}「{client.name}」。")


@console.post("/admin/clients/new", need="admin")
async def create_client(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, None)


@console.post(r"/admin/clients/{id:\d+}/edit", need=changes.EDIT_PERM)
async def update_client(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, parse_id(request.match_info["id"]) or 0)


def _delete(me: models.Staff, client_id: int) -> tuple[str, str | None] | None:
    client = visible(me, client_id)
    if client is None:
        return None
    return client.name, changes.delete_client(me, client)


@console.post(r"/admin/clients/{id:\d+}/delete", need="admin")
async def delete_client(request: web.Request, me: models.Staff) -> web.Response:
    client_id = parse_id(request.match_info["id"]) or 0
    found = await request.app[keys.DB].atomic(_delete, me, client_id)
    if found is None:
        return missing(request)
    name, refused = found
    if refused:
        return await show(request, me, refused, status=409)
    return done("/admin/clients", f"已删除客户「{name}」。")


# ---- contacts ---------------------------------------------------------------------------------------------

def _contact(me: models.Staff, contact_id: int) -> models.ClientContact | None:
    contact = models.ClientContact.get_or_none(models.ClientContact.id == contact_id)
    return contact if contact is not None and visible(me, contact.client_id) else None


def _contact_context(me: models.Staff, client_id: int | None, contact_id: int | None) -> dict | None:
    contact = _contact(me, contact_id) if contact_id else None
    client = visible(me, contact.client_id if contact else client_id)
    if client is None or (contact_id and contact is None):
        return None
    return {"client": client, "contact": contact, "fields": fields_of(CONTACTS, CONTACT_FIELDS),
            "stored": form_text(CONTACTS, contact.__data__) if contact else {}}


async def _contact_form(request, me, client_id, contact_id, values=None, errors=None, status=200):
    context = await request.app[keys.DB].run(_contact_context, me, client_id, contact_id)
    if context is None:
        return missing(request, "这个联系人" if contact_id else "这个客户")
    return render(request, "admin/clients/contact.html",
                  {**context, "values": values if values is not None else context["stored"], "errors": errors or {}},
                  status=status, area="clients")


@console.get(r"/admin/clients/{id:\d+}/contacts/new", need=changes.EDIT_PERM)
async def new_contact(request: web.Request, me: models.Staff) -> web.Response:
    return await _contact_form(request, me, parse_id(request.match_info["id"]) or 0, None)


@console.get(r"/admin/client-contacts/{id:\d+}", need=changes.EDIT_PERM)
async def edit_contact(request: web.Request, me: models.Staff) -> web.Response:
    return await _contact_form(request, me, None, parse_id(request.match_info["id"]) or 0)


def _save_contact(me, client_id: int | None, contact_id: int | None, form):
    context = _contact_context(me, client_id, contact_id)
    if context is None:
        return None, {"404": True}
    values, errors = parse_form(CONTACTS, form, CONTACT_FIELDS, FormLookups())
    errors.update({k: v for k, v in changes.contact_problems(values).items() if k not in errors})
    if errors:
        return None, errors
    if context["contact"] is None:
        return changes.add_contact(me, context["client"], values), {}
    changes.update_contact(me, context["contact"], values)
    return context["contact"], {}


async def _post_contact(request, me, client_id, contact_id) -> web.Response:
    form = await request.post()
    contact, errors = await request.app[keys.DB].atomic(_save_contact, me, client_id, contact_id, form)
    if errors.get("404"):
        return await _contact_form(request, me, client_id, contact_id)
    if errors:
        values = {k: str(v) for k, v in form.items() if k != "_csrf"}
        return await _contact_form(request, me, client_id, contact_id, values, errors, status=400)
    return done(f"/admin/clients/{contact.client_id}#contacts", f"已保存联系人「{contact.name}」。")


@console.post(r"/admin/clients/{id:\d+}/contacts/new", need=changes.EDIT_PERM)
async def create_contact(request: web.Request, me: models.Staff) -> web.Response:
    return await _post_contact(request, me, parse_id(request.match_info["id"]) or 0, None)


@console.post(r"/admin/client-contacts/{id:\d+}", need=changes.EDIT_PERM)
async def update_contact(request: web.Request, me: models.Staff) -> web.Response:
    return await _post_contact(request, me, None, parse_id(request.match_info["id"]) or 0)


def _delete_contact(me, contact_id: int):
    contact = _contact(me, contact_id)
    if contact is None:
        return None
    changes.delete_contact(me, contact)
    return contact


@console.post(r"/admin/client-contacts/{id:\d+}/delete", need=changes.EDIT_PERM)
async def delete_contact(request: web.Request, me: models.Staff) -> web.Response:
    contact = await request.app[keys.DB].atomic(_delete_contact, me, parse_id(request.match_info["id"]) or 0)
    if contact is None:
        return missing(request, "这个联系人")
    return done(f"/admin/clients/{contact.client_id}#contacts", f"已删除联系人「{contact.name}」。")
