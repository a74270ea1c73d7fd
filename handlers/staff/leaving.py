"""Deactivating a member (S3): their clients and waiting reminders go to one replacement, their console sessions
end, and everything is audited. (Moving clients piece by piece, with WeCom's transfer, is 交接 /admin/handover.)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import models
from bot.outbox.readdress import movable_count, readdress
from bot.router import UserError
from handlers.admin.sessions import end_all_for
from handlers.staff import rules
from handlers.staff.accounts import fresh, refuse


@dataclass(frozen=True)
class Workload:
    """What a member still holds: clients as manager or accountant, and reminders waiting to be sent."""
    managed: int
    booked: int
    reminders: int

    @property
    def any(self) -> bool:
        return bool(self.managed or self.booked or self.reminders)


def workload(staff: models.Staff) -> Workload:
    C = models.Client
    return Workload(C.select().where(C.manager == staff.id).count(), C.select().where(C.accountant == staff.id).count(),
                    movable_count(staff.wecom_userid) if staff.wecom_userid else 0)


def replacement_refusal(target: models.Staff, replacement: models.Staff | None, load: Workload) -> str | None:
    """Is ``replacement`` fit to take over ``target``'s work? (None: fine.)"""
    if replacement is None:
        return "这位员工还有负责的客户或待发送的提醒，请选择接替人。" if load.any else None
    if replacement.id == target.id or not replacement.active:
        return "接替人必须是另一位在职员工。"
    if load.reminders and not replacement.wecom_userid:
        return f"接替人「{replacement.name}」还没有绑定企业微信，收不到转交的提醒，请换一位或先让其绑定。"
    return None


def _move_clients(actor, target: models.Staff, replacement: models.Staff) -> list[str]:
    moved = []
    query = models.Client.select().where((models.Client.manager == target.id)
                                         | (models.Client.accountant == target.id)).order_by(models.Client.id)
    for client in query:
        before = {"manager": client.manager_id, "accountant": client.accountant_id}
        if client.manager_id == target.id:
            client.manager = replacement
        if client.accountant_id == target.id:
            client.accountant = replacement
        client.save()
        models.audit(actor, "client.reassign", client, before=before,
                     after={"manager": client.manager_id, "accountant": client.accountant_id,
                            "reason": f"员工「{target.name}」停用，交给「{replacement.name}」"})
        moved.append(client.short_name or client.name)
    return moved


def deactivate(actor: models.Staff | None, staff_id: int, replacement_id: int | None, now: datetime) -> dict:
    """Deactivate a member (inside a write transaction): what moved, for the page and the audit log."""
    target = fresh(staff_id)
    refuse(rules.deactivate_refusal(actor, target))
    load = workload(target)
    replacement = models.Staff.get_or_none(models.Staff.id == replacement_id) if replacement_id else None
    if replacement_id and replacement is None:
        raise UserError("没有找到所选的接替人。")
    refuse(replacement_refusal(target, replacement, load))
    summary: dict = {"replacement": replacement.name if replacement else None, "clients": [], "reminders": {}}
    if replacement is not None:
        summary["clients"] = _move_clients(actor, target, replacement)
        if target.wecom_userid and replacement.wecom_userid:
            summary["reminders"] = readdress(target.wecom_userid, replacement.wecom_userid, replacement.name, now)
    target.active = False
    target.save()
    summary["sessions_ended"] = end_all_for(target.id, now)
    models.audit(actor, "staff.deactivate", target, before={"active": True}, after={"active": False, **summary})
    return summary
