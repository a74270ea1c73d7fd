"""How the audit log names what happened, in Chinese. An action without a label is shown by its code."""
from __future__ import annotations

ACTIONS = {
    "console.signin": "登录后台", "staff.create": "新增员工", "staff.update": "修改员工", "staff.permissions": "修改权限",
    "staff.deactivate": "停用员工", "staff.reactivate": "重新启用员工", "staff.bind": "绑定企业微信",
    "staff.unbind": "取消关联", "staff.binding_code": "生成绑定码", "staff.members_refresh": "刷新成员列表",
    "client.reassign": "更换负责人", "handover.apply": "交接", "handover.client": "交接客户",
    "handover.wecom_transfer": "企业微信转接客户", "health.drift_check": "检查联系人差异",
    "link_single": "关联联系人", "link_group": "关联客户群", "unlink_single": "取消关联联系人",
    "unlink_group": "取消关联客户群", "add_client_contact": "新增客户联系人", "edit_client_tags": "修改客户标签",
    "payment.record": "确认收款", "collection.add": "新增收票记录", "collection.edit": "修改收票记录",
    "followup.add": "新增跟进", "followup.attach": "上传跟进附件", "missing_flag.resolve": "缺票已补齐",
    "knowledge.gap": "知识库未找到答案", "seed_demo": "写入演示数据",
}
# The first part of an action code is its kind, for the log's 类别 filter.
KINDS = {"console": "登录", "staff": "员工", "client": "客户", "handover": "交接", "health": "运行状况",
         "payment": "收款", "collection": "收票", "followup": "跟进", "missing_flag": "缺票", "knowledge": "知识库",
         "link_single": "关联", "link_group": "关联", "unlink_single": "关联", "unlink_group": "关联"}
ENTITIES = {"Staff": "员工", "Client": "客户", "ConsoleSession": "后台登录", "Payment": "收款",
            "ExternalContact": "微信联系人", "CustomerGroup": "客户群", "HandoverRun": "交接记录",
            "BindingCode": "绑定码", "WeComMember": "企业微信成员", "DriftCheck": "差异检查",
            "InvoiceCollection": "收票记录", "FollowUp": "跟进", "MissingInvoiceFlag": "缺票标记",
            "KnowledgeEntry": "知识", "KnowledgeGap": "知识库缺口", "ClientContact": "客户联系人"}


def action_label(code: str) -> str:
    return ACTIONS.get(code, code)


def kind_of(code: str) -> str:
    return code.split(".", 1)[0]


def entity_label(name: str) -> str:
    return ENTITIES.get(name, name)
