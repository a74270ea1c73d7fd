"""Client-facing pushes (off by default): an add_msg_template task the member confirms before it reaches
the customer, for the 催款 and 缺票 jobs.

One task per customer (external contact) per job and month, bundling that client's open matters, only to
contacts linked to the client whose follower is the member the staff digest went to. Idempotent per (sender,
customer, reminder), in fact per (customer, reminder): the item's dedupe key is written with the job run's plan
before any call, and a call that may have created the task (-1, a timeout, a crash mid-call) is never made
again, since WeCom has no duplicate check for these: the push is reported uncertain (bot/outbox/sends.py). WeCom delivers at
most 4 such corp messages to a customer a natural month; we use at most jobs.client_monthly_cap of them
(counting every kind of ours), so the agency keeps room for its own mass messages.
"""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Callable
from zoneinfo import ZoneInfo

from peewee import fn

import models
from bot.outbox.engine import Item

SUFFIX = ".client"


def month_start(today: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(today.replace(day=1), time(0, 0), tz)


def used_this_month(external_userids: list[str], since: datetime, exclude_id: int | None = None) -> dict[str, int]:
    """external userid -> our client pushes to them this month (queued, sent, or perhaps sent: uncertain)."""
    out = models.ReminderOutbox
    query = (out.select(out.recipient_userid, fn.COUNT(out.id))
             .where(out.kind.endswith(SUFFIX) & out.recipient_userid.in_(external_userids)
                    & (out.created_at >= since) & out.state.in_(["pending", "sent", "uncertain"]))
             .group_by(out.recipient_userid))
    if exclude_id is not None:
        query = query.where(out.id != exclude_id)
    return dict(query.tuples())


def _contacts(client_ids: list[int]) -> dict[tuple[int, str], list[tuple[str, str]]]:
    """(client id, member userid) -> [(external userid, name)] the member follows and the client is linked to."""
    link, contact, follow = models.ContactClientLink, models.ExternalContact, models.FollowRelation
    query = (link.select(link.client, follow.userid, contact.external_userid, contact.name)
             .join(contact, on=(link.contact == contact.id))
             .join(follow, on=(follow.contact == contact.id))
             .where(link.client.in_(client_ids) & follow.deleted_at.is_null() & contact.vanished_at.is_null()))
    found: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for client_id, userid, external_userid, name in query.tuples():
        found.setdefault((client_id, userid), []).append((external_userid, name))
    return found


def client_items(kind: str, staff_items: list[Item], today: date, tz: ZoneInfo, cap: int) -> list[Item]:
    """The client pushes for a run's staff items: one per reachable customer, within the monthly cap."""
    by_client: dict[tuple[int, str], list[dict]] = {}
    for item in staff_items:
        if item.recipient and item.client_id is not None:
            by_client.setdefault((item.client_id, item.recipient), []).append(item.data)
    contacts = _contacts(sorted({client_id for client_id, _ in by_client}))
    since, month = month_start(today, tz), today.strftime("%Y-%m")
    used = used_this_month(sorted({e for found in contacts.values() for e, _ in found}), since)
    items = []
    for (client_id, sender), matters in by_client.items():
        for external_userid, name in contacts.get((client_id, sender), []):
            if used.get(external_userid, 0) >= cap:
                continue
            data = {"sender": sender, "external_userid": external_userid, "recipient_name": name,
                    "client": matters[0]["client"], "client_name": matters[0]["client_name"],
                    "matters": matters, "month_start": since.isoformat(), "cap": cap}
            items.append(Item(kind + SUFFIX, f"c{client_id}|{month}", external_userid, client_id, data))
    return items


def client_recheck(matter_recheck: Callable[[list[dict]], dict]) -> Callable[[list[dict]], dict]:
    """Re-check a client push: its matters by the job's own rule, and the month's cap once more."""
    def recheck(items: list[dict]) -> dict:
        verdicts: dict = {}
        for item in items:
            since = datetime.fromisoformat(item["month_start"])
            if used_this_month([item["external_userid"]], since, exclude_id=item["id"]).get(
                    item["external_userid"], 0) >= item["cap"]:
                verdicts[item["id"]] = None
                continue
            matters = [{**m, "id": n, "client_id": item["client_id"]} for n, m in enumerate(item["matters"])]
            found = matter_recheck(matters)
            still = [{**m, **(found.get(m["id"]) or {})} for m in matters if found.get(m["id"], {}) is not None]
            clean = [{k: v for k, v in m.items() if k not in ("id", "client_id")} for m in still]
            verdicts[item["id"]] = {"matters": clean} if clean else None
        return verdicts
    return recheck


async def with_client_pushes(ctx, kind: str, items: list[Item], cfg) -> list[Item]:
    """A job's staff items, plus the client pushes they lead to when the job's ``client_push`` is on."""
    if not cfg.client_push:
        return items
    return items + await ctx.db.run(client_items, kind, items, ctx.today(), ctx.config.agency.tz,
                                    ctx.config.jobs.client_monthly_cap)
