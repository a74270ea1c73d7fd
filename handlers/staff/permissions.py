"""权限设置 (S3): a grid of staff by permission, saved per person, and one permission granted to or revoked from
several people at once. Admins hold every permission by role, so their rows are shown greyed."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.router import UserError
from handlers.admin.kit import ListQuery, paginate
from handlers.admin.shell import ConsoleRoutes, done, render
from handlers.staff import accounts, rules
from handlers.staff.admin import short_label
from models import Staff

console = ConsoleRoutes()
AREA = None  # reached from 员工管理 (its tab bar), which stays lit in the menu
GRID = "/admin/staff/permissions"
SORTS = {"created": Staff.id, "name": Staff.name}


def _grid(lq: ListQuery, me: Staff) -> dict:
    query = Staff.select().where(Staff.active)
    if lq.q:
        query = query.where(Staff.name.contains(lq.q) | Staff.mobile.contains(lq.q) | Staff.position.contains(lq.q))
    if lq.filters.get("role") in models.ROLES:
        query = query.where(Staff.role == lq.filters["role"])
    page = paginate(query, lq, SORTS)
    rows = [{"id": s.id, "name": s.name, "position": s.position, "role": models.ROLES[s.role],
             "implicit": s.is_admin, "codes": set(s.permissions or []),
             "locked": rules.permissions_refusal(me, s)} for s in page.rows]
    return {"page": page, "rows": rows}


@console.get(GRID, need="admin")
async def grid(request: web.Request, me: Staff) -> web.Response:
    lq = ListQuery.read(request, list(SORTS), "created", filters=("role",))
    context = await request.app[keys.DB].run(_grid, lq, me)
    columns = [(code, short_label(code), label) for code, label in models.PERMISSIONS.items()]
    return render(request, "admin/staff/permissions.html", {"lq": lq, "columns": columns, **context},
                  area="staff")


def _back(form) -> str:
    """Back to the grid page the form came from (only ever the grid)."""
    back = str(form.get("back", ""))
    return back if back.startswith(GRID + "?") or back == GRID else GRID


def _save_one(me: Staff, staff_id: int, codes: list[str]) -> tuple[bool, str]:
    return accounts.set_permissions(me, staff_id, codes), accounts.fresh(staff_id).name


@console.post(GRID + r"/{id:\d+}", need="admin")
async def save_one(request: web.Request, me: Staff) -> web.Response:
    form = await request.post()
    staff_id = parse_id(request.match_info["id"])
    codes = [str(c) for c in form.getall("perm", [])]
    try:
        changed, name = await request.app[keys.DB].atomic(_save_one, me, staff_id, codes)
    except UserError as exc:
        return done(_back(form), str(exc))
    return done(_back(form), f"已保存「{name}」的权限。" if changed else f"「{name}」的权限没有变化。")


@console.post(GRID + "/bulk", need="admin")
async def save_bulk(request: web.Request, me: Staff) -> web.Response:
    form = await request.post()
    ids = [i for i in (parse_id(str(v)) for v in form.getall("ids", [])) if i is not None]
    code, grant = str(form.get("perm", "")), form.get("op") == "grant"
    if not ids:
        return done(_back(form), "请先勾选要设置的员工。")
    try:
        changed, refused = await request.app[keys.DB].atomic(accounts.change_permission, me, ids, code, grant)
    except UserError as exc:
        return done(_back(form), str(exc))
    verb = "授予" if grant else "取消"
    text = f"已为 {len(changed)} 人{verb}「{short_label(code)}」权限。"
    if refused:
        text += f"另有 {len(refused)} 人未修改：{refused[0]}"
    return done(_back(form), text)
