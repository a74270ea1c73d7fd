"""Decrypted payloads -> typed messages, including every 客户联系 event wechatpy leaves as UnknownMessage."""
import pytest

from bot.edge.crypto import parse_xml
from bot.edge.messages import (
    EnterAgentEvent,
    ExternalChatEvent,
    ExternalContactEvent,
    ExternalTagEvent,
    TextMessage,
    UnknownMessage,
    parse_message,
)
from bot.sandbox.driver import event_xml, text_xml


def _parse(xml):
    return parse_message(parse_xml(xml), xml)


def test_text_message():
    msg = _parse(text_xml("wwc", "lixiaomei", "客户 华夏", "123456789", 1000002, create_time=1700000000))
    assert isinstance(msg, TextMessage)
    assert (msg.content, msg.msg_id, msg.from_user, msg.agent_id) == ("客户 华夏", "123456789", "lixiaomei", 1000002)
    assert msg.dedupe_key == "msg:123456789"


def test_enter_agent():
    msg = _parse(event_xml("wwc", "lixiaomei", "enter_agent", {"EventKey": ""}, agent_id=1000002))
    assert isinstance(msg, EnterAgentEvent) and msg.kind == "event:enter_agent"


@pytest.mark.parametrize("change_type, extra", [
    ("add_external_contact", {"State": "channel1", "WelcomeCode": "WC"}),
    ("edit_external_contact", {}),
    ("add_half_external_contact", {"State": "", "WelcomeCode": "WC2"}),
    ("del_external_contact", {"Source": "DELETE_BY_TRANSFER"}),
    ("del_follow_user", {}),
    ("transfer_fail", {"FailReason": "customer_refused"}),
])
def test_every_external_contact_change_type(change_type, extra):
    fields = {"ChangeType": change_type, "UserID": "lixiaomei", "ExternalUserID": "wmX", **extra}
    msg = _parse(event_xml("wwc", "sys", "change_external_contact", fields))
    assert isinstance(msg, ExternalContactEvent)
    assert (msg.change_type, msg.user_id, msg.external_user_id) == (change_type, "lixiaomei", "wmX")
    assert msg.welcome_code == extra.get("WelcomeCode", "")
    assert msg.source == extra.get("Source", "") and msg.fail_reason == extra.get("FailReason", "")


@pytest.mark.parametrize("members, expected", [(["wmA"], ("wmA",)), (["wmA", "wmB"], ("wmA", "wmB")), ([], ())])
def test_group_update_member_list_is_normalised(members, expected):
    fields = {"ChatId": "wrG", "ChangeType": "update", "UpdateDetail": "add_member", "JoinScene": 3,
              "MemChangeCnt": len(members), "LastMemVer": "v1", "CurMemVer": "v2"}
    if members:
        fields["MemChangeList"] = members
    msg = _parse(event_xml("wwc", "sys", "change_external_chat", fields))
    assert isinstance(msg, ExternalChatEvent)
    assert msg.mem_change_list == expected
    assert (msg.update_detail, msg.join_scene, msg.last_mem_ver, msg.cur_mem_ver) == ("add_member", 3, "v1", "v2")


@pytest.mark.parametrize("change_type", ["create", "dismiss"])
def test_group_create_and_dismiss(change_type):
    msg = _parse(event_xml("wwc", "sys", "change_external_chat", {"ChatId": "wrG", "ChangeType": change_type}))
    assert (msg.chat_id, msg.change_type, msg.quit_scene) == ("wrG", change_type, None)


@pytest.mark.parametrize("change_type", ["create", "update", "delete", "shuffle"])
def test_tag_changes(change_type):
    msg = _parse(event_xml("wwc", "sys", "change_external_tag",
                           {"Id": "etX", "TagType": "tag", "ChangeType": change_type, "StrategyId": "1"}))
    assert isinstance(msg, ExternalTagEvent)
    assert (msg.tag_id, msg.tag_type, msg.change_type, msg.strategy_id) == ("etX", "tag", change_type, "1")


def test_events_from_sys_in_the_same_second_get_distinct_dedupe_keys():
    a = _parse(event_xml("wwc", "sys", "change_external_contact", {"ChangeType": "add_external_contact",
                         "ExternalUserID": "wmA"}, create_time=1))
    b = _parse(event_xml("wwc", "sys", "change_external_contact", {"ChangeType": "add_external_contact",
                         "ExternalUserID": "wmB"}, create_time=1))
    assert a.dedupe_key != b.dedupe_key


def test_other_message_types_are_unknown_not_errors():
    msg = _parse("<xml><ToUserName>w</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
                 "<MsgType>image</MsgType><PicUrl>x</PicUrl></xml>")
    assert isinstance(msg, UnknownMessage)
