"""The console's tables, forms and exports: one way to read a list's search, filters, sort and page from the
query string, to page a peewee query on the server, and to send a list as XLSX with the same filters."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from bot import keys
from bot.edge.inputs import parse_id
from bot.render.xlsx import render_table_xlsx

MAX_PAGE = 100_000
MAX_TEXT = 100


@dataclass
class ListQuery:
    """What a list page was asked for: text, filters, a whitelisted sort and the page."""
    path: str
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = ""
    descending: bool = False
    page: int = 1
    per_page: int = 50

    @classmethod
    def read(cls, request: web.Request, sorts: list[str], default_sort: str, filters: tuple[str, ...] = (),
             per_page: int | None = None) -> "ListQuery":
        """From ``request.query``; an unknown sort falls back to the default, nonsense pages to the first."""
        query = request.query
        sort = query.get("sort", default_sort)
        descending = sort.startswith("-")
        if sort.lstrip("-") not in sorts:
            sort, descending = default_sort.lstrip("-"), default_sort.startswith("-")
        page = parse_id(query.get("page", "1")) or 1
        size = per_page or request.app[keys.CONFIG].admin.page_size
        return cls(path=request.path, q=query.get("q", "").strip()[:MAX_TEXT],
                   filters={name: query.get(name, "").strip()[:MAX_TEXT] for name in filters},
                   sort=sort.lstrip("-"), descending=descending, page=min(page, MAX_PAGE), per_page=size)

    def order(self, columns: dict[str, Any]) -> list:
        """ORDER BY for the chosen sort, with the first column as a stable tie-break."""
        column = columns[self.sort]
        tie = next(iter(columns.values()))
        first = column.desc() if self.descending else column.asc()
        return [first] if column is tie else [first, tie.asc()]

    def params(self, **changes: Any) -> dict[str, str]:
        current = {"q": self.q, **self.filters, "sort": ("-" if self.descending else "") + self.sort,
                   "page": str(self.page)}
        current.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in current.items() if v not in ("", None)}

    def url(self, **changes: Any) -> str:
        return self.path + "?" + urlencode(self.params(**changes))

    def sort_url(self, column: str) -> str:
        """Click a header: sort by it ascending, or flip it if it is already the sort."""
        flip = column == self.sort and not self.descending
        return self.url(sort=("-" if flip else "") + column, page=1)

    def export_url(self, path: str) -> str:
        return path + "?" + urlencode({k: v for k, v in self.params().items() if k != "page"})


@dataclass
class Page:
    rows: list
    total: int
    query: ListQuery

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))


def paginate(select, list_query: ListQuery, columns: dict[str, Any]) -> Page:
    """One page of ``select`` in the chosen order, and the count of all its rows."""
    total = select.order_by().count()
    page = min(list_query.page, max(1, math.ceil(total / list_query.per_page)))
    list_query.page = page
    rows = list(select.order_by(*list_query.order(columns)).paginate(page, list_query.per_page))
    return Page(rows, total, list_query)


def xlsx_response(filename: str, title: str, headers: list[str], rows: list[list]) -> web.Response:
    body = render_table_xlsx(title, headers, rows)
    return web.Response(body=body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


def cell_date(value: date | datetime | None, tz=None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (value.astimezone(tz) if tz else value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


class FormErrors(dict):
    """field name -> message shown under that field; empty when the form is fine."""

    def need(self, name: str, value: str, label: str, max_len: int = 64) -> str:
        value = (value or "").strip()
        if not value:
            self[name] = f"请填写{label}"
        elif len(value) > max_len:
            self[name] = f"{label}不能超过 {max_len} 个字"
        return value
