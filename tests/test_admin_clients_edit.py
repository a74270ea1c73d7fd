"""Entering and editing clients and their contacts in the console: 新增客户 with the import's parsing (税号, staff,
tags), field errors that write nothing, who may change what, a client's page only for those who may see it,
删除 refused while anything uses the client (the reason names what and how many), and every write audited."""
import pytest

import models
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency

NEW = {"name": "杭州新星网络有限公司", "short_name": "新星网络", "tax_id": "91330106ma2k00002x", "taxpayer_type": "general",
       "legal_person": "周新", "address": "杭州市滨江区", "tags": "重点客户，电子发票", "status": "active", "note": ""}


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    opened = []

    async def open_as(userid):
        opened.append(await open_console(stack, userid))
        return opened[-1]
    yield stack, ids, open_as
    for client in opened:
        await client.close()
    await stop_stack(stack)


def _audits(action: str) -> list[models.AuditLog]:
    return list(models.AuditLog.select().where(models.AuditLog.action == action).order_by(models.AuditLog.id))


async def test_an_admin_enters_a_client_parsed_like_an_import(console):
    stack, ids, open_as = console
    admin = await open_as("admin")
    status, page, _ = await admin.get("/admin/clients/new")
    assert status == 200 and "客户经理" in page and "主办会计" in page
    form = {**NEW, "manager": str(ids["li"].id), "accountant": str(ids["wang"].id)}
    status, _, headers = await admin.post("/admin/clients/new", form)
    assert status == 302
    client = await run_sync(stack, models.Client.get, models.Client.name == NEW["name"])
    assert headers["Location"] == f"/admin/clients/{client.id}"
    assert client.tax_id == "91330106MA2K00002X"  # upper-cased as the import does
    assert client.tags == ["重点客户", "电子发票"] and client.taxpayer_type == "general"
    assert (client.manager_id, client.accountant_id) == (ids["li"].id, ids["wang"].id)
    assert client.pinyin_initials == "hzxxwlyxgs"
    [entry] = await run_sync(stack, _audits, "client.create")
    assert entry.after["name"] == NEW["name"] and entry.actor_id == ids["admin"].id
    status, page, _ = await admin.get(f"/admin/clients/{client.id}", follow=True)
    assert "已新增客户「杭州新星网络有限公司」" in page and "91330106MA2K00002X" in page and "李小梅" in page


async def test_field_errors_write_nothing(console):
    stack, ids, open_as = console
    admin = await open_as("admin")
    bad = {**NEW, "name": "", "tax_id": "123", "manager": "99999"}
    status, page, _ = await admin.post("/admin/clients/new", bad)
    assert status == 400
    assert "必填，不能为空" in page and "不是税号" in page and "找不到员工" in page
    assert "这次没有保存任何内容" in page
    taken = {**NEW, "name": "杭州华夏科技有限公司", "tax_id": "91330100MA2H000001"}
    status, page, _ = await admin.post("/admin/clients/new", taken)
    assert status == 400 and "已有同名客户" in page and "已属于客户「杭州华夏科技有限公司」" in page
    assert await run_sync(stack, models.Client.select().count) == 3
    assert await run_sync(stack, _audits, "client.create") == []


async def test_staff_edit_the_profile_of_their_clients_but_not_the_manager(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    huaxia = ids["huaxia"]
    status, page, _ = await li.get(f"/admin/clients/{huaxia.id}/edit")
    assert status == 200 and 'name="manager"' not in page and "只有管理员可以操作" in page
    form = {**NEW, "name": "改名", "manager": str(ids["wang"].id), "short_name": "华夏", "tax_id": ""}
    status, _, _ = await li.post(f"/admin/clients/{huaxia.id}/edit", form)
    assert status == 302
    client = await run_sync(stack, models.Client.get_by_id, huaxia.id)
    assert client.name == "杭州华夏科技有限公司" and client.manager_id == ids["li"].id  # admin fields ignored
    assert client.short_name == "华夏" and client.tax_id is None and client.legal_person == "周新"
    [entry] = await run_sync(stack, _audits, "client.update")
    assert entry.before["short_name"] == "华夏科技" and entry.after["short_name"] == "华夏"
    assert "manager" not in entry.after
    # someone else's client: 404, nothing written; creating or deleting clients: admins only
    status, _, _ = await li.post(f"/admin/clients/{ids['jincheng'].id}/edit", form)
    assert status == 404
    assert (await li.get(f"/admin/clients/{ids['jincheng'].id}"))[0] == 404
    assert (await li.post("/admin/clients/new", NEW))[0] == 403
    assert (await li.post(f"/admin/clients/{ids['huaxin'].id}/delete"))[0] == 403
    assert await run_sync(stack, models.Client.select().count) == 3
    wang = await open_as("wanggang")  # sees 锦程贸易 (accountant) and has wecom.link
    assert (await wang.get(f"/admin/clients/{huaxia.id}"))[0] == 404


def _use_huaxin(ids):
    contract = models.Contract.create(client=ids["huaxin"], number="HT-1", title="记账合同", start_date="2026-01-01",
                                      end_date="2026-12-31", amount_fen=100)
    models.Receivable.create(client=ids["huaxin"], item="代理记账费", period_start="2026-01", period_end="2026-01",
                             amount_fen=100, due_date="2026-01-10", contract=contract)
    models.Receivable.create(client=ids["huaxin"], item="代理记账费", period_start="2026-02", period_end="2026-02",
                             amount_fen=100, due_date="2026-02-10")
    return contract


async def test_delete_is_refused_while_used_and_allowed_once_not(console):
    stack, ids, open_as = console
    admin = await open_as("admin")
    huaxin = ids["huaxin"]
    await run_sync(stack, _use_huaxin, ids)
    await run_sync(stack, lambda: models.ClientContact.create(client=huaxin, name="赵会计"))
    status, page, _ = await admin.post(f"/admin/clients/{huaxin.id}/delete")
    assert status == 409 and "不能删除" in page and "合同 1 份" in page and "应收 2 笔" in page
    assert await run_sync(stack, models.Client.get_or_none, models.Client.id == huaxin.id) is not None
    assert await run_sync(stack, _audits, "client.delete") == []
    # the 华夏 client is linked to a WeCom contact and a group: the reason says so
    status, page, _ = await admin.post(f"/admin/clients/{ids['huaxia'].id}/delete")
    assert "关联的微信联系人 1 个" in page and "关联的客户群 1 个" in page and "服务 1 项" in page

    def unuse():
        models.Receivable.delete().where(models.Receivable.client == huaxin).execute()
        models.Contract.delete().where(models.Contract.client == huaxin).execute()
    await run_sync(stack, unuse)
    status, _, headers = await admin.post(f"/admin/clients/{huaxin.id}/delete")
    assert status == 302 and headers["Location"] == "/admin/clients"
    assert await run_sync(stack, models.Client.get_or_none, models.Client.id == huaxin.id) is None
    [entry] = await run_sync(stack, _audits, "client.delete")
    assert entry.before["name"] == "杭州华信建材有限公司" and entry.before["contacts"] == ["赵会计"]


async def test_contacts_add_edit_delete_with_the_sidebar_rule(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    huaxia = ids["huaxia"]
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/contacts/new", {"name": "陈总", "mobile": "12345"})
    assert status == 400 and "手机号应为 11 位数字" in page
    assert await run_sync(stack, models.ClientContact.select().count) == 0
    status, _, _ = await li.post(f"/admin/clients/{huaxia.id}/contacts/new",
                                 {"name": "陈总", "title": "老板", "mobile": "13800000001", "is_primary": "是"})
    assert status == 302
    contact = await run_sync(stack, models.ClientContact.get, models.ClientContact.name == "陈总")
    assert contact.is_primary and contact.mobile == "13800000001" and contact.client_id == huaxia.id
    status, _, _ = await li.post(f"/admin/client-contacts/{contact.id}", {"name": "陈总", "title": "董事长"})
    assert status == 302
    assert (await run_sync(stack, models.ClientContact.get_by_id, contact.id)).title == "董事长"
    status, page, _ = await li.get(f"/admin/clients/{huaxia.id}")
    assert "董事长" in page
    assert (await li.post(f"/admin/client-contacts/{contact.id}/delete"))[0] == 302
    assert await run_sync(stack, models.ClientContact.select().count) == 0
    actions = [a.action for a in await run_sync(stack, lambda: list(models.AuditLog.select()))]
    assert {"add_client_contact", "client_contact.update", "client_contact.delete"} <= set(actions)
    # another member's client's contact: 404
    other = await run_sync(stack, lambda: models.ClientContact.create(client=ids["jincheng"], name="刘出纳"))
    assert (await li.post(f"/admin/client-contacts/{other.id}/delete"))[0] == 404
    assert await run_sync(stack, models.ClientContact.get_or_none, models.ClientContact.id == other.id) is not None


async def test_the_client_page_shows_what_the_client_has(console):
    stack, ids, open_as = console
    admin = await open_as("admin")
    await run_sync(stack, _use_huaxin, ids)
    status, page, _ = await admin.get(f"/admin/clients/{ids['huaxin'].id}")
    assert status == 200 and "HT-1" in page and "记账合同" in page and "代理记账费" in page
    status, page, _ = await admin.get(f"/admin/clients/{ids['huaxia'].id}")
    assert "陈总" in page and "华夏科技服务群" in page and "代理记账" in page
    status, page, _ = await admin.get("/admin/clients")
    assert f'href="/admin/clients/{ids["huaxia"].id}"' in page and "新增客户" in page


async def test_the_vat_filing_cycle_is_set_and_shown_and_a_general_taxpayer_stays_monthly(console):
    stack, ids, open_as = console
    li = await open_as("lixiaomei")
    huaxin, huaxia = ids["huaxin"], ids["huaxia"]  # 小规模纳税人 and 一般纳税人, both 李小梅's
    status, page, _ = await li.get(f"/admin/clients/{huaxin.id}")
    assert status == 200 and "<th>增值税申报周期</th><td>未设置" in page and "目前按季申报" in page  # the default
    status, page, _ = await li.get(f"/admin/clients/{huaxin.id}/edit")
    assert 'name="vat_cycle"' in page and "未设置（按申报记录推断）" in page
    profile = {"short_name": "华信建材", "taxpayer_type": "small", "vat_cycle": "monthly"}
    assert (await li.post(f"/admin/clients/{huaxin.id}/edit", profile))[0] == 302
    assert (await run_sync(stack, models.Client.get_by_id, huaxin.id)).vat_cycle == "monthly"
    [entry] = await run_sync(stack, _audits, "client.update")
    assert (entry.before, entry.after) == ({"vat_cycle": ""}, {"vat_cycle": "monthly"})
    status, page, _ = await li.get(f"/admin/clients/{huaxin.id}")
    assert "<th>增值税申报周期</th><td>按月</td>" in page
    # 按季 on a 一般纳税人 is refused, whichever of the two fields changes; nothing is written
    general = {"short_name": "华夏科技", "tax_id": "91330100MA2H000001", "taxpayer_type": "general"}
    status, page, _ = await li.post(f"/admin/clients/{huaxia.id}/edit", {**general, "vat_cycle": "quarterly"})
    assert status == 400 and "一般纳税人按月申报增值税，不能设为按季" in page and "这次没有保存任何内容" in page
    assert (await li.post(f"/admin/clients/{huaxin.id}/edit", {**profile, "vat_cycle": "quarterly"}))[0] == 302
    status, page, _ = await li.post(f"/admin/clients/{huaxin.id}/edit", {**profile, "taxpayer_type": "general",
                                                                        "vat_cycle": "quarterly"})
    assert status == 400 and "一般纳税人按月申报增值税" in page
    stored = await run_sync(stack, lambda: {c.short_name: (c.taxpayer_type, c.vat_cycle)
                                            for c in models.Client.select()})
    assert stored["华夏科技"] == ("general", "") and stored["华信建材"] == ("small", "quarterly")
    admin = await open_as("admin")
    form = {**NEW, "name": "杭州按月有限公司", "tax_id": "", "vat_cycle": "monthly"}  # a new general taxpayer, monthly
    assert (await admin.post("/admin/clients/new", form))[0] == 302
    assert (await run_sync(stack, models.Client.get, models.Client.name == "杭州按月有限公司")).vat_cycle == "monthly"
