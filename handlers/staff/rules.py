"""Staff binding (S4): one-time codes issued by an admin, 绑定 / 解绑, and the member list.

A code proves the member owns the staff account: an admin hands it over in person or privately, it is stored
only as a hash (BindingCode.hash_code), lasts 24 hours and works once. Issuing a new code voids older ones.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

import models
from bot.router import UserError

CODE_TTL = timedelta(hours=24)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or typed from a screen
CODE_LENGTH = 8
UNBIND = "staff.unbind"


def find_staff(text: str) -> list[models.Staff]:
    """Staff whose name, mobile or WeCom userid is exactly ``text``."""
    text = text.strip()
    S = models.Staff
    return list(S.select().where((S.name == text) | (S.mobile == text) | (S.wecom_userid == text)).order_by(S.id))


def one_staff(text: str) -> models.Staff:
    """The one staff member ``text`` names; UserError when none or several."""
    found = find_staff(text)
    if not found:
        raise UserError(f"没有找到员工「{text[:20]}」。请写员工姓名、手机号或企业微信账号。")
    if len(found) > 1:
        listed = "、".join(f"{s.name}（{s.mobile or s.wecom_userid or s.id}）" for s in found)
        raise UserError(f"有 {len(found)} 位员工叫「{text[:20]}」：{listed}。请改用手机号。")
    return found[0]


def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def issue_code(staff: models.Staff, issuer: models.Staff | None, now: datetime) -> str:
    """A fresh one-time code for ``staff`` (inside a write transaction); earlier unused codes stop working."""
    if not staff.active:
        raise UserError(f"员工「{staff.name}」已停用，不能发绑定码。")
    if staff.wecom_userid:
        raise UserError(f"员工「{staff.name}」已绑定企业微信账号 {staff.wecom_userid}。如需换绑，请先「解绑 {staff.name}」。")
    (models.BindingCode.update(expires_at=now)
     .where((models.BindingCode.staff == staff) & models.BindingCode.used_at.is_null()
            & (models.BindingCode.expires_at > now)).execute())
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    row = models.BindingCode.create(staff=staff, code_hash=models.BindingCode.hash_code(code),
                                    expires_at=now + CODE_TTL, created_by=issuer, created_at=now)
    models.audit(issuer, "staff.binding_code", row,
                 after={"staff": staff.name, "expires_at": row.expires_at.isoformat()})
    return code


def bind_with_code(userid: str, code: str, now: datetime) -> models.Staff:
    """Bind WeCom member ``userid`` to the account the code was issued for (inside a write transaction)."""
    digest = models.BindingCode.hash_code(normalize_code(code))
    row = models.BindingCode.get_or_none(models.BindingCode.code_hash == digest)
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise UserError("绑定码无效、已使用或已过期。请向管理员重新索取绑定码。")
    staff = models.Staff.get_by_id(row.staff_id)
    if not staff.active or staff.wecom_userid:
        raise UserError("这个绑定码对应的员工账号已停用或已绑定，请联系管理员。")
    if models.Staff.select().where(models.Staff.wecom_userid == userid).exists():
        raise UserError("你的企业微信账号已绑定其他员工账号，请联系管理员先解绑。")
    taken = (models.BindingCode.update(used_at=now, used_by_userid=userid)
             .where((models.BindingCode.id == row.id) & models.BindingCode.used_at.is_null()).execute())
    if taken != 1:  # the same code used twice at once: only one wins
        raise UserError("绑定码已被使用。请向管理员重新索取绑定码。")
    staff.wecom_userid, staff.bound_at = userid, now
    staff.save()
    models.audit(staff, "staff.bind", staff, before={"wecom_userid": None}, after={"wecom_userid": userid})
    return staff


def unbind_staff(target: models.Staff, actor: models.Staff | None) -> str:
    """Remove ``target``'s WeCom binding (inside a write transaction); returns the userid it had."""
    target = models.Staff.get_by_id(target.id)  # fresh: the question may be minutes old
    if not target.wecom_userid:
        raise UserError(f"员工「{target.name}」没有绑定企业微信账号。")
    if target.role == "super_admin":
        bound = models.Staff.select().where((models.Staff.role == "super_admin") & models.Staff.active
                                            & models.Staff.wecom_userid.is_null(False)).count()
        if bound <= 1:
            raise UserError("这是唯一一位已绑定的超级管理员，不能解绑（至少保留一位能管理本机构的人）。")
    userid = target.wecom_userid
    target.wecom_userid, target.bound_at = None, None
    target.save()
    models.audit(actor, "staff.unbind", target, before={"wecom_userid": userid}, after={"wecom_userid": None})
    return userid


def member_rows(tz) -> list[dict]:
    """Every staff account with its binding state, admins first."""
    order = {"super_admin": 0, "admin": 1, "staff": 2}
    rows = [{"name": s.name, "position": s.position, "role": models.ROLES[s.role], "userid": s.wecom_userid,
             "bound_at": s.bound_at.astimezone(tz).date() if s.bound_at else None, "active": s.active,
             "mobile": s.mobile or "", "rank": order.get(s.role, 3)} for s in models.Staff.select()]
    return sorted(rows, key=lambda r: (not r["active"], r["rank"], r["name"]))
