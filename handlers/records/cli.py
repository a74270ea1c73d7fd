"""`python -m bot import <kind> FILE [--dry-run]`, `python -m bot import --list`, and
`python -m bot import <kind> --template OUT.xlsx`: record imports from the command line, with a progress bar on
stderr. The run is recorded (ImportRun, audit) like one started from the console."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import models
from handlers.records import runs
from handlers.records.kinds import SPECS, spec_for
from handlers.records.report import render_report
from handlers.records.template import render_template


class ProgressBar:
    """One line on stderr, redrawn at most ten times a second: phase, rows, rate."""

    def __init__(self, stream=None):
        self.stream, self.started, self.drawn = stream or sys.stderr, time.monotonic(), 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.drawn < 0.1 and done and done != total:
            return
        self.drawn = now
        rate = done / max(now - self.started, 1e-6)
        filled = int(20 * done / total) if total else 0
        of = f"/{total:,}" if total else ""
        self.stream.write(f"\r{phase} [{'#' * filled}{'.' * (20 - filled)}] {done:,}{of} 行  {rate:,.0f} 行/秒 ")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


class ImportCommand:
    name = "import"
    help = "import records from XLSX/CSV: import <kind> FILE [--dry-run] | import --list | import <kind> --template OUT"

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("kind", nargs="?", help="record type, e.g. clients (see --list)")
        parser.add_argument("file", nargs="?", help="the .xlsx or .csv file (UTF-8 or GBK)")
        parser.add_argument("--dry-run", action="store_true", help="check and count only; write nothing")
        parser.add_argument("--list", action="store_true", help="list the record types")
        parser.add_argument("--template", metavar="OUT", help="write the kind's template (.xlsx) to OUT")
        parser.add_argument("--report", metavar="OUT", help="write the error report (.xlsx) to OUT if any")

    def run(self, args: argparse.Namespace, config) -> int:
        if args.list or not args.kind:
            for spec in SPECS:
                print(f"{spec.kind:<14} {spec.title}")
            return 0
        spec = spec_for(args.kind)
        if spec is None:
            print(f"没有这种记录类型：{args.kind}（python -m bot import --list 查看）", file=sys.stderr)
            return 2
        if args.template:
            Path(args.template).write_bytes(render_template(spec))
            print(f"已写入{spec.title}导入模板：{args.template}")
            return 0
        if not args.file or not Path(args.file).is_file():
            print(f"找不到文件：{args.file or '（未指定）'}", file=sys.stderr)
            return 2
        return self._import(spec, args, config)

    def _import(self, spec, args, config) -> int:
        from bot.db import open_database
        database = open_database(config.database)
        models.db.initialize(database)
        from bot import migrate
        with database.connection_context():
            migrate.upgrade(database)
            run = runs.start(spec.kind, Path(args.file).name, args.dry_run, None, models.utcnow())
            bar = ProgressBar()
            outcome = runs.execute(run.id, Path(args.file), ZoneInfo(config.agency.timezone), models.utcnow, bar)
            bar.close()
        return self._summary(spec, outcome, args)

    @staticmethod
    def _summary(spec, outcome, args) -> int:
        verb = "将" if outcome.dry_run else "已"
        if outcome.ok:
            print(f"{spec.title}：共 {outcome.total} 行，{verb}新增 {outcome.created}，{verb}更新 {outcome.updated}，"
                  f"未变 {outcome.unchanged}" + ("（试运行，未写入）" if outcome.dry_run else ""))
            return 0
        print(f"{spec.title}：发现 {outcome.error_count} 个问题，未写入任何数据。", file=sys.stderr)
        for problem in outcome.errors[:50]:
            where = f"第 {problem.row} 行" if problem.row else "文件"
            print(f"  {where} {problem.column}：{problem.message}", file=sys.stderr)
        if args.report:
            errors = [{"row": e.row, "column": e.column, "message": e.message} for e in outcome.errors]
            Path(args.report).write_bytes(render_report(spec.title, errors, outcome.error_count))
            print(f"错误报告：{args.report}", file=sys.stderr)
        return 1
