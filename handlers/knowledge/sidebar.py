"""知识库 tab (B9): search audited entries (the 知识 command's ranking) and send an answer into the chat.

A search that finds nothing is counted as a knowledge gap, as in the command (X8)."""
from __future__ import annotations

from datetime import datetime

from aiohttp import web

import models
from bot import keys
from handlers.knowledge.rules import MAX_QUERY, record_gap, use_entry
from handlers.knowledge.search import find
from handlers.knowledge.searchlog import record_search, who_of
from handlers.knowledge.snippet import snippet
from handlers.sidebar.kit import API, render_text
from handlers.sidebar.scope import chat_scope, json_error

POPULAR = 8


def setup(app: web.Application) -> None:
    app.router.add_get(API + "/knowledge", search)
    app.router.add_post(API + "/knowledge/{entry_id:\\d+}/send", send_text)


def _row(entry: models.KnowledgeEntry, terms: list[str] = ()) -> dict:
    """An entry for the tab; ``snippet`` is escaped text with the matched terms in <mark> (see snippet.py)."""
    return {"id": entry.id, "title": entry.title, "brief": entry.brief, "answer": entry.answer,
            "snippet": snippet(entry.answer or entry.brief, list(terms))}


def popular_entries() -> list[dict]:
    """Audited entries staff send most, for the tab before anything is typed."""
    E = models.KnowledgeEntry
    query = E.select().where(E.audited == True).order_by(E.hits.desc(), E.id).limit(POPULAR)  # noqa: E712
    return [_row(e) for e in query]


def _search(query: str, staff, now: datetime, zone, daily_cap: int, window: int) -> dict:
    entries, terms = find(query)
    with models.db.atomic():  # a GET: counted once per member, query and day, and never audited
        if not entries:
            record_gap(query, staff.wecom_userid or "", staff, now.astimezone(zone).date(), daily_cap, audit=False)
        else:  # a gap too if nothing is sent within the window (searchlog.fold)
            record_search(query, staff.wecom_userid or "", staff, len(entries), now, window)
    return {"query": query, "entries": [_row(e, terms) for e in entries]}


async def search(request: web.Request) -> web.Response:
    """GET ?q=: audited entries matching the keywords, best first (common ones when q is empty)."""
    scope = await chat_scope(request)
    query = " ".join(request.query.get("q", "").split())[:MAX_QUERY]
    db = request.app[keys.DB]
    if not query:
        return web.json_response({"query": "", "entries": await db.run(popular_entries), "popular": True})
    config = request.app[keys.CONFIG]
    k = config.knowledge
    return web.json_response(await db.run(_search, query, scope.staff, request.app[keys.CLOCK](), config.agency.tz,
                                          k.gaps_per_member_daily, k.unsent_window_minutes))


def _use(entry_id: int, staff, now: datetime) -> models.KnowledgeEntry:
    entry = use_entry(entry_id, who_of(staff.wecom_userid or "", staff), now)  # counted: ranks sent entries higher
    if entry is None:
        raise json_error(404, "这条知识不存在或尚未审核，不能发送")
    return entry


async def send_text(request: web.Request) -> web.Response:
    """POST: the text of an audited entry for the chat box (and count the use)."""
    scope = await chat_scope(request)
    entry = await request.app[keys.DB].atomic(_use, int(request.match_info["entry_id"]), scope.staff,
                                              request.app[keys.CLOCK]())
    text = render_text(request, "knowledge/answer.txt", entry=entry)
    return web.json_response({"text": text})
