"""Financial statements (ReportSnapshot lines) as one XLSX workbook: 资产负债表 and 利润表, amounts in yuan.

Amounts are written as exact Decimals (fen scaled by 10^-2, never float arithmetic) with the number format
#,##0.00, so the spreadsheet can sum them and shows them the way accountants expect.

Every text cell is text: names come from staff and clients, and openpyxl stores any string starting with '='
as a live formula. neutralise_formulas() runs over every workbook this product writes, just before saving.
"""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

AMOUNT_FORMAT = "#,##0.00"
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
FIRST_ROW = 5  # rows 1-3: title, client/period/unit, agency; row 4: column headers


def render_reports_xlsx(agency: str, client: str, period: str, balance_sheet: list[dict],
                        income_statement: list[dict]) -> bytes:
    """A workbook with the sheets 资产负债表 (side by side, as in 会小企01表) and 利润表 (会小企02表)."""
    wb = Workbook()
    bs = wb.active
    bs.title = "资产负债表"
    _heading(bs, "资产负债表", agency, client, period, columns=6)
    _headers(bs, ("资产", "行次", "期末余额", "负债和所有者权益", "行次", "期末余额"))
    left = [line for line in balance_sheet if line.get("section") == "asset"]
    right = [line for line in balance_sheet if line.get("section") != "asset"]
    for n, line in enumerate(left):
        _line(bs, FIRST_ROW + n, 1, line)
    for n, line in enumerate(right):
        _line(bs, FIRST_ROW + n, 4, line)
    _frame(bs, FIRST_ROW, FIRST_ROW + max(len(left), len(right), 1) - 1, 6)
    _empty_note(bs, balance_sheet, "本期没有资产负债表数据")
    _widths(bs, (26, 7, 17, 28, 7, 17))

    ist = wb.create_sheet("利润表")
    _heading(ist, "利润表", agency, client, period, columns=3)
    _headers(ist, ("项目", "行次", "本期金额"))
    for n, line in enumerate(income_statement):
        _line(ist, FIRST_ROW + n, 1, line)
    _frame(ist, FIRST_ROW, FIRST_ROW + max(len(income_statement), 1) - 1, 3)
    _empty_note(ist, income_statement, "本期没有利润表数据")
    _widths(ist, (30, 7, 18))

    wb.properties.creator = agency
    neutralise_formulas(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# What spreadsheet programs (and CSV importers) treat as the start of a formula: = + - @, and a tab or CR
# before one of them (OWASP "CSV injection").
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(wb: Workbook) -> int:
    """Make every formula-like text cell plain text: typed as a string and quote-prefixed, so Excel and WPS
    show it as written and never evaluate it, even after an edit. Returns how many cells it changed."""
    changed = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith(FORMULA_LEAD)):
                    cell.data_type = "s"
                    cell.quotePrefix = True
                    changed += 1
    return changed


def yuan(fen: int) -> Decimal:
    """Exact yuan for integer fen: 123456 -> Decimal('1234.56')."""
    return Decimal(int(fen)).scaleb(-2)


def _heading(ws: Worksheet, title: str, agency: str, client: str, period: str, columns: int) -> None:
    rows = (title, f"编制单位：{client}　　所属期：{period}　　单位：元", f"代账机构：{agency}")
    for row, (text, font) in enumerate(zip(rows, (Font(bold=True, size=16), Font(size=11),
                                                  Font(size=10, color="808080"))), start=1):
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=1)
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _headers(ws: Worksheet, titles: tuple[str, ...]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = ws.cell(row=FIRST_ROW - 1, column=column, value=title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center")


def _line(ws: Worksheet, row: int, column: int, line: dict) -> None:
    """One statement line (name, 行次, amount) starting at `column`; subtotal lines in bold."""
    code = str(line.get("code", ""))
    bold = Font(bold=bool(line.get("total")))
    name = ws.cell(row=row, column=column, value=line["name"])
    number = ws.cell(row=row, column=column + 1, value=int(code) if code.isdigit() else code)
    amount = ws.cell(row=row, column=column + 2, value=yuan(line["amount_fen"]))
    amount.number_format = AMOUNT_FORMAT
    number.alignment = Alignment(horizontal="center")
    if line.get("total"):
        name.alignment = Alignment(indent=1)
    for cell in (name, number, amount):
        cell.font = bold


def _frame(ws: Worksheet, first: int, last: int, columns: int) -> None:
    for row in ws.iter_rows(min_row=first, max_row=last, max_col=columns):
        for cell in row:
            cell.border = BORDER


def _empty_note(ws: Worksheet, lines: list[dict], text: str) -> None:
    if not lines:
        ws.cell(row=FIRST_ROW, column=1, value=text).font = Font(color="808080")


def _widths(ws: Worksheet, widths: tuple[int, ...]) -> None:
    for n, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + n)].width = width


def render_table_xlsx(title: str, headers: list[str], rows: list[list], widths: list[int] | None = None) -> bytes:
    """One sheet: a bold header row and the rows as given (str, int, Decimal, date); formulas neutralised."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(["" if value is None else value for value in row])
    for index, width in enumerate(widths or [16] * len(headers), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    neutralise_formulas(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
