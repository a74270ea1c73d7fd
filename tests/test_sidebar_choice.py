"""The sidebar opens on the right client in a chat linked to several: the one the chat is named after, else the one
the member last picked there, else one of the member's own; and the header says which (B1)."""
from datetime import date

import models
from handlers.sidebar.choice import default_client, remember_choice
from seed.demo import seed_demo
from tests.conftest import run_sync
from tests.sidebar_tabs import NOW, li, tabs  # noqa: F401 - fixtures


def test_every_demo_group_linked_to_several_clients_opens_on_the_client_it_is_named_after(database):
    seed_demo(date(2026, 11, 26))
    checked = 0
    for group in models.CustomerGroup.select():
        clients = list(models.Client.select().join(models.GroupClientLink)
                       .where(models.GroupClientLink.group == group).order_by(models.Client.name))
        if len(clients) < 2:
            continue
        owner = models.Staff.get(models.Staff.wecom_userid == group.owner_userid)
        named = [c for c in clients if c.short_name and c.short_name in group.name]
        assert len(named) == 1, group.name
        assert default_client(owner, group.chat_id, [group.name], clients) == named[0].id, group.name
        checked += 1
    assert checked >= 4  # the demo's bosses who own two companies share one group between them
    huaxia_group = models.CustomerGroup.get(models.CustomerGroup.name == "华夏科技服务群")
    by_name = sorted(c.name for c in models.Client.select().join(models.GroupClientLink)
                     .where(models.GroupClientLink.group == huaxia_group))
    assert by_name[0] != "杭州华夏科技有限公司"  # sorting by name alone would open on the wrong client


def _two_companies(agency: dict) -> list[models.Client]:
    """陈总's second company, linked to the same chat, managed by 王刚."""
    other = models.Client.create(name="杭州远帆电子有限公司", short_name="远帆电子", manager=agency["wang"])
    boss = models.ExternalContact.get(models.ExternalContact.external_userid == "wmHuaxiaBoss")
    models.ContactClientLink.create(contact=boss, client=other)
    return [agency["huaxia"], other]


def test_without_a_name_match_the_last_pick_then_the_members_own_client_wins(database):
    from tests.factories import small_agency
    agency = small_agency(date(2026, 11, 26))
    huaxia, other = _two_companies(agency)
    li, wang = agency["li"], agency["wang"]
    names = ["陈总", ""]  # a 1:1 chat named after the person, no company given
    assert default_client(li, "wmHuaxiaBoss", names, [huaxia, other]) == huaxia.id  # 李小梅 manages 华夏
    assert default_client(wang, "wmHuaxiaBoss", names, [huaxia, other]) == other.id  # 王刚 manages 远帆
    remember_choice(li, "wmHuaxiaBoss", other.id, NOW)
    assert default_client(li, "wmHuaxiaBoss", names, [huaxia, other]) == other.id  # her last pick here
    assert default_client(li, "wmHuaxiaBoss", ["陈总", "远帆电子"], [huaxia, other]) == other.id  # company named


async def test_the_context_names_the_selected_client_and_a_switch_is_remembered(li, tabs):
    stack, ids = tabs
    await run_sync(stack, lambda: _two_companies({"huaxia": models.Client.get_by_id(ids["huaxia"]),
                                                  "wang": models.Staff.get_by_id(ids["wang"])}))
    _, body = await li.get("/sidebar/api/context")
    assert [c["short_name"] for c in body["clients"]] == ["华夏科技", "远帆电子"]
    assert body["selected"] == ids["huaxia"]  # the contact's company is 华夏科技
    other = body["clients"][1]["id"]
    status, _ = await li.post("/sidebar/api/context/client", json={"client_id": other})
    assert status == 200
    status, body = await li.post("/sidebar/api/context/client", json={"client_id": ids["jincheng"]})
    assert status == 400 and "已关联" in body["error"]  # not one of this chat's clients
    stored = await run_sync(stack, lambda: models.SidebarChoice.get(models.SidebarChoice.chat_key == "wmHuaxiaBoss"))
    assert stored.client_id == other
