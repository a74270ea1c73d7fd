"""Record imports (X10) against a bare executemany of the same rows, on SQLite and PostgreSQL.

    .venv/bin/python bench/import.py [--db sqlite,postgres] [--clients 10000] [--receivables 100000]
                                     [--invoices 100000,300000] [--pg postgresql://postgres@127.0.0.1:5432/test]

For each database: generate CSV files (clients, receivables, invoices — as the templates hold them), import them
with the product's importer (one pass, one transaction) into one fresh database, and insert the same rows, already
converted to tuples, with one cursor.executemany per 10,000 rows (one transaction) into another. On PostgreSQL,
where the importer inserts with multi-row VALUES (psycopg2's execute_values), that bare form is measured too. Each
run is its own process, so its peak RSS (ru_maxrss) is that run's alone. Ratio = import rows/s ÷ bare rows/s. Peak
memory should be flat in the file size: the importer streams the file and keeps 12 bytes a row (a key hash).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 10_000
CLIENTS = [10_000]  # clients the other kinds refer to (set from --clients, passed to each run)


# ---- files --------------------------------------------------------------------------------------------------

def tax_id(n: int) -> str:
    return f"91330106MA{n:08d}"


def write_csv(path: Path, kind: str, rows: int) -> None:
    from handlers.records.kinds import spec_for
    from handlers.records.template import header_text
    spec = spec_for(kind)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow([header_text(c) for c in spec.columns])
        for n in range(rows):
            out.writerow([row_cells(kind, n).get(c.header, "") for c in spec.columns])


def row_cells(kind: str, n: int) -> dict:
    if kind == "clients":
        return {"客户名称": f"压测客户{n:06d}有限公司", "简称": f"客户{n}", "税号": tax_id(n),
                "纳税人类型": "一般纳税人" if n % 4 == 1 else "小规模纳税人", "客户经理": "压测员", "状态": "服务中"}
    client = tax_id(n % CLIENTS[0])
    if kind == "receivables":
        index = n // CLIENTS[0]  # each client's bills, month after month
        period = f"{2016 + index // 12:04d}-{index % 12 + 1:02d}"
        return {"客户": client, "收费项目": "代理记账费", "起始所属期": period, "结束所属期": period,
                "应收金额": f"{300 + n % 700}.00", "到期日": f"{period}-10"}
    month = (n // 20_000) % 12 + 1
    return {"客户": client, "方向": "销项" if n % 2 else "进项", "所属期": f"2026-{month:02d}",
            "发票号码": f"2633{n:016d}", "开票日期": f"2026-{month:02d}-15", "对方单位": "浙江新世纪商贸有限公司",
            "金额": f"{1000 + n % 9000}.{n % 100:02d}", "税额": f"{130 + n % 900}.00", "税率": "13%",
            "发票类型": "专票"}


# ---- one run, in its own process ------------------------------------------------------------------------------

def open_db(url: str):
    import models
    from bot.config.settings import DatabaseConfig
    from bot.db import open_database
    database = open_database(DatabaseConfig(url=url))
    models.db.initialize(database)
    database.connect(reuse_if_open=True)
    return database


def child_import(url: str, kind: str, path: str) -> dict:
    from handlers.records.importer import import_table
    from handlers.records.kinds import spec_for
    from handlers.records.reader import open_table
    open_db(url)
    import models
    if kind == "clients":  # pypinyin's dictionaries, loaded once per process (the server does at start-up)
        models.pinyin_initials("账房")
    started = time.perf_counter()
    outcome = import_table(spec_for(kind), open_table(Path(path), path))
    seconds = time.perf_counter() - started
    assert outcome.ok, outcome.errors[:3]
    return {"rows": outcome.created + outcome.updated + outcome.unchanged, "seconds": seconds}


def child_baseline(url: str, kind: str, rows: int, values: bool = False) -> dict:
    """The same rows as tuples (client ids resolved, fen as int), then only executemany is timed (or, with
    ``values``, PostgreSQL's multi-row INSERT through psycopg2's execute_values, as the import does there)."""
    import models
    database = open_db(url)
    clients = dict(models.Client.select(models.Client.tax_id, models.Client.id).tuples())
    staff = models.Staff.select(models.Staff.id).scalar()
    now = models.utcnow()
    model, fields, tuples = baseline_rows(kind, rows, clients, staff, now)
    table = model._meta.table_name
    marks = ", ".join(["%s" if models.is_postgres(database) else "?"] * len(fields))
    sql = f'INSERT INTO "{table}" ({", ".join(fields)}) VALUES ({marks})'
    started = time.perf_counter()
    with database.atomic():
        cursor = database.cursor()
        for start in range(0, len(tuples), CHUNK):
            if values:
                from psycopg2.extras import execute_values
                execute_values(cursor, sql.split(" VALUES ")[0] + " VALUES %s", tuples[start:start + CHUNK],
                               page_size=500)
            else:
                cursor.executemany(sql, tuples[start:start + CHUNK])
    return {"rows": len(tuples), "seconds": time.perf_counter() - started}


def baseline_rows(kind, rows, clients, staff, now):
    import models
    from decimal import Decimal
    fen = lambda text: int(Decimal(text) * 100)  # noqa: E731
    stamp = now if models.is_postgres() else now.isoformat(sep=" ", timespec="microseconds")
    out = []
    for n in range(rows):
        c = row_cells(kind, n)
        if kind == "clients":
            name = c["客户名称"]  # the stored row's search keys too, computed before the clock starts
            out.append((name, c["简称"], c["税号"], "small", "", "", "", "[]", staff, "active", "",
                        *models.name_search_keys(name), stamp))
        elif kind == "receivables":
            out.append((clients[c["客户"]], c["收费项目"], c["起始所属期"], c["结束所属期"], fen(c["应收金额"]), 0,
                        dt.date.fromisoformat(c["到期日"]), "open", stamp))
        else:
            out.append((clients[c["客户"]], "output" if n % 2 else "input", c["所属期"], c["发票号码"], "",
                        dt.date.fromisoformat(c["开票日期"]), c["对方单位"], fen(c["金额"]), fen(c["税额"]), 1300,
                        "special", "normal"))
    fields = {"clients": ("name", "short_name", "tax_id", "taxpayer_type", "vat_cycle", "legal_person", "address", "tags",
                          "manager_id", "status", "note", "pinyin_initials", "pinyin", "created_at"),
              "receivables": ("client_id", "item", "period_start", "period_end", "amount_fen", "paid_fen",
                              "due_date", "status", "created_at"),
              "invoices": ("client_id", "direction", "period", "number", "code", "issue_date", "counterparty",
                           "amount_fen", "tax_fen", "rate_bp", "kind", "status")}[kind]
    model = {"clients": models.Client, "receivables": models.Receivable, "invoices": models.Invoice}[kind]
    return model, fields, out


def child(args) -> None:
    result = child_import(args.url, args.kind, args.file) if args.mode == "import" \
        else child_baseline(args.url, args.kind, args.rows, values=args.mode == "values")
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(mode: str, url: str, kind: str, file: str = "", rows: int = 0) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--url", url, "--kind", kind,
                          "--file", file, "--rows", str(rows), "--clients", str(CLIENTS[0])], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{mode} {kind} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- the databases ----------------------------------------------------------------------------------------------

SCHEMAS: list[str] = []


def drop_schemas(pg: str) -> None:
    if SCHEMAS:
        import psycopg2
        conn = psycopg2.connect(pg)
        conn.autocommit = True
        for schema in SCHEMAS:
            conn.cursor().execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.close()


def fresh(kind_of_db: str, pg: str, tmp: Path) -> str:
    import models
    from bot import migrate
    if kind_of_db == "sqlite":
        url = f"sqlite:///{tmp / (uuid.uuid4().hex[:8] + '.sqlite3')}"
    else:
        import psycopg2
        schema = f"zf_bench_{uuid.uuid4().hex[:8]}"
        conn = psycopg2.connect(pg)
        conn.autocommit = True
        conn.cursor().execute(f"CREATE SCHEMA {schema}")
        conn.close()
        SCHEMAS.append(schema)
        url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    database = open_db(url)
    migrate.upgrade(database)
    models.Staff.create(name="压测员")
    database.close()
    return url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=["import", "baseline", "values"])
    parser.add_argument("--url")
    parser.add_argument("--kind")
    parser.add_argument("--file", default="")
    parser.add_argument("--rows", type=int, default=0)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--receivables", type=int, default=100_000)
    parser.add_argument("--invoices", default="100000,300000")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    CLIENTS[0] = args.clients
    if args.child:
        args.mode = args.child
        child(args)
        return
    tmp = Path(tempfile.mkdtemp(prefix="zf-import-bench-"))
    plan = [("clients", args.clients), ("receivables", args.receivables)]
    plan += [("invoices", int(n)) for n in args.invoices.split(",") if n]
    files = {}
    for kind, rows in plan:
        files[(kind, rows)] = tmp / f"{kind}-{rows}.csv"
        write_csv(files[(kind, rows)], kind, rows)
    print("| database | kind | rows | import s | import rows/s | executemany rows/s | ratio | import peak MB |"
          " executemany peak MB | multi-row VALUES rows/s | ratio to it |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    try:
        measure(args, plan, files, tmp)
    finally:
        drop_schemas(args.pg)


def measure(args, plan, files, tmp) -> None:
    for kind_of_db in args.db.split(","):
        imported, baseline = fresh(kind_of_db, args.pg, tmp), fresh(kind_of_db, args.pg, tmp)
        for kind, rows in plan:
            if kind == "invoices":  # each invoice size into its own copy of the clients
                imported, baseline = fresh(kind_of_db, args.pg, tmp), fresh(kind_of_db, args.pg, tmp)
                run_child("import", imported, "clients", str(files[("clients", args.clients)]))
                run_child("baseline", baseline, "clients", rows=args.clients)
            ours = run_child("import", imported, kind, str(files[(kind, rows)]))
            bare = run_child("baseline", baseline, kind, rows=rows)
            rate, bare_rate = ours["rows"] / ours["seconds"], bare["rows"] / bare["seconds"]
            multi = "— | —"
            if kind_of_db == "postgres":  # the import inserts with multi-row VALUES there: that bare form too
                again = fresh(kind_of_db, args.pg, tmp)
                if kind != "clients":
                    run_child("baseline", again, "clients", rows=args.clients)
                values = run_child("values", again, kind, rows=rows)
                values_rate = values["rows"] / values["seconds"]
                multi = f"{values_rate:,.0f} | {rate / values_rate:.2f}×"
            print(f"| {kind_of_db} | {kind} | {rows:,} | {ours['seconds']:.1f} | {rate:,.0f} | {bare_rate:,.0f} | "
                  f"{rate / bare_rate:.2f}× | {ours['peak_mb']:.0f} | {bare['peak_mb']:.0f} | {multi} |", flush=True)


if __name__ == "__main__":
    main()
