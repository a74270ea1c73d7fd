"""The console pages the bench asks for, each with the bare SQL that reads the same rows (count + one page +
what the page shows for those rows), on a plain sqlite3 connection."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bench.admin_data import BENCH_STAFF

PAGE = 50


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # 'admin' | 'staff'
    path: str
    bare: Callable


def _ids(rows, index: int = 0) -> str:
    return ",".join(str(row[index]) for row in rows) or "0"


def _home(c):
    c.execute("SELECT COUNT(*) FROM client").fetchone()
    c.execute("SELECT COUNT(*) FROM staff WHERE active").fetchone()
    c.execute("SELECT COUNT(*) FROM staff WHERE active AND wecom_userid IS NULL").fetchone()


def _audit(c):
    c.execute("SELECT COUNT(*) FROM audit_log").fetchone()
    c.execute("SELECT a.*, s.name FROM audit_log a LEFT JOIN staff s ON s.id = a.actor_id "
              "ORDER BY a.at DESC, a.id LIMIT ?", (PAGE,)).fetchall()
    c.execute("SELECT DISTINCT entity FROM audit_log ORDER BY entity").fetchall()
    c.execute("SELECT id, name FROM staff ORDER BY name").fetchall()


PAGES = [
    Page("概览 (super admin)", "admin", "/admin", _home),
    Page("操作日志", "admin", "/admin/audit", _audit),
]


def _staff(c):
    c.execute("SELECT COUNT(*) FROM staff WHERE active").fetchone()
    c.execute("SELECT * FROM staff WHERE active ORDER BY created_at, id LIMIT ?", (PAGE,)).fetchall()


def _members(c):
    c.execute("SELECT COUNT(*) FROM wecom_member").fetchone()
    rows = c.execute("SELECT * FROM wecom_member ORDER BY userid LIMIT ?", (PAGE,)).fetchall()
    c.execute("SELECT * FROM staff WHERE wecom_userid IN (%s)" % ",".join("?" * len(rows)) if rows else
              "SELECT 1", [r[1] for r in rows] if rows else []).fetchall()
    c.execute("SELECT id, name FROM staff WHERE active AND wecom_userid IS NULL").fetchall()


def _contacts(c, userid: str | None):
    follows = "EXISTS (SELECT 1 FROM follow_relation f WHERE f.contact_id = e.id AND f.deleted_at IS NULL%s)" % (
        " AND f.userid = ?" if userid else "")
    args = (userid,) if userid else ()
    c.execute(f"SELECT COUNT(*) FROM external_contact e WHERE e.vanished_at IS NULL AND {follows}", args).fetchone()
    rows = c.execute(f"SELECT * FROM external_contact e WHERE e.vanished_at IS NULL AND {follows} "
                     "ORDER BY e.name, e.id LIMIT ?", (*args, PAGE)).fetchall()
    ids = _ids(rows)
    c.execute(f"SELECT * FROM follow_relation WHERE contact_id IN ({ids}) AND deleted_at IS NULL").fetchall()
    c.execute(f"SELECT l.contact_id, k.name FROM contact_client_link l JOIN client k ON k.id = l.client_id "
              f"WHERE l.contact_id IN ({ids})").fetchall()
    c.execute("SELECT id, name, wecom_userid FROM staff").fetchall()


def _groups(c, userid: str | None):
    mine = " AND (g.owner_userid = ? OR EXISTS (SELECT 1 FROM group_member m WHERE m.group_id = g.id " \
           "AND m.member_id = ? AND m.left_at IS NULL))" if userid else ""
    args = (userid, userid) if userid else ()
    c.execute(f"SELECT COUNT(*) FROM customer_group g WHERE g.dismissed_at IS NULL{mine}", args).fetchone()
    rows = c.execute(f"SELECT * FROM customer_group g WHERE g.dismissed_at IS NULL{mine} "
                     "ORDER BY g.created_at_wecom DESC, g.id LIMIT ?", (*args, PAGE)).fetchall()
    ids = _ids(rows)
    c.execute(f"SELECT group_id, COUNT(*) FROM group_member WHERE group_id IN ({ids}) AND left_at IS NULL "
              "GROUP BY group_id").fetchall()
    c.execute(f"SELECT l.group_id, k.name FROM group_client_link l JOIN client k ON k.id = l.client_id "
              f"WHERE l.group_id IN ({ids})").fetchall()


def _visible(userid: str | None) -> tuple[str, tuple]:
    if not userid:
        return "1", ()
    return ("(k.manager_id = (SELECT id FROM staff WHERE wecom_userid = ?) OR k.accountant_id = "
            "(SELECT id FROM staff WHERE wecom_userid = ?) OR k.id IN (SELECT l.client_id FROM contact_client_link l "
            "JOIN follow_relation f ON f.contact_id = l.contact_id WHERE f.userid = ? AND f.deleted_at IS NULL) "
            "OR k.id IN (SELECT l.client_id FROM group_client_link l JOIN customer_group g ON g.id = l.group_id "
            "WHERE g.owner_userid = ?))", (userid,) * 4)


def _clients(c, userid: str | None, expiring: bool = False):
    where, args = _visible(userid)
    if expiring:
        where += (" AND k.id IN (SELECT s.client_id FROM service s WHERE s.end_date BETWEEN '2026-11-26' AND "
                  "'2026-12-26' AND NOT EXISTS (SELECT 1 FROM service r WHERE r.client_id = s.client_id "
                  "AND r.kind = s.kind AND r.start_date > s.start_date))")
    c.execute(f"SELECT COUNT(*) FROM client k WHERE {where}", args).fetchone()
    rows = c.execute(f"SELECT k.*, m.name, a.name FROM client k LEFT JOIN staff m ON m.id = k.manager_id "
                     f"LEFT JOIN staff a ON a.id = k.accountant_id WHERE {where} ORDER BY k.name, k.id LIMIT ?",
                     (*args, PAGE)).fetchall()
    ids = _ids(rows)
    c.execute(f"SELECT l.client_id, e.name FROM contact_client_link l JOIN external_contact e "
              f"ON e.id = l.contact_id WHERE l.client_id IN ({ids})").fetchall()
    c.execute(f"SELECT l.client_id, g.name FROM group_client_link l JOIN customer_group g ON g.id = l.group_id "
              f"WHERE l.client_id IN ({ids})").fetchall()
    c.execute(f"SELECT client_id, end_date FROM service WHERE client_id IN ({ids})").fetchall()


def _handover(c):
    staff = c.execute("SELECT id FROM staff WHERE wecom_userid = ?", (BENCH_STAFF,)).fetchone()[0]
    c.execute("SELECT k.*, m.name, a.name FROM client k LEFT JOIN staff m ON m.id = k.manager_id LEFT JOIN staff a "
              "ON a.id = k.accountant_id WHERE k.manager_id = ? OR k.accountant_id = ? ORDER BY k.name",
              (staff, staff)).fetchall()
    c.execute("SELECT COUNT(*) FROM follow_relation WHERE userid = ? AND deleted_at IS NULL", (BENCH_STAFF,)).fetchone()
    c.execute("SELECT COUNT(*) FROM customer_group WHERE owner_userid = ?", (BENCH_STAFF,)).fetchone()
    c.execute("SELECT id, name FROM staff WHERE active ORDER BY name").fetchall()


def _health(c):
    c.execute("SELECT * FROM callback_inbox ORDER BY received_at DESC LIMIT 1").fetchone()
    c.execute("SELECT kind, COUNT(*) FROM callback_inbox GROUP BY kind").fetchall()
    c.execute("SELECT * FROM sync_run ORDER BY started_at DESC LIMIT 10").fetchall()
    c.execute("SELECT state, COUNT(*) FROM reminder_outbox GROUP BY state").fetchall()
    c.execute("SELECT * FROM scheduler_lease").fetchall()
    c.execute("SELECT key, expires_at FROM token_cache").fetchall()


PAGES += [
    Page("员工管理", "admin", "/admin/staff", _staff),
    Page("权限设置", "admin", "/admin/staff/permissions", _staff),
    Page("企业微信成员", "admin", "/admin/members", _members),
    Page("微信联系人 全部 (admin)", "admin", "/admin/contacts", lambda c: _contacts(c, None)),
    Page("微信联系人 我的 (职员)", "staff", "/admin/contacts", lambda c: _contacts(c, BENCH_STAFF)),
    Page("客户群 全部 (admin)", "admin", "/admin/groups", lambda c: _groups(c, None)),
    Page("客户群 我的 (职员)", "staff", "/admin/groups", lambda c: _groups(c, BENCH_STAFF)),
    Page("已关联客户 (admin)", "admin", "/admin/clients", lambda c: _clients(c, None)),
    Page("已关联客户 (职员)", "staff", "/admin/clients", lambda c: _clients(c, BENCH_STAFF)),
    Page("已关联客户 即将到期 (admin)", "admin", "/admin/clients?state=expiring", lambda c: _clients(c, None, True)),
    Page("已关联客户 即将到期 (职员)", "staff", "/admin/clients?state=expiring",
         lambda c: _clients(c, BENCH_STAFF, True)),
    Page("已关联客户 搜索 税号", "admin", "/admin/clients?q=BENCH0777", lambda c: _clients(c, None)),
    Page("交接 (一名员工的客户)", "admin", "/admin/handover?staff={bench_staff_id}", _handover),
    Page("运行状况", "admin", "/admin/health", _health),
]
