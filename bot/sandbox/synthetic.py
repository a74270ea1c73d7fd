"""A large synthetic WeCom directory for the sync tests and bench/sync.py: 20,000 contacts in well under a second.

Deterministic for a given seed. Every contact is followed by one member, some by two; every contact
carries corp tags (with names, as externalcontact/get reports them); every group has its owner, a
second member and external contacts from the directory.
"""
from __future__ import annotations

import random

TAG_GROUPS = {"客户等级": ["重点客户", "普通客户", "潜在客户"], "角色": ["老板", "财务", "出纳"]}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
EPOCH = 1_690_000_000


def synthetic_tags() -> list[dict]:
    """The corp tags the synthetic contacts carry, as externalcontact/get reports them."""
    names = [(group, name) for group, names in TAG_GROUPS.items() for name in names]
    return [{"group_name": group, "tag_name": name, "tag_id": f"etSynTag{i:03d}", "type": 1}
            for i, (group, name) in enumerate(names)]


def synthetic_directory(members: int = 50, contacts: int = 20_000, groups: int = 2_000, seed: int = 7,
                        second_follower_share: float = 0.2) -> dict:
    """A directory for FakeWeCom: ``members`` staff, ``contacts`` external contacts, ``groups`` groups."""
    rng = random.Random(seed)
    tags = synthetic_tags()
    userids = [f"syn{i:03d}" for i in range(members)]
    member_list = [{"userid": u, "name": f"员工{i:03d}", "mobile": f"139{i:08d}", "department": [1],
                    "position": "客户经理"} for i, u in enumerate(userids)]
    contact_list = []
    for i in range(contacts):
        followers = [userids[i % members]]
        second = userids[(i * 7 + 3) % members]
        if second not in followers and rng.random() < second_follower_share:
            followers.append(second)
        name = f"{SURNAMES[i % len(SURNAMES)]}客户{i:05d}"
        contact_list.append({
            "external_userid": f"wmSyn{i:06d}", "name": name, "type": 1 if i % 5 else 2,
            "corp_name": f"合成公司{i // 3:05d}" if i % 5 == 0 else "", "gender": i % 3,
            "unionid": f"oSyn{i:06d}", "avatar": "",
            "follow_users": [{"userid": u, "remark": f"{name}-备注", "description": "",
                              "createtime": EPOCH + i * 60 + k, "tags": [tags[i % 3], tags[3 + (i + k) % 3]],
                              "state": "", "add_way": 1 + (i % 3)} for k, u in enumerate(followers)]})
    group_list = [_group(j, userids, contact_list) for j in range(groups)]
    return {"corp_name": "合成代账", "members": member_list, "contacts": contact_list, "groups": group_list}


def _group(j: int, userids: list[str], contacts: list[dict]) -> dict:
    owner, helper = userids[j % len(userids)], userids[(j + 1) % len(userids)]
    created = EPOCH + j * 600
    members = [{"userid": owner, "type": 1, "join_time": created, "join_scene": 1, "group_nickname": "",
                "name": f"员工{userids.index(owner):03d}"},
               {"userid": helper, "type": 1, "join_time": created + 1, "join_scene": 1,
                "invitor": {"userid": owner}, "group_nickname": "", "name": f"员工{userids.index(helper):03d}"}]
    for k in range(6 if contacts else 0):
        contact = contacts[(j * 6 + k) % len(contacts)]
        members.append({"userid": contact["external_userid"], "type": 2, "join_time": created + 60 + k,
                        "join_scene": 1 + k % 3, "invitor": {"userid": owner}, "group_nickname": "",
                        "name": contact["name"]})
    return {"chat_id": f"wrSyn{j:05d}", "name": f"合成服务群{j:05d}", "owner": owner, "create_time": created,
            "notice": "", "member_list": members, "admin_list": [{"userid": helper}]}
