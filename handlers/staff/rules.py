"""Staff binding (S4): one-time codes issued by an admin, 绑定 / 解绑, and the member list.

A code proves the member owns the staff account: an admin hands it over in person or privately, it is stored
only as a hash (BindingCode.hash_code), lasts 24 hours and works once. Issuing a new code voids older ones.
Guessing is limited per WeCom member (attempt_binding, config `binding`): every refusal is audited, and the one
that reaches binding.max_failures locks the member for binding.lockout.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import models
from bot.router import UserError

CODE_TTL = timedelta(hours=24)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud or typed from a screen
CODE_LENGTH = 8
UNBIND = "staff.unbind"
MEMBER = "WeComMember"  # the audit entity of a member who is not (yet) staff: entity_id is the WeCom userid
FAILED, LOCKED = "staff.bind_failed", "staff.bind_locked"


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


@dataclass(frozen=True)
class BindAttempt:
    """How one 绑定 went: bound to ``staff``, or refused with ``error`` (safe to show the member)."""
    staff: models.Staff | None = None
    error: str = ""
    locked_until: datetime | None = None  # set when the member is locked out (now or already)
    just_locked: bool = False             # this attempt reached the limit: tell the admins
    failures: int = 0                     # refusals counted towards the limit, this one included


def attempt_binding(userid: str, code: str, now: datetime, limits) -> BindAttempt:
    """绑定 under the per-member limit (inside a write transaction); ``limits`` is config.binding.

    A locked member is refused before the code is looked at, so guessing stops for the lock's length; those
    refusals are not audited one by one (the lock is), or a flood of them would grow the audit log."""
    lock = _latest(userid, LOCKED)
    if lock is not None and lock > now - timedelta(seconds=limits.lockout):
        return BindAttempt(error=_locked_text(limits), locked_until=lock + timedelta(seconds=limits.lockout))
    try:
        with models.db.atomic():  # a savepoint: a refused code leaves nothing behind but its audit row
            return BindAttempt(staff=bind_with_code(userid, code, now))
    except UserError as exc:
        reason = str(exc)
    _audit_member(userid, FAILED, now, {"reason": reason})
    since = now - timedelta(seconds=limits.failure_window)
    if lock is not None and lock > since:
        since = lock  # a lock that has ended starts a fresh count
    A = models.AuditLog
    failures = (A.select().where((A.entity == MEMBER) & (A.entity_id == userid) & (A.action == FAILED)
                                 & (A.at > since)).count())
    if failures >= limits.max_failures:
        until = now + timedelta(seconds=limits.lockout)
        _audit_member(userid, LOCKED, now, {"failures": failures, "until": until.isoformat()})
        return BindAttempt(error=_locked_text(limits), locked_until=until, just_locked=True, failures=failures)
    left = limits.max_failures - failures
    return BindAttempt(error=reason + (f"（还可再试 {left} 次）" if left <= 3 else ""), failures=failures)


def _locked_text(limits) -> str:
    return (f"绑定码错误次数过多，已暂停绑定 {-(-limits.lockout // 60)} 分钟，管理员已收到提醒。"
            f"请稍后再试，或直接联系管理员。")


def _latest(userid: str, action: str) -> datetime | None:
    A = models.AuditLog
    return (A.select(A.at).where((A.entity == MEMBER) & (A.entity_id == userid) & (A.action == action))
            .order_by(A.at.desc()).scalar())


def _audit_member(userid: str, action: str, now: datetime, after: dict) -> None:
    # Written with the attempt's clock (not models.audit's), so the window and the lock follow the same time.
    models.AuditLog.create(at=now, actor=None, actor_label=userid[:64] or "unknown", action=action,
                           entity=MEMBER, entity_id=userid[:64], after=after)


def admin_userids() -> list[str]:
    """WeCom userids of the active, bound admins (who hear about a locked member)."""
    S = models.Staff
    query = (S.select(S.wecom_userid).where(S.role.in_(["admin", "super_admin"]) & S.active
                                            & S.wecom_userid.is_null(False)).order_by(S.id))
    return [userid for userid, in query.tuples()]


# ---- roles and permissions (S3): who may change whom -------------------------------------------------------
# Each rule returns the reason to show when refused, or None. The console, the CLI and any future command ask
# the same functions. actor None is the operator at the server's command line (`python -m bot staff add`).

MOBILE = re.compile(r"1[3-9]\d{9}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
SUPER = "super_admin"


def _may_manage(actor: models.Staff | None) -> str | None:
    if actor is not None and not (actor.active and actor.is_admin):
        return "只有管理员可以管理员工。"
    return None


def create_refusal(actor: models.Staff | None, role: str) -> str | None:
    """May ``actor`` create an account with ``role``?"""
    if role not in models.ROLES:
        return "请选择角色。"
    if role == SUPER and actor is not None and actor.role != SUPER:
        return "只有超级管理员可以添加超级管理员。"
    return _may_manage(actor)


def edit_refusal(actor: models.Staff | None, target: models.Staff) -> str | None:
    """May ``actor`` change ``target``'s name, mobile, email and position? (Everyone may edit their own.)"""
    if actor is not None and actor.id == target.id:
        return None
    if target.role == SUPER and actor is not None and actor.role != SUPER:
        return "只有超级管理员可以修改超级管理员的资料。"
    return _may_manage(actor)


def role_refusal(actor: models.Staff | None, target: models.Staff, new_role: str) -> str | None:
    """May ``actor`` change ``target``'s role to ``new_role``? (The last super admin: last_super_admin_refusal.)"""
    if new_role == target.role:
        return None
    if new_role not in models.ROLES:
        return "请选择角色。"
    if actor is not None and actor.id == target.id:
        return "不能修改自己的角色，请让其他管理员修改。"
    if SUPER in (new_role, target.role) and actor is not None and actor.role != SUPER:
        return "只有超级管理员可以设置或取消超级管理员。"
    if target.role == "admin" and actor is not None and actor.role != SUPER:
        return "管理员不能修改其他管理员的角色，请联系超级管理员。"
    return _may_manage(actor)


def permissions_refusal(actor: models.Staff | None, target: models.Staff) -> str | None:
    """May ``actor`` change ``target``'s permissions?"""
    if actor is not None and actor.id == target.id:
        return "不能修改自己的权限，请让其他管理员修改。"
    if target.is_admin:
        return f"「{target.name}」是{models.ROLES[target.role]}，已拥有全部权限，无需单独设置。"
    return _may_manage(actor)


def deactivate_refusal(actor: models.Staff | None, target: models.Staff) -> str | None:
    """May ``actor`` deactivate ``target``? Admins deactivate 职员; admins and super admins need a super admin."""
    if not target.active:
        return f"员工「{target.name}」已经是停用状态。"
    if actor is not None and actor.id == target.id:
        return "不能停用自己的账号，请让其他管理员操作。"
    if target.is_admin and actor is not None and actor.role != SUPER:
        return f"只有超级管理员可以停用{models.ROLES[target.role]}。"
    return _may_manage(actor) or last_super_admin_refusal(target, target.role, False)


def reactivate_refusal(actor: models.Staff | None, target: models.Staff) -> str | None:
    """May ``actor`` reactivate ``target``?"""
    if target.active:
        return f"员工「{target.name}」已经是在职状态。"
    if target.is_admin and actor is not None and actor.role != SUPER:
        return f"只有超级管理员可以启用{models.ROLES[target.role]}。"
    return _may_manage(actor)


def last_super_admin_refusal(target: models.Staff, new_role: str, active: bool) -> str | None:
    """Someone must remain an active super admin: refuse what would leave none (reads the database)."""
    if target.role != SUPER or not target.active or (new_role == SUPER and active):
        return None
    S = models.Staff
    others = S.select().where((S.role == SUPER) & S.active & (S.id != target.id)).count()
    if others == 0:
        return f"「{target.name}」是唯一一位在职的超级管理员，不能降级或停用。请先设置另一位超级管理员。"
    return None


def check_profile(form, current_id: int | None = None) -> tuple[dict, dict]:
    """The account fields of a form, cleaned, and field -> error message (reads the database for mobiles)."""
    errors: dict[str, str] = {}
    name = (form.get("name") or "").strip()
    if not name:
        errors["name"] = "请填写姓名"
    elif len(name) > 64:
        errors["name"] = "姓名不能超过 64 个字"
    mobile = re.sub(r"[\s-]", "", form.get("mobile") or "")
    if mobile.startswith("+86"):
        mobile = mobile[3:]
    if mobile and not MOBILE.fullmatch(mobile):
        errors["mobile"] = "请填写 11 位手机号，或留空"
    elif mobile and models.Staff.select().where((models.Staff.mobile == mobile)
                                                & (models.Staff.id != (current_id or 0))).exists():
        errors["mobile"] = "这个手机号已被其他员工使用"
    email = (form.get("email") or "").strip()
    if email and (len(email) > 128 or not EMAIL.fullmatch(email)):
        errors["email"] = "邮箱格式不正确"
    position = (form.get("position") or "").strip()
    if len(position) > 64:
        errors["position"] = "职位不能超过 64 个字"
    role = form.get("role") or "staff"
    if role not in models.ROLES:
        errors["role"] = "请选择角色"
    values = {"name": name, "mobile": mobile or None, "email": email or None, "position": position, "role": role}
    return values, errors
