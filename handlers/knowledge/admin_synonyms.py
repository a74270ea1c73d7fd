"""同义词 (issue 13 item 4): the agency's synonym groups for knowledge search (how clients say it = how the rules
say it). Words are expanded when a query is planned (handlers/knowledge/synonyms.py), so an edit takes effect
on the next search without rebuilding the index."""
from __future__ import annotations

import re

from aiohttp import web

import models
from bot import keys
from bot.router import UserError
from handlers.admin.shell import ConsoleRoutes, done, render
from handlers.knowledge import synonyms

console = ConsoleRoutes()
PATH = "/admin/knowledge/synonyms"
MAINTAIN = "knowledge.maintain"
S = models.KnowledgeSynonym


def _groups(q: str) -> list[dict]:
    groups: dict[int, list[str]] = {}
    for row in S.select().order_by(S.grp, S.id):
        groups.setdefault(row.grp, []).append(row.term)
    found = [{"id": grp, "words": words} for grp, words in groups.items() if not q or any(q in w for w in words)]
    return sorted(found, key=lambda g: g["words"][0])


@console.get(PATH, need=MAINTAIN)
async def synonyms_page(request: web.Request, me: models.Staff) -> web.Response:
    q = request.query.get("q", "").strip()[:32]
    groups = await request.app[keys.DB].run(_groups, q)
    return render(request, "admin/knowledge/synonyms.html", {"groups": groups, "q": q, "tab": "synonyms"},
                  area="knowledge")


def _add(actor, text: str) -> int:
    words = [w for w in re.split(r"[\s,，、=;；]+", text) if w]
    group = synonyms.add_synonym_group(words)
    models.audit(actor, "knowledge.synonyms_add", "KnowledgeSynonym", entity_id=group, after={"words": words})
    return group


def _remove(actor, group: int) -> int:
    words = [s.term for s in S.select().where(S.grp == group)]
    if not words:
        raise UserError("这组同义词不存在（可能已被删除）")
    synonyms.remove_synonym_group(group)
    models.audit(actor, "knowledge.synonyms_remove", "KnowledgeSynonym", entity_id=group, before={"words": words})
    return len(words)


def _starter(actor) -> int:
    count = synonyms.load_starter_synonyms()
    models.audit(actor, "knowledge.synonyms_starter", "KnowledgeSynonym", after={"groups": count})
    return count


@console.post(PATH, need=MAINTAIN)
async def add(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    try:
        await request.app[keys.DB].atomic(_add, me, str(form.get("words", ""))[:400])
    except UserError as exc:
        return done(PATH, str(exc))
    return done(PATH, "已保存同义词组（含已有词的组会合并）")


@console.post(PATH + r"/{id:\d+}/delete", need=MAINTAIN)
async def remove(request: web.Request, me: models.Staff) -> web.Response:
    try:
        count = await request.app[keys.DB].atomic(_remove, me, int(request.match_info["id"]))
    except UserError as exc:
        return done(PATH, str(exc))
    return done(PATH, f"已删除一组同义词（{count} 个词）")


@console.post(PATH + "/starter", need=MAINTAIN)
async def starter(request: web.Request, me: models.Staff) -> web.Response:
    count = await request.app[keys.DB].atomic(_starter, me)
    return done(PATH, f"已加入常用同义词 {count} 组（与已有的组合并）")
