"""知识库 tab (B9): search audited entries (the 知识 command's ranking) and send an answer into the chat.

A search that finds nothing is counted as a knowledge gap, as in the command (X8)."""
from __future__ import annotations

from datetime import date

from aiohttp import web

import models
from bot import keys
from handlers.knowledge.rules import MAX_QUERY, record_gap, use_entry
from handlers.knowledge.search import find
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


def _search(query: str, staff, today: date, daily_cap: int) -> dict:
    entries, terms = find(query)
    if not entries:
        with models.db.atomic():  # a GET: counted once per member, query and day, and never audited
            record_gap(query, staff.wecom_userid or "", staff, today, daily_cap, audit=False)
    return {"query": query, "entries": [_row(e, terms) for e in entries]}


async def search(request: web.Request) -> web.Response:
    """GET ?q=: audited entries matching the keywords, best first (common ones when q is empty)."""
    scope = await chat_scope(request)
    query = " ".join(request.query.get("q", "").split())[:MAX_QUERY]
    db = request.app[keys.DB]
    if not query:
        return web.json_response({"query": "", "entries": await db.run(popular_entries), "popular": True})
    config = request.app[keys.CONFIG]
    today = request.app[keys.CLOCK]().astimezone(config.agency.tz).date()
    return web.json_response(await db.run(_search, query, scope.staff, today,
                                          config.knowledge.gaps_per_member_daily))


def _use(entry_id: int) -> models.KnowledgeEntry:
    entry = use_entry(entry_id)  # counted: ranks entries staff actually send higher
    if entry is None:
        raise json_error(404, "这条知识不存在或尚未审核，不能发送")
    return entry


async def send_text(request: web.Request) -> web.Response:
    """POST: the text of an audited entry for the chat box (and count the use)."""
    await chat_scope(request)
    entry = await request.app[keys.DB].atomic(_use, int(request.match_info["entry_id"]))
    text = render_text(request, "knowledge/answer.txt", entry=entry)
    return web.json_response({"text": text})
