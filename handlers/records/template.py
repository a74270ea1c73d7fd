"""A record type's template: the data sheet (headers, '*' on required columns, one example row) and a 说明
sheet listing every column's meaning, type, whether it is required and its allowed values."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from bot.render.xlsx import neutralise_formulas
from handlers.records.reader import DESCRIPTION_SHEET
from handlers.records.spec import TYPE_HELP, RecordSpec

REQUIRED_FILL = PatternFill("solid", fgColor="FDE9D9")
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")


def header_text(column) -> str:
    return column.header + ("*" if column.required else "")


def render_template(spec: RecordSpec, rows: list[list] | None = None) -> bytes:
    """The template of ``spec`` as XLSX bytes; ``rows`` fill the data sheet instead of the example row."""
    wb = Workbook()
    data = wb.active
    data.title = spec.title
    data.append([header_text(c) for c in spec.columns])
    for cell, column in zip(data[1], spec.columns):
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
    for row in rows if rows is not None else [[c.example for c in spec.columns]]:
        data.append(row)
    for index, column in enumerate(spec.columns, start=1):
        data.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(column.example) * 2 + 4))
        if column.type in ("text", "taxid", "contract", "invoice"):  # keep 0-leading numbers as typed
            for row in data.iter_rows(min_row=2, min_col=index, max_col=index):
                row[0].number_format = "@"
    data.freeze_panes = "A2"
    _description(wb.create_sheet(DESCRIPTION_SHEET), spec)
    neutralise_formulas(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _description(ws, spec: RecordSpec) -> None:
    ws.append([f"{spec.title}导入说明"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([spec.note])
    ws.append(["填写规则：第一个工作表第 1 行是表头（带 * 的列必填），从第 2 行起每行一条记录；示例行请删除或改成真实数据。"
               "整个文件全部通过校验才会写入，有任何错误则一条也不写入，并给出错误报告（行、列、问题）。"
               "也可以另存为 CSV（UTF-8 或 GBK 编码）导入。"])
    ws.append([])
    ws.append(["列名", "必填", "类型", "可选值", "说明", "示例"])
    for cell in ws[5]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for column in spec.columns:
        ws.append([column.header, "是" if column.required else "否", TYPE_HELP[column.type],
                   "、".join(column.choices.values()) if column.choices else "", column.help, column.example])
    for letter, width in zip("ABCDEF", (16, 6, 30, 30, 44, 28)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=1, max_row=3):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:F2")
    ws.merge_cells("A3:F3")
    ws.row_dimensions[3].height = 60
