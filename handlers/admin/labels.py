"""How the audit log names what happened, in Chinese. A code without a label is shown as it is (and always in
small text under the label, so the search box and the code agree)."""
from __future__ import annotations

ACTIONS = {
    "console.signin": "登录后台", "staff.create": "添加员工", "staff.update": "修改员工资料", "staff.permissions": "修改权限",
    "staff.deactivate": "停用员工", "staff.reactivate": "重新启用员工", "staff.bind": "绑定企业微信", "staff.unbind": "取消企业微信关联",
    "staff.binding_code": "发绑定码", "staff.members_refresh": "刷新成员列表", "client.reassign": "转交客户",
    "handover.apply": "确认交接", "handover.client": "交接客户", "handover.wecom_transfer": "企业微信转接",
    "health.drift_check": "检查联系人差异", "link_single": "关联联系人与客户", "link_group": "关联客户群与客户", "unlink_single": "取消联系人关联",
    "unlink_group": "取消客户群关联", "add_client_contact": "添加客户联系人", "edit_client_tags": "修改客户标签",
    "payment.record": "登记收款", "collection.add": "登记收票", "collection.edit": "修改收票", "followup.add": "新增跟进",
    "followup.attach": "跟进附件", "missing_flag.resolve": "处理缺票提醒", "knowledge.gap": "知识库缺口", "seed_demo": "写入演示数据",
    "staff.bind_failed": "绑定码错误", "staff.bind_locked": "绑定暂停（错误过多）", "staff.match_mobile_refused": "手机号匹配未成功",
    "wecom.sync": "同步企业微信", "wecom.live_sync_failed": "实时同步失败", "wecom.transfer_failed": "客户转接失败",
    "wecom.follow_deleted_by_customer": "客户删除了成员", "wecom.follow_deleted_by_member": "成员删除了客户",
    "wecom.follow_transferred": "客户已转接", "job_run": "定时任务",
    # entry and editing in the console (issue 12 item 1)
    "client.create": "新增客户", "client.update": "修改客户资料", "client.delete": "删除客户",
    "client_contact.update": "修改客户联系人", "client_contact.delete": "删除客户联系人",
    "contract.create": "新增合同", "contract.update": "修改合同", "contract.delete": "删除合同",
    "contract.renew": "续签合同", "contract.end": "终止合同", "service.create": "新增服务", "service.update": "修改服务",
    "service.delete": "删除服务", "service.renew": "续费", "service.end": "终止服务",
    "receivable.create": "新增应收", "receivable.generate": "生成应收", "receivable.update": "修改应收",
    "receivable.delete": "删除应收", "missing_flag.create": "标记缺票",
    "invoice.create": "新增发票", "invoice.update": "修改发票", "invoice.delete": "删除发票",
    "report.create": "新增报表", "report.update": "修改报表", "report.delete": "删除报表",
    "knowledge.add": "新增知识", "knowledge.edit": "修改知识", "knowledge.delete": "删除知识", "knowledge.audit": "审核知识",
    "knowledge.unaudit": "取消审核知识", "knowledge.export": "导出知识库", "knowledge.category_add": "新增知识分类",
    "knowledge.category_rename": "知识分类改名", "knowledge.category_move": "调整知识分类顺序",
    "knowledge.category_delete": "删除知识分类", "knowledge.gap_draft": "为知识库缺口起草知识",
    "knowledge.gap_dismiss": "忽略知识库缺口", "knowledge.synonyms_add": "新增同义词组",
    "knowledge.synonyms_remove": "删除同义词组", "knowledge.synonyms_starter": "加入常用同义词",
    "api.token_create": "创建接口令牌", "api.token_revoke": "吊销接口令牌", "api.create": "接口新增记录",
    "api.update": "接口更新记录",
}
# The first part of an action code is its kind, for the log's 类别 filter.
KINDS = {
    "console": "登录", "staff": "员工", "client": "客户", "handover": "交接", "health": "运行状况", "payment": "收款",
    "collection": "收票", "followup": "跟进", "missing_flag": "缺票", "knowledge": "知识库", "link_single": "关联",
    "link_group": "关联", "unlink_single": "关联", "unlink_group": "关联", "wecom": "企业微信同步", "job_run": "定时任务",
    "client_contact": "客户", "contract": "合同", "service": "服务", "receivable": "应收",
    "api": "接口", "invoice": "发票", "report": "报表",
}
ENTITIES = {
    "Staff": "员工", "Client": "客户", "ConsoleSession": "后台登录", "Payment": "收款", "ExternalContact": "微信联系人",
    "CustomerGroup": "客户群", "HandoverRun": "交接记录", "BindingCode": "绑定码", "WeComMember": "企业微信成员",
    "DriftCheck": "差异检查", "InvoiceCollection": "收票", "FollowUp": "跟进", "MissingInvoiceFlag": "缺票提醒",
    "KnowledgeEntry": "知识", "KnowledgeGap": "知识库缺口", "ClientContact": "客户联系人", "FollowRelation": "跟进关系",
    "ContactClientLink": "联系人关联", "GroupClientLink": "客户群关联", "SyncRun": "同步", "FollowUpAttachment": "跟进附件",
    "Job": "定时任务", "Contract": "合同", "Service": "服务", "Receivable": "应收", "KnowledgeCategory": "知识分类", "KnowledgeSynonym": "同义词", "ApiToken": "接口令牌",
    "Invoice": "发票", "ReportSnapshot": "报表", "CollectionItem": "收票明细",
}


def action_label(code: str) -> str:
    return ACTIONS.get(code, code)


def kind_of(code: str) -> str:
    return code.split(".", 1)[0]


def entity_label(name: str) -> str:
    return ENTITIES.get(name, name)
