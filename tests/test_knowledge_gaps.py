"""Knowledge gaps of the second kind (X8): a search that found entries but after which its member sent or opened
none within the window (knowledge.unsent_window_minutes) is listed beside the searches that found nothing."""
from datetime import timedelta

import time_machine

import models
from handlers.knowledge import searchlog
from handlers.knowledge.rules import record_gap, use_entry
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency
from tests.sidebar_tabs import NOW, li, tabs  # noqa: F401 - fixtures

WINDOW = 10
G, S = models.KnowledgeGap, models.KnowledgeSearch


def _member(name="李小梅", userid="lixiaomei"):
    return models.Staff.get_or_none(models.Staff.wecom_userid == userid) or models.Staff.create(
        name=name, role="staff", wecom_userid=userid)


def _entry():
    cat = models.KnowledgeCategory.create(name="税务")
    return models.KnowledgeEntry.create(category=cat, title="专票丢了怎么办？", answer="登报声明作废。", audited=True)


def test_a_search_with_no_send_becomes_a_gap_after_the_window(database):
    li = _member()
    with time_machine.travel(NOW, tick=False) as clock:
        searchlog.record_search("专票 丢失", "lixiaomei", li, 3, models.utcnow(), WINDOW)
        clock.shift(timedelta(minutes=WINDOW - 1))
        assert searchlog.fold(models.utcnow(), 30) == 0 and G.select().count() == 0  # still in its window
        clock.shift(timedelta(minutes=2))
        assert searchlog.fold(models.utcnow(), 30) == 1
    gap = G.get()
    assert (gap.query, gap.times, gap.unsent) == ("专票 丢失", 1, 1)
    assert searchlog.reasons(gap) == [("有结果但未发送", 1)]
    assert [a.userid for a in gap.askers] == ["lixiaomei"]
    assert S.select().count() == 0  # folded rows are gone: the table holds only open windows


def test_a_search_followed_by_a_send_is_no_gap(database):
    li, entry = _member(), _entry()
    with time_machine.travel(NOW, tick=False) as clock:
        searchlog.record_search("专票", "lixiaomei", li, 2, models.utcnow(), WINDOW)
        searchlog.record_search("专票", "wanggang", _member("王刚", "wanggang"), 2, models.utcnow(), WINDOW)
        clock.shift(timedelta(minutes=3))
        assert use_entry(entry.id, "lixiaomei", models.utcnow()) is not None
        clock.shift(timedelta(minutes=WINDOW))
        assert searchlog.fold(models.utcnow(), 30) == 1  # only 王刚's, who sent nothing
    assert [a.userid for a in models.KnowledgeGapAsker.select()] == ["wanggang"]
    assert S.select().count() == 0


def test_a_send_after_the_window_does_not_save_the_search(database):
    li, entry = _member(), _entry()
    with time_machine.travel(NOW, tick=False) as clock:
        searchlog.record_search("专票", "lixiaomei", li, 2, models.utcnow(), WINDOW)
        clock.shift(timedelta(minutes=WINDOW + 1))
        use_entry(entry.id, "lixiaomei", models.utcnow())
        assert searchlog.fold(models.utcnow(), 30) == 1


def test_typing_on_leaves_one_gap_and_the_daily_cap_holds(database):
    li = _member()
    with time_machine.travel(NOW, tick=False) as clock:
        for q in ("发", "发票", "发票抬头", "发票抬头", "社保", "个税", "印花税"):
            searchlog.record_search(q, "lixiaomei", li, 1, models.utcnow(), WINDOW)
            clock.shift(timedelta(seconds=2))
        clock.shift(timedelta(minutes=WINDOW))
        assert searchlog.fold(models.utcnow(), 3) == 3
    assert sorted(g.query for g in G.select()) == ["个税", "发票抬头", "社保"]


def test_old_rows_are_pruned_when_a_search_is_recorded(database):
    li = _member()
    searchlog.record_search("专票", "lixiaomei", li, 1, NOW - timedelta(days=40), WINDOW)
    searchlog.record_search("社保", "lixiaomei", li, 1, NOW, WINDOW)
    assert [s.query for s in S.select()] == ["社保"]


async def test_the_sidebar_records_searches_and_a_send_uses_them(li, tabs):  # noqa: F811
    stack, _ = tabs
    status, body = await li.get("/sidebar/api/knowledge", q="小规模 增值税")
    assert status == 200 and body["entries"]
    assert await run_sync(stack, lambda: [(s.query, s.used) for s in S.select()]) == [("小规模 增值税", False)]
    await li.post(f"/sidebar/api/knowledge/{body['entries'][0]['id']}/send")
    assert await run_sync(stack, lambda: [s.used for s in S.select()]) == [True]
    folded = await run_sync(stack, lambda: searchlog.fold(NOW + timedelta(minutes=WINDOW + 1), 30))
    assert folded == 0


async def test_the_gaps_page_lists_both_kinds_with_counts_and_askers(db_url, fake_server):
    clock = [NOW]
    stack = await start_stack(db_url, fake_server, clock=lambda: clock[0])
    stack.fake.add_member({"userid": "kbwriter", "name": "知识维护小林", "department": [1]})

    def prepare():
        small_agency()
        models.Staff.create(name="知识维护小林", role="staff", wecom_userid="kbwriter",
                            permissions=["knowledge.maintain"])
        li, wang = _member(), _member("王刚", "wanggang")
        with models.db.atomic():
            record_gap("火星税", "lixiaomei", li, NOW.date(), 20)
            for who, staff in (("lixiaomei", li), ("wanggang", wang)):
                searchlog.record_search("专票 抵扣", who, staff, 4, NOW, WINDOW)
            searchlog.record_search("火星税", "wanggang", wang, 1, NOW, WINDOW)
    await run_sync(stack, prepare)
    writer = await open_console(stack, "kbwriter")
    try:
        status, page, _ = await writer.get("/admin/knowledge/gaps")
        assert status == 200 and "专票 抵扣" not in page  # still within the window
        clock[0] = NOW + timedelta(minutes=WINDOW + 1)
        status, page, _ = await writer.get("/admin/knowledge/gaps")
        assert status == 200
        row = page.split('<td class="wrap">专票 抵扣</td>')[1].split("</tr>")[0]
        assert ">2<" in row and "有结果但未发送 2 次" in row and "李小梅" in row and "王刚" in row
        assert "无结果" not in row
        row = page.split('<td class="wrap">火星税</td>')[1].split("</tr>")[0]
        assert "无结果 1 次" in row and "有结果但未发送 1 次" in row and "李小梅" in row and "王刚" in row
    finally:
        await writer.close()
        await stop_stack(stack)
