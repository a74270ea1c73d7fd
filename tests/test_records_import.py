"""Record imports (X10) for every record type: a good file is written; a file with problems in several rows
writes nothing and names every problem by row and column; importing the same file again changes nothing; a GBK
CSV (as Chinese Excel saves it) and an XLSX made from the template import alike; a dry run counts only."""
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

import models
from handlers.records.importer import import_table
from handlers.records.kinds import SPECS, spec_for
from handlers.records.reader import MemoryTable, csv_bytes, open_table
from handlers.records.report import render_report
from handlers.records.template import render_template
from tests.records_data import BAD, GOOD, TAX_ID, as_rows, base_agency, snapshot

KINDS = [spec.kind for spec in SPECS]


@pytest.fixture
def agency(database):
    return base_agency()


def _import(kind, records, **kwargs):
    spec = spec_for(kind)
    return import_table(spec, MemoryTable(*as_rows(spec, records)), **kwargs)


def test_every_kind_has_test_data():
    assert set(KINDS) == set(GOOD) == set(BAD)


@pytest.mark.parametrize("kind", KINDS)
def test_good_file_is_written_and_reimport_changes_nothing(agency, kind):
    before = snapshot(kind)
    first = _import(kind, GOOD[kind])
    assert first.ok, first.errors
    assert first.created + first.updated == len(GOOD[kind])
    written = snapshot(kind)
    assert written != before
    again = _import(kind, GOOD[kind])
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, len(GOOD[kind]))
    assert snapshot(kind) == written


@pytest.mark.parametrize("kind", KINDS)
def test_file_with_errors_writes_nothing_and_names_row_and_column(agency, kind):
    records, expected = BAD[kind]
    before = snapshot(kind)
    outcome = _import(kind, records)
    assert not outcome.ok
    assert {(e.row, e.column) for e in outcome.errors} == expected
    assert all(e.message for e in outcome.errors)
    assert snapshot(kind) == before


@pytest.mark.parametrize("kind", KINDS)
def test_gbk_csv_imports_like_the_template(agency, kind, tmp_path):
    spec = spec_for(kind)
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(csv_bytes(*as_rows(spec, GOOD[kind]), encoding="gbk"))
    table = open_table(path, path.name)
    assert table.encoding == "gb18030"
    outcome = import_table(spec, table)
    assert outcome.ok, outcome.errors
    assert outcome.created + outcome.updated == len(GOOD[kind])
    again = import_table(spec, open_table(path, path.name))
    assert (again.created, again.updated) == (0, 0)


@pytest.mark.parametrize("kind", KINDS)
def test_template_has_a_description_sheet_and_its_filled_form_imports(agency, kind, tmp_path):
    spec = spec_for(kind)
    header, rows = as_rows(spec, GOOD[kind])
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(render_template(spec, rows))
    workbook = load_workbook(path)
    assert workbook.sheetnames == [spec.title, "说明"]
    described = [row[0] for row in workbook["说明"].iter_rows(min_row=6, values_only=True)]
    assert described == [c.header for c in spec.columns]
    outcome = import_table(spec, open_table(path, path.name, spec.title))
    assert outcome.ok, outcome.errors
    assert outcome.created + outcome.updated == len(GOOD[kind])


def test_dry_run_counts_and_writes_nothing(agency):
    before = snapshot("clients")
    outcome = _import("clients", GOOD["clients"], dry_run=True)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (1, 1, 0)
    assert [s[1] for s in outcome.samples] == ["新增", "更新"]
    assert snapshot("clients") == before


def test_clients_import_resolves_staff_and_tags_and_audits_the_run(agency):
    _import("clients", GOOD["clients"])
    client = models.Client.get(models.Client.name == "杭州新程贸易有限公司")
    assert (client.manager.name, client.accountant.name) == ("李晓梅", "刘洋")
    assert client.tags == ["重点客户", "新客户"] and client.taxpayer_type == "general"
    assert client.pinyin_initials == models.pinyin_initials(client.name)
    entry = models.AuditLog.get(models.AuditLog.action == "records.import")
    assert entry.after["kind"] == "clients" and entry.after["created"] == 1 and entry.after["updated"] == 1


def test_clients_vat_cycle_column_and_a_general_taxpayer_stays_monthly(agency):
    rows = [{"客户名称": "甲公司", "增值税申报周期": "按季"}, {"客户名称": "乙公司", "增值税申报周期": "按月"},
            {"客户名称": "丙公司", "增值税申报周期": ""},
            {"客户名称": "丁公司", "纳税人类型": "一般纳税人", "增值税申报周期": "按月"}]
    assert _import("clients", rows).ok
    cycles = dict(models.Client.select(models.Client.name, models.Client.vat_cycle).tuples())
    assert [cycles[n] for n in ("甲公司", "乙公司", "丙公司", "丁公司")] == ["quarterly", "monthly", "", "monthly"]
    assert "按月、按季" in load_workbook(io.BytesIO(render_template(spec_for("clients"))))["说明"]["D10"].value
    before = snapshot("clients")
    refused = _import("clients", [{"客户名称": "戊公司", "增值税申报周期": "每月"},
                                  {"客户名称": "甲公司", "纳税人类型": "一般纳税人", "增值税申报周期": "按季"}])
    assert [(e.row, e.column) for e in refused.errors] == [(2, "增值税申报周期"), (3, "增值税申报周期")]
    assert "不是可选值" in refused.errors[0].message and "一般纳税人按月申报增值税" in refused.errors[1].message
    # a file without the cycle column leaves it alone, so 甲公司 (按季) cannot become 一般纳税人 by it either
    refused = import_table(spec_for("clients"), MemoryTable(["客户名称", "纳税人类型"], [["甲公司", "一般纳税人"]]))
    assert [(e.row, e.column) for e in refused.errors] == [(2, "纳税人类型")]
    assert snapshot("clients") == before
    assert import_table(spec_for("clients"), MemoryTable(["客户名称", "纳税人类型"], [["乙公司", "一般纳税人"]])).ok
    assert models.Client.get(models.Client.name == "乙公司").vat_cycle == "monthly"
    assert _import("clients", [{"客户名称": "甲公司", "纳税人类型": "一般纳税人"}]).ok  # blank: back to inferred
    assert models.Client.get(models.Client.name == "甲公司").vat_cycle == ""


def test_money_is_exact_fen(agency):
    _import("services", GOOD["services"])
    assert models.Service.get(models.Service.name == "地址变更").fee_fen == 80050
    _import("invoices", GOOD["invoices"])
    red = models.Invoice.get(models.Invoice.number == "12345678")
    assert (red.amount_fen, red.tax_fen, red.rate_bp, red.code) == (-10000, -100, 100, "033002100111")


def test_payments_get_gapless_receipts_and_settle_receivables(agency):
    _import("payments", GOOD["payments"] + [{**GOOD["payments"][0], "收款金额": "600", "收款日期": "2026-02-03",
                                             "冲抵应收": ""}])
    receipts = [p.receipt_no for p in models.Payment.select().order_by(models.Payment.id)]
    assert receipts == ["2026-000001", "2026-000002"]
    receivable = models.Receivable.get_by_id(agency["receivable"].id)
    assert (receivable.paid_fen, receivable.status) == (90000, "paid")
    assert models.Payment.get(models.Payment.receipt_no == "2026-000001").payer == "王建国"


def test_duplicate_keys_in_one_file_are_reported(agency):
    outcome = _import("contracts", GOOD["contracts"] * 2)
    assert [(e.row, e.column) for e in outcome.errors] == [(3, "合同编号")]
    assert "与第 2 行重复" in outcome.errors[0].message


def test_missing_required_column_is_a_file_error(agency):
    spec = spec_for("contracts")
    outcome = import_table(spec, MemoryTable(["合同编号", "客户"], [["HT-1", CLIENT_NAME]]))
    assert {e.column for e in outcome.errors} == {"合同名称", "开始日期", "结束日期", "合同金额"}


CLIENT_NAME = "杭州华夏科技有限公司"


def test_utf8_csv_with_and_without_bom(agency, tmp_path):
    spec = spec_for("contacts")
    for encoding in ("utf-8", "utf-8-sig"):
        path = tmp_path / f"c-{encoding}.csv"
        path.write_bytes(csv_bytes(*as_rows(spec, GOOD["contacts"]), encoding=encoding))
        assert import_table(spec, open_table(path, path.name)).ok


def test_error_report_neutralises_formulas():
    body = render_report("客户", [{"row": 2, "column": "客户名称", "message": "=HYPERLINK(\"http://x\")"},
                                  {"row": 3, "column": "+cmd", "message": "@SUM(A1)"}], 2)
    sheet = load_workbook(io.BytesIO(body)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert sheet["C2"].value.startswith("=") and sheet["C2"].quotePrefix


def test_template_neutralises_a_formula_typed_into_it(agency):
    spec = spec_for("clients")
    body = render_template(spec, [["=1+1", "-x", "", "", "", "", "", "", "", "", "", ""]])
    sheet = load_workbook(io.BytesIO(body))[spec.title]
    assert sheet["A2"].data_type == "s" and sheet["A2"].quotePrefix


def test_upsert_takes_rows_by_field_for_forms_and_the_api(agency):
    from handlers.records.importer import upsert
    spec = spec_for("contracts")
    row = {"number": "HT2026-0009", "client": CLIENT_NAME, "title": "代理记账服务合同", "start_date": "2026-01-01",
           "end_date": "2026-12-31", "amount_fen": "1,200.50"}
    assert upsert(spec, [row]).created == 1
    assert models.Contract.get(models.Contract.number == "HT2026-0009").amount_fen == 120050
    refused = upsert(spec, [{**row, "end_date": "2025-01-01"}])
    assert [(e.row, e.column) for e in refused.errors] == [(2, "结束日期")]


def _invoice(n: int, **cells) -> dict:
    return {"客户": TAX_ID, "方向": "销项", "所属期": "2026-10", "发票号码": f"2633{n:016d}", "开票日期": "2026-10-15",
            "对方单位": "浙江新世纪商贸有限公司", "金额": f"{1000 + n}.50", "税额": "130.00", "税率": "13%",
            "发票类型": "专票", **cells}


def test_a_problem_after_written_batches_rolls_them_back_and_later_rows_are_still_checked(agency, database):
    """One pass, one transaction: the first 600 rows are written before row 702 shows its problem; nothing stays,
    every problem of the file is still named (also the one on row 1,252), and the database takes writes again."""
    records = [_invoice(n) for n in range(1300)]
    records[700] = _invoice(700, 金额="一千")
    records[1250] = _invoice(1250, 开票日期="2026-13-40")
    outcome = _import("invoices", records)
    assert not outcome.ok and (outcome.created, outcome.updated) == (0, 0)
    assert {(e.row, e.column) for e in outcome.errors} == {(702, "金额"), (1252, "开票日期")}
    assert models.Invoice.select().count() == 0
    with database.atomic():  # the import released the write lock when it gave up
        models.Invoice.create(client=agency["client"], direction="output", period="2026-10", number="1" * 20,
                              issue_date=dt.date(2026, 10, 1), amount_fen=1, tax_fen=0, rate_bp=0)
    assert _import("invoices", [_invoice(n) for n in range(1300)]).created == 1300


def _cell_by_cell(spec, fields, row, lookups):
    """What a row means by the spec alone: each cell through its column's parser (an empty cell is the column's
    empty value, or a problem when required), then the spec's cross-field check."""
    from handlers.records.spec import EMPTY, PARSERS, CellError, is_blank
    cells, values, problems = dict(zip(fields, row)), {}, []
    for column in spec.columns:
        if column.field not in cells:
            if column.required:
                problems.append((column.header, "必填，不能为空"))
            continue
        raw = cells[column.field]
        if is_blank(raw):
            if column.required:
                problems.append((column.header, "必填，不能为空"))
            else:
                values[column.field] = column.default if column.default is not None or column.null \
                    else EMPTY.get(column.type)
            continue
        try:
            values[column.field] = PARSERS[column.type](column, raw, lookups)
        except CellError as exc:
            problems.append((column.header, str(exc)))
    if not problems and spec.check:
        problems = spec.check(values, lookups)
    return values, problems


def test_a_batch_parsed_column_by_column_means_what_each_cell_means(agency):
    """The import reads a batch column by column (fast passes for text, amounts and repeated cells, the cells
    they cannot take one by one). For every record type's good and bad rows together, empty rows, spreadsheet
    cells that are not text and columns left out, it gives what each cell's own parser gives."""
    from handlers.records.lookups import Lookups
    from handlers.records.parsing import BatchParser
    typed = {**_invoice(1), "金额": 1000.5, "税额": 130, "开票日期": dt.datetime(2026, 10, 15),
             "所属期": dt.date(2026, 10, 1), "发票号码": 26330000000000000001}  # as openpyxl reads typed cells
    for spec in SPECS:
        records = [*GOOD[spec.kind], *BAD[spec.kind][0], {}]
        if spec.kind == "invoices":  # one decimal; a spreadsheet's typed cells
            records += [_invoice(2, 金额="1200.5", 税额="0.5"), typed]
        fields = tuple(c.field for c in spec.columns)
        text = [tuple(record.get(c.header, "") for c in spec.columns) for record in records]  # a CSV's cells
        text.append(tuple(f" {cell} " if isinstance(cell, str) else cell for cell in text[0]))
        for rows in (text, [*text, (None,) * len(fields)], *([row] for row in text)):
            for present in (fields, fields[::2]):  # all columns; every other column left out
                picked = [tuple(row[fields.index(name)] for name in present) for row in rows]
                expected = [_cell_by_cell(spec, present, row, Lookups()) for row in picked]
                assert BatchParser(spec)(present, picked, Lookups()) == expected, (spec.kind, present, rows)
    spec = spec_for("invoices")
    (values, problems), = BatchParser(spec)(tuple(c.field for c in spec.columns),
                                            [tuple(typed.get(c.header) for c in spec.columns)], Lookups())
    assert not problems and (values["amount_fen"], values["tax_fen"], values["number"]) == \
        (100050, 13000, "26330000000000000001")
