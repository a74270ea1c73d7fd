"""知识分类设置 (K1): the two-level tree with add, rename, order and delete (refused while in use)."""
from __future__ import annotations

from aiohttp import web
from peewee import fn

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.router import UserError
from handlers.admin.shell import ConsoleRoutes, done, render
from handlers.knowledge import categories

console = ConsoleRoutes()
PATH = "/admin/knowledge/categories"
MAINTAIN = "knowledge.maintain"


def _tree() -> list[dict]:
    E = models.KnowledgeEntry
    used = dict(E.select(E.category, fn.COUNT(E.id)).group_by(E.category).tuples())
    return [{"node": top, "entries": used.get(top.id, 0),
             "children": [{"node": sub, "entries": used.get(sub.id, 0)} for sub in subs]}
            for top, subs in categories.tree()]


@console.get(PATH, need=MAINTAIN)
async def categories_page(request: web.Request, me: models.Staff) -> web.Response:
    tree = await request.app[keys.DB].run(_tree)
    return render(request, "admin/knowledge/categories.html", {"tree": tree, "tab": "categories"}, area="knowledge")


async def _write(request: web.Request, fn, *args, ok: str) -> web.Response:
    try:
        result = await request.app[keys.DB].atomic(fn, *args)
    except UserError as exc:
        return done(PATH, str(exc))
    return done(PATH, ok.format(result=result))


@console.post(PATH, need=MAINTAIN)
async def add(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    parent = parse_id(str(form.get("parent", ""))) or None
    return await _write(request, categories.add, me, str(form.get("name", "")), parent, ok="已新增分类「{result.name}」")


@console.post(PATH + r"/{id:\d+}/rename", need=MAINTAIN)
async def rename(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    return await _write(request, categories.rename, me, int(request.match_info["id"]), str(form.get("name", "")),
                        ok="已改名为「{result.name}」")


@console.post(PATH + r"/{id:\d+}/move", need=MAINTAIN)
async def move(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    step = -1 if form.get("step") == "up" else 1
    return await _write(request, categories.move, me, int(request.match_info["id"]), step, ok="已调整顺序")


@console.post(PATH + "/delete", need=MAINTAIN)
async def delete(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    ids = [n for n in (parse_id(str(v)) for v in form.getall("ids", [])) if n]
    return await _write(request, categories.delete, me, ids, ok="已删除 {result} 个分类")
