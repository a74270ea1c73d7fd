"""知识库 in the console (K1–K4, X8): maintainers write, auditors audit, everyone reads what staff may send; the
import writes everything or nothing and says which row and column; a gap turned into an entry tells its askers
by WeCom message once the entry is audited."""
import io

import aiohttp
import pytest
from openpyxl import Workbook, load_workbook

import models
from bot import keys
from bot.outbox.replies import REPLIES
from handlers.knowledge import categories
from handlers.knowledge.rules import record_gap
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency

KB = "/admin/knowledge"


def _prepare() -> dict:
    ids = small_agency()
    models.Staff.create(name="知识维护小林", role="staff", wecom_userid="kbwriter", permissions=["knowledge.maintain"])
    models.Staff.create(name="知识审核老陈", role="staff", wecom_userid="kbchecker", permissions=["knowledge.audit"])
    admin = ids["admin"]
    tax = categories.add(admin, "税务")
    vat = categories.add(admin, "增值税", tax.id)
    audited = models.KnowledgeEntry.create(category=vat, title="专票丢了怎么办？", answer="登报声明作废。", audited=True,
                                           audited_by=admin)
    draft = models.KnowledgeEntry.create(category=vat, title="草稿：留抵退税", answer="还在写")
    return {"tax": tax.id, "vat": vat.id, "audited": audited.id, "draft": draft.id}


@pytest.fixture
async def world(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    for userid, name in (("kbwriter", "知识维护小林"), ("kbchecker", "知识审核老陈")):
        stack.fake.add_member({"userid": userid, "name": name, "department": [1]})
    ids = await run_sync(stack, _prepare)
    yield stack, ids
    await stop_stack(stack)


async def _client(stack, userid):
    return await open_console(stack, userid)


async def test_a_plain_member_reads_audited_entries_only(world):
    stack, ids = world
    wang = await _client(stack, "wanggang")
    try:
        status, page, _ = await wang.get(KB)
        assert status == 200 and "专票丢了怎么办？" in page and "留抵退税" not in page
        assert "新增知识" not in page and "审核</button>" not in page
        assert (await wang.get(f"{KB}/{ids['draft']}"))[0] == 404
        status, page, _ = await wang.get(f"{KB}/{ids['audited']}")
        assert status == 200 and "登报声明作废。" in page
    finally:
        await wang.close()


async def test_a_maintainer_adds_and_edits_but_cannot_audit(world):
    stack, ids = world
    writer = await _client(stack, "kbwriter")
    try:
        status, page, _ = await writer.post(f"{KB}/new", {"category": "", "title": "", "answer": ""})
        assert status == 400 and "请填写标题" in page and "请选择分类" in page
        status, _, headers = await writer.post(f"{KB}/new", {"category": ids["vat"], "title": "小规模怎么报税？",
                                                              "brief": "按季", "answer": "按季申报。",
                                                              "keywords": "小规模，季报"})
        assert status == 302
        entry = await run_sync(stack, models.KnowledgeEntry.get, models.KnowledgeEntry.title == "小规模怎么报税？")
        assert headers["Location"] == f"{KB}/{entry.id}" and entry.keywords == "小规模 季报" and not entry.audited
        status, _, _ = await writer.post(f"{KB}/{entry.id}/edit", {"category": ids["tax"], "title": "小规模怎么报税？",
                                                                    "answer": "按季度申报。"})
        assert status == 302
        assert (await run_sync(stack, models.KnowledgeEntry.get_by_id, entry.id)).answer == "按季度申报。"
        status, page, _ = await writer.post(f"{KB}/audit", [("ids", entry.id)])
        assert status == 403 and "没有权限" in page
        assert not (await run_sync(stack, models.KnowledgeEntry.get_by_id, entry.id)).audited
    finally:
        await writer.close()


async def test_an_auditor_audits_and_an_audited_entry_cannot_be_deleted(world):
    stack, ids = world
    checker, writer = await _client(stack, "kbchecker"), await _client(stack, "kbwriter")
    try:
        status, _, _ = await checker.post(f"{KB}/audit", [("ids", ids["draft"]), ("back", KB)])
        assert status == 302
        entry = await run_sync(stack, models.KnowledgeEntry.get_by_id, ids["draft"])
        assert entry.audited and entry.audited_by.name == "知识审核老陈" and entry.audited_at is not None
        status, page, _ = await checker.post(f"{KB}/delete", [("ids", ids["draft"])])
        assert status == 403  # deleting is the maintainers'
        await writer.post(f"{KB}/delete", [("ids", ids["draft"]), ("back", KB)])
        assert "已审核的知识不能删除" in (await writer.get(KB))[1]
        assert await run_sync(stack, models.KnowledgeEntry.select().count) == 2
        await checker.post(f"{KB}/unaudit", [("ids", ids["draft"])])
        await writer.post(f"{KB}/delete", [("ids", ids["draft"])])
        assert await run_sync(stack, models.KnowledgeEntry.select().count) == 1
    finally:
        await checker.close()
        await writer.close()


async def test_a_used_category_cannot_be_deleted_from_the_console(world):
    stack, ids = world
    writer = await _client(stack, "kbwriter")
    try:
        await writer.post(f"{KB}/categories/delete", [("ids", ids["vat"])])
        status, page, _ = await writer.get(f"{KB}/categories")
        assert "下有 2 条知识，不能删除" in page
        await writer.post(f"{KB}/categories", {"name": "工商", "parent": ""})
        await writer.post(f"{KB}/categories", {"name": "注销", "parent": ids["tax"]})
        names = await run_sync(stack, lambda: [c for _, c in categories.choices()])
        assert names == ["税务", "税务 / 增值税", "税务 / 注销", "工商"]
    finally:
        await writer.close()


def _xlsx(rows) -> bytes:
    wb = Workbook()
    wb.active.append(["一级分类*", "二级分类", "标题*", "简要描述", "答案*", "关键词"])
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


async def _upload(client, stack, body: bytes, mode="import"):
    form = aiohttp.FormData()
    form.add_field("_csrf", client.csrf)
    form.add_field("mode", mode)
    form.add_field("file", body, filename="kb.xlsx")
    async with client.session.post(stack.url(f"{KB}/imports"), data=form, allow_redirects=False) as r:
        assert r.status == 302, await r.text()
        return r.headers["Location"]


async def test_the_console_import_is_all_or_nothing_with_a_row_and_column_report(world):
    stack, _ = world
    writer = await _client(stack, "kbwriter")
    try:
        bad = _xlsx([["工商", "", "怎么注销公司？", "", "先清税。", ""], ["工商", "", "怎么变更地址？", "", "", ""]])
        location = await _upload(writer, stack, bad)
        status, page, _ = await writer.get(location)
        assert "未写入任何数据" in page and "<td class=\"num\">3</td><td>答案</td>" in page
        report = (await writer.get(location + "/report.xlsx"))[1]
        assert list(load_workbook(io.BytesIO(report)).active.iter_rows(values_only=True))[1][:2] == (3, "答案")
        assert await run_sync(stack, models.KnowledgeEntry.select().count) == 2
        good = _xlsx([["工商", "", "怎么注销公司？", "", "先清税。", ""], ["工商", "注销", "注销要多久？", "", "一个月。", ""]])
        status, page, _ = await writer.get(await _upload(writer, stack, good))
        assert "导入成功" in page and "新增 <b>2</b>" in page
        assert await run_sync(stack, models.KnowledgeEntry.select().count) == 4
        status, page, _ = await writer.get(f"{KB}/imports")
        assert page.count("kb.xlsx") == 2  # 查看引入结果: both runs listed
        exported = (await writer.get(f"{KB}/export.xlsx", layout="template"))[1]
        rows = list(load_workbook(io.BytesIO(exported))["知识库"].iter_rows(values_only=True))
        assert ("工商", "注销", "注销要多久？") in [r[:3] for r in rows]
    finally:
        await writer.close()


async def test_a_gap_turned_into_an_entry_tells_the_askers_when_audited(world):
    stack, ids = world

    def ask():
        li = models.Staff.get(models.Staff.wecom_userid == "lixiaomei")
        wang = models.Staff.get(models.Staff.wecom_userid == "wanggang")
        with models.db.atomic():
            today = models.utcnow().date()
            record_gap("火星税", "lixiaomei", li, today, 20)
            record_gap("火星税", "wanggang", wang, today, 20)
        return models.KnowledgeGap.get().id
    gap_id = await run_sync(stack, ask)
    writer, checker = await _client(stack, "kbwriter"), await _client(stack, "kbchecker")
    try:
        status, page, _ = await writer.get(f"{KB}/gaps")
        assert "火星税" in page and "李小梅" in page and "王刚" in page
        status, _, headers = await writer.post(f"{KB}/gaps/{gap_id}/draft")
        assert status == 302 and headers["Location"].endswith("/edit")
        entry_id = int(headers["Location"].split("/")[-2])
        status, page, _ = await writer.get(headers["Location"])
        assert "2 位同事" in page
        await writer.post(f"{KB}/{entry_id}/edit", {"category": ids["vat"], "title": "火星税怎么交？",
                                                    "brief": "在火星交", "answer": "在火星上交。"})
        status, _, _ = await checker.post(f"{KB}/audit", [("ids", entry_id), ("back", KB)])
        assert status == 302
        await stack.app[keys.TASKS].drain(30)  # the send the audit started (it may hold the rows in flight)
        await stack.app[REPLIES].send_due()
        for userid in ("lixiaomei", "wanggang"):
            messages = stack.fake.messages_for(userid)
            assert len(messages) == 1, userid
            assert "火星税怎么交？" in messages[0].content["content"] and "知识 火星税怎么交？" in messages[0].content["content"]
        await checker.post(f"{KB}/unaudit", [("ids", entry_id)])
        await checker.post(f"{KB}/audit", [("ids", entry_id)])
        await stack.app[keys.TASKS].drain(30)
        await stack.app[REPLIES].send_due()
        assert len(stack.fake.messages_for("lixiaomei")) == 1  # told once
        status, page, _ = await writer.get(f"{KB}/gaps", state="answered")
        assert "火星税" in page and "已解答" in page
    finally:
        await writer.close()
        await checker.close()


async def test_synonyms_are_edited_in_the_console(world):
    stack, _ = world
    writer = await _client(stack, "kbwriter")
    try:
        await writer.post(f"{KB}/synonyms", {"words": "法人 法定代表人，法人代表"})
        status, page, _ = await writer.get(f"{KB}/synonyms")
        assert "法定代表人" in page and "共 1 组" in page
        group = await run_sync(stack, lambda: models.KnowledgeSynonym.get(models.KnowledgeSynonym.term == "法人").grp)
        await writer.post(f"{KB}/synonyms/{group}/delete")
        assert await run_sync(stack, models.KnowledgeSynonym.select().count) == 0
    finally:
        await writer.close()
