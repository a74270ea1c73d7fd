"""Knowledge entries (K2): add, edit, delete, 审核 and 取消审核. Shared by the console, the import and the CLI.

An audited entry is what staff send to clients, so it is frozen: editing or deleting it needs 取消审核 first
(who audited it and when is kept). Every write goes through ``_after_change`` so the search index follows.
Functions run inside the caller's write transaction.
"""
from __future__ import annotations

import re
from datetime import datetime

import models
from bot.router import UserError
from handlers.knowledge import categories, gaps
from handlers.knowledge.index import reindex_entry

E = models.KnowledgeEntry
LIMITS = {"title": 255, "brief": 500, "answer": 5000, "keywords": 255}
LABELS = {"title": "标题", "brief": "简要描述", "answer": "答案", "keywords": "关键词", "category": "分类"}
FIELDS = ("category", "title", "brief", "answer", "keywords")


def _after_change(entry) -> None:
    """Every entry write ends here: keep the search index in step (only audited entries are indexed)."""
    reindex_entry(entry)


def keywords_of(text: str) -> str:
    """Keywords as one space-separated line, whichever separators were typed."""
    return " ".join(re.split(r"[\s,，、;；]+", text.strip())).strip()


def check(values: dict) -> dict[str, str]:
    """Field -> problem for an entry's form values ({} when fine); values are trimmed in place."""
    problems = {}
    for name, limit in LIMITS.items():
        values[name] = (values.get(name) or "").strip()
        if len(values[name]) > limit:
            problems[name] = f"{LABELS[name]}不能超过 {limit} 个字（现有 {len(values[name])} 个）"
    values["title"] = " ".join(values["title"].split())
    values["keywords"] = keywords_of(values["keywords"])
    if not values["title"]:
        problems["title"] = "请填写标题"
    category = str(values.get("category") or "")
    if not category.isdigit() or not models.KnowledgeCategory.select().where(
            models.KnowledgeCategory.id == int(category)).exists():
        problems["category"] = "请选择分类"
    else:
        values["category"] = int(category)
    return problems


def _snapshot(entry) -> dict:
    return {"category": entry.category_id, "title": entry.title, "brief": entry.brief, "answer": entry.answer,
            "keywords": entry.keywords, "audited": entry.audited}


def create(actor, values: dict, now: datetime, gap_id: int | None = None) -> models.KnowledgeEntry:
    """A new, unaudited entry from checked values; written for a knowledge gap when ``gap_id`` is given."""
    entry = E.create(**{name: values[name] for name in FIELDS}, created_by=actor, created_at=now, updated_at=now)
    models.audit(actor, "knowledge.add", entry, after=_snapshot(entry))
    if gap_id is not None:
        gaps.attach_draft(actor, gap_id, entry)
    _after_change(entry)
    return entry


def get(entry_id: int) -> models.KnowledgeEntry:
    entry = E.get_or_none(E.id == entry_id)
    if entry is None:
        raise UserError("这条知识不存在（可能已被删除）")
    return entry


def edit(actor, entry_id: int, values: dict, now: datetime) -> models.KnowledgeEntry:
    """Change an unaudited entry; an audited one is refused (取消审核 first)."""
    entry = get(entry_id)
    if entry.audited:
        raise UserError(f"「{entry.title}」已审核，不能修改。请先取消审核，改好后再审核。")
    before = _snapshot(entry)
    changes = {name: values[name] for name in FIELDS}
    E.update(**changes, updated_at=now).where(E.id == entry.id).execute()
    entry = get(entry_id)
    models.audit(actor, "knowledge.edit", entry, before=before, after=_snapshot(entry))
    _after_change(entry)
    return entry


def _chosen(ids: list[int]) -> list[models.KnowledgeEntry]:
    entries = list(E.select().where(E.id.in_(ids)).order_by(E.id)) if ids else []
    if not entries:
        raise UserError("请先勾选知识")
    return entries


def delete(actor, ids: list[int]) -> int:
    """Delete the chosen entries; refused (nothing deleted) when any of them is audited."""
    entries = _chosen(ids)
    audited = [e.title for e in entries if e.audited]
    if audited:
        raise UserError(f"已审核的知识不能删除：{'、'.join(audited[:5])}{' 等' if len(audited) > 5 else ''}。请先取消审核。")
    for entry in entries:
        models.audit(actor, "knowledge.delete", entry, before=_snapshot(entry))
        entry.delete_instance()
        _after_change(entry)
    return len(entries)


def audit(actor, ids: list[int], now: datetime) -> tuple[int, list[gaps.Notice]]:
    """审核: the chosen entries reach staff. Returns (newly audited, notices for members whose gap they answer)."""
    entries = _chosen(ids)
    empty = [e.title for e in entries if not e.audited and not (e.answer.strip() or e.brief.strip())]
    if empty:
        raise UserError(f"没有答案的知识不能审核：{'、'.join(empty[:5])}。请先填写答案或简要描述。")
    fresh = [e for e in entries if not e.audited]
    notices = []
    for entry in fresh:
        E.update(audited=True, audited_by=actor, audited_at=now).where(E.id == entry.id).execute()
        models.audit(actor, "knowledge.audit", entry, after={"title": entry.title})
        _after_change(entry)
        notices += gaps.answered(entry, now)
    return len(fresh), notices


def unaudit(actor, ids: list[int], now: datetime) -> int:
    """取消审核: the chosen entries leave the chats (and can be edited or deleted again)."""
    entries = [e for e in _chosen(ids) if e.audited]
    for entry in entries:
        before = {"audited_by": entry.audited_by_id, "audited_at": str(entry.audited_at)}
        E.update(audited=False, audited_by=None, audited_at=None, updated_at=now).where(E.id == entry.id).execute()
        models.audit(actor, "knowledge.unaudit", entry, before=before, after={"title": entry.title})
        _after_change(entry)
    return len(entries)


def draft_for_gap(actor, gap_id: int, now: datetime) -> models.KnowledgeEntry:
    """One click on a gap: a draft entry titled with the question, in 待分类, linked to the gap (or the draft
    it already has)."""
    gap = gaps.get(gap_id)
    if gap.draft_id and E.select().where(E.id == gap.draft_id).exists():
        return get(gap.draft_id)
    category = categories.find_or_add(actor, categories.UNSORTED)
    values = {"category": category.id, "title": gap.query[:LIMITS["title"]], "brief": "", "answer": "",
              "keywords": ""}
    return create(actor, values, now, gap_id=gap.id)
