"""知识库 tab API: search audited entries, send one into the chat, and a miss recorded as a knowledge gap."""
import models
from tests.conftest import run_sync
from tests.sidebar_tabs import li, tabs  # noqa: F401 - fixtures


async def test_search_finds_audited_entries_best_first(li):
    status, body = await li.get("/sidebar/api/knowledge", q="小规模 增值税")
    assert status == 200
    assert body["entries"][0]["title"] == "小规模纳税人增值税征收率是多少？"
    assert all("草稿" not in e["title"] for e in body["entries"])


async def test_unaudited_entries_are_never_offered_and_a_miss_is_a_gap(li, tabs):
    stack, _ = tabs
    status, body = await li.get("/sidebar/api/knowledge", q="研发费用加计扣除")
    assert status == 200 and body["entries"] == []
    gaps = await run_sync(stack, lambda: [(g.query, g.times) for g in models.KnowledgeGap.select()])
    assert gaps == [("研发费用加计扣除", 1)]


async def test_send_returns_the_answer_and_counts_the_use(li, tabs):
    stack, _ = tabs
    status, body = await li.get("/sidebar/api/knowledge")
    assert status == 200 and body["popular"] and len(body["entries"]) == 3
    entry = next(e for e in body["entries"] if e["title"].startswith("增值税专用发票丢失"))
    status, sent = await li.post(f"/sidebar/api/knowledge/{entry['id']}/send")
    assert status == 200
    assert sent["text"] == "【增值税专用发票丢失怎么办？】\n可凭销售方记账联复印件作为抵扣凭证；小规模纳税人的专票问题另议。"
    _, body = await li.get("/sidebar/api/knowledge")
    assert body["entries"][0]["id"] == entry["id"]  # most used first


async def test_an_unaudited_entry_cannot_be_sent(li, tabs):
    stack, _ = tabs
    E = models.KnowledgeEntry
    draft = await run_sync(stack, lambda: E.get(E.audited == False).id)  # noqa: E712
    status, body = await li.post(f"/sidebar/api/knowledge/{draft}/send")
    assert status == 404 and "尚未审核" in body["error"]


async def test_searching_as_one_types_writes_no_audit_rows_and_counts_each_query_once(li, tabs):
    stack, _ = tabs
    for q in ("火", "火星", "火星税", "火星税", "火星税率"):
        status, body = await li.get("/sidebar/api/knowledge", q=q)
        assert status == 200 and body["entries"] == []
    A, G = models.AuditLog, models.KnowledgeGap
    gaps = await run_sync(stack, lambda: sorted((g.query, g.times) for g in G.select()))
    assert gaps == [("火", 1), ("火星", 1), ("火星税", 1), ("火星税率", 1)]
    audited = await run_sync(stack, lambda: A.select().where(A.action == "knowledge.gap").count())
    assert audited == 0


async def test_results_carry_an_escaped_snippet_with_marks(li, tabs):
    stack, _ = tabs
    E = models.KnowledgeEntry

    def plant():
        from handlers.knowledge.index import reindex_entry
        entry = E.get(E.title == "一般纳税人登记标准")
        entry.answer = "<script>x</script>年应税销售额超过500万元应登记为一般纳税人。"
        entry.save()
        reindex_entry(entry)
    await run_sync(stack, plant)
    status, body = await li.get("/sidebar/api/knowledge", q="一般纳税人")
    top = body["entries"][0]
    assert status == 200 and top["title"] == "一般纳税人登记标准"
    assert "script&gt;" in top["snippet"] and top["snippet"].endswith("应登记为<mark>一般纳税人</mark>。")
    assert "<script>" not in top["snippet"]
