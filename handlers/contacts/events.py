"""Live sync (L3): 客户联系 callback events keep contacts, follow relations, customer groups and tags true.

Events carry ids only, so details are fetched (externalcontact/get, groupchat/get) and stored with the
compare-then-write helpers the full sync uses (handlers/contacts/store.py): an event applied twice leaves the
same state and writes nothing the second time. Removals are soft (deleted_at, left_at, dismissed_at) and
never touch client links. API errors are logged and noted in the audit log; they never crash the callback.
Events come from 'sys', so every handler returns None (no reply).

Tags: relations keep a snapshot of their corp tags with names. The sandbox has no corp-tag API, so tag
events do what the stored data allows: a deleted tag is removed from every relation, a renamed tag is
re-read through externalcontact/get of a contact that carries it; tag-group and rule-group changes are
left to the next full sync, which rewrites every relation's tags.
"""
from __future__ import annotations

import logging

import models
from bot.router import Router
from bot.wecom import WeComError
from handlers.contacts import store
from models import CustomerGroup, ExternalContact, FollowRelation, GroupMember

log = logging.getLogger(__name__)
router = Router("contacts")

GONE = {84061, 40096}        # no relationship with any member any more / no such external contact
MAX_FOLLOW_PAGES = 50        # externalcontact/get pages 500 followers at a time; stop a cursor that never ends
FOLLOW_REMOVED = {"del_follow_user": "wecom.follow_deleted_by_customer",
                  "del_external_contact": "wecom.follow_deleted_by_member",
                  "DELETE_BY_TRANSFER": "wecom.follow_transferred"}


# ---- contacts -------------------------------------------------------------------------------------------

async def fetch_contact(wecom, external_userid: str) -> tuple[dict, list[dict]]:
    """externalcontact/get with every page of follow_user."""
    contact, follows, cursor = {}, [], ""
    for _ in range(MAX_FOLLOW_PAGES):
        data = await wecom.externalcontact_get(external_userid, cursor)
        contact = data.get("external_contact") or contact
        follows += [f for f in data.get("follow_user") or [] if isinstance(f, dict)]
        cursor = data.get("next_cursor") or ""
        if not cursor:
            break
    return contact, follows


def store_contact_view(external_userid: str, contact: dict, follows: list[dict], now) -> dict:
    """Store one contact as externalcontact/get shows it; followers it no longer lists are soft-deleted."""
    relations = {(external_userid, f["userid"][:64]): store.relation_row(f, store.tags_from_api(f.get("tags")))
                 for f in follows if isinstance(f.get("userid"), str) and f["userid"]}
    counts, _, _ = store.store_contacts({external_userid: store.contact_row(contact)}, relations, now,
                                        complete_for=[external_userid])
    return dict(counts)


async def refresh_contact(ctx, external_userid: str, userid: str, why: str) -> None:
    """Fetch a contact and store what WeCom says now; 84061/40096 mean the event's relation is gone."""
    try:
        contact, follows = await fetch_contact(ctx.wecom, external_userid)
    except WeComError as exc:
        if exc.errcode in GONE:
            log.info("live sync %s: %s no longer a customer of %s (errcode %s)", why, external_userid, userid,
                     exc.errcode)
            await ctx.db.atomic(remove_follow, external_userid, userid, None, ctx.clock())
        else:
            await _note_failure(ctx, "ExternalContact", external_userid, why, exc)
        return
    counts = await ctx.db.atomic(store_contact_view, external_userid, contact, follows, ctx.clock())
    log.info("live sync %s %s: %s", why, external_userid, counts or "no change")


def remove_follow(external_userid: str, userid: str, action: str | None, now, source: str = "") -> bool:
    """Soft-delete one follow relation (contact and client links stay); audit ``action`` if it changed."""
    contact = ExternalContact.get_or_none(ExternalContact.external_userid == external_userid)
    if contact is None:
        return False
    relation = FollowRelation.get_or_none((FollowRelation.contact == contact) & (FollowRelation.userid == userid))
    if relation is None or relation.deleted_at is not None:
        return False
    store.mark(FollowRelation, "deleted_at", [relation.id], now)
    if action:
        models.audit("sys", action, "FollowRelation", relation.id, None,
                     {"external_userid": external_userid, "userid": userid, "source": source})
    return True


def _known_contact(external_userid: str) -> bool:
    return ExternalContact.select().where(ExternalContact.external_userid == external_userid).exists()


@router.event("change_external_contact", "add_external_contact")
@router.event("change_external_contact", "edit_external_contact")
@router.event("change_external_contact", "add_half_external_contact")
async def contact_changed(msg, ctx) -> None:
    """A member added or edited a customer, or a customer added a member who has not confirmed yet."""
    if msg.external_user_id:
        await refresh_contact(ctx, msg.external_user_id[:64], msg.user_id[:64], msg.change_type)


@router.event("change_external_contact", "del_external_contact")
@router.event("change_external_contact", "del_follow_user")
async def follow_removed(msg, ctx) -> None:
    """A member deleted a customer (DELETE_BY_TRANSFER: handed over by 在职继承), or the customer deleted them."""
    external_userid, userid = msg.external_user_id[:64], msg.user_id[:64]
    if not external_userid or not userid:
        return
    if not await ctx.db.run(_known_contact, external_userid):  # unknown: learn who else still follows them
        await refresh_contact(ctx, external_userid, userid, msg.change_type)
    action = FOLLOW_REMOVED.get(msg.source) or FOLLOW_REMOVED[msg.change_type]
    await ctx.db.atomic(remove_follow, external_userid, userid, action, ctx.clock(), msg.source)


@router.event("change_external_contact", "transfer_fail")
async def transfer_failed(msg, ctx) -> None:
    """在职继承 failed (customer refused, or the takeover member is full): note it, relations stay as they are."""
    external_userid = msg.external_user_id[:64]
    if not external_userid:
        return
    if not await ctx.db.run(_known_contact, external_userid):
        await refresh_contact(ctx, external_userid, msg.user_id[:64], msg.change_type)
    note = {"external_userid": external_userid, "takeover_userid": msg.user_id[:64],
            "fail_reason": msg.fail_reason[:64], "event_time": msg.create_time}
    await ctx.db.atomic(_note_once, "wecom.transfer_failed", "ExternalContact", external_userid, note)


def _note_once(action: str, entity: str, entity_id: str, after: dict) -> None:
    """An audit note, unless the very same one is there (an event applied twice notes once)."""
    if not models.AuditLog.select().where((models.AuditLog.action == action) & (models.AuditLog.entity == entity)
                                          & (models.AuditLog.entity_id == entity_id)
                                          & (models.AuditLog.after == after)).exists():
        models.audit("sys", action, entity, entity_id, None, after)


async def _note_failure(ctx, entity: str, entity_id: str, why: str, exc: WeComError) -> None:
    log.warning("live sync %s %s: %s errcode %s", why, entity_id, exc.path, exc.errcode)
    await ctx.db.run(models.audit, "sys", "wecom.live_sync_failed", entity, entity_id, None,
                     {"event": why, "path": exc.path, "errcode": exc.errcode})


# ---- customer groups ------------------------------------------------------------------------------------

async def refresh_group(ctx, chat_id: str, why: str) -> None:
    """Fetch a group with its members and store it (members no longer listed get left_at)."""
    try:
        chat = await ctx.wecom.groupchat_get(chat_id)
    except WeComError as exc:
        await _note_failure(ctx, "CustomerGroup", chat_id, why, exc)
        return
    counts, _ = await ctx.db.atomic(store.store_groups, [chat], ctx.clock())
    log.info("live sync group %s %s: %s", why, chat_id, dict(counts) or "no change")


def apply_members_left(chat_id: str, last_version: str, new_version: str, member_ids: tuple, now) -> bool:
    """Mark members who left without a fetch when our member_version is the one the event started from."""
    group = CustomerGroup.get_or_none(CustomerGroup.chat_id == chat_id)
    if group is None or not (last_version and new_version and member_ids) or group.member_version != last_version:
        return False
    left = GroupMember.select(GroupMember.id).where((GroupMember.group == group)
                                                    & GroupMember.member_id.in_(list(member_ids)))
    store.mark(GroupMember, "left_at", [m.id for m in left], now)
    CustomerGroup.update(member_version=new_version, updated_at=now).where(CustomerGroup.id == group.id).execute()
    return True


@router.event("change_external_chat", "create")
@router.event("change_external_chat", "update")
async def group_changed(msg, ctx) -> None:
    """A group was created, or its members, owner, name or notice changed."""
    chat_id = msg.chat_id[:64]
    if not chat_id:
        return
    if msg.update_detail == "del_member" and await ctx.db.atomic(
            apply_members_left, chat_id, msg.last_mem_ver, msg.cur_mem_ver, msg.mem_change_list, ctx.clock()):
        return
    await refresh_group(ctx, chat_id, msg.update_detail or msg.change_type)


def dismiss_group(chat_id: str, now) -> bool:
    """Mark a group dismissed; its members and client links stay for the record."""
    return bool(CustomerGroup.update(dismissed_at=now, updated_at=now)
                .where((CustomerGroup.chat_id == chat_id) & CustomerGroup.dismissed_at.is_null()).execute())


@router.event("change_external_chat", "dismiss")
async def group_dismissed(msg, ctx) -> None:
    """The owner dismissed a group (there is nothing left to fetch)."""
    if msg.chat_id and not await ctx.db.atomic(dismiss_group, msg.chat_id[:64], ctx.clock()):
        log.info("live sync: dismissed group %s was unknown or already dismissed", msg.chat_id[:64])


# ---- corp tags ------------------------------------------------------------------------------------------

def relations_with_tag(tag_id: str):
    """Relations whose tag snapshot holds ``tag_id`` (LIKE narrows, Python decides exactly)."""
    like = FollowRelation.select().where(FollowRelation.tags.coerce(False).contains(tag_id))
    return [r for r in like if any(t.get("tag_id") == tag_id for t in r.tags or [])]


def tag_holders(tag_id: str, limit: int = 3) -> list[str]:
    """A few contacts (external_userid) whose relations carry ``tag_id``."""
    contact_ids = list(dict.fromkeys(r.contact_id for r in relations_with_tag(tag_id)))[:limit]
    return [c.external_userid for c in ExternalContact.select().where(ExternalContact.id.in_(contact_ids))]


def retag(tag_id: str, replacement: dict | None, now) -> int:
    """Replace (or with None remove) tag ``tag_id`` in every relation holding it; returns rows changed."""
    changed = 0
    for relation in relations_with_tag(tag_id):
        tags = [replacement if t.get("tag_id") == tag_id else t for t in relation.tags]
        tags = [t for t in tags if t is not None]
        if tags != relation.tags:
            FollowRelation.update(tags=tags, updated_at=now).where(FollowRelation.id == relation.id).execute()
            changed += 1
    return changed


@router.event("change_external_tag", "delete")
async def tag_deleted(msg, ctx) -> None:
    """A corp tag was deleted: drop it from every stored relation."""
    if msg.tag_type == "tag" and msg.tag_id:
        changed = await ctx.db.atomic(retag, msg.tag_id, None, ctx.clock())
        log.info("live sync: tag %s deleted, removed from %d relations", msg.tag_id, changed)
    else:
        log.info("live sync: %s %s deleted; the next full sync rewrites the tags", msg.tag_type, msg.tag_id)


@router.event("change_external_tag", "update")
async def tag_updated(msg, ctx) -> None:
    """A corp tag was renamed: read its new name through a contact that carries it, and apply it everywhere."""
    if msg.tag_type != "tag" or not msg.tag_id:
        log.info("live sync: %s %s updated; the next full sync rewrites the tags", msg.tag_type, msg.tag_id)
        return
    holders = await ctx.db.run(tag_holders, msg.tag_id)
    for external_userid in holders:
        try:
            _, follows = await fetch_contact(ctx.wecom, external_userid)
        except WeComError as exc:
            log.info("live sync: tag %s: %s unreadable (errcode %s)", msg.tag_id, external_userid, exc.errcode)
            continue
        named = [t for f in follows for t in store.tags_from_api(f.get("tags")) if t["tag_id"] == msg.tag_id]
        if named:
            changed = await ctx.db.atomic(retag, msg.tag_id, named[0], ctx.clock())
            log.info("live sync: tag %s renamed, %d relations updated", msg.tag_id, changed)
            return


@router.event("change_external_tag", "create")
@router.event("change_external_tag", "shuffle")
async def tag_created_or_reordered(msg, ctx) -> None:
    """A new tag belongs to nobody yet, and an order change alters no relation: nothing to store."""
    log.debug("live sync: tag %s %s ignored", msg.tag_id, msg.change_type)
