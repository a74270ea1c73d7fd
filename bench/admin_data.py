"""The console bench's agency: the demo seed, scaled to 10,000 clients, 50 staff and 20,000 WeChat contacts (plus
2,000 customer groups, links, services and 50,000 audit rows), written with peewee's insert_many in a few
transactions. Deterministic (fixed seed and 'today'), so the SQLite file can be cached under var/ and reused."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import models

CLIENTS, STAFF, CONTACTS, GROUPS, AUDIT = 10_000, 50, 20_000, 2_000, 50_000
TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
BENCH_STAFF = "benchstaff"  # a 职员 with every 企业微信 permission, who follows 1/50 of the contacts


def _bulk(model, rows) -> None:
    rows = list(rows)
    for start in range(0, len(rows), 500):
        model.insert_many(rows[start:start + 500]).execute()


def _people(rng: random.Random) -> list[models.Staff]:
    have = models.Staff.select().count()
    _bulk(models.Staff, [{"name": f"员工{n:02d}", "wecom_userid": BENCH_STAFF if n == have else f"bench{n:02d}",
                          "mobile": f"139{n:08d}", "position": rng.choice(["会计", "客户经理", "助理"]),
                          "role": "staff", "permissions": models.WECOM_PERMISSIONS, "created_at": NOW}
                         for n in range(have, STAFF)])
    return list(models.Staff.select().where(models.Staff.active))


def _clients(rng: random.Random, staff: list[models.Staff]) -> list[int]:
    have = models.Client.select().count()
    ids = [s.id for s in staff]
    _bulk(models.Client, [{"name": f"压测客户{n:05d}有限公司", "short_name": f"客户{n:05d}",
                           "tax_id": f"91330100BENCH{n:05d}", "tags": rng.sample(["VIP", "新客户", "零申报", "出口"], 1),
                           "manager": rng.choice(ids), "accountant": rng.choice(ids), "created_at": NOW,
                           "pinyin_initials": f"yckh{n:05d}", "pinyin": "",
                           "taxpayer_type": rng.choice(["small", "general"])} for n in range(have, CLIENTS)])
    clients = [c for (c,) in models.Client.select(models.Client.id).tuples()]
    _bulk(models.Service, [{"client": cid, "kind": "bookkeeping", "name": "代理记账", "fee_fen": 120000,
                            "start_date": date(2026, 1, 1),
                            "end_date": TODAY + timedelta(days=rng.randint(-60, 400))}
                           for cid in clients if rng.random() < 0.9])
    return clients


def _contacts(rng: random.Random, staff: list[models.Staff], clients: list[int]) -> None:
    have = models.ExternalContact.select().count()
    users = [s.wecom_userid for s in staff if s.wecom_userid]
    _bulk(models.ExternalContact, [{"external_userid": f"wmBench{n:05d}", "name": f"联系人{n}", "type": 1,
                                    "corp_name": f"客户{n % CLIENTS:05d}", "updated_at": NOW}
                                   for n in range(have, CONTACTS)])
    new = list(models.ExternalContact.select(models.ExternalContact.id)
               .where(models.ExternalContact.external_userid.startswith("wmBench")).tuples())
    _bulk(models.FollowRelation, [{"contact": cid, "userid": BENCH_STAFF if n % 50 == 0 else rng.choice(users),
                                   "remark": "", "tags": [{"tag_name": rng.choice(["老板", "财务", "出纳"])}],
                                   "followed_at": NOW - timedelta(days=n % 700), "updated_at": NOW}
                                  for n, (cid,) in enumerate(new)])
    _bulk(models.ContactClientLink, [{"contact": cid, "client": clients[n % len(clients)], "created_at": NOW}
                                     for n, (cid,) in enumerate(new) if n % 4 != 3])  # a quarter unlinked


def _groups(rng: random.Random, staff: list[models.Staff], clients: list[int]) -> None:
    users = [s.wecom_userid for s in staff if s.wecom_userid]
    _bulk(models.CustomerGroup, [{"chat_id": f"wrBench{n:05d}", "name": f"压测服务群{n}",
                                  "owner_userid": BENCH_STAFF if n % 50 == 0 else rng.choice(users),
                                  "created_at_wecom": NOW - timedelta(days=n % 500), "updated_at": NOW}
                                 for n in range(GROUPS)])
    groups = list(models.CustomerGroup.select(models.CustomerGroup.id, models.CustomerGroup.owner_userid)
                  .where(models.CustomerGroup.chat_id.startswith("wrBench")).tuples())
    _bulk(models.GroupMember, [{"group": gid, "member_id": owner, "member_type": 1} for gid, owner in groups])
    _bulk(models.GroupClientLink, [{"group": gid, "client": clients[(n * 5) % len(clients)], "created_at": NOW}
                                   for n, (gid, _) in enumerate(groups)])


def _audit(rng: random.Random, staff: list[models.Staff]) -> None:
    actions = ["payment.create", "client.link", "staff.update", "console.signin", "filing.mark"]
    _bulk(models.AuditLog, [{"at": NOW - timedelta(minutes=n), "actor": rng.choice(staff).id, "actor_label": "",
                             "action": rng.choice(actions), "entity": "Client", "entity_id": str(n % CLIENTS),
                             "before": {"n": n}, "after": {"n": n + 1}} for n in range(AUDIT)])


def _members(staff: list[models.Staff]) -> None:
    """The WeCom member list as a refresh leaves it: every bound staff member, and a few not yet bound."""
    userids = [s.wecom_userid for s in staff if s.wecom_userid] + [f"newcomer{n}" for n in range(5)]
    _bulk(models.WeComMember, [{"userid": u, "name": "", "status": 1, "department": [1], "last_seen_at": NOW,
                                "fetched_at": NOW} for u in userids])


def scale_up() -> dict:
    """Grow the seeded demo agency (already in the bound database) to the bench's size; row counts."""
    rng = random.Random(20261127)
    with models.db.atomic():
        staff = _people(rng)
        clients = _clients(rng, staff)
    with models.db.atomic():
        _contacts(rng, staff, clients)
        _groups(rng, staff, clients)
    with models.db.atomic():
        _audit(rng, staff)
        _members(staff)
    return {model.__name__: model.select().count() for model in
            (models.Staff, models.Client, models.ExternalContact, models.CustomerGroup, models.AuditLog)}
