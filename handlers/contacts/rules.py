"""Contacts' and groups' rules (L1, L2, L4, L5): who may see which WeCom contact or customer group, and how a
chat is linked to a client. The sidebar (handlers/clients/sidebar.py) and the console (handlers/contacts/admin*.py)
both link through these functions, so the check and the audit entry are the same from either side.
"""
from __future__ import annotations

import models
from handlers.access import visible_clients
from models import ContactClientLink, CustomerGroup, ExternalContact, FollowRelation, GroupClientLink, GroupMember

# kind -> (link model, its chat column); 'single' is a 1:1 chat with an external contact, as the sidebar says.
LINKS = {"single": (ContactClientLink, ContactClientLink.contact), "group": (GroupClientLink, GroupClientLink.group)}


class LinkRefused(Exception):
    """The member may not link this client (they cannot see it); the message is safe to show."""


class LinkMissing(Exception):
    """The chat is not linked to that client."""


def followed_contact_ids(userid: str):
    """Ids of the contacts a WeCom member follows now (a subquery)."""
    return (FollowRelation.select(FollowRelation.contact)
            .where((FollowRelation.userid == userid) & FollowRelation.deleted_at.is_null()))


def joined_group_ids(userid: str):
    """Ids of the groups a WeCom member owns or sits in now (a subquery)."""
    member = GroupMember.select(GroupMember.group).where((GroupMember.member_id == userid)
                                                        & GroupMember.left_at.is_null())
    return CustomerGroup.select(CustomerGroup.id).where((CustomerGroup.owner_userid == userid)
                                                       | CustomerGroup.id.in_(member))


def visible_contacts(staff: models.Staff, mine: bool = False):
    """Contacts still in WeCom that ``staff`` follows (admins: all, unless ``mine``)."""
    query = ExternalContact.select().where(ExternalContact.vanished_at.is_null())
    if staff.is_admin and not mine:
        return query
    return query.where(ExternalContact.id.in_(followed_contact_ids(staff.wecom_userid or "")))


def visible_groups(staff: models.Staff, mine: bool = False):
    """Groups still in WeCom that ``staff`` owns or sits in (admins: all, unless ``mine``)."""
    query = CustomerGroup.select().where(CustomerGroup.vanished_at.is_null() & CustomerGroup.dismissed_at.is_null())
    if staff.is_admin and not mine:
        return query
    return query.where(CustomerGroup.id.in_(joined_group_ids(staff.wecom_userid or "")))


def chat_key(kind: str, entity) -> str:
    """What the audit entry calls the chat: the contact's external_userid or the group's chat_id."""
    return entity.external_userid if kind == "single" else entity.chat_id


def link_client(staff: models.Staff, kind: str, entity, client_id: int) -> bool:
    """Link a contact or group to a client the member may see (关联客户); True if the link is new."""
    if not visible_clients(staff).where(models.Client.id == client_id).exists():
        raise LinkRefused("你无权关联这个客户")
    model, column = LINKS[kind]
    with models.db.atomic():
        row, created = model.get_or_create(**{column.name: entity, "client": client_id},
                                           defaults={"created_by": staff})
        if created:
            models.audit(staff, f"link_{kind}", row, after={"chat": chat_key(kind, entity), "client": client_id})
    return created


def unlink_client(staff: models.Staff, kind: str, entity, client_id: int) -> None:
    """Remove the link between a contact or group and a client (修改关联)."""
    model, column = LINKS[kind]
    with models.db.atomic():
        row = model.get_or_none((column == entity) & (model.client == client_id))
        if row is None:
            raise LinkMissing("当前会话没有关联这个客户")
        models.audit(staff, f"unlink_{kind}", row, before={"chat": chat_key(kind, entity), "client": client_id})
        row.delete_instance()


def linked_ids(kind: str, entity) -> list[int]:
    model, column = LINKS[kind]
    return [cid for (cid,) in model.select(model.client).where(column == entity).order_by(model.client).tuples()]


def set_links(staff: models.Staff, kind: str, entity, client_ids: list[int]) -> tuple[list[int], list[int]]:
    """Make ``client_ids`` the chat's linked clients, link by link through the rules above, all or nothing.

    Returns (added, removed). LinkRefused (nothing written) if one of the new clients is not visible."""
    wanted = list(dict.fromkeys(client_ids))
    with models.db.atomic():
        current = linked_ids(kind, entity)
        added = [cid for cid in wanted if cid not in current]
        removed = [cid for cid in current if cid not in wanted]
        for cid in added:
            link_client(staff, kind, entity, cid)
        for cid in removed:
            unlink_client(staff, kind, entity, cid)
    return added, removed
