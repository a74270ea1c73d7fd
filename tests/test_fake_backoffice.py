"""The back-office side of the fake WeCom, through the real client: members in the visible range, the
snsapi_privateinfo ticket, user/get for apps created after 2022-06-20, and handover of customers and groups."""
from __future__ import annotations

import time

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

import models
from bot.sandbox.fake.app import create_fake_wecom_app
from bot.sandbox.fake.handover import LIMIT, REFUSED
from bot.sandbox.fake.members import user_get
from bot.wecom import MemoryTokenStore, WeComClient, WeComError
from tests.conftest import make_fake, run_sync
from tests.factories import small_agency
from tests.test_wecom_client import _cfg

DAY = 86400


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def office():
    """(client, fake, fake's clock, fake's base URL) with the fake on a real port and its own clock."""
    clock = Clock()
    fake = make_fake()
    fake.clock = clock
    server = TestServer(create_fake_wecom_app(fake))
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield WeComClient(_cfg(str(server.make_url("/cgi-bin/"))), session, MemoryTokenStore()), fake, clock, \
            str(server.make_url("/"))
    await server.close()


async def errcode_of(call) -> int:
    with pytest.raises(WeComError) as err:
        await call
    return err.value.errcode


# --- members ------------------------------------------------------------------------------------------

async def test_member_ids_are_the_visible_range_paged_by_cursor(office):
    wecom, fake, _, _ = office
    fake.privacy.outside_range.add("newbie")
    assert await wecom.all_member_ids() == ["admin", "lixiaomei", "wanggang"]
    first = await wecom.user_list_id(limit=2)
    assert first["dept_user"] == [{"userid": "admin", "department": 1}, {"userid": "lixiaomei", "department": 1}]
    rest = await wecom.user_list_id(cursor=first["next_cursor"], limit=2)
    assert rest["dept_user"] == [{"userid": "wanggang", "department": 1}] and rest["next_cursor"] == ""
    assert await errcode_of(wecom.user_list_id(limit=0)) == 40058
    assert await errcode_of(wecom.user_list_id(limit=10001)) == 40058


async def test_user_get_of_a_new_app_has_the_name_but_no_mobile(office):
    wecom, fake, _, _ = office
    user = await wecom.user_get("lixiaomei")
    assert user["name"] == "李小梅" and user["department"] == [1] and user["position"] == "客户经理"
    assert "mobile" not in user and "email" not in user and "avatar" not in user
    fake.privacy.outside_range.add("newbie")
    assert await errcode_of(wecom.user_get("newbie")) == 60011  # a member the app may not see
    assert await errcode_of(wecom.user_get("ghost")) == 60111


def test_an_app_created_before_2022_still_gets_the_mobile():
    old_app = make_fake(app_created_after_2022=False)
    assert user_get(old_app, {"userid": "lixiaomei"}, None)["mobile"] == "13800000001"


async def test_privateinfo_sign_in_gives_a_ticket_for_the_mobile(office):
    wecom, fake, clock, _ = office
    info = await wecom.auth_getuserinfo(fake.issue_oauth_code("lixiaomei", privateinfo=True))
    assert info["userid"] == "lixiaomei" and info["expires_in"] == 1800 and info["user_ticket"]
    detail = await wecom.user_getuserdetail(info["user_ticket"])
    assert detail["userid"] == "lixiaomei" and detail["mobile"] == "13800000001" and detail["gender"] == "0"
    clock.advance(1801)
    assert await errcode_of(wecom.user_getuserdetail(info["user_ticket"])) == 84014


async def test_without_consent_or_with_a_bad_ticket_there_is_no_mobile(office):
    wecom, fake, _, _ = office
    assert "user_ticket" not in await wecom.auth_getuserinfo(fake.issue_oauth_code("lixiaomei"))  # snsapi_base
    refused = await wecom.auth_getuserinfo(fake.issue_oauth_code("lixiaomei", privateinfo=False))
    assert await wecom.user_getuserdetail(refused["user_ticket"]) == {"errcode": 0, "errmsg": "ok",
                                                                      "userid": "lixiaomei"}
    fake.privacy.outside_range.add("wanggang")  # WeCom gives tickets only inside the visible range
    assert "user_ticket" not in await wecom.auth_getuserinfo(fake.issue_oauth_code("wanggang", privateinfo=True))
    assert await errcode_of(wecom.user_getuserdetail("forged")) == 84015
    assert await errcode_of(wecom.user_getuserdetail("")) == 84090


# --- customer transfers ---------------------------------------------------------------------------------

async def statuses(wecom, handover="lixiaomei", takeover="wanggang", resigned=False) -> dict:
    call = wecom.resigned_transfer_result if resigned else wecom.transfer_result
    return {c["external_userid"]: c["status"] for c in (await call(handover, takeover))["customer"]}


async def test_on_job_transfer_waits_a_day_then_the_new_member_follows(office):
    wecom, fake, clock, _ = office
    answer = await wecom.transfer_customer("lixiaomei", "wanggang", ["wmHuaxiaBoss"], "王刚接替李小梅为您服务")
    assert answer["customer"] == [{"external_userid": "wmHuaxiaBoss", "errcode": 0}]
    assert await statuses(wecom) == {"wmHuaxiaBoss": 2}
    assert await wecom.externalcontact_list("wanggang") == ["wmJinchengCashier"]  # not yet
    clock.advance(DAY + 1)
    result = (await wecom.transfer_result("lixiaomei", "wanggang"))["customer"][0]
    assert result["status"] == 1 and result["takeover_time"] >= int(clock.now) - 1
    assert sorted(await wecom.externalcontact_list("wanggang")) == ["wmHuaxiaBoss", "wmJinchengCashier"]
    follow = (await wecom.externalcontact_get("wmHuaxiaBoss"))["follow_user"]
    assert [(f["userid"], f["remark"]) for f in follow] == [("wanggang", "华夏陈总")]  # the remark moved along
    assert await errcode_of(wecom.externalcontact_list("lixiaomei")) == 84061


async def test_a_refused_transfer_leaves_the_customer_with_the_old_member(office):
    wecom, fake, _, base = office
    async with aiohttp.ClientSession() as http:
        async with http.post(base + "_sandbox/transfers/script",
                             json={"external_userid": "wmHuaxiaBoss", "status": REFUSED}) as resp:
            assert resp.status == 200
        await wecom.transfer_customer("lixiaomei", "wanggang", ["wmHuaxiaBoss"])
        async with http.post(base + "_sandbox/transfers/settle") as resp:
            assert await resp.json() == {"settled": 1}
        async with http.post(base + "_sandbox/events/take") as resp:
            events = await resp.json()
        async with http.post(base + "_sandbox/transfers/script", json={"status": 9}) as resp:
            assert resp.status == 400
    assert await statuses(wecom) == {"wmHuaxiaBoss": 3}
    assert await wecom.externalcontact_list("lixiaomei") == ["wmHuaxiaBoss"]
    assert events == [{"event": "change_external_contact", "fields": {
        "ChangeType": "transfer_fail", "FailReason": "customer_refused", "UserID": "wanggang",
        "ExternalUserID": "wmHuaxiaBoss"}}]


async def test_refusals_per_customer_and_the_100_limit(office):
    wecom, fake, _, base = office
    answer = await wecom.transfer_customer("lixiaomei", "wanggang", ["wmHuaxiaBoss", "wmNobody", "wmJinchengCashier"])
    assert [c["errcode"] for c in answer["customer"]] == [0, 40096, 40131]  # started, unknown, not lixiaomei's
    again = await wecom.transfer_customer("lixiaomei", "admin", ["wmHuaxiaBoss"])
    assert again["customer"][0]["errcode"] == 40129  # already being transferred
    same = await wecom.transfer_customer("wanggang", "wanggang", ["wmJinchengCashier"])
    assert same["customer"][0]["errcode"] == 40130
    assert await errcode_of(wecom.transfer_customer("lixiaomei", "ghost", ["wmHuaxiaBoss"])) == 40003
    with pytest.raises(ValueError):
        await wecom.transfer_customer("lixiaomei", "wanggang", [f"wm{i}" for i in range(101)])
    assert len(fake.calls_to("externalcontact/transfer_customer")) == 4  # the 101 never left the client
    token = await wecom.access_token()
    body = {"handover_userid": "lixiaomei", "takeover_userid": "wanggang",
            "external_userid": [f"wm{i}" for i in range(101)]}
    async with aiohttp.ClientSession() as http:
        async with http.post(base + "cgi-bin/externalcontact/transfer_customer",
                             params={"access_token": token}, json=body) as resp:
            assert (await resp.json())["errcode"] == 40058


async def test_limit_reached_is_status_4(office):
    wecom, fake, _, _ = office
    fake.handover.script("wmHuaxiaBoss", LIMIT)
    await wecom.transfer_customer("lixiaomei", "wanggang", ["wmHuaxiaBoss"])
    fake.handover.settle(now=True)
    assert await statuses(wecom) == {"wmHuaxiaBoss": 4}
    assert fake.handover.take_events()[0][1]["FailReason"] == "customer_limit_exceed"


async def test_a_leavers_customers_are_unassigned_until_handed_over(office):
    wecom, fake, clock, _ = office
    fake.remove_member("wanggang")
    unassigned = await wecom.get_unassigned_list()
    assert unassigned["info"] == [{"handover_userid": "wanggang", "external_userid": "wmJinchengCashier",
                                   "dimission_time": int(clock.now)}] and unassigned["is_last"] is True
    assert await errcode_of(wecom.transfer_customer("wanggang", "lixiaomei", ["wmJinchengCashier"])) == 40003
    assert await errcode_of(wecom.resigned_transfer_customer("admin", "lixiaomei", ["wmHuaxiaBoss"])) == 40097
    answer = await wecom.resigned_transfer_customer("wanggang", "lixiaomei", ["wmJinchengCashier"])
    assert answer["customer"][0]["errcode"] == 0
    assert (await wecom.get_unassigned_list())["info"] == []
    assert await statuses(wecom, "wanggang", "lixiaomei", resigned=True) == {"wmJinchengCashier": 2}
    clock.advance(DAY)
    assert await statuses(wecom, "wanggang", "lixiaomei", resigned=True) == {"wmJinchengCashier": 1}
    assert sorted(await wecom.externalcontact_list("lixiaomei")) == ["wmHuaxiaBoss", "wmJinchengCashier"]
    assert fake.handover.take_events() == []  # transfer_fail is an on-job event only


# --- groups ---------------------------------------------------------------------------------------------

async def test_group_owners_move_on_job_and_after_leaving(office):
    wecom, fake, _, _ = office
    answer = await wecom.groupchat_onjob_transfer(["wrHuaxiaGroup", "wrNope"], "wanggang")
    assert [(f["chat_id"], f["errcode"]) for f in answer["failed_chat_list"]] == [("wrNope", 40050)]
    group = await wecom.groupchat_get("wrHuaxiaGroup")
    assert group["owner"] == "wanggang" and "wanggang" in [m["userid"] for m in group["member_list"]]
    refused = await wecom.groupchat_transfer(["wrHuaxiaGroup"], "admin")  # the owner has not left
    assert refused["failed_chat_list"][0]["errcode"] == 90500
    fake.remove_member("wanggang")
    gone = await wecom.groupchat_onjob_transfer(["wrHuaxiaGroup"], "admin")
    assert gone["failed_chat_list"][0]["errcode"] == 90502
    assert (await wecom.groupchat_transfer(["wrHuaxiaGroup"], "admin"))["failed_chat_list"] == []
    assert (await wecom.groupchat_list(owners=["admin"]))["group_chat_list"][0]["chat_id"] == "wrHuaxiaGroup"
    with pytest.raises(ValueError):
        await wecom.groupchat_transfer([f"wr{i}" for i in range(101)], "admin")


# --- the transfer_fail event reaches the server ----------------------------------------------------------

async def test_a_failed_transfer_is_noted_by_the_server(stack):
    await run_sync(stack, small_agency)
    stack.fake.handover.script("wmHuaxiaBoss", REFUSED)
    stack.fake.handover.start("onjob", "lixiaomei", "wanggang", "wmHuaxiaBoss")
    stack.fake.handover.settle(now=True)
    deliveries = await stack.driver.deliver_events(stack.fake.handover.take_events())
    assert [(d.status, d.body) for d in deliveries] == [(200, "")]

    def notes():
        return [a.after for a in models.AuditLog.select().where(models.AuditLog.action == "wecom.transfer_failed")]
    noted = await run_sync(stack, notes)
    assert len(noted) == 1 and noted[0]["fail_reason"] == "customer_refused"
