"""`python -m bot kb import FILE [--dry-run] [--report OUT]` and `kb export FILE [--list] [--template]`: the
knowledge base in and out as XLSX from the command line, through the same record machinery as the console
(an ImportRun row and an audit entry for each import)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import models
from bot.render.xlsx import render_table_xlsx
from handlers.knowledge.records import KNOWLEDGE, LIST_HEADERS, list_rows, template_rows
from handlers.records.cli import ImportCommand, ProgressBar
from handlers.records.template import render_template

COMMANDS = ("import", "export")


def configure(sub) -> None:
    """Add the import and export subcommands to `kb`'s subparsers."""
    imp = sub.add_parser("import", help="import entries from XLSX/CSV (all or nothing; entries arrive unaudited)")
    imp.add_argument("file", help="the filled template (.xlsx or .csv)")
    imp.add_argument("--dry-run", action="store_true", help="check and count only; write nothing")
    imp.add_argument("--report", metavar="OUT", help="write the error report (.xlsx) to OUT if any")
    exp = sub.add_parser("export", help="export every entry to XLSX (the import template's layout by default)")
    exp.add_argument("file", help="where to write the .xlsx")
    exp.add_argument("--list", action="store_true", help="the console list's columns (audit state, who, uses)")
    exp.add_argument("--template", action="store_true", help="write the empty template instead")


def run(args: argparse.Namespace, config) -> int:
    if args.kb_command == "export" and args.template:
        Path(args.file).write_bytes(render_template(KNOWLEDGE))
        print(f"已写入知识库导入模板：{args.file}")
        return 0
    if args.kb_command == "import" and not Path(args.file).is_file():
        print(f"找不到文件：{args.file}", file=sys.stderr)
        return 2
    from bot import migrate
    from bot.db import open_database
    from handlers.records import runs
    database = open_database(config.database)
    models.db.initialize(database)
    tz = ZoneInfo(config.agency.timezone)
    with database.connection_context():
        migrate.upgrade(database)
        if args.kb_command == "export":
            return _export(args, tz)
        run = runs.start(KNOWLEDGE.kind, Path(args.file).name, args.dry_run, None, models.utcnow())
        bar = ProgressBar()
        outcome = runs.execute(run.id, Path(args.file), tz, models.utcnow, bar)
        bar.close()
    return ImportCommand._summary(KNOWLEDGE, outcome, args)


def _export(args, tz) -> int:
    E = models.KnowledgeEntry
    entries = list(E.select().order_by(E.category, E.id))
    if args.list:
        body = render_table_xlsx("知识库", LIST_HEADERS, list_rows(entries, tz))
    else:
        body = render_template(KNOWLEDGE, template_rows(entries))
    Path(args.file).write_bytes(body)
    models.audit(None, "knowledge.export", "KnowledgeEntry", after={"rows": len(entries), "file": Path(args.file).name})
    print(f"已导出 {len(entries)} 条知识：{args.file}")
    return 0
