"""Fake endpoints for tokens, members and sign-in: gettoken, user/get, auth/getuserinfo, JS-SDK tickets."""
from __future__ import annotations

import hashlib
from typing import Any

from bot.sandbox.fake.records import WeComError
from bot.sandbox.fake.state import FakeWeCom


def gettoken(fake: FakeWeCom, query: dict, _: Any) -> dict:
    token, expires_in = fake.issue_token(query.get("corpid"), query.get("corpsecret"))
    return {"access_token": token, "expires_in": expires_in}


def user_get(fake: FakeWeCom, query: dict, _: Any) -> dict:
    if not query.get("userid"):
        raise WeComError(41009)
    member = fake.require_member(query["userid"])
    return {"status": 1, **member}


def auth_getuserinfo(fake: FakeWeCom, query: dict, _: Any) -> dict:
    userid = fake.redeem_oauth_code(query.get("code"))
    if fake.member(userid):
        return {"userid": userid}
    # Not a member (a customer on WeChat): WeCom answers with an openid instead.
    answer = {"openid": "o" + hashlib.sha1(userid.encode()).hexdigest()[:27]}
    if fake.contact(userid):
        answer["external_userid"] = userid
    return answer


def get_jsapi_ticket(fake: FakeWeCom, _: dict, __: Any) -> dict:
    ticket, expires_in = fake.fetch_ticket("corp")
    return {"ticket": ticket, "expires_in": expires_in}


def ticket_get(fake: FakeWeCom, query: dict, _: Any) -> dict:
    if query.get("type") != "agent_config":
        raise WeComError(40058)
    ticket, expires_in = fake.fetch_ticket("agent_config")
    return {"ticket": ticket, "expires_in": expires_in}
