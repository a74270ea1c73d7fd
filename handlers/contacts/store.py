"""Storing what WeCom reports: external contacts, follow relations, customer groups and group members.

Shared by live sync (handlers/contacts/events.py) and full sync (handlers/contacts/sync.py). Every function here is
synchronous peewee for the database thread. Each compares the incoming data with what is stored and writes
only rows that differ, with one multi-row upsert per table, so the same data applied twice writes nothing
the second time, and a full sync of an unchanged directory is read-only.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from typing import Any, Iterable

import models
from models import CustomerGroup, ExternalContact, FollowRelation, GroupMember

CHUNK = 400    # values per IN (...) list
PARAMS = 2000  # parameters per multi-row INSERT (SQLite allows 32,766)

CONTACT_FIELDS = ("name", "type", "corp_name", "gender", "unionid", "avatar", "vanished_at")
RELATION_FIELDS = ("remark", "description", "tags", "state", "add_way", "followed_at", "deleted_at")
GROUP_FIELDS = ("name", "owner_userid", "notice", "admin_userids", "member_version", "created_at_wecom",
                "vanished_at")
MEMBER_FIELDS = ("member_type", "join_time", "join_scene", "invitor_userid", "group_nickname", "name", "left_at")


# ---- API objects -> row values (never trusted: cut to column sizes, odd values dropped) ----------------

def from_epoch(value: Any) -> dt.datetime | None:
    """WeCom's epoch seconds as an aware UTC datetime (None for 0 or garbage)."""
    try:
        seconds = int(value or 0)
    except (TypeError, ValueError):
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc) if seconds > 0 else None


def _text(value: Any, size: int) -> str:
    return value[:size] if isinstance(value, str) else ""


def _int(value: Any, allowed: Iterable[int] | None = None, default: int | None = None) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if allowed is None or number in allowed else default


def contact_row(data: dict) -> dict:
    """ExternalContact values from an API ``external_contact`` object."""
    return {"name": _text(data.get("name"), 128), "type": _int(data.get("type"), (1, 2), 1),
            "corp_name": _text(data.get("corp_name"), 128) or None, "gender": _int(data.get("gender"), (0, 1, 2), 0),
            "unionid": _text(data.get("unionid"), 64) or None, "avatar": _text(data.get("avatar"), 512) or None,
            "vanished_at": None}


def tag(tag_id: str, tag_name: str = "", group_name: str = "", type_: int = 1) -> dict:
    """One stored tag, in the shape FollowRelation.tags keeps."""
    return {"group_name": group_name, "tag_name": tag_name, "tag_id": tag_id, "type": type_}


def tags_from_api(tags: Any) -> list[dict]:
    """Tags as externalcontact/get lists them (with names)."""
    return [tag(_text(t.get("tag_id"), 64), _text(t.get("tag_name"), 64), _text(t.get("group_name"), 64),
                _int(t.get("type"), None, 1)) for t in (tags if isinstance(tags, list) else [])
            if isinstance(t, dict) and t.get("tag_id")]


def tags_from_ids(tag_ids: Any, known: dict[str, dict]) -> list[dict]:
    """Tags as batch/get_by_user lists them (ids only), named from tags already stored."""
    ids = [t for t in (tag_ids if isinstance(tag_ids, list) else []) if isinstance(t, str) and t]
    return [dict(known.get(t) or tag(t[:64])) for t in ids]


def known_tags() -> dict[str, dict]:
    """tag_id -> the stored tag with its names, from every relation (DISTINCT keeps this one small read)."""
    known: dict[str, dict] = {}
    for (tags,) in FollowRelation.select(FollowRelation.tags).distinct().tuples():
        for item in models.FollowRelation.tags.python_value(tags) or []:
            if item.get("tag_name"):
                known[item["tag_id"]] = item
    return known


def relation_row(info: dict, tags: list[dict]) -> dict:
    """FollowRelation values from a ``follow_user`` (externalcontact/get) or ``follow_info`` (batch) object."""
    return {"remark": _text(info.get("remark"), 128), "description": _text(info.get("description"), 255),
            "tags": tags, "state": _text(info.get("state"), 64) or None, "add_way": _int(info.get("add_way")),
            "followed_at": from_epoch(info.get("createtime")), "deleted_at": None}


def group_row(chat: dict) -> dict:
    """CustomerGroup values from a groupchat/get ``group_chat`` object."""
    admins = [a.get("userid") for a in chat.get("admin_list") or [] if isinstance(a, dict)]
    return {"name": _text(chat.get("name"), 128), "owner_userid": _text(chat.get("owner"), 64),
            "notice": _text(chat.get("notice"), 10000), "admin_userids": [a for a in admins if isinstance(a, str)],
            "member_version": _text(chat.get("member_version"), 64) or None,
            "created_at_wecom": from_epoch(chat.get("create_time")), "vanished_at": None}


def member_rows(chat: dict) -> dict[str, dict]:
    """member_id -> GroupMember values, from a group_chat's member_list."""
    rows = {}
    for m in chat.get("member_list") or []:
        member_id = _text(m.get("userid"), 64) if isinstance(m, dict) else ""
        if member_id:
            invitor = m.get("invitor") if isinstance(m.get("invitor"), dict) else {}
            rows[member_id] = {
                "member_type": _int(m.get("type"), (1, 2), 2), "join_time": from_epoch(m.get("join_time")),
                "join_scene": _int(m.get("join_scene"), models.JOIN_SCENES), "group_nickname":
                _text(m.get("group_nickname"), 128), "invitor_userid": _text(invitor.get("userid"), 64) or None,
                "name": _text(m.get("name"), 128), "left_at": None}
    return rows


# ---- the one upsert: write only what differs ---------------------------------------------------------

def chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _stored(model, key_fields: tuple[str, ...], fields: tuple[str, ...], column, values: list
            ) -> dict[tuple, tuple]:
    """key -> (id, *fields) of the rows whose ``column`` is in ``values``, as the database holds them (raw,
    unconverted: a full sync compares tens of thousands of rows, and _upsert compares in database form)."""
    found, width = {}, len(key_fields)
    for chunk in chunks(values):
        sql = _select_sql(model, key_fields, fields, column.column_name, len(chunk), models.db.param)
        for row in models.db.execute_sql(sql, [column.db_value(v) for v in chunk]).fetchall():
            found[tuple(row[1:1 + width])] = tuple((row[0], *row[1 + width:]))
    return found


@functools.lru_cache(maxsize=256)
def _select_sql(model, key_fields: tuple, fields: tuple, column: str, count: int, param: str) -> str:
    names = ", ".join(f'"{c}"' for c in ["id", *(model._meta.fields[f].column_name for f in (*key_fields, *fields))])
    return f'SELECT {names} FROM "{model._meta.table_name}" WHERE "{column}" IN ({", ".join([param] * count)})'


def _upsert(model, key_fields: tuple[str, ...], fields: tuple[str, ...], rows: dict[tuple, dict],
            existing: dict[tuple, tuple], now: dt.datetime, gone_field: str) -> tuple[Counter, list[tuple]]:
    """Insert new rows and update changed ones (one upsert per chunk). Returns counts and the new keys.

    ``existing`` is what _stored() read for the same ``fields``; rows are compared in database form (JSON
    text, timestamps as stored). ``gone_field`` (vanished_at / deleted_at / left_at) set on the stored row
    and cleared by ``rows`` counts as 'restored' as well as 'updated'."""
    counts: Counter = Counter()
    writes, new_keys = [], []
    gone = 1 + fields.index(gone_field)
    converters = [model._meta.fields[f].db_value for f in fields]
    for key, row in rows.items():
        old, values = existing.get(key), tuple(convert(row[f]) for convert, f in zip(converters, fields))
        if old is None:
            counts["added"] += 1
            new_keys.append(key)
        elif old[1:] != values:
            counts["updated"] += 1
            counts["restored"] += int(old[gone] is not None and row[gone_field] is None)
        else:
            continue
        writes.append({**dict(zip(key_fields, key)), **dict(zip(fields, values))})
    if "updated_at" in model._meta.fields:
        fields = (*fields, "updated_at")
        stamp = model.updated_at.db_value(now)
        for write in writes:
            write["updated_at"] = stamp
    columns = [f for f in model._meta.sorted_fields if f.name != "id"]
    defaults = {f.name: f.db_value(_default(f.default)) for f in columns}
    for chunk in chunks(writes, PARAMS // len(columns)):
        params = [w[f.name] if f.name in w else defaults[f.name] for w in chunk for f in columns]
        models.db.execute_sql(_upsert_sql(model, key_fields, fields, len(chunk), models.db.param), params)
    return counts, new_keys


def _default(value: Any) -> Any:
    return value() if callable(value) else value


@functools.lru_cache(maxsize=64)
def _upsert_sql(model, key_fields: tuple, fields: tuple, rows: int, param: str) -> str:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET <fields>, written out once per shape: composing it through
    peewee's query builder cost more than running it (bench/sync.py)."""
    columns = [f.column_name for f in model._meta.sorted_fields if f.name != "id"]
    row = "(" + ", ".join([param] * len(columns)) + ")"
    target = ", ".join(f'"{model._meta.fields[f].column_name}"' for f in key_fields)
    update = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in (model._meta.fields[f].column_name for f in fields))
    names = ", ".join(f'"{c}"' for c in columns)
    return (f'INSERT INTO "{model._meta.table_name}" ({names}) VALUES {", ".join([row] * rows)} '
            f'ON CONFLICT ({target}) DO UPDATE SET {update}')


def _prefixed(prefix: str, counts: Counter) -> Counter:
    return Counter({f"{prefix}_{k}": v for k, v in counts.items() if v})


# ---- contacts and follow relations -------------------------------------------------------------------

def store_contacts(contacts: dict[str, dict], relations: dict[tuple[str, str], dict], now: dt.datetime,
                   complete_for: Iterable[str] = ()) -> tuple[Counter, dict[str, int], list[int]]:
    """Upsert contacts (external_userid -> values) and relations ((external_userid, userid) -> values).

    For the contacts in ``complete_for`` the relations given are all there are (externalcontact/get pages
    every follower), so their other live relations are soft-deleted. Returns counts, contact ids and the
    ids of the relations given."""
    key = ("external_userid",)
    existing = _stored(ExternalContact, key, CONTACT_FIELDS, ExternalContact.external_userid, list(contacts))
    counts, new = _upsert(ExternalContact, key, CONTACT_FIELDS, {(k,): v for k, v in contacts.items()},
                          existing, now, "vanished_at")
    ids = {k[0]: row[0] for k, row in existing.items()}
    for chunk in chunks([k for (k,) in new]):
        ids.update(ExternalContact.select(ExternalContact.external_userid, ExternalContact.id)
                   .where(ExternalContact.external_userid.in_(chunk)).tuples())
    rel_key = ("contact", "userid")
    stored = _stored(FollowRelation, rel_key, RELATION_FIELDS, FollowRelation.contact, list(ids.values()))
    rel_rows = {(ids[eid], userid): row for (eid, userid), row in relations.items()}
    rel_counts, rel_new = _upsert(FollowRelation, rel_key, RELATION_FIELDS, rel_rows, stored, now, "deleted_at")
    complete, deleted_at = {ids[eid] for eid in complete_for}, 1 + RELATION_FIELDS.index("deleted_at")
    gone = [row[0] for k, row in stored.items() if k[0] in complete and k not in rel_rows and row[deleted_at] is None]
    rel_counts["removed"] += mark(FollowRelation, "deleted_at", gone, now)
    if rel_new:
        stored.update(_stored(FollowRelation, rel_key, (), FollowRelation.contact, sorted({c for c, _ in rel_new})))
    rel_ids = [stored[k][0] for k in rel_rows if k in stored]
    return _prefixed("contacts", counts) + _prefixed("relations", rel_counts), ids, rel_ids


def mark(model, field: str, ids: list[int], now: dt.datetime) -> int:
    """Set ``field`` (vanished_at / deleted_at / left_at) to ``now`` on rows where it is still empty."""
    column = getattr(model, field)
    values = {column: now}
    if "updated_at" in model._meta.fields:
        values[model.updated_at] = now
    return sum(model.update(values).where(model.id.in_(chunk) & column.is_null()).execute()
               for chunk in chunks(ids))


# ---- customer groups and members ---------------------------------------------------------------------

def store_groups(chats: list[dict], now: dt.datetime, statuses: dict[str, int] | None = None
                 ) -> tuple[Counter, dict[str, int]]:
    """Upsert groups from groupchat/get answers with their complete member lists (others get left_at).

    ``statuses`` (chat_id -> status from groupchat/list) is written when given; live events leave it."""
    rows = {(chat["chat_id"],): group_row(chat) for chat in chats if chat.get("chat_id")}
    fields = GROUP_FIELDS
    if statuses is not None:
        fields = (*GROUP_FIELDS, "status")
        for (chat_id,), row in rows.items():
            row["status"] = _int(statuses.get(chat_id), None, 0)
    existing = _stored(CustomerGroup, ("chat_id",), fields, CustomerGroup.chat_id, [k[0] for k in rows])
    counts, new = _upsert(CustomerGroup, ("chat_id",), fields, rows, existing, now, "vanished_at")
    ids = {k[0]: row[0] for k, row in existing.items()}
    if new:
        ids.update(CustomerGroup.select(CustomerGroup.chat_id, CustomerGroup.id)
                   .where(CustomerGroup.chat_id.in_([k[0] for k in new])).tuples())
    members = {(ids[chat["chat_id"]], mid): row for chat in chats if chat.get("chat_id")
               for mid, row in member_rows(chat).items()}
    key = ("group", "member_id")
    stored = _stored(GroupMember, key, MEMBER_FIELDS, GroupMember.group, list(ids.values()))
    member_counts, _ = _upsert(GroupMember, key, MEMBER_FIELDS, members, stored, now, "left_at")
    left_at = 1 + MEMBER_FIELDS.index("left_at")
    left = [row[0] for k, row in stored.items() if k not in members and row[left_at] is None]
    member_counts["left"] += mark(GroupMember, "left_at", left, now)
    return _prefixed("groups", counts) + _prefixed("members", member_counts), ids
