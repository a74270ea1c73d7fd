"""Knowledge categories (K1): two levels, named, ordered; a category in use (by an entry or a sub-category)
cannot be deleted. Every function runs inside the caller's write transaction and audits what it changes."""
from __future__ import annotations

import models
from bot.router import UserError

C = models.KnowledgeCategory
MAX_NAME = 64
UNSORTED = "待分类"  # where drafts made from knowledge gaps land until a maintainer files them


def tree() -> list[tuple[models.KnowledgeCategory, list[models.KnowledgeCategory]]]:
    """[(top-level category, its sub-categories)], each level in its set order."""
    rows = list(C.select().order_by(C.sort_order, C.id))
    children: dict[int, list] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row)
    return [(row, children.get(row.id, [])) for row in rows if row.parent_id is None]


def choices() -> list[tuple[int, str]]:
    """(id, "一级 / 二级") for the entry form and the list filter, in tree order."""
    out = []
    for top, subs in tree():
        out.append((top.id, top.name))
        out.extend((sub.id, f"{top.name} / {sub.name}") for sub in subs)
    return out


def path_of(category: models.KnowledgeCategory) -> tuple[str, str]:
    """(一级, 二级) names of a category ('' for the second when it is top-level)."""
    if category.parent_id is None:
        return category.name, ""
    return C.get_by_id(category.parent_id).name, category.name


def _name(text: str) -> str:
    name = " ".join((text or "").split())
    if not name:
        raise UserError("请填写分类名称")
    if len(name) > MAX_NAME:
        raise UserError(f"分类名称不能超过 {MAX_NAME} 个字")
    return name


def _taken(name: str, parent_id: int | None, but: int | None = None) -> bool:
    query = C.select().where((C.name == name) & (C.parent.is_null() if parent_id is None else C.parent == parent_id))
    return (query.where(C.id != but) if but else query).exists()


def add(actor, name: str, parent_id: int | None = None) -> models.KnowledgeCategory:
    """A new category at the end of its level; a parent must be a top-level category."""
    name = _name(name)
    if parent_id is not None:
        parent = C.get_or_none(C.id == parent_id)
        if parent is None or parent.parent_id is not None:
            raise UserError("二级分类只能加在一级分类下面（分类最多两级）")
    if _taken(name, parent_id):
        raise UserError(f"同一级下已有分类「{name}」")
    level = C.parent.is_null() if parent_id is None else C.parent == parent_id
    last = C.select(C.sort_order).where(level).order_by(C.sort_order.desc()).first()
    category = C.create(name=name, parent=parent_id, sort_order=(last.sort_order + 1) if last else 0)
    models.audit(actor, "knowledge.category_add", category, after={"name": name, "parent": parent_id})
    return category


def find_or_add(actor, top: str, sub: str = "") -> models.KnowledgeCategory:
    """The category named (一级, 二级), created when missing (imports and gap drafts)."""
    parent = C.get_or_none((C.name == top) & C.parent.is_null()) or add(actor, top)
    if not sub:
        return parent
    return C.get_or_none((C.name == sub) & (C.parent == parent.id)) or add(actor, sub, parent.id)


def rename(actor, category_id: int, name: str) -> models.KnowledgeCategory:
    category = _get(category_id)
    name = _name(name)
    if _taken(name, category.parent_id, but=category.id):
        raise UserError(f"同一级下已有分类「{name}」")
    before = category.name
    C.update(name=name).where(C.id == category.id).execute()
    models.audit(actor, "knowledge.category_rename", category, before={"name": before}, after={"name": name})
    category.name = name
    return category


def move(actor, category_id: int, step: int) -> None:
    """Swap a category with its neighbour above (step -1) or below (+1) on the same level."""
    category = _get(category_id)
    level = C.parent.is_null() if category.parent_id is None else C.parent == category.parent_id
    siblings = list(C.select().where(level).order_by(C.sort_order, C.id))
    index = next(i for i, row in enumerate(siblings) if row.id == category.id)
    other = index + step
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for order, row in enumerate(siblings):  # renumber: old rows may share an order
        if row.sort_order != order:
            C.update(sort_order=order).where(C.id == row.id).execute()
    models.audit(actor, "knowledge.category_move", category, after={"order": other})


def delete(actor, ids: list[int]) -> int:
    """Delete the chosen categories; refused (nothing deleted) while any is used by an entry or a sub-category."""
    chosen = list(C.select().where(C.id.in_(ids)))
    if not chosen:
        raise UserError("请先勾选要删除的分类")
    gone = {c.id for c in chosen}
    for category in chosen:
        used = models.KnowledgeEntry.select().where(models.KnowledgeEntry.category == category.id).count()
        if used:
            raise UserError(f"分类「{category.name}」下有 {used} 条知识，不能删除。请先把这些知识改到其他分类或删除。")
        if C.select().where((C.parent == category.id) & C.id.not_in(list(gone))).exists():
            raise UserError(f"分类「{category.name}」下还有二级分类，不能删除。请先删除或移走二级分类。")
    C.delete().where(C.id.in_(list(gone)) & C.parent.is_null(False)).execute()  # children first
    C.delete().where(C.id.in_(list(gone))).execute()
    for category in chosen:
        models.audit(actor, "knowledge.category_delete", category, before={"name": category.name})
    return len(chosen)


def _get(category_id: int) -> models.KnowledgeCategory:
    category = C.get_or_none(C.id == category_id)
    if category is None:
        raise UserError("这个分类不存在（可能已被删除）")
    return category
