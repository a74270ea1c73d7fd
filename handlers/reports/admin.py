"""Report snapshots (报表) in the console: 新增报表 on a client's page, editing a statement's period, kind and lines,
and deleting it. Period and kind parse through the reports' import spec, the lines through the same columns
(handlers/reports/changes.py). Needs 报表情况 (wecom.report) and a client the member can see (else 404)."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.money import format_fen
from handlers.admin.forms import FormLookups, fields_of, parse_form
from handlers.admin.forms import submit
from handlers.admin.shell import ConsoleRoutes, done, render
from handlers.clients.admin_detail import missing, today, visible
from handlers.reports import changes
from handlers.reports.records import REPORTS, SECTIONS

console = ConsoleRoutes()
NEED = "wecom.report"
FIELDS = ("period", "kind")


def report_of(me, report_id: int) -> models.ReportSnapshot | None:
    found = models.ReportSnapshot.get_or_none(models.ReportSnapshot.id == report_id)
    return found if found is not None and visible(me, found.client_id) else None


def _context(me, client_id, report_id) -> dict | None:
    report = report_of(me, report_id) if report_id else None
    client = visible(me, report.client_id if report else client_id)
    if client is None or (report_id and report is None):
        return None
    stored = {"period": report.period, "kind": report.kind, "lines": changes.lines_text(report.lines)} if report else {}
    return {"client": client, "report": report, "fields": fields_of(REPORTS, FIELDS), "stored": stored}


async def page(request, me, client_id=None, report_id=None, values=None, errors=None, status=200):
    context = await request.app[keys.DB].run(_context, me, client_id, report_id)
    if context is None:
        return missing(request, "这张报表" if report_id else "这个客户")
    if values is None:
        values = context["stored"] or {"period": today(request).strftime("%Y-%m"), "kind": "balance_sheet"}
    return render(request, "admin/reports/report.html",
                  {**context, "values": values, "errors": errors or {}, "yuan": format_fen, "sections": SECTIONS,
                   "max_lines": changes.MAX_LINES, "kinds": models.REPORT_KINDS}, status=status, area="clients")


@console.get(r"/admin/clients/{id:\d+}/reports/new", need=NEED)
async def new_report(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.get(r"/admin/reports/{id:\d+}", need=NEED)
async def report_page(request: web.Request, me: models.Staff) -> web.Response:
    return await page(request, me, report_id=parse_id(request.match_info["id"]) or 0)


def _save(me, client_id, report_id, form):
    context = _context(me, client_id, report_id)
    if context is None:
        return None, {"404": True}
    client = context["client"]
    lookups = FormLookups()
    values, errors = parse_form(REPORTS, form, FIELDS, lookups, {"client": client.id})
    lines, problem = changes.parse_lines(str(form.get("lines", "")), lookups)
    if problem:
        errors["lines"] = problem
    if not errors and (taken := changes.kind_taken(client.id, values["period"], values["kind"], report_id)):
        errors["kind"] = taken
    if errors:
        return None, errors
    return changes.save_report(me, client, context["report"], values["period"], values["kind"], lines), {}


async def _post(request, me, client_id=None, report_id=None) -> web.Response:
    return await submit(request, me, page, _save, client_id, report_id,
                        not_found=lambda: missing(request, "这张报表" if report_id else "这个客户"),
                        saved=lambda r: (f"/admin/clients/{r.client_id}#reports",
                                     f"已保存 {r.period} {models.REPORT_KINDS[r.kind]}（{len(r.lines)} 行）。"))


@console.post(r"/admin/clients/{id:\d+}/reports/new", need=NEED)
async def create_report(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, client_id=parse_id(request.match_info["id"]) or 0)


@console.post(r"/admin/reports/{id:\d+}", need=NEED)
async def update_report(request: web.Request, me: models.Staff) -> web.Response:
    return await _post(request, me, report_id=parse_id(request.match_info["id"]) or 0)


def _delete(me, report_id: int):
    report = report_of(me, report_id)
    if report is not None:
        changes.delete_report(me, report)
    return report


@console.post(r"/admin/reports/{id:\d+}/delete", need=NEED)
async def delete_report(request: web.Request, me: models.Staff) -> web.Response:
    report = await request.app[keys.DB].atomic(_delete, me, parse_id(request.match_info["id"]) or 0)
    if report is None:
        return missing(request, "这张报表")
    return done(f"/admin/clients/{report.client_id}#reports",
                f"已删除 {report.period} {models.REPORT_KINDS[report.kind]}。")
