"""Fake endpoints for tokens and sign-in: gettoken, auth/getuserinfo, JS-SDK tickets (members: members.py)."""
from __future__ import annotations

import hashlib
from typing import Any

from bot.sandbox.fake.identity import USER_TICKET_TTL
from bot.sandbox.fake.records import WeComError
from bot.sandbox.fake.state import FakeWeCom


def gettoken(fake: FakeWeCom, query: dict, _: Any) -> dict:
    token, expires_in = fake.issue_token(query.get("corpid"), query.get("corpsecret"))
    return {"access_token": token, "expires_in": expires_in}


def auth_getuserinfo(fake: FakeWeCom, query: dict, _: Any) -> dict:
    code = query.get("code")
    userid = fake.redeem_oauth_code(code)
    if fake.member(userid):
        # snsapi_privateinfo adds a user_ticket (1800 s) for a member inside the visible range (doc/91023)
        ticket = fake.privacy.ticket_for_code(code or "", userid)
        return {"userid": userid, "user_ticket": ticket, "expires_in": USER_TICKET_TTL} if ticket else {"userid": userid}
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
