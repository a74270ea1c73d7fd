"""WeCom's own handover of a member's external contacts and customer groups (在职继承 / 离职继承, WECOM.md §9).

Our client records move in our database; the WeCom relationships move only through WeCom: customers get 24 hours
to refuse, a takeover member may be full, and groups move at once or fail with an errcode. Each run keeps one
``HandoverItem`` per customer and group with the latest status WeCom gave, read back by ``refresh`` and by the
``transfer_fail`` event. Requests go out in chunks of at most 100 ids (WeCom refuses larger calls whole).
"""
from __future__ import annotations

import models
from bot.wecom import WeComError
from models import CustomerGroup, ExternalContact, FollowRelation, HandoverItem, HandoverRun, Staff

CHUNK = 100
MAX_RESULT_PAGES = 200  # transfer_result pages; stops a cursor that never ends
WAITING = 2
FAIL_REASONS = {"customer_refused": 3, "customer_limit_exceed": 4}


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


# ---- what would move, and who may take it ------------------------------------------------------------

def _customers(userid: str):
    return (FollowRelation.select(FollowRelation, ExternalContact).join(ExternalContact)
            .where((FollowRelation.userid == userid) & FollowRelation.deleted_at.is_null()
                   & ExternalContact.vanished_at.is_null())
            .order_by(ExternalContact.name, ExternalContact.id))


def _groups(userid: str):
    return (CustomerGroup.select().where((CustomerGroup.owner_userid == userid) & CustomerGroup.dismissed_at.is_null()
                                         & CustomerGroup.vanished_at.is_null())
            .order_by(CustomerGroup.name, CustomerGroup.id))


def summary(giver: Staff) -> dict:
    """The member's WeCom customers and owned groups as synced, and which kind of transfer applies to them."""
    if not giver.wecom_userid:
        return {}
    return {"userid": giver.wecom_userid, "mode": "onjob" if giver.active else "resigned",
            "customers": _customers(giver.wecom_userid).count(), "groups": _groups(giver.wecom_userid).count()}


def takers(giver: Staff) -> list[Staff]:
    """Who may take the contacts over: active members bound to WeCom, other than the member leaving."""
    return list(Staff.select().where(Staff.active & Staff.wecom_userid.is_null(False) & (Staff.id != giver.id))
                .order_by(Staff.name))


def taker_problems(giver: Staff, taker: Staff | None, found: dict) -> list[str]:
    if not found.get("mode"):
        return [f"{giver.name} 未绑定企业微信，无法在企业微信中转接客户"]
    if taker is None:
        return ["在企业微信中接替客户的成员不存在"]
    if taker.id == giver.id:
        return ["不能在企业微信中转接给本人"]
    if not taker.active:
        return [f"{taker.name} 已停用，不能在企业微信中接替客户"]
    if not taker.wecom_userid:
        return [f"{taker.name} 未绑定企业微信，不能在企业微信中接替客户"]
    return []


def add_items(run: HandoverRun, giver: Staff, taker: Staff) -> None:
    """Note on ``run`` the transfer to start and one item per customer and group (inside the handover's write)."""
    run.wecom_mode = "onjob" if giver.active else "resigned"
    run.handover_userid, run.takeover_userid = giver.wecom_userid, taker.wecom_userid
    run.save()
    rows = [{"run": run.id, "kind": "customer", "target": f.contact.external_userid,
             "name": f.remark or f.contact.name} for f in _customers(giver.wecom_userid)]
    rows += [{"run": run.id, "kind": "group", "target": g.chat_id, "name": g.name or g.chat_id}
             for g in _groups(giver.wecom_userid)]
    for start in range(0, len(rows), 500):
        HandoverItem.insert_many(rows[start:start + 500]).execute()


# ---- starting it and reading the results ---------------------------------------------------------------

def _targets(run_id: int) -> tuple[HandoverRun, list[str], list[str]]:
    run = HandoverRun.get_by_id(run_id)
    items = list(HandoverItem.select(HandoverItem.kind, HandoverItem.target).where(HandoverItem.run == run_id)
                 .order_by(HandoverItem.id).tuples())
    return run, [t for k, t in items if k == "customer"], [t for k, t in items if k == "group"]


async def start(wecom, db, run_id: int, now) -> None:
    """Ask WeCom to move the run's customers and groups; each chunk's answer is stored as it comes."""
    run, customers, groups = await db.run(_targets, run_id)
    onjob = run.wecom_mode == "onjob"
    send = wecom.transfer_customer if onjob else wecom.resigned_transfer_customer
    for chunk in _chunks(customers):
        try:
            answer = await send(run.handover_userid, run.takeover_userid, chunk)
            codes = {c.get("external_userid"): int(c.get("errcode") or 0) for c in answer.get("customer") or []}
        except WeComError as exc:
            codes = dict.fromkeys(chunk, exc.errcode)
        await db.atomic(_record, run_id, "customer", {e: codes.get(e, 0) for e in chunk}, now)
    move = wecom.groupchat_onjob_transfer if onjob else wecom.groupchat_transfer
    for chunk in _chunks(groups):
        try:
            answer = await move(chunk, run.takeover_userid)
            codes = {f.get("chat_id"): int(f.get("errcode") or 0) for f in answer.get("failed_chat_list") or []}
        except WeComError as exc:
            codes = dict.fromkeys(chunk, exc.errcode)
        await db.atomic(_record, run_id, "group", {c: codes.get(c, 0) for c in chunk}, now)
    await db.run(_audit_start, run_id)


def _record(run_id: int, kind: str, codes: dict[str, int], now) -> None:
    """A request accepted: a customer now waits (2), a group is done (1); otherwise WeCom's errcode."""
    accepted = WAITING if kind == "customer" else 1
    for target, errcode in codes.items():
        (HandoverItem.update(status=None if errcode else accepted, errcode=errcode, updated_at=now)
         .where((HandoverItem.run == run_id) & (HandoverItem.kind == kind) & (HandoverItem.target == target))
         .execute())


def _audit_start(run_id: int) -> None:
    run = HandoverRun.get_by_id(run_id)
    models.audit(run.by_staff, "handover.wecom_transfer", "HandoverRun", run_id, None,
                 {"mode": models.TRANSFER_MODES[run.wecom_mode], "handover_userid": run.handover_userid,
                  "takeover_userid": run.takeover_userid, **tally(run_id)})


async def refresh(wecom, db, run_id: int, now) -> dict:
    """Read transfer_result (every page) for the run's two members and store each customer's status."""
    run = await db.run(HandoverRun.get_by_id, run_id)
    read = wecom.transfer_result if run.wecom_mode == "onjob" else wecom.resigned_transfer_result
    statuses, cursor = {}, ""
    for _ in range(MAX_RESULT_PAGES):
        answer = await read(run.handover_userid, run.takeover_userid, cursor)
        statuses.update({c["external_userid"]: int(c["status"]) for c in answer.get("customer") or []
                         if c.get("external_userid") and str(c.get("status", "")).isdigit()})
        cursor = answer.get("next_cursor") or ""
        if not cursor:
            break
    return await db.atomic(_store_statuses, run_id, statuses, now)


def _store_statuses(run_id: int, statuses: dict[str, int], now) -> dict:
    for item in HandoverItem.select().where((HandoverItem.run == run_id) & (HandoverItem.kind == "customer")
                                            & HandoverItem.target.in_(list(statuses) or [""])):
        if item.status != statuses[item.target]:
            HandoverItem.update(status=statuses[item.target], updated_at=now).where(HandoverItem.id == item.id).execute()
    HandoverRun.update(checked_at=now).where(HandoverRun.id == run_id).execute()
    return tally(run_id)


def mark_failed(takeover_userid: str, external_userid: str, reason: str, now) -> bool:
    """WeCom's transfer_fail event: the latest transfer of this customer to that member ended refused or full."""
    status = FAIL_REASONS.get(reason)
    item = (HandoverItem.select().join(HandoverRun)
            .where((HandoverRun.takeover_userid == takeover_userid) & (HandoverItem.kind == "customer")
                   & (HandoverItem.target == external_userid))
            .order_by(HandoverItem.id.desc()).first())
    if status is None or item is None or item.status == status:
        return False
    HandoverItem.update(status=status, updated_at=now).where(HandoverItem.id == item.id).execute()
    return True


def tally(run_id: int) -> dict:
    """How many customers and groups are in each state (for the summary line and the audit)."""
    counts: dict[str, int] = {}
    for item in HandoverItem.select().where(HandoverItem.run == run_id):
        key = f"{item.kind}:{label(item)}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def label(item: HandoverItem) -> str:
    """What the page says about one customer or group."""
    if item.kind == "group":
        return "已转接" if item.status == 1 else (f"转接失败（错误码 {item.errcode}）" if item.errcode else "待转接")
    if item.status is not None:
        return models.TRANSFER_STATUSES.get(item.status, f"状态 {item.status}")
    return f"未能发起（错误码 {item.errcode}）" if item.errcode else "待发起"
