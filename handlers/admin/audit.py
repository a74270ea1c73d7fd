"""操作日志: every write anyone made, filterable by person, kind and date (agency days)."""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from peewee import JOIN

from bot import keys
from handlers.admin.kit import ListQuery, paginate
from handlers.admin.shell import Area, ConsoleRoutes, render
from models import AuditLog, Staff

console = ConsoleRoutes()
AREA = Area("audit", "操作日志", "/admin/audit", need="admin", order=90)
SORTS = {"at": AuditLog.at, "action": AuditLog.action}
# What the codes written by models.audit mean, for the people reading the log; the code stays beside the label
# (the search box matches codes), and a code missing here shows as it is.
ACTIONS = {
    "console.signin": "登录后台", "staff.create": "添加员工", "staff.update": "修改员工资料",
    "staff.permissions": "修改权限", "staff.deactivate": "停用员工", "staff.reactivate": "重新启用员工",
    "staff.binding_code": "发绑定码", "staff.bind": "绑定企业微信", "staff.unbind": "取消企业微信关联",
    "staff.bind_failed": "绑定码错误", "staff.bind_locked": "绑定暂停（错误过多）",
    "staff.match_mobile_refused": "手机号匹配未成功", "staff.members_refresh": "刷新成员列表",
    "client.reassign": "转交客户", "handover.apply": "确认交接", "handover.client": "交接客户",
    "handover.wecom_transfer": "企业微信转接", "link_single": "关联联系人与客户", "unlink_single": "取消联系人关联",
    "link_group": "关联客户群与客户", "unlink_group": "取消客户群关联", "add_client_contact": "添加客户联系人",
    "edit_client_tags": "修改客户标签", "payment.record": "登记收款", "collection.add": "登记收票",
    "collection.edit": "修改收票", "missing_flag.resolve": "处理缺票提醒", "followup.add": "新增跟进",
    "followup.attach": "跟进附件", "knowledge.gap": "知识库缺口", "health.drift_check": "检查联系人差异",
    "wecom.sync": "同步企业微信", "wecom.live_sync_failed": "实时同步失败", "wecom.transfer_failed": "客户转接失败",
    "wecom.follow_deleted_by_customer": "客户删除了成员", "wecom.follow_deleted_by_member": "成员删除了客户",
    "wecom.follow_transferred": "客户已转接", "job_run": "定时任务",
}
ENTITIES = {
    "Staff": "员工", "WeComMember": "企业微信成员", "Client": "客户", "ClientContact": "客户联系人",
    "ExternalContact": "微信联系人", "FollowRelation": "跟进关系", "CustomerGroup": "客户群",
    "ContactClientLink": "联系人关联", "GroupClientLink": "客户群关联", "HandoverRun": "交接记录",
    "ConsoleSession": "后台登录", "SyncRun": "同步", "DriftCheck": "差异检查", "Payment": "收款",
    "InvoiceCollection": "收票", "MissingInvoiceFlag": "缺票提醒", "FollowUp": "跟进", "FollowUpAttachment": "跟进附件",
    "KnowledgeGap": "知识库缺口", "Job": "定时任务",
}


def _day(text: str):
    try:
        return datetime.strptime(text, "%Y-%m-%d").date() if text else None
    except ValueError:
        return None


def _filtered(lq: ListQuery, zone: ZoneInfo):
    query = AuditLog.select(AuditLog, Staff).join(Staff, JOIN.LEFT_OUTER, on=(AuditLog.actor == Staff.id))
    actor = lq.filters.get("actor", "")
    if actor.isdigit():
        query = query.where(AuditLog.actor == int(actor))
    if lq.filters.get("entity"):
        query = query.where(AuditLog.entity == lq.filters["entity"])
    if lq.q:
        labelled = [code for code, label in ACTIONS.items() if lq.q in label]  # 「权限」 finds staff.permissions
        query = query.where(AuditLog.action.contains(lq.q) | AuditLog.action.in_(labelled)
                            | AuditLog.entity_id.contains(lq.q))
    start, end = _day(lq.filters.get("from", "")), _day(lq.filters.get("to", ""))
    if start:
        query = query.where(AuditLog.at >= datetime.combine(start, time(), zone))
    if end:
        query = query.where(AuditLog.at < datetime.combine(end + timedelta(days=1), time(), zone))
    return query


def _page(lq: ListQuery, zone: ZoneInfo) -> dict:
    page = paginate(_filtered(lq, zone), lq, SORTS)
    entities = [e for (e,) in AuditLog.select(AuditLog.entity).distinct().order_by(AuditLog.entity).tuples()]
    people = list(Staff.select(Staff.id, Staff.name).order_by(Staff.name).tuples())
    rows = [{"at": row.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
             "who": row.actor.name if row.actor_id and row.actor else row.actor_label,
             "action": row.action, "action_label": ACTIONS.get(row.action, row.action), "entity": row.entity,
             "entity_label": ENTITIES.get(row.entity, row.entity), "entity_id": row.entity_id or "",
             "before": _show(row.before), "after": _show(row.after)} for row in page.rows]
    return {"page": page, "rows": rows, "entities": [(e, ENTITIES.get(e, e)) for e in entities], "people": people}


def _show(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=1, default=str)[:2000]


@console.get("/admin/audit", need="admin")
async def audit_log(request: web.Request, me: Staff) -> web.Response:
    zone = ZoneInfo(request.app[keys.CONFIG].agency.timezone)
    lq = ListQuery.read(request, list(SORTS), "-at", filters=("actor", "entity", "from", "to"))
    context = await request.app[keys.DB].run(_page, lq, zone)
    return render(request, "admin/audit.html", {"lq": lq, **context}, area="audit")
