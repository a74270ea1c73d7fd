"""Who may see which client: the one rule every command, page and job goes through.

Staff see the clients they manage or keep the books for, and the clients linked to WeCom contacts they
follow or customer groups they own or sit in. Admins see every client.
"""
from __future__ import annotations

import models
from models import Client, ContactClientLink, CustomerGroup, FollowRelation, GroupClientLink, GroupMember, Staff


def visible_clients(staff: Staff):
    """A Client query restricted to what ``staff`` may see."""
    query = Client.select()
    if staff.is_admin:
        return query
    condition = (Client.manager == staff) | (Client.accountant == staff)
    uid = staff.wecom_userid
    if uid:
        via_contacts = (ContactClientLink.select(ContactClientLink.client)
                        .join(FollowRelation, on=(FollowRelation.contact == ContactClientLink.contact))
                        .where((FollowRelation.userid == uid) & FollowRelation.deleted_at.is_null()))
        own_groups = CustomerGroup.select(CustomerGroup.id).where(CustomerGroup.owner_userid == uid)
        member_groups = (GroupMember.select(GroupMember.group)
                         .where((GroupMember.member_id == uid) & GroupMember.left_at.is_null()))
        via_groups = (GroupClientLink.select(GroupClientLink.client)
                      .where(GroupClientLink.group.in_(own_groups) | GroupClientLink.group.in_(member_groups)))
        condition |= Client.id.in_(via_contacts) | Client.id.in_(via_groups)
    return query.where(condition)


def can_see_client(staff: Staff, client_id: int) -> bool:
    return visible_clients(staff).where(Client.id == client_id).exists()


def find_clients(staff: Staff, text: str, limit: int = 10) -> list[Client]:
    """Clients visible to ``staff`` matching ``text``: exact name or short name first, then substring,
    then pinyin initials (hxkj → 华夏科技)."""
    text = text.strip()
    if not text:
        return []
    base = visible_clients(staff)
    exact = list(base.where((Client.name == text) | (Client.short_name == text)).limit(limit))
    if exact:
        return exact
    like = Client.name.contains(text) | Client.short_name.contains(text)
    if text.isascii() and text.isalpha() and len(text) >= 2:  # pinyin initials anywhere: hxkj in hzhxkjyxgs
        like |= Client.pinyin_initials.contains(text.lower())
    return list(base.where(like).order_by(Client.name).limit(limit))


def clients_for_contact(external_userid: str):
    return (Client.select().join(ContactClientLink)
            .join(models.ExternalContact)
            .where(models.ExternalContact.external_userid == external_userid)
            .order_by(Client.name))


def clients_for_group(chat_id: str):
    return (Client.select().join(GroupClientLink).join(CustomerGroup)
            .where(CustomerGroup.chat_id == chat_id).order_by(Client.name))
