"""Import specs of clients (客户) and their contacts (客户联系人), X10: the columns of their templates and natural
keys (a client by its exact name, a contact by client and name)."""
from __future__ import annotations

import models
from handlers.invoices.rules import vat_cycle_problem
from handlers.records.spec import Column, RecordSpec

CYCLE_FIELDS = {"taxpayer_type", "vat_cycle"}


def _pinyin(values: dict) -> dict:
    initials, pinyin = models.name_search_keys(values.get("name") or "")
    return {"pinyin_initials": initials, "pinyin": pinyin}


def _tax_ids_free(rows: list) -> dict:
    """A 税号 may belong to one client only: refuse a row whose tax id is stored on another client, or that an
    earlier row of the batch also gives."""
    wanted, problems = {}, {}
    for position, (_, values, stored_id) in enumerate(rows):
        tax_id = values.get("tax_id")
        if tax_id and tax_id in wanted:  # two rows of one batch: the second would break the unique index
            problems[position] = ("税号", f"税号 {tax_id} 在本次导入中出现了两次（另一家客户也用了它）")
        elif tax_id:
            wanted[tax_id] = (position, stored_id)
    if not wanted:
        return problems
    database = models.Client._meta.database  # plain SQL: peewee builds a node per value of a 500-value IN list
    marks = ", ".join([database.param] * len(wanted))
    for client_id, name, tax_id in database.execute_sql(
            f'SELECT "id", "name", "tax_id" FROM "client" WHERE "tax_id" IN ({marks})', list(wanted)):
        position, stored_id = wanted[tax_id]
        if client_id != stored_id:
            problems[position] = ("税号", f"税号 {tax_id} 已属于客户「{name}」")
    return problems


def _cycles_fit(rows: list) -> dict:
    """A general taxpayer files VAT monthly: refuse a row that would leave a client 一般纳税人 and 按季, taking the
    stored 纳税人类型 or 增值税申报周期 of the client it updates when the row leaves that column out."""
    partial = [stored_id for _, values, stored_id in rows if stored_id and not CYCLE_FIELDS <= values.keys()]
    stored = {}
    if partial:
        c = models.Client
        stored = {client_id: (taxpayer, cycle) for client_id, taxpayer, cycle in
                  c.select(c.id, c.taxpayer_type, c.vat_cycle).where(c.id.in_(partial)).tuples()}
    problems = {}
    for position, (_, values, stored_id) in enumerate(rows):
        taxpayer, cycle = stored.get(stored_id, ("small", ""))
        problem = vat_cycle_problem(values.get("taxpayer_type", taxpayer), values.get("vat_cycle", cycle))
        if problem:
            problems[position] = ("增值税申报周期" if "vat_cycle" in values else "纳税人类型", problem)
    return problems


GUARDS = (_tax_ids_free, _cycles_fit)  # the console asks each, to show every field's problem at once


def _guard(rows: list) -> dict:
    """{position: (header, problem)}: a row's first problem among GUARDS."""
    problems = {}
    for guard in reversed(GUARDS):
        problems.update(guard(rows))
    return problems


CLIENTS = RecordSpec(
    kind="clients", title="客户", model=models.Client, key=("name",),
    note="按「客户名称」匹配：名称相同的客户会被更新，其余新建。税号不能与其他客户重复。"
         "一般纳税人的增值税申报周期只能按月（或留空）。",
    columns=(
        Column("客户名称", "name", required=True, max_len=128, example="杭州华夏科技有限公司", help="营业执照上的完整名称"),
        Column("简称", "short_name", example="华夏科技"),
        Column("税号", "tax_id", "taxid", null=True, example="91330106MA2XXXXX01", help="统一社会信用代码"),
        Column("纳税人类型", "taxpayer_type", "enum", choices=models.TAXPAYER_TYPES, default="small",
               example="小规模纳税人"),
        Column("增值税申报周期", "vat_cycle", "enum", choices=models.VAT_CYCLES, default="", example="按季",
               help="按月 / 按季；留空表示未设置，按申报记录推断（一般纳税人只能按月）"),
        Column("法定代表人", "legal_person", example="王建国"),
        Column("地址", "address", max_len=255, example="杭州市西湖区文三路100号"),
        Column("客户经理", "manager", "staff", null=True, example="李晓梅"),
        Column("主办会计", "accountant", "staff", null=True, example="刘洋"),
        Column("标签", "tags", "tags", example="重点客户、电子发票"),
        Column("状态", "status", "enum", choices=models.CLIENT_STATUSES, default="active", example="服务中"),
        Column("备注", "note", max_len=500, example=""),
    ),
    derive=_pinyin, guard=_guard)

CONTACTS = RecordSpec(
    kind="contacts", title="客户联系人", model=models.ClientContact, key=("client", "name"),
    note="按「客户 + 姓名」匹配：同一客户下姓名相同的联系人会被更新。",
    columns=(
        Column("客户", "client", "client", required=True, example="杭州华夏科技有限公司"),
        Column("姓名", "name", required=True, example="王建国"),
        Column("职务", "title", max_len=32, example="老板", help="老板 / 财务 / 出纳 …"),
        Column("手机", "mobile", null=True, max_len=20, example="13800000000"),
        Column("主要联系人", "is_primary", "bool", default=False, example="是"),
    ))
