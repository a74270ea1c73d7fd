"""交接 (X9): pick a member, preview (nothing written), confirm (one transaction, re-checked), audit; and WeCom's
own transfer of the member's customers and groups, its results per customer and group, and transfer_fail."""
import re

import pytest

import models
from tests.conftest import run_sync
from tests.console_client import open_console
from tests.factories import small_agency

PLAN = re.compile(r'name="plan" value="([0-9a-f]+)"')
CSRF = re.compile(r'name="_csrf" value="([^"]*)"')


def handover_agency() -> dict:
    """small_agency plus 赵敏 (active) and 孙停 (deactivated); 李小梅 also keeps the books of 锦程贸易."""
    ids = small_agency()
    ids["zhao"] = models.Staff.create(name="赵敏", role="staff")
    ids["sun"] = models.Staff.create(name="孙停", role="staff", active=False)
    models.Client.update(accountant=ids["li"]).where(models.Client.id == ids["jincheng"].id).execute()
    for n, short in enumerate(["阿尔法", "贝塔", "伽马"], 1):
        models.Client.create(name=f"杭州{short}有限公司{n}", short_name=short, manager=ids["li"])
    return {k: v.id for k, v in ids.items()}


@pytest.fixture
async def agency(stack):
    stack.ids = await run_sync(stack, handover_agency)
    stack.admin = await open_console(stack, "admin")
    yield stack
    await stack.admin.close()


def owners() -> dict:
    """Client short name -> (manager name, accountant name): what a user would check after a handover."""
    names = {s.id: s.name for s in models.Staff.select()}
    return {c.short_name: (names.get(c.manager_id), names.get(c.accountant_id)) for c in models.Client.select()}


def writes() -> tuple:
    return (models.HandoverRun.select().count(), models.AuditLog.select().count(), owners())


def form(ids, taker=None, takers=(), roles=("manager", "accountant"), rows=None, **extra) -> list:
    fields = [("staff", str(ids["li"]))] + [("roles", r) for r in roles]
    if taker:
        fields += [("mode", "one"), ("taker", str(ids[taker]))]
    else:
        fields += [("mode", "even")] + [("takers", str(ids[t])) for t in takers]
    fields += [(f"row_{ids[c] if c in ids else c}", str(ids[t])) for c, t in (rows or {}).items()]
    return fields + list(extra.items())


async def preview(agency, fields) -> tuple[int, str, str]:
    status, page, _ = await agency.admin.post("/admin/handover/preview", fields)
    found = PLAN.search(page)
    return status, page, found.group(1) if found else ""


async def test_pick_page_lists_the_members_clients_by_role(agency):
    status, page, _ = await agency.admin.get("/admin/handover", staff=str(agency.ids["li"]))
    assert status == 200
    for short in ("华夏科技", "华信建材", "锦程贸易", "阿尔法", "贝塔", "伽马"):
        assert short in page
    assert re.search(r"<b>5</b><span>作为客户经理的客户", page) and re.search(r"<b>1</b><span>作为会计的客户", page)
    assert "孙停（已停用）" in page  # a deactivated member may be the one handing over
    takers = page.split('name="taker"')[1].split("</select>")[0]
    assert "赵敏" in takers and "孙停" not in takers and "李小梅" not in takers


async def test_preview_shows_each_change_and_writes_nothing(agency):
    before = await run_sync(agency, writes)
    status, page, plan = await preview(agency, form(agency.ids, taker="wang"))
    assert status == 200 and plan and "确认交接" in page
    assert re.search(r"华夏科技</td><td>王刚</td>\s*<td><span class=\"was\">李小梅</span> → <b>王刚</b>", page)
    assert re.search(r"<b>6</b><span>王刚 接手的客户", page)
    assert await run_sync(agency, writes) == before


async def test_every_form_carries_the_sessions_csrf_token(agency):
    """A browser posts the page's own hidden _csrf field (the test client adds one of its own)."""
    _, pick_page, _ = await agency.admin.get("/admin/handover", staff=str(agency.ids["li"]))
    _, preview_page, _ = await preview(agency, form(agency.ids, taker="wang"))
    tokens = CSRF.findall(pick_page) + CSRF.findall(preview_page)
    assert len(tokens) >= 3 and set(tokens) == {agency.admin.csrf}


async def test_apply_moves_only_the_chosen_role_and_audits_each_client(agency):
    _, _, plan = await preview(agency, form(agency.ids, taker="zhao", roles=("manager",)))
    status, _, headers = await agency.admin.post("/admin/handover/apply", form(agency.ids, taker="zhao",
                                                                              roles=("manager",), plan=plan))
    assert status == 302 and headers["Location"].startswith("/admin/handover/runs/")
    after = await run_sync(agency, owners)
    assert after["华夏科技"] == ("赵敏", None) and after["伽马"] == ("赵敏", None)
    assert after["锦程贸易"] == (None, "李小梅")  # 会计 was not chosen: it stays
    run = await run_sync(agency, models.HandoverRun.get)
    assert run.from_name == "李小梅" and run.counts == {"赵敏": 5} and run.by_staff_id == agency.ids["admin"]
    rows = await run_sync(agency, lambda: list(models.AuditLog.select().where(
        models.AuditLog.action.startswith("handover.")).order_by(models.AuditLog.id)))
    clients = [r for r in rows if r.action == "handover.client"]
    assert len(clients) == 5 and rows[-1].action == "handover.apply" and rows[-1].entity_id == str(run.id)
    huaxia = next(r for r in clients if r.entity_id == str(agency.ids["huaxia"]))
    assert (huaxia.before["manager"], huaxia.after["manager"], huaxia.after["handover_run"]) == ("李小梅", "赵敏", run.id)
    assert rows[-1].after["clients"] == 5 and rows[-1].after["counts"] == {"赵敏": 5}
    status, page, _ = await agency.admin.get(headers["Location"])
    assert status == 200 and "交接完成" in page and "赵敏 接手" in page and "伽马" in page


async def test_split_evenly_over_two_takers_with_a_per_client_choice(agency):
    ids = agency.ids
    fields = form(ids, takers=("wang", "zhao"), rows={"jincheng": "admin"})
    status, page, plan = await preview(agency, fields)
    assert status == 200 and re.search(r"<b>1</b><span>张总 接手的客户", page)
    assert re.search(r"<b>3</b><span>王刚 接手的客户", page) and re.search(r"<b>2</b><span>赵敏 接手的客户", page)
    status, _, _ = await agency.admin.post("/admin/handover/apply", fields + [("plan", plan)])
    assert status == 302
    after = await run_sync(agency, owners)
    assert after["锦程贸易"] == (None, "张总")  # the per-row choice, for the role 李小梅 held there
    managers = [after[c][0] for c in ("阿尔法", "贝塔", "伽马", "华夏科技", "华信建材")]  # pinyin order
    assert managers == ["王刚", "赵敏", "王刚", "赵敏", "王刚"]
    assert "李小梅" not in str(after)


async def test_an_inactive_taker_is_refused_and_nothing_is_written(agency):
    before = await run_sync(agency, writes)
    status, page, plan = await preview(agency, form(agency.ids, taker="sun"))
    assert status == 200 and "孙停 已停用，不能接手客户" in page and "确认交接</button>" not in page
    status, page, _ = await agency.admin.post("/admin/handover/apply", form(agency.ids, taker="sun", plan=plan))
    assert status == 400 and "孙停 已停用" in page
    status, page, _ = await agency.admin.post("/admin/handover/apply",
                                              form(agency.ids, takers=("wang", "sun"), plan=plan))
    assert status == 400 and "未交接" in page
    assert await run_sync(agency, writes) == before


async def test_a_change_after_the_preview_shows_the_new_preview_instead(agency):
    ids = agency.ids
    _, _, plan = await preview(agency, form(ids, taker="wang"))
    await run_sync(agency, lambda: models.Client.create(name="新来的客户有限公司", short_name="新客户", manager=ids["li"]))
    before = await run_sync(agency, writes)
    status, page, new_plan = await agency.admin.post("/admin/handover/apply", form(ids, taker="wang", plan=plan))
    assert status == 409 and "预览之后数据已有变化" in page and "新客户" in page
    assert await run_sync(agency, writes) == before
    new_plan = PLAN.search(page).group(1)
    status, _, _ = await agency.admin.post("/admin/handover/apply", form(ids, taker="wang", plan=new_plan))
    assert status == 302 and (await run_sync(agency, owners))["新客户"] == ("王刚", None)


async def test_incomplete_choices_get_field_errors(agency):
    before = await run_sync(agency, writes)
    status, page, _ = await agency.admin.post("/admin/handover/preview", form(agency.ids, taker="wang", roles=()))
    assert status == 400 and "请至少选择一个要交接的角色" in page
    status, page, _ = await agency.admin.post("/admin/handover/preview", form(agency.ids, takers=("wang",)))
    assert status == 400 and "平均分配请至少选择两位接手人" in page
    assert await run_sync(agency, writes) == before


async def test_a_staff_member_may_not_hand_over(agency):
    staff = await open_console(agency, "lixiaomei")
    try:
        status, page, _ = await staff.get("/admin/handover")
        assert status == 403 and "没有权限" in page
        status, _, _ = await staff.post("/admin/handover/apply", form(agency.ids, taker="wang", plan="x"))
        assert status == 403
    finally:
        await staff.close()
    assert (await run_sync(agency, owners))["华夏科技"] == ("李小梅", None)


# ---- WeCom's own transfer of the member's customers and groups -------------------------------------------

BULK = 150  # with 陈总, 151 customers: two transfer_customer calls (100 + 51)


def many_customers(fake) -> list[str]:
    """150 more customers of 李小梅 in the fake WeCom and in our synced copy, and a group WeCom no longer has."""
    ids = [f"wmBulk{n:03d}" for n in range(BULK)]
    li = models.Staff.get(models.Staff.wecom_userid == "lixiaomei")
    for n, external_userid in enumerate(ids):
        fake.add_contact({"external_userid": external_userid, "name": f"客户{n:03d}", "type": 1, "follow_users": [
            {"userid": "lixiaomei", "remark": "", "description": "", "createtime": 1700000000, "tags": []}]})
        contact = models.ExternalContact.create(external_userid=external_userid, name=f"客户{n:03d}")
        models.FollowRelation.create(contact=contact, userid=li.wecom_userid)
    models.CustomerGroup.create(chat_id="wrGoneGroup", name="已解散的老群", owner_userid="lixiaomei")
    return ids


async def hand_over_with_wecom(agency, taker="wang", mode="在职继承") -> str:
    fields = form(agency.ids, taker="zhao")
    _, page, plan = await preview(agency, fields)
    assert "同时在企业微信中转接该成员的客户和客户群" in page and f"将按「{mode}」转接" in page
    status, _, headers = await agency.admin.post("/admin/handover/apply", fields + [
        ("plan", plan), ("wecom", "1"), ("wecom_taker", str(agency.ids[taker]))])
    assert status == 302, status
    return headers["Location"]


async def test_wecom_transfer_goes_out_in_chunks_and_shows_each_result(agency):
    fake = agency.fake
    await run_sync(agency, many_customers, fake)
    fake.handover.script("wmBulk007", 3)  # this customer will refuse
    run_page = await hand_over_with_wecom(agency)
    calls = fake.calls_to("externalcontact/transfer_customer")
    assert [len(c.body["external_userid"]) for c in calls] == [100, 51]
    assert {(c.body["handover_userid"], c.body["takeover_userid"]) for c in calls} == {("lixiaomei", "wanggang")}
    groups = fake.calls_to("externalcontact/groupchat/onjob_transfer")
    assert [(sorted(c.body["chat_id_list"]), c.body["new_owner"]) for c in groups] == [
        (["wrGoneGroup", "wrHuaxiaGroup"], "wanggang")]
    assert fake.calls_to("resigned/transfer_customer") == []
    status, page, _ = await agency.admin.get(run_page)
    assert status == 200 and "在职继承" in page and "等待接替 151" in page and "已转接 1" in page
    assert "转接失败（错误码 40050）" in page  # a group WeCom no longer has
    assert "刷新结果" in page

    fake.handover.settle(now=True)
    status, _, headers = await agency.admin.post(run_page + "/refresh", {})
    assert status == 302
    status, page, _ = await agency.admin.get(run_page, kind="customer", sort="-status")
    assert "接替完毕 150" in page and "客户拒绝 1" in page
    assert re.search(r"客户007</td><td>wmBulk007</td>\s*<td><span class=\"tag bad\">客户拒绝", page)
    audit = await run_sync(agency, lambda: models.AuditLog.get(models.AuditLog.action == "handover.wecom_transfer"))
    assert audit.after["mode"] == "在职继承" and audit.after["customer:等待接替"] == 151


async def test_transfer_fail_event_marks_the_customer(agency):
    fake = agency.fake
    fake.handover.script("wmHuaxiaBoss", 4)  # 王刚 is full
    run_page = await hand_over_with_wecom(agency)
    fake.handover.settle(now=True)
    events = fake.handover.take_events()
    assert [e[1]["FailReason"] for e in events] == ["customer_limit_exceed"]
    deliveries = await agency.driver.deliver_events(events)
    assert [(d.status, d.body) for d in deliveries] == [(200, "")]
    status, page, _ = await agency.admin.get(run_page)
    assert re.search(r"华夏陈总</td><td>wmHuaxiaBoss</td>\s*<td><span class=\"tag bad\">接替成员客户已达上限", page)
    noted = await run_sync(agency, lambda: [a.after["fail_reason"] for a in models.AuditLog.select().where(
        models.AuditLog.action == "wecom.transfer_failed")])
    assert noted == ["customer_limit_exceed"]  # the contacts feature still notes it on the contact


async def test_a_deactivated_member_is_handed_over_as_resigned(agency):
    fake = agency.fake
    fake.remove_member("lixiaomei")
    await run_sync(agency, lambda: models.Staff.update(active=False).where(
        models.Staff.id == agency.ids["li"]).execute())
    run_page = await hand_over_with_wecom(agency, mode="离职继承")
    calls = fake.calls_to("externalcontact/resigned/transfer_customer")
    assert [(c.body["handover_userid"], c.body["takeover_userid"], c.body["external_userid"]) for c in calls] == [
        ("lixiaomei", "wanggang", ["wmHuaxiaBoss"])]
    assert [c.body["chat_id_list"] for c in fake.calls_to("externalcontact/groupchat/transfer")] == [["wrHuaxiaGroup"]]
    status, page, _ = await agency.admin.get(run_page)
    assert "离职继承" in page and "等待接替 1" in page and "已转接 1" in page


async def test_the_wecom_taker_must_be_active_and_bound(agency):
    fields = form(agency.ids, taker="zhao")
    _, _, plan = await preview(agency, fields)
    before = await run_sync(agency, writes)
    status, page, _ = await agency.admin.post("/admin/handover/apply", fields + [
        ("plan", plan), ("wecom", "1"), ("wecom_taker", str(agency.ids["zhao"]))])
    assert status == 400 and "赵敏 未绑定企业微信" in page
    assert await run_sync(agency, writes) == before and agency.fake.calls_to("transfer_customer") == []
