"""The WeCom member list and its bindings (S4): what the console's 企业微信成员 page, the refresh and the
mobile self-match all share.

One member, one staff account: a binding is ``Staff.wecom_userid`` (unique), so every way in (binding code,
an admin's 匹配员工, the member's own consented mobile) refuses when either side is already bound.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN

import models
from bot.router import UserError
from handlers.admin import sessions
from handlers.staff.rules import MEMBER, unbind_staff
from models import Staff, WeComMember

STATUS = {1: "已激活", 2: "已禁用", 4: "未激活", 5: "已退出"}


def normalize_mobile(text: str | None) -> str:
    """Digits only, without a +86/0086 prefix, so '+86 138-0000-0001' and '13800000001' compare equal."""
    digits = re.sub(r"\D", "", text or "")
    for prefix in ("0086", "86"):
        if len(digits) > 11 and digits.startswith(prefix):
            digits = digits[len(prefix):]
    return digits


def mask_mobile(text: str | None) -> str:
    """138****0001: enough to tell people apart on screen, not enough to call them."""
    digits = normalize_mobile(text)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


# ---- the list ------------------------------------------------------------------------------------------

def member_query(q: str = "", bound: str = ""):
    """Members with the staff account bound to each (``row.staff`` or None), filtered by text and binding."""
    query = (WeComMember.select(WeComMember, Staff)
             .join(Staff, JOIN.LEFT_OUTER, on=(Staff.wecom_userid == WeComMember.userid), attr="staff"))
    if bound == "bound":
        query = query.where(Staff.id.is_null(False))
    elif bound == "unbound":
        query = query.where(Staff.id.is_null())
    if q:
        query = query.where(WeComMember.userid.contains(q) | WeComMember.name.contains(q) | Staff.name.contains(q))
    return query


def row_view(member: WeComMember) -> dict:
    """One table row: the staff account's name and mobile stand in for what WeCom no longer tells newer apps."""
    staff = getattr(member, "staff", None)
    staff = staff if staff is not None and staff.id is not None else None
    mobile = member.mobile or member.consent_mobile or (staff.mobile if staff else "")
    return {"userid": member.userid, "name": member.name or (staff.name if staff else ""),
            "mobile": mask_mobile(mobile) if mobile else "", "status": STATUS.get(member.status, ""),
            "in_range": member.in_range, "staff": staff, "consented": member.consent_mobile_at is not None}


def unbound_staff() -> list[Staff]:
    """Active staff accounts no WeCom member is bound to: the choices for 匹配员工 and 发绑定码."""
    return list(Staff.select().where(Staff.active & Staff.wecom_userid.is_null()).order_by(Staff.name, Staff.id))


def counts() -> dict:
    total = WeComMember.select().where(WeComMember.in_range).count()
    bound = (WeComMember.select().join(Staff, on=(Staff.wecom_userid == WeComMember.userid))
             .where(WeComMember.in_range).count())
    return {"total": total, "bound": bound, "unbound": total - bound}


# ---- binding by an admin -------------------------------------------------------------------------------

def match_member(userid: str, staff_id: int, actor: Staff, now: datetime) -> Staff:
    """匹配员工: bind member ``userid`` to staff account ``staff_id`` (inside a write transaction)."""
    member = WeComMember.get_or_none(WeComMember.userid == userid)
    if member is None:
        raise UserError("没有这个企业微信成员，请先刷新成员列表。")
    holder = Staff.get_or_none(Staff.wecom_userid == userid)
    if holder is not None:
        raise UserError(f"企业微信成员 {userid} 已绑定员工「{holder.name}」。如需换绑，请先取消关联。")
    staff = Staff.get_or_none(Staff.id == staff_id)
    if staff is None or not staff.active:
        raise UserError("请选择一个在职（未停用）的员工账号。")
    if staff.wecom_userid:
        raise UserError(f"员工「{staff.name}」已绑定企业微信成员 {staff.wecom_userid}，一个员工只能绑定一个成员。")
    return _bind(staff, userid, actor, now, "console")


def _bind(staff: Staff, userid: str, actor, now: datetime, via: str) -> Staff:
    taken = (Staff.update(wecom_userid=userid, bound_at=now)
             .where((Staff.id == staff.id) & Staff.wecom_userid.is_null()).execute())
    if taken != 1:  # bound by someone else between our read and this write
        raise UserError(f"员工「{staff.name}」刚刚已被绑定，请刷新页面后重试。")
    staff = Staff.get_by_id(staff.id)
    models.audit(actor if actor is not None else staff, "staff.bind", staff, before={"wecom_userid": None},
                 after={"wecom_userid": userid, "via": via})
    return staff


def unbind_member(userid: str, actor: Staff, now: datetime) -> tuple[Staff, int]:
    """取消关联 (inside a write transaction): the binding goes and so do the member's console sessions, so they
    are out on their next request; the sidebar and the bot look the binding up on every request anyway."""
    staff = Staff.get_or_none(Staff.wecom_userid == userid)
    if staff is None:
        raise UserError(f"企业微信成员 {userid} 没有绑定员工账号。")
    unbind_staff(staff, actor)
    ended = sessions.end_all_for(staff.id, now)
    return staff, ended


# ---- binding by the member's consented mobile ----------------------------------------------------------

@dataclass(frozen=True)
class MobileMatch:
    """How a self-match went: bound to ``staff``, or refused with ``error`` (safe to show the member)."""
    staff: Staff | None = None
    error: str = ""


ASK_ADMIN = "请联系管理员：在后台「企业微信成员」为你匹配员工账号，或向管理员索取绑定码。"


def match_by_mobile(userid: str, mobile: str, now: datetime) -> MobileMatch:
    """Bind ``userid`` to the one active, unbound staff account with ``mobile`` (inside a write transaction).

    The consented mobile is stored on the member either way; every outcome is audited (the mobile masked)."""
    mobile = normalize_mobile(mobile)
    _remember_consent(userid, mobile, now)
    outcome = _decide(userid, mobile)
    if outcome.staff is not None:
        return MobileMatch(staff=_bind(outcome.staff, userid, None, now, "mobile"))
    models.AuditLog.create(at=now, actor=None, actor_label=userid[:64], action="staff.match_mobile_refused",
                           entity=MEMBER, entity_id=userid[:64],
                           after={"mobile": mask_mobile(mobile), "reason": outcome.error})
    return outcome


def _decide(userid: str, mobile: str) -> MobileMatch:
    holder = Staff.get_or_none(Staff.wecom_userid == userid)
    if holder is not None:
        return MobileMatch(error=f"你的企业微信账号已绑定员工「{holder.name}」，无需再匹配。")
    if not mobile:
        return MobileMatch(error="没有获取到你的手机号（授权时需要同意提供手机号）。" + ASK_ADMIN)
    same = [s for s in Staff.select().where(Staff.active & Staff.mobile.is_null(False))
            if normalize_mobile(s.mobile) == mobile]
    free = [s for s in same if not s.wecom_userid]
    if not same:
        return MobileMatch(error=f"没有手机号为 {mask_mobile(mobile)} 的员工账号。" + ASK_ADMIN)
    if not free:
        return MobileMatch(error=f"手机号为 {mask_mobile(mobile)} 的员工账号已绑定其他企业微信成员。" + ASK_ADMIN)
    if len(same) > 1:
        return MobileMatch(error=f"有 {len(same)} 个员工账号使用手机号 {mask_mobile(mobile)}，无法自动确定是哪一个。"
                                 + ASK_ADMIN)
    return MobileMatch(staff=free[0])


def _remember_consent(userid: str, mobile: str, now: datetime) -> None:
    member = WeComMember.get_or_none(WeComMember.userid == userid)
    if member is None:  # signed in before any refresh: they are in the visible range, or OAuth would fail
        member = WeComMember(userid=userid, in_range=True)
    if mobile:
        member.consent_mobile, member.consent_mobile_at = mobile, now
    member.save()
