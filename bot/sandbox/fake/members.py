"""Fake endpoints for members: user/get, user/list_id and user/getuserdetail, inside the app's visible range."""
from __future__ import annotations

from typing import Any

from bot.sandbox.fake.identity import DETAIL_FIELDS, SENSITIVE_FIELDS
from bot.sandbox.fake.kit import int_field, page_of
from bot.sandbox.fake.records import WeComError
from bot.sandbox.fake.state import FakeWeCom

LIST_ID_LIMIT = 10000


def visible_member(fake: FakeWeCom, userid: str) -> dict:
    """The member, if the app may see them: 60111 no such userid, 60011 outside the app's visible range."""
    member = fake.require_member(userid)
    if not fake.privacy.in_range(userid):
        raise WeComError(60011)
    return member


def user_get(fake: FakeWeCom, query: dict, _: Any) -> dict:
    """user/get (doc/90196): a new app (after 2022-06-20) gets the name and departments, not the private fields."""
    if not query.get("userid"):
        raise WeComError(41009)
    member = visible_member(fake, query["userid"])
    if fake.config.app_created_after_2022:
        member = {k: v for k, v in member.items() if k not in SENSITIVE_FIELDS}
    return {"status": 1, **member}


def user_list_id(fake: FakeWeCom, _: dict, body: dict) -> dict:
    """user/list_id (doc/96067): one row per (member, department) in the visible range, cursor paging."""
    limit = int_field(body, "limit", LIST_ID_LIMIT)
    if limit is None or not 1 <= limit <= LIST_ID_LIMIT:
        raise WeComError(40058)
    rows = [{"userid": m["userid"], "department": dept}
            for m in fake.directory["members"] if fake.privacy.in_range(m["userid"])
            for dept in (m.get("department") or [1])]
    page, next_cursor = page_of(rows, body.get("cursor"), limit)
    return {"dept_user": page, "next_cursor": next_cursor}


def user_getuserdetail(fake: FakeWeCom, _: dict, body: dict) -> dict:
    """user/getuserdetail (doc/95833): the private fields, filled only if the member agreed on the consent page."""
    userid, agreed = fake.privacy.redeem(body.get("user_ticket"))
    member = visible_member(fake, userid)
    if not agreed:
        return {"userid": userid}
    detail = {key: member.get(key, "") for key in DETAIL_FIELDS}
    detail["gender"] = str(member.get("gender", 0))  # WeCom answers the gender as a string
    return {"userid": userid, **detail}
