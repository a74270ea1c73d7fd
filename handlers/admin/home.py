"""概览: the console's first page, what a member can do from here, and for admins what needs attention."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from handlers.access import visible_clients
from handlers.admin.shell import Area, ConsoleRoutes, render

console = ConsoleRoutes()
AREA = Area("home", "概览", "/admin", need="member", order=0)


def _figures(me: models.Staff) -> dict:
    figures = {"clients": visible_clients(me).count()}
    if me.is_admin:
        figures["staff"] = models.Staff.select().where(models.Staff.active).count()
        figures["unbound"] = (models.Staff.select()
                              .where(models.Staff.active & models.Staff.wecom_userid.is_null()).count())
    return figures


@console.get("/admin", need="member")
async def home(request: web.Request, me: models.Staff) -> web.Response:
    figures = await request.app[keys.DB].run(_figures, me)
    return render(request, "admin/home.html", {"figures": figures}, area="home")
