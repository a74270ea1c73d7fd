"""Knowledge base rules (K1–K3, X8): categories two levels deep and undeletable while used, entries frozen once
audited, audit with who and when, only audited entries searchable, the import all or nothing with a row/column
report, gaps remembering who asked and telling them exactly once."""
import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import Workbook, load_workbook

import models
from bot.router import UserError
from handlers.knowledge import categories, gaps, maintain
from handlers.knowledge.records import KNOWLEDGE, template_rows
from handlers.knowledge.rules import record_gap
from handlers.knowledge.search import search_entries
from handlers.records.importer import Context, import_table
from handlers.records.reader import open_table
from handlers.records.template import render_template
from tests.factories import small_agency

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 26)


@pytest.fixture
def people(database):
    return small_agency()


def _entry(actor, category, title="小规模纳税人怎么报税？", answer="按季申报增值税。", **more):
    values = {"category": category.id, "title": title, "brief": "", "answer": answer, "keywords": "", **more}
    assert maintain.check(values) == {}
    return maintain.create(actor, values, NOW)


def test_categories_have_two_levels_and_order(people):
    admin = people["admin"]
    tax = categories.add(admin, "税务")
    vat = categories.add(admin, "增值税", tax.id)
    with pytest.raises(UserError, match="最多两级"):
        categories.add(admin, "专票", vat.id)
    with pytest.raises(UserError, match="已有分类"):
        categories.add(admin, "增值税", tax.id)
    biz = categories.add(admin, "工商")
    categories.move(admin, biz.id, -1)
    assert [top.name for top, _ in categories.tree()] == ["工商", "税务"]
    categories.rename(admin, vat.id, "增值税申报")
    assert categories.choices()[-1][1] == "税务 / 增值税申报"


def test_a_category_in_use_cannot_be_deleted(people):
    admin = people["admin"]
    tax = categories.add(admin, "税务")
    vat = categories.add(admin, "增值税", tax.id)
    entry = _entry(admin, vat)
    with pytest.raises(UserError, match="下有 1 条知识"):
        categories.delete(admin, [vat.id])
    with pytest.raises(UserError, match="还有二级分类"):
        categories.delete(admin, [tax.id])
    assert models.KnowledgeCategory.select().count() == 2
    maintain.delete(admin, [entry.id])
    assert categories.delete(admin, [tax.id, vat.id]) == 2  # a parent with its child, both chosen
    assert models.KnowledgeCategory.select().count() == 0


def test_an_audited_entry_cannot_be_edited_or_deleted_and_audit_records_who_and_when(people):
    admin, li = people["admin"], people["li"]
    category = categories.add(admin, "税务")
    entry, draft = _entry(li, category), _entry(li, category, title="一般纳税人怎么报税？")
    assert maintain.audit(admin, [entry.id], NOW)[0] == 1
    stored = models.KnowledgeEntry.get_by_id(entry.id)
    assert (stored.audited, stored.audited_by_id, stored.audited_at) == (True, admin.id, NOW)
    with pytest.raises(UserError, match="已审核的知识不能删除"):
        maintain.delete(admin, [draft.id, entry.id])
    assert models.KnowledgeEntry.select().count() == 2  # nothing of the selection deleted
    values = {"category": category.id, "title": "改了", "brief": "", "answer": "x", "keywords": ""}
    maintain.check(values)
    with pytest.raises(UserError, match="已审核，不能修改"):
        maintain.edit(admin, entry.id, values, NOW)
    assert maintain.unaudit(admin, [entry.id], NOW) == 1
    assert models.KnowledgeEntry.get_by_id(entry.id).audited_by_id is None
    assert maintain.delete(admin, [entry.id]) == 1
    actions = [a.action for a in models.AuditLog.select().where(models.AuditLog.action.startswith("knowledge."))]
    assert {"knowledge.add", "knowledge.audit", "knowledge.unaudit", "knowledge.delete"} <= set(actions)


def test_an_entry_without_an_answer_cannot_be_audited(people):
    admin = people["admin"]
    entry = _entry(admin, categories.add(admin, "税务"), answer="")
    with pytest.raises(UserError, match="没有答案"):
        maintain.audit(admin, [entry.id], NOW)
    assert not models.KnowledgeEntry.get_by_id(entry.id).audited


def test_only_audited_entries_are_found_and_the_index_follows_every_change(people):
    admin = people["admin"]
    entry = _entry(admin, categories.add(admin, "税务"), title="火星税怎么交？", answer="在火星上交。")
    assert search_entries("火星税") == []
    maintain.audit(admin, [entry.id], NOW)
    assert [e.id for e in search_entries("火星税")] == [entry.id]
    maintain.unaudit(admin, [entry.id], NOW)
    assert search_entries("火星税") == []


def test_a_gap_remembers_its_askers_and_tells_them_once_when_its_draft_is_audited(people):
    admin, li, wang = people["admin"], people["li"], people["wang"]
    with models.db.atomic():
        record_gap("火星税", "lixiaomei", li, TODAY, 20)
        record_gap("火星税", "wanggang", wang, TODAY, 20)
        record_gap("火星税", "lixiaomei", li, TODAY, 20)  # the same member the same day: once
    gap = models.KnowledgeGap.get()
    assert gap.times == 2 and sorted(a.userid for a in gap.askers) == ["lixiaomei", "wanggang"]
    draft = maintain.draft_for_gap(admin, gap.id, NOW)
    assert draft.title == "火星税" and draft.category.name == categories.UNSORTED and not draft.audited
    assert maintain.draft_for_gap(admin, gap.id, NOW).id == draft.id  # a second click opens the same draft
    values = {"category": draft.category_id, "title": "火星税怎么交？", "brief": "在火星交", "answer": "在火星上交。",
              "keywords": "火星税"}
    maintain.check(values)
    maintain.edit(admin, draft.id, values, NOW)
    count, notices = maintain.audit(admin, [draft.id], NOW)
    assert count == 1 and sorted(n.userid for n in notices) == ["lixiaomei", "wanggang"]
    assert notices[0].title == "火星税怎么交？" and notices[0].query == "火星税"
    assert gaps.state_of(models.KnowledgeGap.get()) == "answered"
    maintain.unaudit(admin, [draft.id], NOW)
    assert maintain.audit(admin, [draft.id], NOW)[1] == []  # audited again: nobody is told twice


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    wb.active.append(["一级分类*", "二级分类", "标题*", "简要描述", "答案*", "关键词"])
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _import(tmp_path, rows, actor=None, dry_run=False):
    path = tmp_path / "kb.xlsx"
    path.write_bytes(_xlsx(rows) if isinstance(rows, list) else rows)
    return import_table(KNOWLEDGE, open_table(path, "kb.xlsx", prefer_sheet=KNOWLEDGE.title), dry_run=dry_run,
                        context=Context(actor=actor))


def test_the_import_writes_nothing_when_any_row_is_wrong_and_names_row_and_column(people, tmp_path):
    rows = [["税务", "增值税", "专票丢了怎么办？", "", "登报声明作废。", "专票 丢失"],
            ["税务", "", "", "", "没有标题", ""],
            ["工商", "", "怎么注销公司？", "", "", ""],
            ["税务", "增值税", "专票丢了怎么办？", "", "重复一行", ""]]
    outcome = _import(tmp_path, rows, people["admin"])
    assert not outcome.ok
    found = {(p.row, p.column, p.message[:6]) for p in outcome.errors}
    assert (3, "标题", "必填，不能为") in found and (4, "答案", "必填，不能为") in found
    assert any(p.row == 5 and p.column == "标题" and "与第 2 行重复" in p.message for p in outcome.errors)
    assert models.KnowledgeEntry.select().count() == 0 and models.KnowledgeCategory.select().count() == 0


def test_the_import_creates_categories_and_a_second_run_changes_nothing(people, tmp_path):
    rows = [["税务", "增值税", "专票丢了怎么办？", "登报作废", "登报声明作废。", "专票，丢失"],
            ["工商", "", "怎么注销公司？", "", "先清税再注销。", ""]]
    assert _import(tmp_path, rows, people["admin"], dry_run=True).created == 2
    assert models.KnowledgeEntry.select().count() == 0  # a dry run writes nothing
    outcome = _import(tmp_path, rows, people["admin"])
    assert (outcome.ok, outcome.created) == (True, 2)
    entry = models.KnowledgeEntry.get(models.KnowledgeEntry.title == "专票丢了怎么办？")
    assert categories.path_of(entry.category) == ("税务", "增值税") and not entry.audited
    assert entry.keywords == "专票 丢失"
    again = _import(tmp_path, rows, people["admin"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_the_import_refuses_to_change_an_audited_entry(people, tmp_path):
    admin = people["admin"]
    _import(tmp_path, [["工商", "", "怎么注销公司？", "", "先清税再注销。", ""]], admin)
    maintain.audit(admin, [models.KnowledgeEntry.get().id], NOW)
    outcome = _import(tmp_path, [["工商", "", "怎么注销公司？", "", "改过的答案", ""]], admin)
    assert not outcome.ok and "已审核" in outcome.errors[0].message and outcome.errors[0].row == 2
    assert models.KnowledgeEntry.get().answer == "先清税再注销。"


def test_the_template_layout_export_imports_back_unchanged(people, tmp_path):
    admin = people["admin"]
    _import(tmp_path, [["税务", "增值税", "专票丢了怎么办？", "登报", "登报声明作废。", "专票"],
                       ["工商", "", "怎么注销公司？", "", "先清税再注销。", ""]], admin)
    body = render_template(KNOWLEDGE, template_rows(models.KnowledgeEntry.select()))
    sheet = load_workbook(io.BytesIO(body))[KNOWLEDGE.title]
    assert [c.value for c in sheet[2]][:3] == ["税务", "增值税", "专票丢了怎么办？"]
    outcome = _import(tmp_path, body, admin)
    assert (outcome.ok, outcome.unchanged, outcome.created) == (True, 2, 0)


@pytest.fixture
def cli_agency(database, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    small_agency()
    yield database
    models.db.initialize(database)


def test_kb_import_and_export_from_the_command_line(cli_agency, capsys, tmp_path):
    from bot.cli import main as cli_main
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_xlsx([["工商", "", "怎么注销公司？", "", "", ""]]))
    assert cli_main(["kb", "import", str(bad)]) == 1
    assert "第 2 行 答案" in capsys.readouterr().err
    good = tmp_path / "good.xlsx"
    good.write_bytes(_xlsx([["工商", "", "怎么注销公司？", "", "先清税再注销。", ""]]))
    assert cli_main(["kb", "import", str(good), "--dry-run"]) == 0
    assert cli_main(["kb", "import", str(good)]) == 0
    assert "已新增 1" in capsys.readouterr().out
    out = tmp_path / "out.xlsx"
    assert cli_main(["kb", "export", str(out)]) == 0
    rows = list(load_workbook(out)[KNOWLEDGE.title].iter_rows(values_only=True))
    assert rows[1][:3] == ("工商", None, "怎么注销公司？") or rows[1][:3] == ("工商", "", "怎么注销公司？")
