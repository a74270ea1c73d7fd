"""The fake WeCom behaves like WeCom: error codes, expiry, caps, paging, faults."""
from __future__ import annotations

import io
import json
import time
from datetime import datetime

import aiohttp
import pytest

from bot.sandbox.fake.app import FAKE_KEY, create_fake_wecom_app

from bot.sandbox.fake.records import FakeConfig

from bot.sandbox.fake.state import FakeWeCom
from bot.sandbox.fake.records import CHINA_TZ

CORP_ID, AGENT_ID, SECRET = "ww0123456789abcdef", 1000002, "s3cr3t-app-secret-value"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
T0 = datetime(2025, 6, 30, 10, 0, tzinfo=CHINA_TZ).timestamp()


class Clock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def follow(userid: str, **extra) -> dict:
    return {"userid": userid, "remark": f"{userid}的客户", "description": "", "createtime": 1700000000,
            "tags": [{"group_name": "行业", "tag_name": "餐饮", "tag_id": "etTAG1", "type": 1}],
            "state": "", "add_way": 1, **extra}


def make_directory() -> dict:
    members = [{"userid": u, "name": n, "mobile": "13800000000", "department": [d], "position": "会计"}
               for u, n, d in (("admin", "张总", 1), ("li", "李会计", 2), ("wang", "王会计", 2), ("zhao", "赵", 3))]
    contacts = []
    for i in range(7):  # li follows all 7, wang follows the even ones, zhao follows none
        followers = [follow("li")] + ([follow("wang")] if i % 2 == 0 else [])
        contacts.append({"external_userid": f"wmCUST{i}", "name": f"客户{i}", "type": 1, "corp_name": "",
                         "gender": 1, "unionid": f"oUNION{i}", "avatar": "", "follow_users": followers})
    groups = [{"chat_id": f"wrGROUP{i}", "name": f"群{i}", "owner": "li" if i < 3 else "wang",
               "create_time": 1700000000 + i, "notice": "",
               "member_list": [{"userid": "li", "type": 1, "join_time": 1700000000, "join_scene": 1,
                                "invitor": {"userid": "li"}, "group_nickname": "", "name": "李会计"},
                               {"userid": "wmCUST0", "type": 2, "join_time": 1700000001, "join_scene": 3,
                                "group_nickname": "", "name": "客户0"}],
               "admin_list": [{"userid": "li"}]} for i in range(5)]
    return {"corp_name": "账房测试", "members": members, "contacts": contacts, "groups": groups}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeWeCom:
    config = FakeConfig(corp_id=CORP_ID, agent_id=AGENT_ID, secret=SECRET, token_ttl=600)
    return FakeWeCom(config, make_directory(), clock=clock)


@pytest.fixture
async def client(aiohttp_client, fake):
    return await aiohttp_client(create_fake_wecom_app(fake))


async def get_token(client) -> str:
    resp = await client.get("/cgi-bin/gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET})
    return (await resp.json())["access_token"]


async def api(client, method: str, path: str, token: str | None, body=None, **params) -> dict:
    if token is not None:
        params["access_token"] = token
    resp = await client.request(method, f"/cgi-bin/{path}", params=params, json=body)
    assert resp.status == 200  # WeCom answers every API error with HTTP 200
    data = await resp.json()
    assert set(data) >= {"errcode", "errmsg"}
    return data


def text_message(touser: str = "li", content: str = "您好", **extra) -> dict:
    return {"touser": touser, "msgtype": "text", "agentid": AGENT_ID, "text": {"content": content}, **extra}


async def upload(client, token: str, kind: str, data: bytes, filename: str = "x.png", field: str = "media"):
    form = aiohttp.FormData()
    # A stream, not bytes: aiohttp warns (an error here) about >1 MiB bytes bodies.
    form.add_field(field, io.BytesIO(data), filename=filename, content_type="application/octet-stream")
    resp = await client.post("/cgi-bin/media/upload", params={"access_token": token, "type": kind}, data=form)
    return await resp.json()


# --- tokens -------------------------------------------------------------------------------

async def test_gettoken_credentials_errors(client, fake):
    async def codes(**params):
        resp = await client.get("/cgi-bin/gettoken", params=params)
        return (await resp.json())["errcode"]

    assert await codes(corpid=CORP_ID, corpsecret="wrong") == 40001
    assert await codes(corpid="wwOTHER", corpsecret=SECRET) == 40013
    assert await codes(corpsecret=SECRET) == 41002
    assert await codes(corpid=CORP_ID) == 41004
    assert all(c.query.get("corpsecret") in (None, "***") for c in fake.calls)
    assert SECRET not in json.dumps([c.query for c in fake.calls])


async def test_same_token_within_validity_then_expired(client, clock):
    first = await (await client.get("/cgi-bin/gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET})).json()
    assert first["errcode"] == 0 and len(first["access_token"]) >= 64 and first["expires_in"] == 600
    clock.advance(100)
    second = await (await client.get("/cgi-bin/gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET})).json()
    assert second["access_token"] == first["access_token"] and second["expires_in"] == 500
    clock.advance(500)
    assert (await api(client, "GET", "user/get", first["access_token"], userid="li"))["errcode"] == 0
    clock.advance(1)
    assert (await api(client, "GET", "user/get", first["access_token"], userid="li"))["errcode"] == 42001
    fresh = await get_token(client)
    assert fresh != first["access_token"]
    assert (await api(client, "GET", "user/get", fresh, userid="li"))["errcode"] == 0


async def test_missing_and_unknown_token(client):
    assert (await api(client, "GET", "user/get", None, userid="li"))["errcode"] == 41001
    unknown = await api(client, "GET", "user/get", "x" * 100, userid="li")
    assert unknown["errcode"] == 40014 and unknown["errmsg"].startswith("invalid access_token, hint: [")


async def test_expire_tokens(client, fake):
    token = await get_token(client)
    fake.expire_tokens()
    reply = await api(client, "GET", "user/get", token, userid="li")
    assert reply["errcode"] == 42001 and "access_token expired" in reply["errmsg"]
    assert await get_token(client) != token


async def test_tokens_masked_in_call_log(client, fake):
    token = await get_token(client)
    await api(client, "GET", "user/get", token, userid="li")
    assert fake.calls_to("user/get")[0].query == {"userid": "li", "access_token": "***"}
    logged = await (await client.get("/_sandbox/calls", params={"limit": "10"})).text()
    assert token not in logged and SECRET not in logged and "***" in logged


async def test_unknown_api_and_bad_bodies(client):
    token = await get_token(client)
    assert (await api(client, "GET", "no/such/api", token))["errcode"] == 48001
    resp = await client.post("/cgi-bin/message/send", params={"access_token": token}, data=b"{not json")
    assert (await resp.json())["errcode"] == 47001
    resp = await client.post("/cgi-bin/message/send", params={"access_token": token}, data=b"")
    assert (await resp.json())["errcode"] == 44002


# --- faults -------------------------------------------------------------------------------

async def test_inject_45009_twice_then_success(client, fake):
    token = await get_token(client)
    fake.inject("message/send", 45009, times=2)
    codes = [(await api(client, "POST", "message/send", token, text_message()))["errcode"] for _ in range(3)]
    assert codes == [45009, 45009, 0]
    assert len(fake.messages_for("li")) == 1
    assert [c.errcode for c in fake.calls_to("message/send")] == [45009, 45009, 0]


async def test_injected_token_error_invalidates_nothing(client, fake):
    token = await get_token(client)
    fake.inject("user/get", 42001, errmsg="access_token expired")
    assert (await api(client, "GET", "user/get", token, userid="li")) == {
        "errcode": 42001, "errmsg": "access_token expired"}
    assert (await api(client, "GET", "user/get", token, userid="li"))["errcode"] == 0


async def test_inject_applies_after_token_check(client, fake):
    fake.inject("message/send", -1)
    assert (await api(client, "POST", "message/send", "bogus", text_message()))["errcode"] == 40014
    token = await get_token(client)
    assert (await api(client, "POST", "message/send", token, text_message()))["errcode"] == -1


# --- message/send -------------------------------------------------------------------------

async def test_send_partly_and_wholly_invalid_recipients(client, fake):
    token = await get_token(client)
    reply = await api(client, "POST", "message/send", token, text_message("li|ghost|wang|nobody"))
    assert reply["errcode"] == 0 and reply["invaliduser"] == "ghost|nobody" and reply["msgid"]
    assert {m.touser for m in fake.delivered} == {"li", "wang"}
    assert (await api(client, "POST", "message/send", token, text_message("ghost")))["errcode"] == 81013
    assert (await api(client, "POST", "message/send", token, text_message("")))["errcode"] == 81013
    assert len(fake.delivered) == 2


async def test_send_validation_codes(client):
    token = await get_token(client)

    async def code(body):
        return (await api(client, "POST", "message/send", token, body))["errcode"]

    assert await code(text_message(agentid=999)) == 40056
    assert await code({k: v for k, v in text_message().items() if k != "agentid"}) == 41011
    assert await code(text_message(msgtype="voice")) == 40008
    assert await code(text_message(content="")) == 44004
    card = {"touser": "li", "msgtype": "textcard", "agentid": AGENT_ID, "textcard": {"description": "d", "url": "u"}}
    assert await code(card) == 41016
    assert await code({**card, "textcard": {"title": "t", "url": "u"}}) == 41033
    assert await code({**card, "textcard": {"title": "t", "description": "d"}}) == 41010
    markdown = {"touser": "li", "msgtype": "markdown", "agentid": AGENT_ID, "markdown": {"content": "x" * 2049}}
    assert await code(markdown) == 45002


async def test_long_text_is_cut_at_2048_bytes(client, fake):
    token = await get_token(client)
    original = "账" * 1000  # 3000 bytes
    assert (await api(client, "POST", "message/send", token, text_message(content=original)))["errcode"] == 0
    delivered = fake.messages_for("li")[0].content["content"]
    assert len(delivered.encode()) <= 2048 and original.startswith(delivered) and len(delivered) == 682


async def test_textcard_title_is_cut(client, fake):
    token = await get_token(client)
    card = {"title": "标" * 100, "description": "描述", "url": "https://example.com/x"}
    body = {"touser": "li", "msgtype": "textcard", "agentid": AGENT_ID, "textcard": card}
    assert (await api(client, "POST", "message/send", token, body))["errcode"] == 0
    assert len(fake.messages_for("li")[0].content["title"].encode()) <= 128


async def test_minute_cap_drops_silently_then_recovers(client, fake, clock):
    token = await get_token(client)
    replies = [await api(client, "POST", "message/send", token, text_message(content=f"#{i}")) for i in range(31)]
    assert all(r["errcode"] == 0 for r in replies)
    assert len(fake.messages_for("li")) == 30
    assert [m.content["content"] for m in fake.dropped] == ["#30"]
    # Other members have their own cap.
    assert (await api(client, "POST", "message/send", token, text_message("wang")))["errcode"] == 0
    assert len(fake.messages_for("wang")) == 1
    clock.advance(59)
    await api(client, "POST", "message/send", token, text_message(content="too soon"))
    assert len(fake.dropped) == 2
    clock.advance(1)
    await api(client, "POST", "message/send", token, text_message(content="next minute"))
    assert fake.messages_for("li")[-1].content["content"] == "next minute"


async def test_hour_cap_drops_the_1001st(client, fake, clock):
    fake.config.token_ttl = 7200
    token = await get_token(client)
    for i in range(1000):  # 30 a minute, so only the hour cap can bite
        if i and i % 30 == 0:
            clock.advance(60)
        assert (await api(client, "POST", "message/send", token, text_message(content=f"#{i}")))["errcode"] == 0
    assert len(fake.messages_for("li")) == 1000 and not fake.dropped
    clock.advance(60)  # the minute window is clear, the hour window is full
    assert (await api(client, "POST", "message/send", token, text_message(content="#1000")))["errcode"] == 0
    assert [m.content["content"] for m in fake.dropped] == ["#1000"]
    clock.now = T0 + 3600  # the first 30 leave the hour window
    await api(client, "POST", "message/send", token, text_message(content="#1001"))
    assert fake.messages_for("li")[-1].content["content"] == "#1001"


async def test_duplicate_check(client, fake, clock):
    token = await get_token(client)
    message = text_message(content="月底报税提醒", enable_duplicate_check=1, duplicate_check_interval=600)
    first = await api(client, "POST", "message/send", token, message)
    second = await api(client, "POST", "message/send", token, message)
    assert first["errcode"] == second["errcode"] == 0
    assert len(fake.messages_for("li")) == 1
    await api(client, "POST", "message/send", token, {**message, "text": {"content": "另一条"}})
    assert len(fake.messages_for("li")) == 2
    clock.advance(600)
    await api(client, "POST", "message/send", token, message)
    assert len(fake.messages_for("li")) == 3
    await api(client, "POST", "message/send", token, text_message(content="月底报税提醒"))
    assert len(fake.messages_for("li")) == 4  # without the flag, duplicates are delivered
    too_long = {**message, "duplicate_check_interval": 14401}
    assert (await api(client, "POST", "message/send", token, too_long))["errcode"] == 40058


async def test_send_to_all_and_to_a_department(client, fake):
    token = await get_token(client)
    await api(client, "POST", "message/send", token, text_message("@all"))
    assert {m.touser for m in fake.delivered} == {"admin", "li", "wang", "zhao"}
    reply = await api(client, "POST", "message/send", token, {**text_message(""), "toparty": "2|99"})
    assert reply["invalidparty"] == "99"
    assert sorted(m.touser for m in fake.delivered[4:]) == ["li", "wang"]


# --- media ---------------------------------------------------------------------------------

async def test_media_upload_checks(client):
    token = await get_token(client)
    ok = await upload(client, token, "image", PNG)
    assert ok["errcode"] == 0 and ok["type"] == "image" and ok["media_id"] and isinstance(ok["created_at"], str)
    assert (await upload(client, token, "image", JPG, "a.jpg"))["errcode"] == 0
    assert (await upload(client, token, "image", b"GIF89a" + b"\x00" * 64, "a.gif"))["errcode"] == 40004
    assert (await upload(client, token, "gif", PNG))["errcode"] == 40005
    assert (await upload(client, token, "file", b"12345", "a.txt"))["errcode"] == 40006
    assert (await upload(client, token, "file", b"", "a.txt"))["errcode"] == 44001
    assert (await upload(client, token, "file", PNG, field="other"))["errcode"] == 44001
    assert (await upload(client, token, "image", PNG + b"\x00" * (10 * 1024 * 1024)))["errcode"] == 40009
    assert (await upload(client, token, "file", b"x" * (20 * 1024 * 1024 + 1), "big.bin"))["errcode"] == 40006
    pdf = await upload(client, token, "file", b"%PDF-1.7 tax report", "报表.pdf")
    assert pdf["errcode"] == 0
    served = await client.get(f"/_sandbox/media/{pdf['media_id']}")
    assert served.content_type == "application/pdf" and await served.read() == b"%PDF-1.7 tax report"


async def test_media_in_messages_and_expiry(client, fake, clock):
    token = await get_token(client)
    image_id = (await upload(client, token, "image", PNG))["media_id"]
    file_id = (await upload(client, token, "file", b"%PDF-1.7 x", "r.pdf"))["media_id"]
    image = {"touser": "li", "msgtype": "image", "agentid": AGENT_ID, "image": {"media_id": image_id}}
    assert (await api(client, "POST", "message/send", token, image))["errcode"] == 0
    wrong_type = {**image, "image": {"media_id": file_id}}
    assert (await api(client, "POST", "message/send", token, wrong_type))["errcode"] == 40007
    assert (await api(client, "POST", "message/send", token, {**image, "image": {}}))["errcode"] == 41006
    view = await (await client.get("/_sandbox/messages", params={"userid": "li"})).json()
    assert view[-1]["media_url"] == f"/_sandbox/media/{image_id}" and view[-1]["dropped"] is False
    media = await client.get(view[-1]["media_url"])
    assert media.content_type == "image/png" and await media.read() == PNG
    fake.config.token_ttl = 10 * 86400
    clock.advance(3 * 86400 + 1)
    token = await get_token(client)
    assert (await api(client, "POST", "message/send", token, image))["errcode"] == 40007


# --- members and OAuth ---------------------------------------------------------------------

async def test_user_get(client):
    token = await get_token(client)
    user = await api(client, "GET", "user/get", token, userid="li")
    assert user["name"] == "李会计" and user["department"] == [2] and user["status"] == 1
    assert (await api(client, "GET", "user/get", token, userid="ghost"))["errcode"] == 60111
    assert (await api(client, "GET", "user/get", token))["errcode"] == 41009


async def test_oauth_code_single_use_and_expiry(client, fake, clock):
    token = await get_token(client)
    code = fake.issue_oauth_code("li")
    assert await api(client, "GET", "auth/getuserinfo", token, code=code) == {
        "errcode": 0, "errmsg": "ok", "userid": "li"}
    assert (await api(client, "GET", "auth/getuserinfo", token, code=code))["errcode"] == 40029
    assert (await api(client, "GET", "auth/getuserinfo", token))["errcode"] == 41008
    late = fake.issue_oauth_code("li")
    clock.advance(301)
    assert (await api(client, "GET", "auth/getuserinfo", await get_token(client), code=late))["errcode"] == 40029
    sandbox = await (await client.post("/_sandbox/oauth-code", json={"userid": "wang"})).json()
    reply = await api(client, "GET", "auth/getuserinfo", await get_token(client), code=sandbox["code"])
    assert reply["userid"] == "wang"


# --- external contacts ---------------------------------------------------------------------

async def test_follow_users_and_contact_lists(client, fake):
    token = await get_token(client)
    assert (await api(client, "GET", "externalcontact/get_follow_user_list", token))["follow_user"] == ["li", "wang"]
    listed = await api(client, "GET", "externalcontact/list", token, userid="wang")
    assert listed["external_userid"] == ["wmCUST0", "wmCUST2", "wmCUST4", "wmCUST6"]
    assert (await api(client, "GET", "externalcontact/list", token, userid="zhao"))["errcode"] == 84061
    assert (await api(client, "GET", "externalcontact/list", token, userid="ghost"))["errcode"] == 60111
    fake.remove_follow("wmCUST0", "wang")
    fake.set_follow("wmCUST1", "zhao", remark="新客户")
    listed = await api(client, "GET", "externalcontact/list", token, userid="wang")
    assert "wmCUST0" not in listed["external_userid"]
    assert (await api(client, "GET", "externalcontact/list", token, userid="zhao"))["external_userid"] == ["wmCUST1"]


async def test_externalcontact_get_pages_followers(client, fake):
    token = await get_token(client)
    one = await api(client, "GET", "externalcontact/get", token, external_userid="wmCUST0")
    assert one["external_contact"]["name"] == "客户0" and "follow_users" not in one["external_contact"]
    assert [f["userid"] for f in one["follow_user"]] == ["li", "wang"] and one["next_cursor"] == ""
    assert one["follow_user"][0]["tags"][0]["tag_id"] == "etTAG1"
    assert (await api(client, "GET", "externalcontact/get", token, external_userid="wmNOPE"))["errcode"] == 40096
    fake.add_contact({"external_userid": "wmBIG", "name": "大客户", "type": 2,
                      "follow_users": [follow(f"u{i}") for i in range(1203)]})
    seen, cursor = [], ""
    while True:
        page = await api(client, "GET", "externalcontact/get", token, external_userid="wmBIG", cursor=cursor)
        assert len(page["follow_user"]) <= 500
        seen += [f["userid"] for f in page["follow_user"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"u{i}" for i in range(1203)]


async def test_batch_get_by_user_pages_every_pair_once(client):
    token = await get_token(client)
    pairs, cursor, pages = [], "", 0
    while True:
        body = {"userid_list": ["li", "wang", "zhao"], "cursor": cursor, "limit": 3}
        page = await api(client, "POST", "externalcontact/batch/get_by_user", token, body)
        assert page["errcode"] == 0 and len(page["external_contact_list"]) <= 3
        for item in page["external_contact_list"]:
            pairs.append((item["external_contact"]["external_userid"], item["follow_info"]["userid"]))
            assert item["follow_info"]["tag_id"] == ["etTAG1"]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    expected = {(f"wmCUST{i}", "li") for i in range(7)} | {(f"wmCUST{i}", "wang") for i in (0, 2, 4, 6)}
    assert len(pairs) == len(expected) == 11 and set(pairs) == expected and pages == 4


async def test_batch_get_by_user_parameter_errors(client):
    token = await get_token(client)

    async def code(body):
        return (await api(client, "POST", "externalcontact/batch/get_by_user", token, body))["errcode"]

    assert await code({"userid_list": []}) == 40058
    assert await code({"userid_list": ["li"] * 101}) == 40058
    assert await code({"userid_list": ["li"], "limit": 101}) == 40058
    assert await code({"userid_list": ["li"], "cursor": "garbage!"}) == 40058
    assert await code({"userid_list": ["li", "ghost"]}) == 40031
    default = await api(client, "POST", "externalcontact/batch/get_by_user", token, {"userid_list": ["li"]})
    assert len(default["external_contact_list"]) == 7 and default["next_cursor"] == ""


# --- customer groups -----------------------------------------------------------------------

async def test_groupchat_list_paging_and_filters(client, fake):
    token = await get_token(client)
    seen, cursor = [], ""
    while True:
        page = await api(client, "POST", "externalcontact/groupchat/list", token, {"limit": 2, "cursor": cursor})
        seen += [g["chat_id"] for g in page["group_chat_list"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"wrGROUP{i}" for i in range(5)]
    owned = await api(client, "POST", "externalcontact/groupchat/list", token,
                      {"limit": 100, "owner_filter": {"userid_list": ["wang"]}})
    assert [g["chat_id"] for g in owned["group_chat_list"]] == ["wrGROUP3", "wrGROUP4"]
    for bad in ({"limit": 0}, {"limit": 1001}, {}, {"limit": 10, "owner_filter": {"userid_list": ["li"] * 101}}):
        assert (await api(client, "POST", "externalcontact/groupchat/list", token, bad))["errcode"] == 40058
    fake.remove_group("wrGROUP0")
    page = await api(client, "POST", "externalcontact/groupchat/list", token, {"limit": 100})
    assert len(page["group_chat_list"]) == 4


async def test_groupchat_get(client, fake):
    token = await get_token(client)
    plain = await api(client, "POST", "externalcontact/groupchat/get", token, {"chat_id": "wrGROUP1"})
    chat = plain["group_chat"]
    assert chat["owner"] == "li" and chat["admin_list"] == [{"userid": "li"}] and chat["member_version"]
    assert all("name" not in m for m in chat["member_list"])
    named = await api(client, "POST", "externalcontact/groupchat/get", token, {"chat_id": "wrGROUP1", "need_name": 1})
    assert [m["name"] for m in named["group_chat"]["member_list"]] == ["李会计", "客户0"]
    assert (await api(client, "POST", "externalcontact/groupchat/get", token, {"chat_id": "wrX"}))["errcode"] == 40050
    group = fake.group("wrGROUP1")
    fake.add_group({**group, "member_list": group["member_list"][:1]})
    changed = await api(client, "POST", "externalcontact/groupchat/get", token, {"chat_id": "wrGROUP1"})
    assert changed["group_chat"]["member_version"] != chat["member_version"]


# --- add_msg_template ----------------------------------------------------------------------

async def test_add_msg_template_monthly_limit(client, fake, clock):
    token = await get_token(client)
    body = {"chat_type": "single", "external_userid": ["wmCUST0", "wmNOPE"], "sender": "li",
            "text": {"content": "本月报税提醒"}}
    for _ in range(4):
        reply = await api(client, "POST", "externalcontact/add_msg_template", token, body)
        assert reply["errcode"] == 0 and reply["msgid"] and reply["fail_list"] == ["wmNOPE"]
    fifth = await api(client, "POST", "externalcontact/add_msg_template", token, body)
    assert fifth["fail_list"] == ["wmNOPE", "wmCUST0"]
    assert len(fake.msg_templates) == 5 and fake.msg_templates[-1]["external_userid"] == []
    clock.advance(86400)  # 1 July in Beijing: a new natural month
    token = await get_token(client)
    sixth = await api(client, "POST", "externalcontact/add_msg_template", token, body)
    assert sixth["fail_list"] == ["wmNOPE"] and fake.msg_templates[-1]["external_userid"] == ["wmCUST0"]


async def test_add_msg_template_validation(client):
    token = await get_token(client)

    async def code(body):
        return (await api(client, "POST", "externalcontact/add_msg_template", token, body))["errcode"]

    assert await code({"external_userid": ["wmCUST0"], "sender": "li"}) == 44004
    assert await code({"chat_type": "group", "text": {"content": "x"}}) == 40058
    attachments = [{"msgtype": "link", "link": {"title": "t", "url": "https://e.com"}}] * 10
    assert await code({"external_userid": ["wmCUST0"], "text": {"content": "x"}, "attachments": attachments}) == 40058
    bad_image = [{"msgtype": "image", "image": {"media_id": "nope"}}]
    assert await code({"external_userid": ["wmCUST0"], "attachments": bad_image}) == 40007
    assert await code({"external_userid": ["wmCUST0"], "sender": "ghost", "text": {"content": "x"}}) == 60111


# --- tickets, latency, sandbox -------------------------------------------------------------

async def test_js_tickets(client, fake, clock):
    token = await get_token(client)
    first = await api(client, "GET", "get_jsapi_ticket", token)
    again = await api(client, "GET", "get_jsapi_ticket", token)
    assert first["ticket"] == again["ticket"] and first["expires_in"] == 7200
    agent = await api(client, "GET", "ticket/get", token, type="agent_config")
    assert agent["errcode"] == 0 and agent["ticket"] != first["ticket"]
    assert (await api(client, "GET", "ticket/get", token))["errcode"] == 40058
    assert (await api(client, "GET", "ticket/get", token, type="jsapi"))["errcode"] == 40058
    assert len(fake.calls_to("get_jsapi_ticket")) == 2 and len(fake.calls_to("ticket/get")) == 3


async def test_sandbox_views(client, fake):
    token = await get_token(client)
    for i in range(31):
        await api(client, "POST", "message/send", token, text_message(content=f"#{i}"))
    view = await (await client.get("/_sandbox/messages", params={"userid": "li"})).json()
    assert len(view) == 31 and view[-1]["dropped"] is True and view[0]["content"] == {"content": "#0"}
    directory = await (await client.get("/_sandbox/directory")).json()
    assert directory["corp_name"] == "账房测试"
    calls = await (await client.get("/_sandbox/calls", params={"limit": "5"})).json()
    assert len(calls) == 5 and calls[-1]["path"] == "/cgi-bin/message/send"
    assert (await client.get("/_sandbox/media/unknown")).status == 404
    assert client.app[FAKE_KEY] is fake


async def test_latency_is_added(aiohttp_client, fake):
    fake.config.latency = 0.05
    client = await aiohttp_client(create_fake_wecom_app(fake))
    started = time.monotonic()
    await get_token(client)
    assert time.monotonic() - started >= 0.05
