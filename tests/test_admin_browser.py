"""The console (/admin) in headless Chromium at desktop width, driven as a person would: signing in through the
QR stand-in and inside WeCom, then each area's main task, asserting what the page shows afterwards.

Every test gets its own copy of the seeded demo (tests/browser.py), so none depends on another's changes.
"""
import re

import pytest

from tests.browser import csp_checked_page, demo, desktop, needs_browser, page, seeded  # noqa: F401 (fixtures)

pytestmark = needs_browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# WeCom's desktop webview names itself so; the console then signs in through OAuth instead of the QR panel.
WXWORK_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
             "Safari/537.36 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh ColorScheme/Light")


@pytest.fixture
async def in_wecom(demo):
    """A desktop-sized page whose browser says it is WeCom's webview."""
    async for page in csp_checked_page(DESKTOP, user_agent=WXWORK_UA):
        yield page


@pytest.fixture
async def phone(demo):
    async for page in csp_checked_page(PHONE):
        yield page


async def follow(page, selector: str) -> None:
    """Click something that loads another page, and wait for it."""
    async with page.expect_navigation():
        await page.click(selector)


async def sign_in(page, demo, name: str = "张明远") -> None:
    """The QR sign-in of an ordinary browser: the login page, 企业微信扫码登录, then the member on the stand-in."""
    await page.goto(demo.url("/admin/login"))
    await follow(page, "a.button:text-is('企业微信扫码登录')")
    await follow(page, f"a.member:text-is('{name}')")
    await page.wait_for_selector(f"h1:text-is('你好，{name}')")


async def open_menu(page, title: str) -> None:
    await follow(page, f"nav.menu a:text-is('{title}')")
    await page.wait_for_selector(f"nav.menu a.on:text-is('{title}')")


async def menu_titles(page) -> list[str]:
    return await page.locator("nav.menu a").all_inner_texts()


def row(page, text: str):
    """The table row holding a cell whose text is exactly ``text``."""
    return page.locator("tbody tr", has=page.locator(f"td:text-is('{text}')"))


async def total(page) -> int:
    """The pager's 「共 N 条」."""
    return int(re.search(r"共 (\d+) 条", await page.locator(".pager span").inner_text()).group(1))


# ---- signing in and out ----------------------------------------------------------------------------------

async def test_qr_sign_in_lands_on_the_overview(desktop, demo):
    await desktop.goto(demo.url("/admin"))
    assert "/admin/login" in desktop.url  # not signed in: the login page, with the QR button
    await follow(desktop, "a.button:text-is('企业微信扫码登录')")
    assert "/sandbox/sso" in desktop.url
    assert await desktop.locator("h1").inner_text() == "企业微信扫码登录（演示）"
    await follow(desktop, "a.member:text-is('张明远')")
    assert desktop.url == demo.url("/admin")
    assert await desktop.locator("h1").inner_text() == "你好，张明远"
    assert "张明远（超级管理员）" in await desktop.locator(".who").inner_text()
    assert {"员工管理", "企业微信成员", "交接", "运行状况", "操作日志"} <= set(await menu_titles(desktop))


async def test_inside_wecom_oauth_signs_in_a_staff_member_without_admin_areas(in_wecom, demo):
    # 「打开后台」 on /sandbox: the member is chosen in the simulator, WeCom's OAuth then comes straight back.
    await in_wecom.goto(demo.url("/sandbox/open?userid=lixiaomei&path=/admin"))
    await in_wecom.wait_for_selector("h1:text-is('你好，李晓梅')")
    assert in_wecom.url.split("#")[0] == demo.url("/admin")  # the browser keeps OAuth's #wechat_redirect
    assert "李晓梅（职员）" in await in_wecom.locator(".who").inner_text()
    titles = await menu_titles(in_wecom)
    assert "已关联客户" in titles
    assert not {"员工管理", "企业微信成员", "交接", "操作日志"} & set(titles)
    await in_wecom.goto(demo.url("/admin/staff"))
    assert await in_wecom.locator("h1").inner_text() == "没有权限"


async def test_inside_wecom_without_a_chosen_member_oauth_offers_the_chooser(in_wecom, demo):
    await in_wecom.goto(demo.url("/admin/clients"))
    assert "/sandbox/oauth" in in_wecom.url  # no QR page inside WeCom: straight on to OAuth
    assert await in_wecom.locator("h1").inner_text() == "选择企业成员（演示）"
    await follow(in_wecom, "a.member:text-is('王浩')")
    assert in_wecom.url.split("#")[0] == demo.url("/admin/clients")  # back where the member was going
    assert "王浩（职员）" in await in_wecom.locator(".who").inner_text()
    assert "王浩" in await in_wecom.locator("tbody tr td:nth-child(4)").all_inner_texts()
    assert 0 < await total(in_wecom) < 50  # a 职员 sees the clients they serve, not all 50


async def test_sign_out_then_the_console_asks_to_sign_in_again(desktop, demo):
    await sign_in(desktop, demo)
    await follow(desktop, "button:text-is('退出登录')")
    assert "/admin/login" in desktop.url
    assert "你已退出登录" in await desktop.locator("main").inner_text()
    await desktop.goto(demo.url("/admin"))
    assert "/admin/login" in desktop.url
    assert await desktop.locator("a.button:text-is('企业微信扫码登录')").is_visible()
    assert not await desktop.locator("nav.menu").count()


# ---- 员工管理 --------------------------------------------------------------------------------------------

async def test_add_a_staff_member_with_a_field_error_first(desktop, demo):
    await sign_in(desktop, demo)
    await open_menu(desktop, "员工管理")
    before = await total(desktop)
    await follow(desktop, "a:text-is('添加员工')")
    await desktop.fill("#f-name", "郑佳")
    await desktop.fill("#f-mobile", "12345")
    await follow(desktop, "form.staff-form button:text-is('保存')")
    error = desktop.locator(".field.invalid .error")
    assert "手机" in await error.inner_text()
    assert await desktop.input_value("#f-name") == "郑佳"  # what was typed stays
    await desktop.fill("#f-mobile", "13912345678")
    await follow(desktop, "form.staff-form button:text-is('保存')")
    assert "已添加员工「郑佳」" in await desktop.locator(".flash").inner_text()
    await follow(desktop, "a:text-is('← 返回员工列表')")
    assert await total(desktop) == before + 1
    added = row(desktop, "郑佳")
    assert await added.locator("td").nth(1).inner_text() == "13912345678"
    assert "未绑定" in await added.inner_text()


async def test_grant_a_permission_and_find_it_in_the_audit_log(desktop, demo):
    await sign_in(desktop, demo)
    await open_menu(desktop, "员工管理")
    await follow(desktop, ".tabs a:text-is('权限设置')")
    box = desktop.get_by_label("王浩 维护知识库", exact=True)
    assert not await box.is_checked()
    await box.check()
    await follow(desktop, "tr:has(input[aria-label='王浩 维护知识库']) button:text-is('保存')")
    await desktop.reload()
    assert await desktop.get_by_label("王浩 维护知识库", exact=True).is_checked()
    assert not await desktop.get_by_label("王浩 审核知识库", exact=True).is_checked()
    await open_menu(desktop, "操作日志")
    await desktop.fill("input[name=q]", "权限")  # the actions' labels are searched, as well as their codes
    await desktop.select_option("select[name=actor]", label="张明远")
    await desktop.select_option("select[name=entity]", label="员工")
    await follow(desktop, "button:text-is('筛选')")
    assert await total(desktop) == 1
    latest = desktop.locator("tbody tr").first
    cells = await latest.locator("td").all_inner_texts()
    assert cells[1] == "张明远"
    assert cells[2].startswith("修改权限")
    assert cells[3].startswith("员工 ")
    assert "knowledge.maintain" in cells[5] and "knowledge.maintain" not in cells[4]


# ---- 企业微信成员 ----------------------------------------------------------------------------------------

async def test_match_an_unbound_member_to_a_staff_account(desktop, demo):
    await sign_in(desktop, demo)
    await open_menu(desktop, "企业微信成员")
    await follow(desktop, "button:text-is('刷新成员列表')")
    newbie = row(desktop, "newbie")
    await newbie.wait_for(timeout=15_000)  # the page reloads itself when the refresh is done
    assert "未绑定" in await newbie.inner_text()
    await newbie.locator("select[name=staff_id]").select_option(label="吴欣然（3293）")
    async with desktop.expect_navigation():
        await newbie.locator("button:text-is('匹配员工')").click()
    assert "已将企业微信成员 newbie 匹配到员工「吴欣然」" in await desktop.locator(".flash").inner_text()
    newbie = row(desktop, "newbie")
    status = await newbie.locator("td").nth(4).inner_text()
    assert "已绑定" in status and "吴欣然" in status
    assert await newbie.locator("button:text-is('取消关联')").is_visible()
    assert "未绑定 0" in await desktop.locator(".members-status").inner_text()
    assert "所有在职员工账号都已绑定企业微信成员" in await desktop.locator("main").inner_text()


# ---- 客户群 and 已关联客户 --------------------------------------------------------------------------------

async def test_link_a_group_to_another_client(desktop, demo):
    await sign_in(desktop, demo)
    await open_menu(desktop, "客户群")
    await desktop.fill("input[name=q]", "睿达")
    await follow(desktop, "button:text-is('筛选')")
    group = row(desktop, "睿达建筑服务群")
    assert await group.locator("td").nth(4).inner_text() == "苏州睿达建筑工程有限公司"
    async with desktop.expect_navigation():
        await group.locator("a:text-is('修改关联')").click()
    await desktop.fill("input[name=q]", "华夏")
    await follow(desktop, "button:text-is('搜索客户')")
    await desktop.get_by_label("杭州华夏科技有限公司").check()
    await follow(desktop, "button:text-is('保存关联')")
    assert "新关联 1 个客户" in await desktop.locator(".flash").inner_text()
    await follow(desktop, ".crumbs a:text-is('客户群')")
    await desktop.fill("input[name=q]", "睿达")
    await follow(desktop, "button:text-is('筛选')")
    linked = await row(desktop, "睿达建筑服务群").locator("td").nth(4).locator("div").all_inner_texts()
    assert sorted(linked) == sorted(["苏州睿达建筑工程有限公司", "杭州华夏科技有限公司"])


async def test_filter_the_linked_clients(desktop, demo):
    await sign_in(desktop, demo)
    await open_menu(desktop, "已关联客户")
    everyone = await total(desktop)
    await desktop.select_option("select[name=taxpayer]", label="一般纳税人")
    await follow(desktop, "button:text-is('筛选')")
    general = await total(desktop)
    assert 0 < general < everyone
    # a general taxpayer files VAT monthly: the cell says so under the type
    assert set(await desktop.locator("tbody tr td:nth-child(3)").all_inner_texts()) == {"一般纳税人\n按月申报"}
    assert await desktop.locator("th:text-is('标签')").is_visible()
    assert await desktop.evaluate("(w => w.scrollWidth <= w.clientWidth)(document.querySelector('.table-wrap'))")
    await desktop.select_option("select[name=state]", label="即将到期")
    await follow(desktop, "button:text-is('筛选')")
    expiring = await total(desktop)
    assert 0 < expiring < general
    assert set(await desktop.locator("tbody tr td:nth-child(6)").all_inner_texts()) == {"即将到期"}
    assert await desktop.locator("select[name=taxpayer] option:checked").inner_text() == "一般纳税人"  # kept
    await desktop.select_option("select[name=taxpayer]", label="全部")
    await desktop.select_option("select[name=state]", label="全部")
    await desktop.fill("input[name=q]", "华夏")
    await follow(desktop, "button:text-is('筛选')")
    assert await total(desktop) == 1
    assert (await desktop.locator("tbody tr td").first.inner_text()).startswith("杭州华夏科技有限公司")


# ---- 交接 ------------------------------------------------------------------------------------------------

async def test_handover_with_a_preview_moves_the_clients(desktop, demo):
    await sign_in(desktop, demo)
    await open_menu(desktop, "交接")
    await desktop.select_option("select[name=staff]", label="王浩")
    await follow(desktop, "button:text-is('查看')")
    held = await desktop.locator(".handover-figures .figure b").first.inner_text()
    await desktop.uncheck("input[name=roles][value=accountant]")
    await desktop.check("input[name=mode][value=one]")
    await desktop.select_option("select[name=taker]", label="李晓梅")
    await follow(desktop, "button:text-is('预览交接')")
    assert await desktop.locator("h1").inner_text() == "交接预览：王浩"
    rows = desktop.locator("tbody tr")
    assert await rows.count() == int(held)
    first = await rows.first.locator("td").all_inner_texts()
    assert first[1] == "李晓梅" and first[2] == "王浩 → 李晓梅" and first[3] == "不变"
    moved = first[0]
    # 王浩 is bound to WeCom: his WeCom customers may go along, offered to the one taking the clients
    assert await desktop.locator("select[name=wecom_taker] option:checked").inner_text() == "李晓梅"
    await follow(desktop, "button:text-is('确认交接')")
    assert desktop.dialogs and "确认交接" in desktop.dialogs[-1]
    assert "交接完成" in await desktop.locator(".flash").inner_text()
    assert (await desktop.locator("h1").inner_text()).endswith("王浩")
    assert f"{held}\n李晓梅 接手" in await desktop.locator(".handover-figures").inner_text()
    await open_menu(desktop, "已关联客户")
    await desktop.fill("input[name=q]", moved)
    await follow(desktop, "button:text-is('筛选')")
    assert await desktop.locator("tbody tr td:nth-child(4)").all_inner_texts() == ["李晓梅"]
    await desktop.select_option("select[name=staff]", label="王浩")  # 王浩 was no one's 会计: nothing left
    await desktop.fill("input[name=q]", "")
    await follow(desktop, "button:text-is('筛选')")
    assert await total(desktop) == 0
    assert await desktop.locator("tbody").inner_text() == "没有符合条件的客户"


# ---- 运行状况 and the phone menu --------------------------------------------------------------------------

async def test_health_page_shows_its_sections(desktop, demo):
    await sign_in(desktop, demo)
    await open_menu(desktop, "运行状况")
    assert await desktop.locator("h1").inner_text() == "运行状况"
    sections = await desktop.locator("main h2").all_inner_texts()
    for title in ("回调", "回调拒绝", "通讯录同步", "联系人差异", "消息发送", "定时任务", "令牌与票据", "数据库"):
        assert title in sections
    assert await desktop.locator(".figures .figure").count() >= 4


async def test_the_menu_button_opens_the_menu_on_a_phone(phone, demo):
    await sign_in(phone, demo)
    link = phone.locator("nav.menu a:text-is('已关联客户')")
    assert not await link.is_visible()
    await phone.click("label.menu-button")
    await link.wait_for(state="visible")
    await follow(phone, "nav.menu a:text-is('已关联客户')")
    assert await phone.locator("h1").inner_text() == "已关联客户"
    assert not await link.is_visible()  # a new page starts with the menu closed
    await phone.goto(demo.url("/admin/health"))  # wide tables scroll in their box, the page itself does not
    assert await phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
