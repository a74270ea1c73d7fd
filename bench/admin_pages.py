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
