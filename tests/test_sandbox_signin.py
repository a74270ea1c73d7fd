"""The demo's sign-in stand-ins: /sandbox/sso (企业微信 Web 登录) and /sandbox/oauth (member chooser, consent for
snsapi_privateinfo), as a person clicking through them would see them."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.sandbox.fake.auth import auth_getuserinfo
from bot.sandbox.fake.members import user_getuserdetail
from bot.sandbox.page import USER_COOKIE
from tests.browser import demo, seeded  # noqa: F401 (fixtures)


def links(page: str) -> dict[str, str]:
    """Link text -> href of every <a> on the page."""
    found = re.findall(r'<a[^>]*href="([^"]+)"[^>]*>([^<]+)</a>', page)
    return {html.unescape(text).strip(): html.unescape(href) for href, text in found}


def sso_params(demo, **overrides) -> dict:
    params = {"login_type": "CorpApp", "appid": demo.config.wecom.corp_id, "agentid": str(demo.config.wecom.agent_id),
              "redirect_uri": demo.url("/admin/login"), "state": "abc123"}
    return {**params, **overrides}


def member(demo) -> dict:
    return demo.fake.directory["members"][0]


async def get(http, url, **params):
    async with http.get(url, params=params or None, allow_redirects=False) as resp:
        return resp.status, await resp.text(), resp.headers.get("Location", "")


async def test_sso_lists_members_and_returns_a_code_with_the_state(demo):
    async with aiohttp.ClientSession() as http:
        status, page, _ = await get(http, demo.url("/sandbox/sso"), **sso_params(demo))
        assert status == 200 and "企业微信扫码登录（演示）" in page
        choices = links(page)
        assert member(demo)["name"] in choices
        status, _, location = await get(http, demo.url(choices[member(demo)["name"]]))
    assert status == 302 and location.startswith(demo.url("/admin/login?code="))
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["abc123"]
    assert auth_getuserinfo(demo.fake, {"code": query["code"][0]}, None) == {"userid": member(demo)["userid"]}


@pytest.mark.parametrize("override", [{"redirect_uri": "https://evil.example/admin/login"},
                                      {"redirect_uri": "/admin/login"}, {"appid": "wwsomeoneelse"},
                                      {"agentid": "1"}, {"login_type": "ServiceApp"}])
async def test_sso_refuses_a_link_that_is_not_ours(demo, override):
    async with aiohttp.ClientSession() as http:
        status, page, location = await get(http, demo.url("/sandbox/sso"),
                                           **sso_params(demo, userid=member(demo)["userid"], **override))
    assert status == 400 and "登录链接不正确" in page and not location


async def test_privateinfo_asks_for_consent_and_allow_gives_the_mobile(demo):
    userid = member(demo)["userid"]
    params = {"redirect_uri": demo.url("/admin/login"), "state": "s1", "scope": "snsapi_privateinfo",
              "agentid": str(demo.config.wecom.agent_id)}
    async with aiohttp.ClientSession(cookies={USER_COOKIE: userid}) as http:
        status, page, _ = await get(http, demo.url("/sandbox/oauth"), **params)
        assert status == 200 and "允许账房获取你的手机号等信息？" in page
        choices = links(page)
        _, _, allowed = await get(http, demo.url(choices["允许"]))
        _, _, refused = await get(http, demo.url(choices["拒绝"]))
    details = []
    for location in (allowed, refused):
        assert location.startswith(demo.url("/admin/login?code=")) and location.endswith("state=s1")
        info = auth_getuserinfo(demo.fake, {"code": parse_qs(urlsplit(location).query)["code"][0]}, None)
        details.append(user_getuserdetail(demo.fake, {}, {"user_ticket": info["user_ticket"]}))
    assert details[0]["mobile"] == member(demo)["mobile"]
    assert details[1] == {"userid": userid}  # refused: signed in, but no private fields


async def test_oauth_without_a_chosen_member_offers_a_chooser(demo):
    target = member(demo)
    async with aiohttp.ClientSession() as http:
        status, page, _ = await get(http, demo.url("/sandbox/oauth"), redirect_uri=demo.url("/admin"), state="s2")
        assert status == 200 and "选择企业成员" in page
        async with http.get(demo.url(links(page)[target["name"]]), allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"].startswith(demo.url("/admin?code="))
            assert resp.cookies[USER_COOKIE].value == target["userid"]  # the next sign-in is this member's


async def test_the_simulator_opens_the_console_as_each_member(demo):
    async with aiohttp.ClientSession() as http:
        _, page, _ = await get(http, demo.url("/sandbox"))
        href = links(page)[f"{member(demo)['name']} · 打开后台"]
        status, _, location = await get(http, demo.url(href))
    assert parse_qs(urlsplit(href).query) == {"userid": [member(demo)["userid"]], "path": ["/admin"]}
    assert status == 302 and location == "/admin"
