"""Report snapshots (报表) entered in the console: one statement of a client for a period, its lines typed or pasted
from Excel one per row (行次 | 项目 | 金额 | 类别 | 合计行). Each line is parsed by the reports' import spec
(handlers/reports/records.py), so a line means the same as an imported row. Writes are audited.

Deleting: nothing refers to a snapshot (the 报表 command and the sidebar read it), so it can always be deleted;
the audit row keeps its lines."""
from __future__ import annotations

import re

import models
from bot.money import format_fen
from handlers.admin.forms import _part
from handlers.records.parsing import parse_row
from handlers.reports.records import REPORTS, SECTIONS

LINE_FIELDS = ("code", "name", "amount_fen", "section", "total")
MAX_LINES = 200
SPLIT = re.compile(r"\t|[|｜]")


def parse_lines(text: str, lookups) -> tuple[list[dict], str | None]:
    """(lines, the first problem) from the textarea: one line per row, cells split by Tab or a vertical bar."""
    spec, lines = _part(REPORTS, list(LINE_FIELDS)), []
    rows = [row for row in (text or "").splitlines() if row.strip()]
    if len(rows) > MAX_LINES:
        return [], f"最多 {MAX_LINES} 行"
    for number, row in enumerate(rows, 1):
        cells = [c.strip() for c in SPLIT.split(row)]
        if len(cells) < 3:
            return [], f"第 {number} 行应至少有 行次 | 项目 | 金额 三格（行次可留空）"
        values, problems = parse_row(spec, dict(zip(LINE_FIELDS, cells)), lookups)
        if problems:
            header, problem = problems[0]
            return [], f"第 {number} 行「{header}」：{problem}"
        if any(line["name"] == values["name"] for line in lines):
            return [], f"第 {number} 行：项目「{values['name']}」重复了"
        lines.append({"code": values.get("code") or "", "name": values["name"], "amount_fen": values["amount_fen"],
                      "section": values.get("section") or "", "total": bool(values.get("total"))})
    if not lines:
        return [], "请至少填写一行"
    return lines, None


def lines_text(lines: list[dict]) -> str:
    """The stored lines as the textarea shows them (the inverse of parse_lines)."""
    return "\n".join(" | ".join((line.get("code") or "", line["name"], format_fen(line["amount_fen"], "").replace(",", ""),
                                 SECTIONS.get(line.get("section") or "", ""), "是" if line.get("total") else ""))
                     .rstrip(" |") for line in lines)


def kind_taken(client_id: int, period: str, kind: str, report_id: int | None) -> str | None:
    query = models.ReportSnapshot.select().where((models.ReportSnapshot.client == client_id)
                                                 & (models.ReportSnapshot.period == period)
                                                 & (models.ReportSnapshot.kind == kind))
    if report_id:
        query = query.where(models.ReportSnapshot.id != report_id)
    return f"{period} 已有{models.REPORT_KINDS[kind]}，请直接编辑那一张" if query.exists() else None


def save_report(staff: models.Staff, client: models.Client, report: models.ReportSnapshot | None,
                period: str, kind: str, lines: list[dict]) -> models.ReportSnapshot:
    if report is None:
        report = models.ReportSnapshot.create(client=client, period=period, kind=kind, lines=lines)
        models.audit(staff, "report.create", report, after={"client": client.id, "period": period, "kind": kind,
                                                             "lines": len(lines)})
        return report
    before = {"period": report.period, "kind": report.kind, "lines": report.lines}
    report.period, report.kind, report.lines = period, kind, lines
    report.save()
    after = {"period": period, "kind": kind, "lines": lines}
    models.audit(staff, "report.update", report, before={k: v for k, v in before.items() if after[k] != v},
                 after={k: v for k, v in after.items() if before[k] != v})
    return report


def delete_report(staff: models.Staff, report: models.ReportSnapshot) -> None:
    kept = {"client": report.client_id, "period": report.period, "kind": report.kind, "lines": report.lines}
    report.delete_instance()
    models.audit(staff, "report.delete", "ReportSnapshot", report.id, before=kept)
