"""Who may ask what in the sidebar: the signed-in staff member, CSRF on writes, and the current chat.

Every sidebar API request names the chat it comes from (?external_userid=… or ?chat_id=…). The server answers
only for a contact the member follows or a customer group they own or sit in (admins: any), and only about
clients linked to that chat. Client ids in requests are checked against that, never trusted.
"""
from __future__ import annotations

import asyncio
import hmac
import json
from dataclasses import dataclass, field

from aiohttp import web

import models
from bot import keys, session
from bot.edge.inbox import find_staff
from bot.edge.inputs import InputError, load_json, parse_id

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def json_error(status: int, message: str) -> web.HTTPException:
    """An HTTP error whose JSON body carries a message the page shows as is."""
    cls = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden, 404: web.HTTPNotFound,
           408: web.HTTPRequestTimeout, 409: web.HTTPConflict, 413: web.HTTPRequestEntityTooLarge,
           429: web.HTTPTooManyRequests, 502: web.HTTPBadGateway}[status]
    kwargs = {"max_size": 0, "actual_size": 0} if status == 413 else {}
    return cls(text=json.dumps({"error": message}, ensure_ascii=False), content_type="application/json", **kwargs)


async def require_staff(request: web.Request):
    """The signed-in, bound staff member; writes also need the page's CSRF token in X-CSRF-Token."""
    current = session.read(request.app[keys.CONFIG], request.cookies.get(session.COOKIE))
    if current is None:
        raise json_error(401, "登录已失效，请重新打开侧边栏")
    userid, csrf = current
    if request.method in WRITE_METHODS:
        sent = request.headers.get("X-CSRF-Token", "")
        if not hmac.compare_digest(sent.encode(), csrf.encode()):
            raise json_error(403, "请求校验失败，请刷新侧边栏后重试")
    staff = await request.app[keys.DB].run(find_staff, userid)
    if staff is None:
        raise json_error(403, "尚未绑定员工账号")
    return staff


@dataclass
class Scope:
    """The chat a sidebar request comes from, and the clients linked to it."""

    staff: models.Staff
    kind: str  # single | group
    key: str   # external_userid | chat_id
    name: str
    entity: object = field(repr=False)  # ExternalContact | CustomerGroup
    client_ids: list[int] = field(default_factory=list)

    @property
    def query(self) -> dict:
        return {"external_userid" if self.kind == "single" else "chat_id": self.key}


def _contact_scope(staff, external_userid: str) -> Scope:
    contact = models.ExternalContact.get_or_none(models.ExternalContact.external_userid == external_userid)
    if contact is None:
        raise json_error(404, "没有这位客户联系人的资料，请管理员先同步企业微信联系人")
    follows = (models.FollowRelation.select()
               .where((models.FollowRelation.contact == contact)
                      & (models.FollowRelation.userid == staff.wecom_userid)
                      & models.FollowRelation.deleted_at.is_null()).exists())
    if not (staff.is_admin or follows):
        raise json_error(403, "你没有跟进这位客户联系人，无权查看")
    ids = [link.client_id for link in
           models.ContactClientLink.select().where(models.ContactClientLink.contact == contact)]
    return Scope(staff, "single", external_userid, contact.name, contact, ids)


def _group_scope(staff, chat_id: str) -> Scope:
    group = models.CustomerGroup.get_or_none(models.CustomerGroup.chat_id == chat_id)
    if group is None:
        raise json_error(404, "没有这个客户群的资料，请管理员先同步客户群")
    member = (models.GroupMember.select()
              .where((models.GroupMember.group == group) & (models.GroupMember.member_id == staff.wecom_userid)
                     & models.GroupMember.left_at.is_null()).exists())
    if not (staff.is_admin or group.owner_userid == staff.wecom_userid or member):
        raise json_error(403, "你不在这个客户群中，无权查看")
    ids = [link.client_id for link in models.GroupClientLink.select().where(models.GroupClientLink.group == group)]
    return Scope(staff, "group", chat_id, group.name, group, ids)


def resolve_scope(staff, external_userid: str, chat_id: str) -> Scope:
    if bool(external_userid) == bool(chat_id):
        raise json_error(400, "请提供 external_userid 或 chat_id 中的一个")
    return _contact_scope(staff, external_userid) if external_userid else _group_scope(staff, chat_id)


async def chat_scope(request: web.Request) -> Scope:
    """The staff member and the chat named in the query, checked."""
    staff = await require_staff(request)
    q = request.query
    return await request.app[keys.DB].run(resolve_scope, staff, q.get("external_userid", "").strip(),
                                          q.get("chat_id", "").strip())


def _client_id(request: web.Request) -> int:
    client_id = parse_id(request.match_info.get("client_id", ""))
    if client_id is None:
        raise json_error(400, "客户编号不正确")
    return client_id


async def client_scope(request: web.Request) -> tuple[Scope, models.Client]:
    """The chat scope and the client in the URL, which must be linked to that chat."""
    scope = await chat_scope(request)
    client_id = _client_id(request)
    if client_id not in scope.client_ids:
        raise json_error(403, "该客户没有关联到当前会话，无权操作")
    client = await request.app[keys.DB].run(models.Client.get_or_none, models.Client.id == client_id)
    if client is None:
        raise json_error(404, "客户不存在")
    return scope, client


def require_perm(staff, code: str) -> None:
    if not staff.has_perm(code):
        raise json_error(403, f"你没有「{models.PERMISSIONS[code]}」权限，请联系管理员开通")


async def read_json(request: web.Request) -> dict:
    """The request body as a JSON object (bounded numbers and depth: bot/edge/inputs.py), or a 400 saying what
    is wrong; 408 when it trickles in slower than server.body_timeout."""
    try:
        async with asyncio.timeout(request.app[keys.CONFIG].server.body_timeout):
            raw = await request.read()
    except asyncio.TimeoutError:
        raise json_error(408, "请求内容接收超时，请重试") from None
    try:
        body = load_json(raw)
    except InputError as exc:
        raise json_error(400, exc.reason) from None
    if not isinstance(body, dict):
        raise json_error(400, "请求内容必须是 JSON 对象")
    return body
