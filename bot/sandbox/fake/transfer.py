"""Fake endpoints for handover (在职继承 / 离职继承): customer transfers, their results, group owners, leavers' customers.

Docs: transfer_customer doc/92125, resigned/transfer_customer doc/94081, transfer_result doc/94088,
resigned/transfer_result doc/94082, groupchat/transfer doc/92127, groupchat/onjob_transfer doc/95703,
get_unassigned_list doc/92124. Lists take at most 100 ids a call; more is refused whole (40058).
Per-customer and per-group refusals use the global codes (40096, 40129-40131, 40050, 9050x).
"""
from __future__ import annotations

from bot.sandbox.fake.handover import Transfer
from bot.sandbox.fake.kit import int_field, page_of, str_field
from bot.sandbox.fake.members import visible_member
from bot.sandbox.fake.records import ERRMSG, WeComError
from bot.sandbox.fake.state import FakeWeCom

MAX_IDS = 100
RESULT_PAGE = 1000


def _id_list(body: dict, key: str, missing: int) -> list[str]:
    ids = body.get(key)
    if ids is None or ids == []:
        raise WeComError(missing)
    if not isinstance(ids, list) or len(ids) > MAX_IDS or not all(isinstance(i, str) and i for i in ids):
        raise WeComError(40058)
    return list(dict.fromkeys(ids))


def _userid(body: dict, key: str) -> str:
    userid = str_field(body, key)
    if not userid:
        raise WeComError(41009)
    return userid


def _takeover(fake: FakeWeCom, body: dict) -> str:
    userid = _userid(body, "takeover_userid")
    if fake.member(userid) is None:
        raise WeComError(40003)
    visible_member(fake, userid)
    return userid


def _customer_errcode(fake: FakeWeCom, handover: str, takeover: str, external_userid: str) -> int:
    contact = fake.contact(external_userid)
    if contact is None:
        return 40096
    if handover == takeover:
        return 40130
    if not any(f["userid"] == handover for f in contact.get("follow_users", [])):
        return 40131
    if fake.handover.pending(external_userid) is not None:
        return 40129
    return 0


def _transfer(fake: FakeWeCom, body: dict, kind: str) -> dict:
    handover = _userid(body, "handover_userid")
    takeover = _takeover(fake, body)
    ids = _id_list(body, "external_userid", 41035)
    if kind == "onjob" and fake.member(handover) is None:
        raise WeComError(40003)
    if kind == "resigned" and fake.member(handover) is not None:
        raise WeComError(40097)
    if len(str_field(body, "transfer_success_msg")) > 200:
        raise WeComError(40058)
    customers = []
    for external_userid in ids:
        errcode = _customer_errcode(fake, handover, takeover, external_userid)
        if errcode == 0:  # 0 starts the 24-hour wait; it is not yet a success
            fake.handover.start(kind, handover, takeover, external_userid)
        customers.append({"external_userid": external_userid, "errcode": errcode})
    return {"customer": customers}


def transfer_customer(fake: FakeWeCom, _: dict, body: dict) -> dict:
    return _transfer(fake, body, "onjob")


def resigned_transfer_customer(fake: FakeWeCom, _: dict, body: dict) -> dict:
    return _transfer(fake, body, "resigned")


def _result_view(transfer: Transfer) -> dict:
    return {"external_userid": transfer.external_userid, "status": transfer.status,
            "takeover_time": transfer.takeover_time}


def _results(fake: FakeWeCom, body: dict, kind: str) -> dict:
    handover, takeover = _userid(body, "handover_userid"), _userid(body, "takeover_userid")
    transfers = fake.handover.results(kind, handover, takeover)
    page, next_cursor = page_of(transfers, body.get("cursor"), RESULT_PAGE)
    return {"customer": [_result_view(t) for t in page], "next_cursor": next_cursor}


def transfer_result(fake: FakeWeCom, _: dict, body: dict) -> dict:
    return _results(fake, body, "onjob")


def resigned_transfer_result(fake: FakeWeCom, _: dict, body: dict) -> dict:
    return _results(fake, body, "resigned")


def _chat_errcode(fake: FakeWeCom, chat_id: str, new_owner: str, kind: str) -> int:
    group = fake.group(chat_id)
    if group is None:
        return 40050
    owner_left = fake.member(group.get("owner", "")) is None
    if kind == "resigned" and not owner_left:
        return 90500
    if kind == "onjob" and owner_left:
        return 90502
    if group.get("owner") == new_owner:
        return 90504
    return 0


def _move_group(fake: FakeWeCom, chat_id: str, new_owner: str) -> None:
    group = fake.group(chat_id)
    assert group is not None
    group["owner"] = new_owner
    members = group.setdefault("member_list", [])
    if not any(m.get("userid") == new_owner for m in members):
        members.append({"userid": new_owner, "type": 1, "join_time": int(fake.clock()), "join_scene": 1,
                        "invitor": {"userid": new_owner}, "group_nickname": "", "name": ""})


def _groupchat_transfer(fake: FakeWeCom, body: dict, kind: str) -> dict:
    chat_ids = _id_list(body, "chat_id_list", 40058)
    new_owner = _userid(body, "new_owner")
    if fake.member(new_owner) is None:
        raise WeComError(40003)
    visible_member(fake, new_owner)
    failed = []
    for chat_id in chat_ids:
        errcode = _chat_errcode(fake, chat_id, new_owner, kind)
        if errcode:
            failed.append({"chat_id": chat_id, "errcode": errcode, "errmsg": ERRMSG.get(errcode, "")})
        else:
            _move_group(fake, chat_id, new_owner)
    return {"failed_chat_list": failed}


def groupchat_transfer(fake: FakeWeCom, _: dict, body: dict) -> dict:
    return _groupchat_transfer(fake, body, "resigned")


def groupchat_onjob_transfer(fake: FakeWeCom, _: dict, body: dict) -> dict:
    return _groupchat_transfer(fake, body, "onjob")


def get_unassigned_list(fake: FakeWeCom, _: dict, body: dict) -> dict:
    """Customers still followed by members who left, not yet handed to anyone (doc/92124)."""
    page_size = int_field(body, "page_size", RESULT_PAGE)
    if page_size is None or not 1 <= page_size <= RESULT_PAGE:
        raise WeComError(40058)
    rows = [{"handover_userid": f["userid"], "external_userid": c["external_userid"],
             "dimission_time": int(fake.left_at.get(f["userid"], 0))}
            for c in fake.directory["contacts"] for f in c.get("follow_users", [])
            if fake.member(f["userid"]) is None and not fake.handover.assigned(c["external_userid"], f["userid"])]
    page, next_cursor = page_of(rows, body.get("cursor"), page_size)
    return {"info": page, "is_last": not next_cursor, "next_cursor": next_cursor}
