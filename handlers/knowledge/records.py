"""The knowledge base as a record type (K3): the same template, all-or-nothing import, row/column report and
runs as every other import (handlers/records), plus the two exports (the list, and the template's layout).

An entry is matched by category and title. Imported entries arrive unaudited; a row that would change an
audited entry is refused (取消审核 first), as in the console. A category named in the file that does not exist
yet is created on import (both levels), so a first import can bring the whole tree.
"""
from __future__ import annotations

from datetime import datetime

import models
from handlers.knowledge import categories, maintain
from handlers.records.spec import Column, RecordSpec

E, C = models.KnowledgeEntry, models.KnowledgeCategory
CONTENT = ("brief", "answer", "keywords")


class KnowledgeWriter:
    """plan()/write() for the importer: match by (category, title), create categories as needed."""

    def plan(self, spec, batch: list[tuple[int, dict]], lookups, context) -> list:
        self._found = [self._stored(values) for _, values in batch]
        actions = []
        for (_, values), entry in zip(batch, self._found):
            values["keywords"] = maintain.keywords_of(values.get("keywords") or "")
            if entry is None:
                actions.append("created")
            elif all((getattr(entry, name) or "") == (values.get(name) or "") for name in CONTENT):
                actions.append("unchanged")
            elif entry.audited:
                actions.append(("标题", f"「{entry.title}」已审核，不能通过导入修改。请先在知识库中取消审核。"))
            else:
                actions.append("updated")
        return actions

    @staticmethod
    def _stored(values: dict) -> models.KnowledgeEntry | None:
        top = C.get_or_none((C.name == values["top"]) & C.parent.is_null())
        category = top if top is None or not values.get("sub") else \
            C.get_or_none((C.name == values["sub"]) & (C.parent == top.id))
        if category is None:
            return None
        return E.get_or_none((E.category == category.id) & (E.title == values["title"]))

    def write(self, spec, batch: list[tuple[int, dict]], actions: list, lookups, context) -> None:
        actor, now = context.actor, models.utcnow()
        for (_, values), action, entry in zip(batch, actions, self._found):
            content = {name: values.get(name) or "" for name in CONTENT}
            if action == "created":
                category = categories.find_or_add(actor, values["top"], values.get("sub") or "")
                entry = E.create(category=category.id, title=values["title"], created_by=actor, created_at=now,
                                 updated_at=now, **content)
            elif action == "updated":
                E.update(**content, updated_at=now).where(E.id == entry.id).execute()
            else:
                continue
            maintain._after_change(entry)  # imports never touch audited entries; kept on the one path anyway


KNOWLEDGE = RecordSpec(
    kind="knowledge", title="知识库", model=E, key=("top", "sub", "title"),
    note="按「一级分类 + 二级分类 + 标题」匹配：已有的知识会被更新，其余新增；导入的知识为未审核状态，审核后才会出现在聊天侧边栏。"
         "文件中的分类不存在时会自动新增。已审核的知识不能通过导入修改，请先取消审核。",
    columns=(
        Column("一级分类", "top", required=True, example="税务申报", help="分类名称，最多两级"),
        Column("二级分类", "sub", example="增值税", help="可留空：知识直接放在一级分类下"),
        Column("标题", "title", required=True, max_len=255, example="小规模纳税人增值税怎么申报？",
               help="客户常问的问题；同一分类下不能重复"),
        Column("简要描述", "brief", max_len=500, example="按季申报，季度销售额 30 万以内免征。",
               help="答案的一两句话概括，侧边栏列表里显示"),
        Column("答案", "answer", required=True, max_len=5000,
               example="小规模纳税人一般按季申报增值税，在季度结束后的次月征期内登录电子税务局申报……",
               help="发送给客户的完整答案"),
        Column("关键词", "keywords", max_len=255, example="小规模 季报 免税",
               help="客户可能的说法，多个用空格或顿号分隔，帮助搜索"),
    ),
    writer=KnowledgeWriter())


def template_rows(entries) -> list[list]:
    """Entries in the import template's layout (引出数据（按引入模板）): re-importable as they are."""
    rows = []
    for entry in entries:
        top, sub = categories.path_of(entry.category)
        rows.append([top, sub, entry.title, entry.brief, entry.answer, entry.keywords])
    return rows


LIST_HEADERS = ["一级分类", "二级分类", "标题", "简要描述", "答案", "关键词", "审核状态", "审核人", "审核时间", "创建人",
                "创建时间", "使用次数"]


def list_rows(entries, tz) -> list[list]:
    """Entries as the console lists them (引出数据（按列表）), audit state and who included."""
    def when(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""
    return [template_rows([entry])[0] + ["已审核" if entry.audited else "未审核",
                                        entry.audited_by.name if entry.audited_by_id and entry.audited_by else "",
                                        when(entry.audited_at),
                                        entry.created_by.name if entry.created_by_id and entry.created_by else "",
                                        when(entry.created_at), entry.hits]
            for entry in entries]
