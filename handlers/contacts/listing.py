"""The console's 微信联系人 and 客户群 lists: the filtered query, one page of rows, and what each row shows.

Every list request is a count and one page; followers, members, staff names and linked clients are read for
that page's rows only, one IN query per relation.
"""
from __future__ import annotations

import json
from collections import defaultdict

from peewee import NodeList, fn

import models
from handlers.admin.kit import ListQuery, Page, paginate
from handlers.contacts.rules import visible_contacts, visible_groups
from models import (Client, ContactClientLink, CustomerGroup, ExternalContact, FollowRelation, GroupClientLink,
                    GroupMember, Staff)

LINKED = {"yes": "已关联客户", "no": "未关联客户"}
SCOPES = {"mine": "我的", "all": "全部"}
# The first member to add a contact is when the agency got it (a correlated MIN over the contact's relations).
ADDED = NodeList((FollowRelation.select(fn.MIN(FollowRelation.followed_at))
                  .where((FollowRelation.contact == ExternalContact.id) & FollowRelation.deleted_at.is_null()),))
CONTACT_SORTS = {"name": ExternalContact.name, "added": ADDED, "corp": ExternalContact.corp_name}
GROUP_SORTS = {"name": CustomerGroup.name, "created": CustomerGroup.created_at_wecom}


def mine(me: Staff, lq: ListQuery) -> bool:
    """Staff always see their own; admins see everything unless they pick 我的."""
    return not me.is_admin or lq.filters.get("scope") == "mine"


def _linked(query, column, link_model, link_column, value: str):
    has = column.in_(link_model.select(link_column))
    return query.where(has if value == "yes" else ~has) if value in LINKED else query


def contacts_query(me: Staff, lq: ListQuery):
    """The contacts ``me`` may see, narrowed by the list's search and filters."""
    query = visible_contacts(me, mine(me, lq))
    f = lq.filters
    if lq.q:
        remarked = FollowRelation.select(FollowRelation.contact).where(FollowRelation.remark.contains(lq.q))
        query = query.where(ExternalContact.name.contains(lq.q) | ExternalContact.corp_name.contains(lq.q)
                            | ExternalContact.id.in_(remarked))
    if me.is_admin and f.get("follower"):
        query = query.where(ExternalContact.id.in_(
            FollowRelation.select(FollowRelation.contact)
            .where((FollowRelation.userid == f["follower"]) & FollowRelation.deleted_at.is_null())))
    if f.get("tag"):
        needle = json.dumps({"tag_id": f["tag"]}, ensure_ascii=False)[1:-1]  # "tag_id": "et…", as stored
        query = query.where(ExternalContact.id.in_(
            FollowRelation.select(FollowRelation.contact)
            .where(FollowRelation.tags.holds_text(needle) & FollowRelation.deleted_at.is_null())))
    return _linked(query, ExternalContact.id, ContactClientLink, ContactClientLink.contact, f.get("linked", ""))


def staff_names(userids: set[str]) -> dict[str, str]:
    """WeCom userid -> staff name, for the userids of one page (an unbound member keeps their userid)."""
    if not userids:
        return {}
    rows = Staff.select(Staff.wecom_userid, Staff.name).where(Staff.wecom_userid.in_(list(userids))).tuples()
    return {uid: uid for uid in userids} | dict(rows)


def clients_by(link_model, column, ids: list[int]) -> dict[int, list[dict]]:
    """Linked clients of each chat id on one page: chat id -> [{id, name}]."""
    found = defaultdict(list)
    rows = (link_model.select(column, Client.id, Client.name).join(Client)
            .where(column.in_(ids)).order_by(Client.name).tuples())
    for chat_id, client_id, name in rows:
        found[chat_id].append({"id": client_id, "name": name})
    return found


def contact_rows(contacts: list[ExternalContact]) -> list[dict]:
    """What the table shows for one page of contacts."""
    ids = [c.id for c in contacts]
    follows = defaultdict(list)
    for rel in (FollowRelation.select().where(FollowRelation.contact.in_(ids) & FollowRelation.deleted_at.is_null())
                .order_by(FollowRelation.followed_at, FollowRelation.id)):
        follows[rel.contact_id].append(rel)
    names = staff_names({rel.userid for rels in follows.values() for rel in rels})
    links = clients_by(ContactClientLink, ContactClientLink.contact, ids)
    rows = []
    for c in contacts:
        rels = follows.get(c.id, [])
        tags = list(dict.fromkeys(t.get("tag_name") or t.get("tag_id", "") for r in rels for t in (r.tags or [])))
        added = [r.followed_at for r in rels if r.followed_at]
        rows.append({"id": c.id, "name": c.name, "corp_name": c.corp_name or "",
                     "followers": [{"name": names.get(r.userid, r.userid), "remark": r.remark} for r in rels],
                     "tags": tags, "added": min(added) if added else None, "clients": links.get(c.id, [])})
    return rows


def contacts_page(me: Staff, lq: ListQuery) -> tuple[Page, list[dict]]:
    page = paginate(contacts_query(me, lq), lq, CONTACT_SORTS)
    return page, contact_rows(page.rows)


def groups_query(me: Staff, lq: ListQuery):
    """The groups ``me`` may see, narrowed by the list's search and filters."""
    query = visible_groups(me, mine(me, lq))
    if lq.q:
        query = query.where(CustomerGroup.name.contains(lq.q))
    if me.is_admin and lq.filters.get("owner"):
        query = query.where(CustomerGroup.owner_userid == lq.filters["owner"])
    return _linked(query, CustomerGroup.id, GroupClientLink, GroupClientLink.group, lq.filters.get("linked", ""))


def group_rows(groups: list[CustomerGroup]) -> list[dict]:
    """What the table shows for one page of groups."""
    ids = [g.id for g in groups]
    counts = dict(GroupMember.select(GroupMember.group, fn.COUNT(GroupMember.id))
                  .where(GroupMember.group.in_(ids) & GroupMember.left_at.is_null())
                  .group_by(GroupMember.group).tuples())
    names = staff_names({g.owner_userid for g in groups if g.owner_userid})
    links = clients_by(GroupClientLink, GroupClientLink.group, ids)
    return [{"id": g.id, "name": g.name or "（未命名客户群）", "owner": names.get(g.owner_userid, g.owner_userid),
             "members": counts.get(g.id, 0), "created": g.created_at_wecom, "clients": links.get(g.id, [])}
            for g in groups]


def groups_page(me: Staff, lq: ListQuery) -> tuple[Page, list[dict]]:
    page = paginate(groups_query(me, lq), lq, GROUP_SORTS)
    return page, group_rows(page.rows)


def followers() -> list[tuple[str, str]]:
    """Bound members for the 跟进成员 / 群主 filter: (userid, name)."""
    return list(Staff.select(Staff.wecom_userid, Staff.name).where(Staff.wecom_userid.is_null(False))
                .order_by(Staff.name).tuples())


# database identity -> ((relations, last change), options): reading every relation's tags costs tens of ms at
# 20,000 contacts, and tags change only with a sync or a tag event, which bumps FollowRelation.updated_at.
_TAG_CACHE: dict = {}


def _tag_options(tag_lists) -> list[tuple[str, str]]:
    found = {}
    for (raw,) in tag_lists:
        for item in FollowRelation.tags.python_value(raw) or []:
            if item.get("tag_id"):
                found.setdefault(item["tag_id"], item.get("tag_name") or item["tag_id"])
    return sorted(found.items(), key=lambda item: item[1])


def tag_options(me: Staff) -> list[tuple[str, str]]:
    """(tag_id, name) of the tags on the live relations ``me`` may see, for the 标签 filter."""
    live = FollowRelation.select(FollowRelation.tags).where(FollowRelation.deleted_at.is_null()).distinct()
    if not me.is_admin:
        return _tag_options(live.where(FollowRelation.userid == (me.wecom_userid or "")).tuples())
    stamp = FollowRelation.select(fn.COUNT(FollowRelation.id), fn.MAX(FollowRelation.updated_at)).scalar(as_tuple=True)
    database = models.db.obj
    key = (type(database).__name__, database.database, repr(sorted(database.connect_params.items())))
    cached = _TAG_CACHE.get(key)
    if cached is None or cached[0] != stamp:
        cached = _TAG_CACHE[key] = (stamp, _tag_options(live.tuples()))
    return cached[1]


def export_rows(rows: list[dict], kind: str, tz) -> list[list]:
    """The XLSX cells of one batch of contact or group rows."""
    from handlers.admin.kit import cell_date
    if kind == "contacts":
        return [[r["name"], r["corp_name"],
                 "、".join(f["name"] + (f"（{f['remark']}）" if f["remark"] else "") for f in r["followers"]),
                 "、".join(r["tags"]), cell_date(r["added"], tz), "、".join(c["name"] for c in r["clients"])]
                for r in rows]
    return [[r["name"], r["owner"], r["members"], cell_date(r["created"], tz),
             "、".join(c["name"] for c in r["clients"])] for r in rows]
