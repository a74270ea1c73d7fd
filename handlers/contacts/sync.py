"""Full sync (L1, L2): every external contact and customer group the app can see, from the API into the database.

Contacts: get_follow_user_list → batch/get_by_user (≤100 members a call, cursor paging, 100 a page).
Groups: groupchat/list (cursor, 1,000 a page) → groupchat/get for each, at most 5 at once.
Pages are fetched ahead while earlier ones are written; the pages written in one transaction are stored
together with the run's cursor (handlers/contacts/runs.py), so after a crash the next run resumes after the last
stored page. Only rows that differ are written (handlers/contacts/store.py). Rows a complete run did not see are
marked (vanished_at / deleted_at / left_at), never deleted, so their client links survive; rows seen again
are unmarked.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import models
from bot.db import Database
from bot.wecom import WeComClient, WeComError
from handlers.contacts import runs, store
from handlers.contacts.events import fetch_contact
from handlers.contacts.runs import IdSet, RunHandle
from models import CustomerGroup, ExternalContact, FollowRelation, GroupMember

log = logging.getLogger(__name__)

USERS_PER_CALL = 100   # batch/get_by_user takes at most 100 members
CONTACT_PAGE = 100     # ... and returns at most 100 relations a page
GROUP_PAGE = 1000      # groupchat/list's largest page
GROUP_BATCH = 50       # groups fetched, then stored in one transaction
GET_CONCURRENCY = 5    # groupchat/get calls in flight at once
AHEAD = 8              # pages fetched ahead of the writer


@dataclass
class SyncEnv:
    """What a sync needs: the database, the WeCom client, a clock and an optional progress callback."""
    db: Database
    wecom: WeComClient
    clock: Callable[[], dt.datetime] = models.utcnow
    progress: Callable[[str, int, int | None], None] | None = None  # (kind, done, total or None)


@dataclass
class SyncOutcome:
    kind: str
    counts: dict
    resumed: bool
    run_id: int


async def run_sync(env: SyncEnv, kind: str, started_by: int | None = None) -> SyncOutcome:
    """Run one sync of ``kind`` ('contacts' or 'groups'). SyncBusy if one is running; other errors mark the
    run failed (resumable) and propagate."""
    run = await env.db.run(runs.claim, kind, env.clock(), started_by)
    log.info("sync %s: run %s %s", kind, run.id, "resumed" if run.resumed else "started")
    try:
        await ENGINES[kind](env, run)
    except BaseException as exc:  # cancellation too: leave the run resumable, not 'running' for 2 minutes
        log.warning("sync %s: run %s stopped: %s", kind, run.id, describe(exc))
        await env.db.run(runs.fail, run, env.clock(), describe(exc))
        raise
    log.info("sync %s: run %s done %s", kind, run.id, run.counts)
    return SyncOutcome(kind, run.counts, run.resumed, run.id)


def describe(exc: BaseException) -> str:
    """A short, secret-free description of why a run stopped."""
    if isinstance(exc, WeComError):
        return f"{exc.path}: errcode {exc.errcode}"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled (shutdown)"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _add(run: RunHandle, counts: Counter) -> None:
    run.counts = dict(Counter(run.counts) + counts)


async def _pipeline(env: SyncEnv, fetch: Callable[[Any], Awaitable[tuple[Any, Any]]],
                    write: Callable[[list, Any, dt.datetime], None], start: Any, after: Callable[[], None]) -> None:
    """fetch(position) -> (data, next position or None) runs up to AHEAD pages in front of the writer;
    write(datas, position after the last, now) stores every page that has arrived, in one transaction
    (one commit, one fsync). Against WeCom's latency that is one page a commit; against a fast source, more."""
    queue: asyncio.Queue = asyncio.Queue(maxsize=AHEAD)

    async def produce(position):
        while position is not None:
            data, position = await fetch(position)
            await queue.put((data, position))
        await queue.put(None)

    producer = asyncio.ensure_future(produce(start)) if start is not None else None
    try:
        finished = producer is None
        while not finished:
            batch = [await _next(queue, producer)]
            while not queue.empty():
                batch.append(queue.get_nowait())
            finished = batch[-1] is None
            pages = [page for page in batch if page is not None]
            if pages:
                await env.db.atomic(write, [data for data, _ in pages], pages[-1][1], env.clock())
                after()
    finally:
        if producer is not None:
            producer.cancel()
            await asyncio.gather(producer, return_exceptions=True)


async def _next(queue: asyncio.Queue, producer: asyncio.Future):
    """The next page, or the producer's error as soon as it fails."""
    getter = asyncio.ensure_future(queue.get())
    await asyncio.wait({getter, producer}, return_when=asyncio.FIRST_COMPLETED)
    if getter.done():
        return getter.result()
    getter.cancel()
    await asyncio.gather(getter, return_exceptions=True)
    producer.result()  # raises its error; a producer that ended normally left the sentinel queued
    return queue.get_nowait()


# ---- contacts ---------------------------------------------------------------------------------------

async def sync_contacts(env: SyncEnv, run: RunHandle) -> None:
    state = run.cursor
    if "userids" not in state:
        state.update(userids=await env.wecom.get_follow_user_list(), chunk=0, cursor="", items=0)
    userids = state["userids"]
    chunks = [userids[i:i + USERS_PER_CALL] for i in range(0, len(userids), USERS_PER_CALL)]
    seen_c, seen_r = IdSet.load(state.get("seen_contacts")), IdSet.load(state.get("seen_relations"))
    known, tried = await env.db.run(store.known_tags), set()

    async def fetch(position):
        chunk, cursor = position
        page = await env.wecom.batch_get_by_user(chunks[chunk], cursor=cursor, limit=CONTACT_PAGE)
        following = page.get("next_cursor") or ""
        nxt = (chunk, following) if following else ((chunk + 1, "") if chunk + 1 < len(chunks) else None)
        items = page.get("external_contact_list") or []
        await name_tags(env.wecom, items, known, tried)
        return items, nxt

    def write(pages, following, now):
        items = [item for page in pages for item in page]
        contacts, relations = contact_page(items, known)
        counts, ids, relation_ids = store.store_contacts(contacts, relations, now)
        for external_userid in contacts:
            seen_c.add(ids[external_userid])
        for relation_id in relation_ids:
            seen_r.add(relation_id)
        chunk, cursor = following if following is not None else (len(chunks), "")
        state.update(chunk=chunk, cursor=cursor, items=state["items"] + len(items),
                     seen_contacts=seen_c.dump(), seen_relations=seen_r.dump())
        _add(run, counts)
        runs.save(run, now)

    start = (state["chunk"], state["cursor"]) if state["chunk"] < len(chunks) else None
    await _pipeline(env, fetch, write, start, lambda: _report(env, "contacts", state["items"], None))
    await env.db.atomic(_finish_contacts, run, seen_c, seen_r, env.clock())


async def name_tags(wecom, items: list, known: dict[str, dict], tried: set) -> None:
    """batch/get_by_user lists tag ids only: read the names of ids never seen before through
    externalcontact/get of one contact carrying them (a few calls per sync, none once names are stored)."""
    for item in items:
        info = item.get("follow_info") if isinstance(item, dict) else None
        contact = item.get("external_contact") if isinstance(item, dict) else None
        if not isinstance(info, dict) or not isinstance(contact, dict):
            continue
        new = [t for t in info.get("tag_id") or [] if isinstance(t, str) and t not in known and t not in tried]
        if not new or not isinstance(contact.get("external_userid"), str):
            continue
        tried.update(new)
        try:
            _, follows = await fetch_contact(wecom, contact["external_userid"])
        except WeComError as exc:
            log.info("sync contacts: tag names unreadable through %s (errcode %s)", contact["external_userid"],
                     exc.errcode)
            continue
        known.update({t["tag_id"]: t for f in follows for t in store.tags_from_api(f.get("tags")) if t["tag_name"]})


def contact_page(items: list, known: dict[str, dict]) -> tuple[dict, dict]:
    """A batch/get_by_user page as (contacts, relations) for store_contacts."""
    contacts, relations = {}, {}
    for item in items:
        contact = item.get("external_contact") if isinstance(item, dict) else None
        info = item.get("follow_info") if isinstance(item, dict) else None
        if not isinstance(contact, dict) or not isinstance(info, dict):
            continue
        external_userid, userid = contact.get("external_userid"), info.get("userid")
        if not (isinstance(external_userid, str) and external_userid and isinstance(userid, str) and userid):
            continue
        contacts[external_userid[:64]] = store.contact_row(contact)
        tags = store.tags_from_ids(info.get("tag_id"), known)
        relations[(external_userid[:64], userid[:64])] = store.relation_row(info, tags)
    return contacts, relations


def _finish_contacts(run: RunHandle, seen_c: IdSet, seen_r: IdSet, now: dt.datetime) -> None:
    counts = Counter(contacts_seen=len(seen_c), relations_seen=len(seen_r))
    live = ExternalContact.select().where(ExternalContact.vanished_at.is_null())
    if counts["contacts_seen"] == 0 and live.exists():
        counts["sweep_skipped"] = 1  # an empty answer is more likely lost permissions than no customers at all
    else:
        counts["contacts_vanished"] = _sweep(ExternalContact, "vanished_at", seen_c, run.since, now)
        counts["relations_removed"] = _sweep(FollowRelation, "deleted_at", seen_r, run.since, now)
    _add(run, counts)
    runs.finish(run, now)


def _unseen(model, field: str, seen: IdSet, since: dt.datetime, extra=None) -> list[int]:
    """Unmarked rows this run did not see. Rows changed since the run began (by live events) are left alone."""
    condition = getattr(model, field).is_null() & (model.updated_at < since)
    if extra is not None:
        condition &= extra
    return [row_id for (row_id,) in model.select(model.id).where(condition).tuples() if row_id not in seen]


def _sweep(model, field: str, seen: IdSet, since: dt.datetime, now: dt.datetime) -> int:
    return store.mark(model, field, _unseen(model, field, seen, since), now)


# ---- groups -----------------------------------------------------------------------------------------

async def sync_groups(env: SyncEnv, run: RunHandle) -> None:
    state = run.cursor
    for key, value in (("cursor", ""), ("offset", 0), ("items", 0), ("listed", 0)):
        state.setdefault(key, value)
    seen = IdSet.load(state.get("seen_groups"))
    limit = asyncio.Semaphore(GET_CONCURRENCY)
    while True:
        page = await env.wecom.groupchat_list(cursor=state["cursor"], limit=GROUP_PAGE)
        chats = [c for c in page.get("group_chat_list") or []
                 if isinstance(c, dict) and isinstance(c.get("chat_id"), str)]
        next_cursor = page.get("next_cursor") or ""
        total = None if next_cursor else state["listed"] + len(chats)

        async def fetch(offset, chats=chats):
            batch = chats[offset:offset + GROUP_BATCH]
            details = await asyncio.gather(*(_group_detail(env.wecom, c["chat_id"], limit) for c in batch))
            following = offset + GROUP_BATCH
            return (batch, [d for d in details if d]), (following if following < len(chats) else None)

        def write(datas, following, now, chats=chats):
            batch = [chat for chats_, _ in datas for chat in chats_]
            details = [detail for _, details_ in datas for detail in details_]
            counts, ids = store.store_groups(details, now, {c["chat_id"]: c.get("status", 0) for c in batch})
            for chat in details:
                if chat.get("chat_id") in ids:
                    seen.add(ids[chat["chat_id"]])
            state.update(offset=len(chats) if following is None else following, seen_groups=seen.dump(),
                         items=state["items"] + len(batch))
            _add(run, counts)
            runs.save(run, now)

        start = state["offset"] if state["offset"] < len(chats) else None
        await _pipeline(env, fetch, write, start, lambda total=total: _report(env, "groups", state["items"], total))
        if not next_cursor:
            break
        state.update(cursor=next_cursor, offset=0, listed=state["listed"] + len(chats))
        await env.db.atomic(runs.save, run, env.clock())
    await env.db.atomic(_finish_groups, run, seen, env.clock())


async def _group_detail(wecom: WeComClient, chat_id: str, limit: asyncio.Semaphore) -> dict | None:
    async with limit:
        try:
            return await wecom.groupchat_get(chat_id)
        except WeComError as exc:
            if exc.errcode == 40050:  # dismissed between list and get: it is simply not seen
                return None
            raise


def _finish_groups(run: RunHandle, seen: IdSet, now: dt.datetime) -> None:
    counts = Counter(groups_seen=len(seen))
    gone = _unseen(CustomerGroup, "vanished_at", seen, run.since, extra=CustomerGroup.dismissed_at.is_null())
    counts["groups_vanished"] = store.mark(CustomerGroup, "vanished_at", gone, now)
    # Nobody is in a group WeCom no longer shows; a group that comes back brings its members back.
    members = [m for chunk in store.chunks(gone) for (m,) in GroupMember.select(GroupMember.id).where(
        GroupMember.group.in_(chunk) & GroupMember.left_at.is_null()).tuples()]
    counts["members_left"] = store.mark(GroupMember, "left_at", members, now)
    _add(run, counts)
    runs.finish(run, now)


def _report(env: SyncEnv, kind: str, done: int, total: int | None) -> None:
    if env.progress is not None:
        env.progress(kind, done, total)


ENGINES: dict[str, Callable[[SyncEnv, RunHandle], Awaitable[None]]] = {
    "contacts": sync_contacts, "groups": sync_groups}
