"""The sidebar bench's agency: 10,000 clients, 200,000 receivables and 1,000,000 invoices (plus the services,
filings, 收票, reports, follow-ups and knowledge a tab reads), written with executemany in a few transactions.

Deterministic (fixed seed and 'today'), so the SQLite file can be cached under var/ and reused across runs.
"""
from __future__ import annotations

import json
import random
import sqlite3
from datetime import date
from pathlib import Path

CLIENTS = 10_000
RECEIVABLES_PER_CLIENT = 20
INVOICES_PER_CLIENT = 100
TODAY = date(2026, 11, 26)
BENCH_USER = "benchuser"
FOLLOWED_EVERY = 50  # the bench member follows the contact of every 50th client (200 chats)
NOW_TEXT = "2026-11-26 02:00:00.000000+00:00"
TAXES = ("vat", "iit")
KINDS = ("purchase_invoice", "sales_invoice", "expense_receipt", "bank_slip", "payroll")


def _period(months_back: int) -> str:
    index = TODAY.year * 12 + TODAY.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _lines(rng: random.Random, kind: str) -> str:
    names = (["货币资金", "应收账款", "存货", "资产合计", "应付账款", "应交税费", "负债合计", "实收资本", "未分配利润",
              "所有者权益合计", "负债和所有者权益合计"] if kind == "balance_sheet"
             else ["营业收入", "营业成本", "税金及附加", "销售费用", "管理费用", "利润总额", "所得税费用", "净利润"])
    section = "asset" if kind == "balance_sheet" else "profit"
    return json.dumps([{"code": str(n + 1), "name": name, "amount_fen": rng.randint(0, 10 ** 9), "section": section,
                        "total": "合计" in name or name in ("利润总额", "净利润")} for n, name in enumerate(names)],
                      ensure_ascii=False)


def _insert(conn: sqlite3.Connection, table: str, columns: str, rows) -> None:
    marks = ",".join("?" * len(columns.split(",")))
    conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _people(conn, rng) -> None:
    perms = json.dumps(["wecom.link", "wecom.service", "wecom.billing", "wecom.collection", "wecom.followup",
                        "wecom.filing", "wecom.report", "wecom.invoice"])
    _insert(conn, "staff", "id,name,position,role,permissions,wecom_userid,active,created_at",
            [(1, "压测员", "客户经理", "staff", perms, BENCH_USER, 1, NOW_TEXT)]
            + [(i, f"员工{i}", "会计", "staff", perms, f"user{i}", 1, NOW_TEXT) for i in range(2, 21)])
    _insert(conn, "client", "id,name,short_name,taxpayer_type,legal_person,address,tags,manager_id,accountant_id,"
            "status,note,pinyin_initials,created_at",
            ((i, f"压测客户{i:05d}有限公司", f"客户{i:05d}", "general" if i % 3 == 0 else "small", "张三", "杭州",
              "[]", 2 + i % 19, 2 + (i * 7) % 19, "active", "", f"yckh{i:05d}", NOW_TEXT)
             for i in range(1, CLIENTS + 1)))
    _insert(conn, "client_contact", "client_id,name,title,mobile,is_primary",
            ((i, name, title, None, title == "老板") for i in range(1, CLIENTS + 1)
             for name, title in (("王总", "老板"), ("李会计", "财务"))))
    _insert(conn, "external_contact", "id,external_userid,name,type,corp_name,gender,updated_at",
            ((i, f"wmBench{i:05d}", f"联系人{i}", 1, f"客户{i:05d}", 0, NOW_TEXT) for i in range(1, CLIENTS + 1)))
    _insert(conn, "follow_relation", "contact_id,userid,remark,description,tags,updated_at",
            ((i, BENCH_USER if i % FOLLOWED_EVERY == 0 else f"user{2 + i % 19}", "", "", "[]", NOW_TEXT)
             for i in range(1, CLIENTS + 1)))
    # Every tenth contact speaks for two companies, as bosses of several often do.
    _insert(conn, "contact_client_link", "contact_id,client_id,created_at",
            [(i, i, NOW_TEXT) for i in range(1, CLIENTS + 1)]
            + [(i, i % CLIENTS + 1, NOW_TEXT) for i in range(10, CLIENTS + 1, 10)])


def _contracts_and_services(conn) -> None:
    _insert(conn, "contract", "id,client_id,number,title,start_date,end_date,amount_fen,status",
            ((i * 2 - 1 + k, i, f"HT{i:05d}-{k}", "代理记账服务合同", f"{2025 + k}-01-01", f"{2025 + k}-12-31",
              240000, "active" if k else "ended") for i in range(1, CLIENTS + 1) for k in (0, 1)))
    _insert(conn, "service", "client_id,contract_id,kind,name,start_date,end_date,fee_fen,billing_cycle,status",
            ((i, i * 2 - 1 + k, "bookkeeping", "代理记账", f"{2025 + k}-01-01", f"{2025 + k}-12-31", 240000,
              "yearly", "renewed" if not k else "active") for i in range(1, CLIENTS + 1) for k in (0, 1)))
    _insert(conn, "missing_invoice_flag", "client_id,period,note,flagged_at",
            ((i, _period(1), "缺进项发票", NOW_TEXT) for i in range(5, CLIENTS + 1, 5)))


def _billing(conn, rng) -> None:
    rows, payments, allocations = [], [], []
    rid = pid = 0
    for client in range(1, CLIENTS + 1):
        for n in range(RECEIVABLES_PER_CLIENT):
            rid += 1
            period = _period(RECEIVABLES_PER_CLIENT - 1 - n)
            due = date(int(period[:4]), int(period[5:]), 10)
            paid = n < RECEIVABLES_PER_CLIENT - 3
            rows.append((rid, client, "代理记账费", period, period, 20000, 20000 if paid else 0, due.isoformat(),
                         "paid" if paid else "open", NOW_TEXT))
            if paid and n % 3 == 0:
                pid += 1
                payments.append((pid, client, f"B{pid:09d}", 20000, "bank", due.isoformat(), "", "", 1, NOW_TEXT))
                allocations.append((pid, rid, 20000))
    _insert(conn, "receivable", "id,client_id,item,period_start,period_end,amount_fen,paid_fen,due_date,status,"
            "created_at", rows)
    _insert(conn, "payment", "id,client_id,receipt_no,amount_fen,method,paid_on,payer,note,recorded_by_id,created_at",
            payments)
    _insert(conn, "payment_allocation", "payment_id,receivable_id,amount_fen", allocations)


def _invoices(conn, rng) -> None:
    def rows():
        for client in range(1, CLIENTS + 1):
            for n in range(INVOICES_PER_CLIENT):
                period = _period(1 + n % 12)
                direction = "output" if n % 2 else "input"
                amount = rng.randint(1_000, 5_000_000)
                rate = 1300 if client % 3 == 0 else 100
                yield (client, direction, period, f"{client:05d}{n:06d}", f"{period}-{1 + n % 28:02d}", "对方单位",
                       amount, amount * rate // 10000, rate, "normal", "void" if n % 37 == 0 else "normal")
    _insert(conn, "invoice", "client_id,direction,period,number,issue_date,counterparty,amount_fen,tax_fen,rate_bp,"
            "kind,status", rows())


def _records(conn, rng) -> None:
    clients = range(1, CLIENTS + 1)
    _insert(conn, "tax_filing", "client_id,period,tax,cycle,status,amount_fen,filed_at",
            ((c, _period(m), tax, "monthly", "filed" if m > 1 else "pending", rng.randint(0, 100000),
              NOW_TEXT if m > 1 else None) for c in clients for m in range(1, 13) for tax in TAXES))
    _insert(conn, "invoice_collection", "id,client_id,period,status,note,created_at",
            (((c - 1) * 6 + m, c, _period(m + 1), "complete" if m else "open", "", NOW_TEXT)
             for c in clients for m in range(6)))
    _insert(conn, "collection_item", "collection_id,kind,count,received,note,received_at",
            ((cid, kind, 3, 1, "", NOW_TEXT) for cid in range(1, CLIENTS * 6 + 1) for kind in KINDS))
    _insert(conn, "report_snapshot", "client_id,period,kind,lines,created_at",
            ((c, _period(m), kind, _lines(rng, kind), NOW_TEXT) for c in clients for m in (2, 3)
             for kind in ("balance_sheet", "income_statement")))
    _insert(conn, "follow_up", "client_id,staff_id,content,created_at",
            ((c, 1 + c % 20, f"第{k + 1}次电话沟通收票与付款安排", f"2026-{9 + k:02d}-15 02:00:00.000000+00:00")
             for c in clients for k in range(3)))
    _insert(conn, "knowledge_category", "id,name,sort_order", [(1, "税务", 0)])
    topics = ["增值税", "企业所得税", "个人所得税", "发票", "社保", "工商变更", "印花税", "小规模纳税人", "一般纳税人", "汇算清缴"]
    _insert(conn, "knowledge_entry", "category_id,title,brief,answer,audited,created_at,updated_at,hits",
            ((1, f"{topics[n % 10]}常见问题{n}", f"{topics[n % 10]}的简要回答{n}", f"{topics[n % 10]}的详细回答，第{n}条。" * 5,
              n % 4 != 0, NOW_TEXT, NOW_TEXT, n % 17) for n in range(300)))


def build(path: Path, upgrade) -> None:
    """Create the migrated schema with ``upgrade(path)``, then write every row (about a minute)."""
    upgrade(path)
    rng = random.Random(20261126)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        for step in (_people, lambda c, r: _contracts_and_services(c), _billing, _invoices, _records):
            with conn:
                step(conn, rng)
    finally:
        conn.close()


def followed_clients() -> list[tuple[str, int]]:
    """(external_userid, client id) of the chats the bench member may open."""
    return [(f"wmBench{i:05d}", i) for i in range(FOLLOWED_EVERY, CLIENTS + 1, FOLLOWED_EVERY)]
