"""Writing clients and their contacts (B1): create, update and delete, each audited with before and after, and the
rules every channel shares — who may change which field, what makes a name or 税号 taken, what stops a delete.

Who may change what (the console's help text says the same):
- creating and deleting a client, and changing its name, 客户经理, 主办会计 or 状态: admins only;
- the rest of the profile of a client they can see: staff with 关联微信联系人和客户群 (wecom.link), the right the
  sidebar's 基础资料 tab already asks for to add contacts and edit tags.
"""
from __future__ import annotations

import re

import models
from handlers.admin.forms import changed, in_use, plain
from handlers.clients.records import CLIENTS, GUARDS

ADMIN_FIELDS = ("name", "manager", "accountant", "status")
PROFILE_FIELDS = ("short_name", "tax_id", "taxpayer_type", "vat_cycle", "legal_person", "address", "tags", "note")
EDIT_PERM = "wecom.link"
MOBILE = re.compile(r"^1\d{10}$")


def editable_fields(staff: models.Staff, creating: bool = False) -> tuple[str, ...]:
    """The client fields ``staff`` may set (on a client they can see)."""
    if staff.is_admin:
        return ADMIN_FIELDS[:1] + PROFILE_FIELDS + ADMIN_FIELDS[1:]
    return () if creating else PROFILE_FIELDS


def taken(values: dict, client_id: int | None) -> dict[str, str]:
    """field -> problem when the name or the 税号 belongs to another client, or the 增值税申报周期 does not fit the
    纳税人类型 (the import's guard)."""
    problems = {}
    if values.get("name"):
        other = models.Client.get_or_none(models.Client.name == values["name"])
        if other is not None and other.id != client_id:
            problems["name"] = "已有同名客户，客户名称不能重复"
    fields = {column.header: column.field for column in CLIENTS.columns}
    for guard in GUARDS:
        for header, problem in guard([(0, values, client_id)]).values():
            problems.setdefault(fields[header], problem)
    return problems


def _stored(client: models.Client) -> dict:
    return {name: getattr(client, name + "_id") if name in ("manager", "accountant") else getattr(client, name)
            for name in ADMIN_FIELDS + PROFILE_FIELDS}


def create_client(actor: models.Staff, values: dict) -> models.Client:
    client = models.Client.create(**values)
    models.audit(actor, "client.create", client, after=plain(_stored(client)))
    return client


def update_client(actor: models.Staff, client: models.Client, values: dict) -> dict:
    """Apply ``values`` (only fields the caller was allowed to post); the changed fields' after values."""
    before = _stored(client)
    for name, value in values.items():
        setattr(client, name, value)
    client.save()
    old, new = changed(before, _stored(client))
    if new:
        models.audit(actor, "client.update", client, before=plain(old), after=plain(new))
    return new


def client_uses(client_id: int) -> list[tuple[str, str, int]]:
    """What still refers to a client, as (label, measure word, count)."""
    m, c = models, client_id
    return [("合同", "份", m.Contract.select().where(m.Contract.client == c).count()),
            ("服务", "项", m.Service.select().where(m.Service.client == c).count()),
            ("应收", "笔", m.Receivable.select().where(m.Receivable.client == c).count()),
            ("收款", "笔", m.Payment.select().where(m.Payment.client == c).count()),
            ("退款", "笔", m.CreditRefund.select().where(m.CreditRefund.client == c).count()),
            ("发票", "张", m.Invoice.select().where(m.Invoice.client == c).count()),
            ("报税记录", "条", m.TaxFiling.select().where(m.TaxFiling.client == c).count()),
            ("报表", "份", m.ReportSnapshot.select().where(m.ReportSnapshot.client == c).count()),
            ("收票记录", "条", m.InvoiceCollection.select().where(m.InvoiceCollection.client == c).count()),
            ("跟进记录", "条", m.FollowUp.select().where(m.FollowUp.client == c).count()),
            ("缺票标记", "条", m.MissingInvoiceFlag.select().where(m.MissingInvoiceFlag.client == c).count()),
            ("关联的微信联系人", "个", m.ContactClientLink.select().where(m.ContactClientLink.client == c).count()),
            ("关联的客户群", "个", m.GroupClientLink.select().where(m.GroupClientLink.client == c).count())]


def delete_client(actor: models.Staff, client: models.Client) -> str | None:
    """Delete a client nothing refers to (its contacts go with it); else the reason, and nothing changes."""
    reason = in_use(f"客户「{client.name}」", client_uses(client.id))
    if reason:
        return reason
    contacts = [c.name for c in client.contacts]
    before = {**plain(_stored(client)), "contacts": contacts}
    models.SidebarChoice.delete().where(models.SidebarChoice.client == client).execute()
    models.ClientContact.delete().where(models.ClientContact.client == client).execute()
    client.delete_instance()
    models.audit(actor, "client.delete", "Client", client.id, before=before)
    return None


# ---- contacts: the sidebar's 添加联系人 and the console use these ------------------------------------------

def contact_problems(fields: dict) -> dict[str, str]:
    """field -> problem for a contact's name, title and mobile (stricter than the import's lengths)."""
    problems = {}
    if not 1 <= len(fields.get("name") or "") <= 32:
        problems["name"] = "请填写联系人姓名（1 到 32 个字）"
    if len(fields.get("title") or "") > 16:
        problems["title"] = "职务最多 16 个字"
    if fields.get("mobile") and not MOBILE.match(fields["mobile"]):
        problems["mobile"] = "手机号应为 11 位数字，以 1 开头"
    return problems


def _contact_data(contact: models.ClientContact) -> dict:
    return {"name": contact.name, "title": contact.title, "mobile": contact.mobile, "is_primary": contact.is_primary}


def add_contact(actor: models.Staff, client: models.Client, fields: dict) -> models.ClientContact:
    contact = models.ClientContact.create(client=client, **fields)
    models.audit(actor, "add_client_contact", contact, after={**fields, "client": client.id})
    return contact


def update_contact(actor: models.Staff, contact: models.ClientContact, fields: dict) -> None:
    before = _contact_data(contact)
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.save()
    old, new = changed(before, _contact_data(contact))
    if new:
        models.audit(actor, "client_contact.update", contact, before=old, after=new)


def delete_contact(actor: models.Staff, contact: models.ClientContact) -> None:
    """Nothing refers to a client's contact, so it can always go (audited)."""
    before = {**_contact_data(contact), "client": contact.client_id}
    contact.delete_instance()
    models.audit(actor, "client_contact.delete", "ClientContact", contact.id, before=before)
