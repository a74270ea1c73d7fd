"""导入导出 (X10): download a record type's template, upload a filled one (XLSX or CSV) for a dry run or an import,
watch its progress, and read the result: counts, or every problem by row and column (first 200 on the page, all
in the downloadable report). The import runs in a background thread on its own database connection."""
from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from aiohttp import web
from peewee import JOIN

import models
from bot import keys
from handlers.admin.kit import ListQuery, cell_date, paginate, xlsx_response
from handlers.admin.shell import Area, ConsoleRoutes, done, message, redirect, render
from handlers.records import runs
from handlers.records.kinds import SPECS, spec_for
from handlers.records.report import render_report
from handlers.records.template import render_template
from handlers.sidebar.uploads import safe_filename, upload_root

log = logging.getLogger(__name__)
console = ConsoleRoutes()
AREA = Area("imports", "导入导出", "/admin/imports", need="admin", order=70)
PATH = "/admin/imports"
SORTS = {"created": models.ImportRun.created_at, "kind": models.ImportRun.kind}
STATES = {"running": "进行中", "done": "成功", "failed": "有错误"}
SHOWN_ERRORS = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _max_body(config) -> int:
    return config.admin.import_max_mb * 1024 * 1024 + 65536  # the file plus the form around it


def _files(config) -> Path:
    return upload_root(config) / "imports"


def _kind_title(kind: str) -> str:
    spec = spec_for(kind.removeprefix(runs.RUN_PREFIX))
    return spec.title if spec else kind


def _filtered(lq: ListQuery):
    run = models.ImportRun
    query = (run.select(run, models.Staff).join(models.Staff, JOIN.LEFT_OUTER, on=(run.created_by == models.Staff.id))
             .where(run.kind.startswith(runs.RUN_PREFIX)))
    if lq.filters.get("kind"):
        query = query.where(run.kind == runs.RUN_PREFIX + lq.filters["kind"])
    if lq.filters.get("state") in STATES:
        query = query.where(run.state == lq.filters["state"])
    if lq.q:
        query = query.where(run.filename.contains(lq.q))
    return query


def _row(run: models.ImportRun, zone) -> dict:
    counts = (run.counts or {}) if run.state == "done" else {}  # a refused file wrote nothing: no counts
    return {"id": run.id, "at": cell_date(run.created_at, zone), "kind": _kind_title(run.kind),
            "filename": run.filename, "mode": "试运行" if run.dry_run else "导入", "state": run.state,
            "state_label": STATES.get(run.state, run.state), "total": run.total,
            "created": counts.get("created", ""), "updated": counts.get("updated", ""),
            "unchanged": counts.get("unchanged", ""), "errors": run.failed,
            "who": run.created_by.name if run.created_by_id and run.created_by else "命令行"}


def _list(lq: ListQuery, zone) -> dict:
    page = paginate(_filtered(lq), lq, SORTS)
    return {"page": page, "rows": [_row(run, zone) for run in page.rows]}


def _zone(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[keys.CONFIG].agency.timezone)


def _read_list(request: web.Request) -> ListQuery:
    return ListQuery.read(request, list(SORTS), "-created", filters=("kind", "state"))


@console.get(PATH, need="admin")
async def imports_page(request: web.Request, me: models.Staff) -> web.Response:
    lq = _read_list(request)
    context = await request.app[keys.DB].run(_list, lq, _zone(request))
    return render(request, "admin/imports/list.html",
                  {"lq": lq, "specs": SPECS, "kinds": [(s.kind, s.title) for s in SPECS], "states": STATES,
                   "max_mb": request.app[keys.CONFIG].admin.import_max_mb, **context}, area="imports")


@console.get(PATH + "/export.xlsx", need="admin")
async def export_runs(request: web.Request, me: models.Staff) -> web.Response:
    lq, zone = _read_list(request), _zone(request)

    def rows() -> list[list]:
        return [[r["at"], r["kind"], r["filename"], r["mode"], r["state_label"], r["total"], r["created"],
                 r["updated"], r["unchanged"], r["errors"], r["who"]]
                for r in (_row(run, zone) for run in _filtered(lq).order_by(*lq.order(SORTS)))]
    data = await request.app[keys.DB].run(rows)
    return xlsx_response("导入记录.xlsx", "导入记录", ["时间", "类型", "文件", "方式", "结果", "行数", "新增", "更新",
                                                 "未变", "问题", "操作人"], data)


@console.get(PATH + "/template/{kind}", need="admin")
async def template(request: web.Request, me: models.Staff) -> web.Response:
    spec = spec_for(request.match_info["kind"])
    if spec is None:
        return message(request, "没有这种记录", "请从导入导出页面选择要下载的模板。", status=404)
    body = await asyncio.to_thread(render_template, spec)
    return _xlsx(body, f"{spec.title}导入模板.xlsx")


def _xlsx(body: bytes, filename: str) -> web.Response:
    return web.Response(body=body, content_type=XLSX,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


@console.post(PATH, need="admin", max_body=_max_body)
async def upload(request: web.Request, me: models.Staff) -> web.Response:
    """The form has already been read (and the file spooled to disk) by the shell's CSRF check."""
    form = await request.post()
    try:
        return await _accept(request, me, form)
    finally:
        for value in form.values():
            if isinstance(value, web.FileField):
                value.file.close()


async def _accept(request: web.Request, me: models.Staff, form) -> web.Response:
    spec = spec_for(str(form.get("kind", "")))
    upload = form.get("file")
    if spec is None:
        return message(request, "请选择记录类型", "请先选择要导入的记录类型，再选择文件。", status=400)
    if not isinstance(upload, web.FileField) or not upload.filename:
        return message(request, "请选择文件", "请选择要导入的 XLSX 或 CSV 文件。", status=400)
    # Browsers send the name as UTF-8; some clients (aiohttp's own) percent-encode it.
    filename = safe_filename(unquote(upload.filename)) or "upload.csv"
    if not filename.lower().endswith((".xlsx", ".csv", ".txt")):
        return message(request, "文件类型不支持", "只能导入 .xlsx 或 .csv 文件（可先下载模板填写）。", status=400)
    app = request.app
    run = await app[keys.DB].run(runs.start, spec.kind, filename, form.get("mode") != "import", me.id,
                                 app[keys.CLOCK]())
    directory = _files(app[keys.CONFIG])
    await asyncio.to_thread(_store, upload.file, directory, _stored_name(run))
    _spawn(app, run.id, directory / _stored_name(run))
    return redirect(f"{PATH}/{run.id}")


def _stored_name(run: models.ImportRun) -> str:
    return f"{run.id}{Path(run.filename).suffix.lower() or '.csv'}"


def _store(source, directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    runs.sweep_files(directory)
    source.seek(0)
    with open(directory / name, "wb") as target:
        shutil.copyfileobj(source, target, 1 << 20)


def _spawn(app: web.Application, run_id: int, path: Path) -> None:
    tz, clock = ZoneInfo(app[keys.CONFIG].agency.timezone), app[keys.CLOCK]
    app[keys.TASKS].spawn(_work(run_id, path, tz, clock), name=f"records-import:{run_id}")


async def _work(run_id: int, path: Path, tz, clock) -> None:
    await asyncio.to_thread(_work_sync, run_id, path, tz, clock)


def _work_sync(run_id: int, path: Path, tz, clock) -> None:
    """On a thread of its own with its own connection: a long write never holds the app's database threads."""
    with models.db.connection_context():
        try:
            outcome = runs.execute(run_id, path, tz, clock)
        except Exception:
            log.exception("record import %s failed", run_id)
            runs.fail(run_id, "导入时发生意外错误，未写入任何数据。请联系管理员查看日志。", clock())
            return
    if not outcome.dry_run or not outcome.ok:  # a clean dry run keeps its file for 确认导入
        path.unlink(missing_ok=True)


def _run_view(run_id: int, zone) -> dict | None:
    run = models.ImportRun.get_or_none(models.ImportRun.id == run_id)
    if run is None or not run.kind.startswith(runs.RUN_PREFIX):
        return None
    return {"run": _row(run, zone), "errors": (run.report or [])[:SHOWN_ERRORS],
            "samples": (run.counts or {}).get("samples", []), "dry_run": run.dry_run}


@console.get(PATH + r"/{id:\d+}", need="admin")
async def run_page(request: web.Request, me: models.Staff) -> web.Response:
    run_id = int(request.match_info["id"])
    view = await request.app[keys.DB].run(_run_view, run_id, _zone(request))
    if view is None:
        return message(request, "没有这次导入", "这次导入不存在。", status=404)
    stored = (_files(request.app[keys.CONFIG]) / f"{run_id}.xlsx", _files(request.app[keys.CONFIG]) / f"{run_id}.csv",
              _files(request.app[keys.CONFIG]) / f"{run_id}.txt")
    view["can_confirm"] = view["dry_run"] and view["run"]["state"] == "done" and any(p.exists() for p in stored)
    view["progress"] = _progress_text(run_id, view["run"])
    return render(request, "admin/imports/run.html", {**view, "shown": SHOWN_ERRORS}, area="imports")


def _progress_text(run_id: int, row: dict) -> str:
    now = runs.progress_of(run_id)
    if now is None:
        return "排队中……" if row["state"] == "running" else ""
    phase, count, total = now
    return f"正在{phase}：{count:,} / {total:,} 行" if total else f"正在{phase}：已读 {count:,} 行"


@console.get(PATH + r"/{id:\d+}/progress", need="admin")
async def run_progress(request: web.Request, me: models.Staff) -> web.Response:
    run_id = int(request.match_info["id"])
    view = await request.app[keys.DB].run(_run_view, run_id, _zone(request))
    running = view is not None and view["run"]["state"] == "running"
    return web.json_response({"running": running, "text": _progress_text(run_id, view["run"]) if view else ""})


@console.get(PATH + r"/{id:\d+}/report.xlsx", need="admin")
async def run_report(request: web.Request, me: models.Staff) -> web.Response:
    run = await request.app[keys.DB].run(models.ImportRun.get_or_none, models.ImportRun.id == int(request.match_info["id"]))
    if run is None or not run.kind.startswith(runs.RUN_PREFIX):
        return message(request, "没有这次导入", "这次导入不存在。", status=404)
    body = await asyncio.to_thread(render_report, _kind_title(run.kind), run.report or [], run.failed)
    return _xlsx(body, f"{_kind_title(run.kind)}导入错误报告-{run.id}.xlsx")


@console.post(PATH + r"/{id:\d+}/confirm", need="admin")
async def confirm(request: web.Request, me: models.Staff) -> web.Response:
    """确认导入: import the file a clean dry run checked (the file is checked again, then written)."""
    app, run_id = request.app, int(request.match_info["id"])
    dry = await app[keys.DB].run(models.ImportRun.get_or_none, models.ImportRun.id == run_id)
    directory = _files(app[keys.CONFIG])
    source = directory / _stored_name(dry) if dry else None
    if dry is None or not dry.dry_run or dry.state != "done" or not source.exists():
        return done(f"{PATH}/{run_id}", "这个文件已不能确认导入（已导入、有错误或已过期），请重新上传。")
    run = await app[keys.DB].run(runs.start, dry.kind.removeprefix(runs.RUN_PREFIX), dry.filename, False, me.id,
                                 app[keys.CLOCK]())
    target = directory / _stored_name(run)
    await asyncio.to_thread(source.rename, target)
    _spawn(app, run.id, target)
    return redirect(f"{PATH}/{run.id}")
