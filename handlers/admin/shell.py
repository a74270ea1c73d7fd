"""The console's shell: areas in the left menu, routes that declare who may use them, and one wrapper that
signs the member in, checks access and CSRF, and renders pages in the console layout.

A feature's ``admin.py`` holds ``AREA`` (its menu entry, or None) and ``console = ConsoleRoutes()``; its
handlers are ``async def page(request, me) -> web.Response``. ``handlers/__init__.py`` lists them.
"""
from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass, field
from typing import Awaitable, Callable
from urllib.parse import quote, unquote, urlencode

import aiohttp_jinja2
from aiohttp import web

import models
from bot import keys
from handlers.admin import sessions

Handler = Callable[[web.Request, models.Staff], Awaitable[web.StreamResponse]]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
FLASH = "zf_flash"
ROLE_NEEDS = ("member", "admin", "super_admin")


@dataclass(frozen=True)
class Area:
    """A menu entry: who sees it follows the same rule as its pages."""
    key: str
    title: str
    path: str
    need: str = "admin"  # 'member' | 'admin' | 'super_admin' | a permission code
    order: int = 100


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    need: str
    handler: Handler = field(repr=False, compare=False)
    # config -> bytes a request may carry, for uploads larger than the app's client_max_size (record imports)
    max_body: Callable | None = field(default=None, repr=False, compare=False)


SIGNED = web.RequestKey("console_signed", sessions.Signed)
CONSOLE_ROUTES = web.AppKey("console_routes", list)
CONSOLE_AREAS = web.AppKey("console_areas", list)


class ConsoleRoutes:
    """A feature's console routes; each declares what a member needs to use it."""

    def __init__(self) -> None:
        self.specs: list[RouteSpec] = []

    def _add(self, method: str, path: str, need: str, max_body: Callable | None = None
             ) -> Callable[[Handler], Handler]:
        if need not in ROLE_NEEDS and need not in models.PERMISSIONS:
            raise ValueError(f"unknown access need {need!r} for {path}")

        def register(handler: Handler) -> Handler:
            self.specs.append(RouteSpec(method, path, need, handler, max_body))
            return handler
        return register

    def get(self, path: str, *, need: str) -> Callable[[Handler], Handler]:
        return self._add("GET", path, need)

    def post(self, path: str, *, need: str, max_body: Callable | None = None) -> Callable[[Handler], Handler]:
        """``max_body(config)``: the body size this route accepts, when it must exceed the app's limit."""
        return self._add("POST", path, need, max_body)


def allowed(me: models.Staff, need: str) -> bool:
    """The one access rule of the console (menus and routes both ask it)."""
    if not me.active:
        return False
    if need == "member":
        return True
    if need == "admin":
        return me.is_admin
    if need == "super_admin":
        return me.role == "super_admin"
    return me.has_perm(need)


def signed(request: web.Request) -> sessions.Signed:
    return request[SIGNED]


def _login_redirect(request: web.Request) -> web.Response:
    target = request.path_qs if request.method == "GET" else "/admin"
    return redirect("/admin/login?" + urlencode({"next": target}))


def _guard(spec: RouteSpec) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @functools.wraps(spec.handler)
    async def handle(request: web.Request) -> web.StreamResponse:
        app = request.app
        now = app[keys.CLOCK]()
        who = await app[keys.DB].run(sessions.current, request.cookies.get(sessions.COOKIE),
                                     app[keys.CONFIG].admin, now)
        if who is None:
            if request.method in WRITES:
                return message(request, "登录已失效", "登录已失效或已退出，请重新登录后再操作。", status=401)
            return _login_redirect(request)
        request[SIGNED] = who
        if not allowed(who.staff, spec.need):
            return message(request, "没有权限", "你的账号没有使用这个页面的权限，如需使用请联系管理员。", status=403)
        if spec.max_body is not None:  # checked after sign-in, so only members may send a large body
            request = request.clone(client_max_size=spec.max_body(app[keys.CONFIG]))
            request[SIGNED] = who
        if request.method in WRITES:
            try:
                form = await request.post() if request.content_type != "application/json" else {}
            except web.HTTPRequestEntityTooLarge:
                return message(request, "文件太大", "上传的内容超过了允许的大小，请拆分后再上传。", status=413)
            sent = str(form.get("_csrf", "")) or request.headers.get("X-CSRF-Token", "")
            if not hmac.compare_digest(sent.encode(), who.csrf.encode()):
                return message(request, "请求校验失败", "页面已过期，请刷新页面后重新提交。", status=403)
        return await spec.handler(request, who.staff)
    return handle


def setup(app: web.Application, features: list) -> None:
    """Mount every feature's console routes and collect the menu."""
    areas, specs = [], []
    for feature in features:
        if getattr(feature, "AREA", None) is not None:
            areas.append(feature.AREA)
        specs.extend(feature.console.specs)
    for spec in specs:
        app.router.add_route(spec.method, spec.path, _guard(spec))
    app[CONSOLE_AREAS] = sorted(areas, key=lambda area: area.order)
    app[CONSOLE_ROUTES] = specs


def menu(request: web.Request, me: models.Staff) -> list[Area]:
    return [area for area in request.app[CONSOLE_AREAS] if allowed(me, area.need)]


def render(request: web.Request, template: str, context: dict, status: int = 200,
           area: str | None = None) -> web.Response:
    """A console page: the layout's menu, the member, the CSRF token and a message left by the last write."""
    who = request.get(SIGNED)
    flash = unquote(request.cookies.get(FLASH, ""))[:300]
    base = {"me": who.staff if who else None, "csrf": who.csrf if who else "",
            "menu": menu(request, who.staff) if who else [], "area": area, "flash": flash,
            "roles": models.ROLES, "permissions": models.PERMISSIONS}
    response = aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)
    if flash:
        response.del_cookie(FLASH, path="/admin")
    return response


def message(request: web.Request, title: str, text: str, status: int = 200) -> web.Response:
    return render(request, "admin/message.html", {"title": title, "text": text}, status=status)


def redirect(location: str) -> web.Response:
    """A 302 to one of our own paths (returned, not raised, so a handler's cookies go with it)."""
    return web.Response(status=302, headers={"Location": location})


def done(location: str, text: str) -> web.Response:
    """Post/redirect/get: back to ``location`` with ``text`` shown once at the top of the page."""
    response = redirect(location)
    response.set_cookie(FLASH, quote(text[:300]), path="/admin", httponly=True, samesite="Lax", max_age=60)
    return response
