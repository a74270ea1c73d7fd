"""检查差异: contacts changed in WeCom but not here (live-sync drift), measured on demand.

For every member WeCom lists with the 客户联系 permission (externalcontact/get_follow_user_list), the external
contacts WeCom lists for them (externalcontact/list) are compared with our live follow relations of that member.
The drift is what differs: relations WeCom has and we lack (a missed add event) plus relations we hold that
WeCom no longer has (a missed delete). Members we hold relations for who are no longer in WeCom's list count
all of theirs as extra. It calls WeCom once per member, so it runs only when an admin asks, in the background,
a few calls at a time; the result is stored (models.DriftCheck) and shown until the next check.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from aiohttp import web

import models
from bot import keys
from bot.wecom import WeComError
from handlers.contacts.sync import describe
from models import DriftCheck, ExternalContact, FollowRelation

log = logging.getLogger(__name__)

CONCURRENCY = 4                       # externalcontact/list calls in flight at once
RUNNING_FOR = timedelta(minutes=10)   # a check still 'running' after this belongs to a dead process
SAMPLE = 10                           # external userids kept per member and direction, to look them up
NO_CUSTOMERS = 84061                  # WeCom's answer for a member who has no external contacts


def start(now: datetime, staff: models.Staff) -> DriftCheck | None:
    """Record a new check (audited), or None while another one is under way."""
    with models.db.atomic():
        busy = DriftCheck.select().where(DriftCheck.state == "running").order_by(DriftCheck.id.desc()).first()
        if busy is not None and now - busy.started_at < RUNNING_FOR:
            return None
        if busy is not None:  # its process died mid-check
            DriftCheck.update(state="failed", finished_at=now, error="检查中断（进程已退出）").where(
                DriftCheck.id == busy.id).execute()
        check = DriftCheck.create(started_at=now, started_by=staff, state="running")
        models.audit(staff, "health.drift_check", check, after={"state": "running"})
    return check


def compare(wecom: dict[str, set[str]], ours: dict[str, set[str]]) -> tuple[dict, list[dict]]:
    """(totals, per-member rows with a difference) for WeCom's and our relations, each {userid: {external ids}}."""
    totals = {"members": len(wecom), "wecom": 0, "ours": 0, "missing": 0, "extra": 0}
    details = []
    for userid in sorted(set(wecom) | set(ours)):
        theirs, mine = wecom.get(userid, set()), ours.get(userid, set())
        missing, extra = sorted(theirs - mine), sorted(mine - theirs)
        totals["wecom"] += len(theirs)
        totals["ours"] += len(mine)
        totals["missing"] += len(missing)
        totals["extra"] += len(extra)
        if missing or extra:
            details.append({"userid": userid, "wecom": len(theirs), "ours": len(mine), "missing": len(missing),
                            "extra": len(extra), "missing_ids": missing[:SAMPLE], "extra_ids": extra[:SAMPLE],
                            "listed": userid in wecom})
    return totals, details


def our_relations() -> dict[str, set[str]]:
    """Our live follow relations: {member userid: {external userid}}."""
    query = (FollowRelation.select(FollowRelation.userid, ExternalContact.external_userid)
             .join(ExternalContact).where(FollowRelation.deleted_at.is_null()).tuples())
    result: dict[str, set[str]] = {}
    for userid, external_userid in query:
        result.setdefault(userid, set()).add(external_userid)
    return result


async def wecom_relations(wecom) -> dict[str, set[str]]:
    """WeCom's view: {member with 客户联系: {external userid}}, CONCURRENCY calls at a time."""
    members = await wecom.get_follow_user_list()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def listed(userid: str) -> tuple[str, set[str]]:
        async with gate:
            try:
                return userid, set(await wecom.externalcontact_list(userid))
            except WeComError as exc:
                if exc.errcode == NO_CUSTOMERS:
                    return userid, set()
                raise
    return dict(await asyncio.gather(*(listed(userid) for userid in members)))


async def run(app: web.Application, check_id: int) -> None:
    """Do check ``check_id`` and store its outcome; a failure is stored with a secret-free reason."""
    db = app[keys.DB]
    try:
        theirs = await wecom_relations(app[keys.WECOM])
        ours = await db.run(our_relations)
        totals, details = compare(theirs, ours)
    except Exception as exc:  # noqa: BLE001 - stored and shown on the page; the next check tries again
        log.warning("drift check %s failed: %s", check_id, describe(exc))
        await db.run(_finish, check_id, app[keys.CLOCK](), {"state": "failed", "error": describe(exc)})
        return
    log.info("drift check %s: %s", check_id, totals)
    values = {"state": "done", "members": totals["members"], "wecom_total": totals["wecom"],
              "ours_total": totals["ours"], "missing": totals["missing"], "extra": totals["extra"],
              "details": details[:500]}
    await db.run(_finish, check_id, app[keys.CLOCK](), values)


def _finish(check_id: int, now: datetime, values: dict) -> None:
    DriftCheck.update(finished_at=now, **values).where(DriftCheck.id == check_id).execute()
