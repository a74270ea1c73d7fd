"""What the sidebar tabs share: the checked client of a request with the tab's permission, periods from the
query, message texts from templates, and media uploads for images and files sent into the chat."""
from __future__ import annotations

from datetime import date

from aiohttp import web

import models
from bot import keys
from bot.edge.replies import content_type
from bot.money import parse_yuan
from bot.wecom import WeComError
from handlers.cmdkit import work_period
from handlers.sidebar.scope import Scope, client_scope, json_error, require_perm

API = "/sidebar/api"
CLIENT = API + "/clients/{client_id}"


async def tab_client(request: web.Request, perm: str) -> tuple[Scope, models.Client]:
    """The chat scope and the client in the URL (linked to this chat), for a member holding ``perm``."""
    scope, client = await client_scope(request)
    require_perm(scope.staff, perm)
    return scope, client


def today(request: web.Request) -> date:
    """Today in the agency's time zone, from the app's (injectable) clock."""
    return request.app[keys.CLOCK]().astimezone(request.app[keys.CONFIG].agency.tz).date()


def period_param(request: web.Request, name: str = "period") -> str:
    """``?period=YYYY-MM`` or, when absent, the work period (last month); 400 for anything else."""
    raw = request.query.get(name, "").strip()
    if not raw:
        return work_period(today(request))
    return check_period(raw)


def recent_periods(current: str, months: int = 12) -> list[str]:
    """The periods a picker offers: ``current`` and the months before it, newest first."""
    return [models.shift_period(current, -i) for i in range(months)]


def check_period(raw) -> str:
    """A 'YYYY-MM' period from user input, or a 400 saying how to write one."""
    if not isinstance(raw, str) or not models.PERIOD_RE.match(raw.strip()) or not "2000" <= raw[:4] <= "2099":
        raise json_error(400, "期间格式应为 年-月，例如 2026-10")
    return raw.strip()


def amount_fen(raw, what: str = "金额") -> int:
    """A positive amount in fen from what the member typed in yuan ('1,200.50'); 400 otherwise."""
    try:
        fen = parse_yuan(str(raw)) if not isinstance(raw, bool) else -1
    except ValueError:
        raise json_error(400, f"{what}请写成元，最多两位小数，例如 1200 或 1,200.50") from None
    if fen <= 0:
        raise json_error(400, f"{what}必须大于 0")
    return fen


def render_text(request: web.Request, template: str, **values) -> str:
    """A message text from templates/ (agencies edit the wording there), with the agency filled in."""
    values.setdefault("agency", request.app[keys.CONFIG].agency)
    return request.app[keys.TEXTS].get_template(template).render(**values).strip()


async def upload_media(request: web.Request, kind: str, filename: str, data: bytes) -> str:
    """Upload an image or file to WeCom (media/upload) and return the media id the page sends into the chat."""
    try:
        return await request.app[keys.WECOM].media_upload(kind, filename, data, content_type(filename))
    except WeComError:
        raise json_error(502, "上传到企业微信失败，请稍后重试") from None


def media_response(media_id: str, filename: str) -> web.Response:
    return web.json_response({"media_id": media_id, "filename": filename})
