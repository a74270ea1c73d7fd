"""`python -m bot import`: the kinds, a template, a dry run that writes nothing, an import with a progress bar on
stderr, a file with errors (exit status 1, every problem named, the report written) and the run on record."""
import pytest
from openpyxl import load_workbook

import models
from bot.cli import main as cli_main
from handlers.records.kinds import spec_for
from handlers.records.reader import csv_bytes
from tests.records_data import BAD, GOOD, as_rows, base_agency


@pytest.fixture
def agency(database, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    base_agency()
    yield database
    models.db.initialize(database)


def _csv(tmp_path, kind, records, encoding="gbk"):
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(csv_bytes(*as_rows(spec_for(kind), records), encoding=encoding))
    return str(path)


def _rebind(database):
    models.db.initialize(database)
    database.connect(reuse_if_open=True)


def test_list_and_template(capsys, tmp_path):
    assert cli_main(["import", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "clients" in listed and "收票" in listed and "invoices" in listed
    out = tmp_path / "t.xlsx"
    assert cli_main(["import", "receivables", "--template", str(out)]) == 0
    assert load_workbook(out).sheetnames == ["应收", "说明"]
    assert cli_main(["import", "nonsense", "x.csv"]) == 2


def test_dry_run_then_import_with_progress(agency, capsys, tmp_path):
    path = _csv(tmp_path, "invoices", GOOD["invoices"])
    assert cli_main(["import", "invoices", path, "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "将新增 2" in captured.out and "试运行" in captured.out
    assert "\r校验 [" in captured.err and "行/秒" in captured.err
    _rebind(agency)
    assert models.Invoice.select().count() == 0
    assert cli_main(["import", "invoices", path]) == 0
    captured = capsys.readouterr()
    assert "已新增 2" in captured.out and "\r导入 [####################] 2/2 行" in captured.err
    _rebind(agency)
    assert models.Invoice.select().count() == 2
    runs = list(models.ImportRun.select().order_by(models.ImportRun.id))
    assert [(r.kind, r.dry_run, r.state) for r in runs] == [("records:invoices", True, "done"),
                                                            ("records:invoices", False, "done")]


def test_file_with_errors_exits_1_and_writes_the_report(agency, capsys, tmp_path):
    records, expected = BAD["filings"]
    report = tmp_path / "report.xlsx"
    assert cli_main(["import", "filings", _csv(tmp_path, "filings", records), "--report", str(report)]) == 1
    err = capsys.readouterr().err
    assert "发现 3 个问题，未写入任何数据" in err and "第 3 行 税种" in err
    rows = list(load_workbook(report).active.iter_rows(min_row=2, values_only=True))
    assert {(r[0], r[1]) for r in rows} == expected
    _rebind(agency)
    assert models.TaxFiling.select().count() == 0
