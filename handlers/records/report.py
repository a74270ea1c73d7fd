"""The error report of an import as XLSX: 行, 列, 问题 — every problem found (up to the importer's cap), with
formula-like text neutralised (a cell's own text is quoted in the messages)."""
from __future__ import annotations

from bot.render.xlsx import render_table_xlsx


def render_report(title: str, errors: list[dict], error_count: int) -> bytes:
    """``errors``: [{row, column, message}] as stored on the ImportRun."""
    rows = [[e["row"] or "文件", e["column"], e["message"]] for e in errors]
    if error_count > len(errors):
        rows.append(["", "", f"另有 {error_count - len(errors)} 个问题未列出，请先修正以上问题后重新校验"])
    return render_table_xlsx(f"{title}导入错误报告", ["行", "列", "问题"], rows, widths=[8, 16, 80])
