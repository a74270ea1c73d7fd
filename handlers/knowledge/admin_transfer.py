"""知识库导入导出 (K3): 下载模板, 引入数据 (all or nothing, with a row/column report), 查看引入结果, and the two
exports. The import is the records machinery's (handlers/records) with the knowledge spec; knowledge files are
small, so it runs while the page waits, on a thread with its own connection."""
from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from aiohttp import web

import models
from bot import keys
from handlers.admin.shell import ConsoleRoutes, message, redirect, render
from handlers.knowledge.admin import xlsx_file
from handlers.knowledge.records import KNOWLEDGE
from handlers.records import runs
from handlers.records.report import render_report
from handlers.records.template import render_template
from handlers.sidebar.uploads import safe_filename

console = ConsoleRoutes()
PATH = "/admin/knowledge/imports"
MAINTAIN = "knowledge.maintain"
KIND = runs.RUN_PREFIX + KNOWLEDGE.kind
SHOWN_ERRORS = 200
RECENT = 20


def _max_body(config) -> int:
    return config.admin.import_max_mb * 1024 * 1024 + 65536


def _runs(zone) -> list[dict]:
    R = models.ImportRun
    return [_view(run, zone) for run in R.select().where(R.kind == KIND).order_by(R.id.desc()).limit(RECENT)]


def _view(run: models.ImportRun, zone) -> dict:
    counts = run.counts or {}
    return {"id": run.id, "at": run.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), "filename": run.filename,
            "dry_run": run.dry_run, "state": run.state, "total": run.total, "errors": run.failed,
            "created": counts.get("created", 0), "updated": counts.get("updated", 0),
            "unchanged": counts.get("unchanged", 0),
            "who": run.created_by.name if run.created_by_id and run.created_by else "命令行"}


def _zone(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[keys.CONFIG].agency.timezone)


@console.get(PATH, need=MAINTAIN)
async def transfer_page(request: web.Request, me: models.Staff) -> web.Response:
    recent = await request.app[keys.DB].run(_runs, _zone(request))
    return render(request, "admin/knowledge/imports.html",
                  {"runs": recent, "tab": "imports", "spec": KNOWLEDGE,
                   "max_mb": request.app[keys.CONFIG].admin.import_max_mb}, area="knowledge")


@console.get(PATH + "/template.xlsx", need=MAINTAIN)
async def template(request: web.Request, me: models.Staff) -> web.Response:
    return xlsx_file(await asyncio.to_thread(render_template, KNOWLEDGE), "知识库导入模板.xlsx")


@console.post(PATH, need=MAINTAIN, max_body=_max_body)
async def upload(request: web.Request, me: models.Staff) -> web.Response:
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        return message(request, "请选择文件", "请选择要导入的 XLSX 或 CSV 文件（可先下载模板填写）。", status=400)
    filename = safe_filename(unquote(upload.filename)) or "upload.xlsx"
    if not filename.lower().endswith((".xlsx", ".csv", ".txt")):
        return message(request, "文件类型不支持", "只能导入 .xlsx 或 .csv 文件（可先下载模板填写）。", status=400)
    app = request.app
    run = await app[keys.DB].run(runs.start, KNOWLEDGE.kind, filename, form.get("mode") == "check", me.id,
                                 app[keys.CLOCK]())
    try:
        await asyncio.to_thread(_import, run.id, upload.file, Path(filename).suffix.lower(), _zone(request),
                                app[keys.CLOCK])
    finally:
        upload.file.close()
    return redirect(f"{PATH}/{run.id}")


def _import(run_id: int, source, suffix: str, tz, clock) -> None:
    """On a thread with its own connection: check every row, then write all of them or none."""
    with tempfile.TemporaryDirectory() as directory, models.db.connection_context():
        path = Path(directory) / f"upload{suffix}"
        source.seek(0)
        path.write_bytes(source.read())
        try:
            runs.execute(run_id, path, tz, clock)
        except Exception:
            runs.fail(run_id, "导入时发生意外错误，未写入任何数据。请联系管理员查看日志。", clock())
            raise


def _result(run_id: int, zone) -> dict | None:
    run = models.ImportRun.get_or_none((models.ImportRun.id == run_id) & (models.ImportRun.kind == KIND))
    if run is None:
        return None
    return {"run": _view(run, zone), "errors": (run.report or [])[:SHOWN_ERRORS],
            "samples": (run.counts or {}).get("samples", [])}


@console.get(PATH + r"/{id:\d+}", need=MAINTAIN)
async def result_page(request: web.Request, me: models.Staff) -> web.Response:
    view = await request.app[keys.DB].run(_result, int(request.match_info["id"]), _zone(request))
    if view is None:
        return message(request, "没有这次导入", "这次导入不存在。", status=404)
    return render(request, "admin/knowledge/import_run.html", {**view, "shown": SHOWN_ERRORS, "tab": "imports"},
                  area="knowledge")


@console.get(PATH + r"/{id:\d+}/report.xlsx", need=MAINTAIN)
async def report(request: web.Request, me: models.Staff) -> web.Response:
    run_id = int(request.match_info["id"])
    run = await request.app[keys.DB].run(models.ImportRun.get_or_none,
                                         (models.ImportRun.id == run_id) & (models.ImportRun.kind == KIND))
    if run is None:
        return message(request, "没有这次导入", "这次导入不存在。", status=404)
    body = await asyncio.to_thread(render_report, KNOWLEDGE.title, run.report or [], run.failed)
    return xlsx_file(body, f"知识库导入错误报告-{run.id}.xlsx")
