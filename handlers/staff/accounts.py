"""Staff accounts (S3): create, edit, permissions, reactivate. Every write is checked by rules.py and audited;
the functions run inside one write transaction (Database.atomic) and raise UserError when refused."""
from __future__ import annotations

from datetime import datetime

import models
from bot.router import UserError
from handlers.admin.sessions import end_all_for
from handlers.staff import rules

RANK = {"staff": 0, "admin": 1, "super_admin": 2}


def snapshot(staff: models.Staff) -> dict:
    """What the audit log keeps of an account."""
    return {"name": staff.name, "mobile": staff.mobile, "email": staff.email, "position": staff.position,
            "role": staff.role, "permissions": list(staff.permissions or []), "active": bool(staff.active)}


def fresh(staff_id: int) -> models.Staff:
    staff = models.Staff.get_or_none(models.Staff.id == staff_id)
    if staff is None:
        raise UserError("没有找到这位员工，可能已被删除。")
    return staff


def refuse(reason: str | None) -> None:
    if reason:
        raise UserError(reason)


def create_staff(actor: models.Staff | None, values: dict, now: datetime) -> models.Staff:
    """A new account from check_profile's values."""
    refuse(rules.create_refusal(actor, values["role"]))
    staff = models.Staff.create(**values, permissions=[], created_at=now)
    models.audit(actor, "staff.create", staff, after=snapshot(staff))
    return staff


def update_staff(actor: models.Staff | None, staff_id: int, values: dict, now: datetime) -> models.Staff:
    """Change an account's fields and role; a lowered role also ends the member's console sessions."""
    target = fresh(staff_id)
    refuse(rules.edit_refusal(actor, target) or rules.role_refusal(actor, target, values["role"])
            or rules.last_super_admin_refusal(target, values["role"], bool(target.active)))
    before = snapshot(target)
    lowered = RANK[values["role"]] < RANK[target.role]
    for name, value in values.items():
        setattr(target, name, value)
    target.save()
    after = snapshot(target)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        models.audit(actor, "staff.update", target, before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed})
    if lowered:
        end_all_for(target.id, now)
    return target


def _write_permissions(actor, target: models.Staff, codes: list[str]) -> bool:
    before = list(target.permissions or [])
    codes = [c for c in models.PERMISSIONS if c in codes]  # catalogue order, no unknown codes
    if codes == [c for c in models.PERMISSIONS if c in before]:
        return False
    target.permissions = codes
    target.save()
    models.audit(actor, "staff.permissions", target, before={"permissions": before}, after={"permissions": codes})
    return True


def set_permissions(actor: models.Staff | None, staff_id: int, codes: list[str]) -> bool:
    """Replace one member's permissions; False when nothing changed."""
    target = fresh(staff_id)
    refuse(rules.permissions_refusal(actor, target))
    unknown = [c for c in codes if c not in models.PERMISSIONS]
    refuse(f"未知的权限：{'、'.join(unknown)[:60]}" if unknown else None)
    return _write_permissions(actor, target, codes)


def change_permission(actor: models.Staff | None, staff_ids: list[int], code: str,
                      grant: bool) -> tuple[list[str], list[str]]:
    """Grant or revoke one permission for several members: (names changed, refusals shown to the admin)."""
    refuse(None if code in models.PERMISSIONS else "请选择要授予或取消的权限。")
    changed, refused = [], []
    for target in models.Staff.select().where(models.Staff.id.in_(staff_ids)).order_by(models.Staff.id):
        reason = rules.permissions_refusal(actor, target)
        if reason:
            refused.append(reason)
            continue
        current = list(target.permissions or [])
        codes = current + [code] if grant else [c for c in current if c != code]
        if _write_permissions(actor, target, codes):
            changed.append(target.name)
    return changed, refused


def reactivate(actor: models.Staff | None, staff_id: int) -> models.Staff:
    """Back in service: the member can sign in and use the app again (their binding was kept)."""
    target = fresh(staff_id)
    refuse(rules.reactivate_refusal(actor, target))
    target.active = True
    target.save()
    models.audit(actor, "staff.reactivate", target, before={"active": False}, after={"active": True})
    return target
