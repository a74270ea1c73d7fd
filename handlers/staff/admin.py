"""员工管理 (S3): the staff list with its export, the add and edit forms, binding codes, deactivation with a
replacement, and reactivation. What may be changed is decided by handlers/staff/rules.py; the writes are
handlers/staff/accounts.py and leaving.py, shared with `python -m bot staff`."""
from __future__ import annotations

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.router import UserError
from handlers.admin.kit import ListQuery, cell_date, paginate, xlsx_response
from handlers.admin.shell import Area, ConsoleRoutes, done, message, render
from handlers.staff import accounts, leaving, rules
from models import Staff

console = ConsoleRoutes()
AREA = Area("staff", "员工管理", "/admin/staff", need="admin", order=10)
SORTS = {"created": Staff.id, "name": Staff.name, "mobile": Staff.mobile, "position": Staff.position}
FILTERS = ("role", "status", "bound")
STATUSES = [("", "在职"), ("inactive", "停用"), ("all", "全部")]
BOUND = [("yes", "已绑定"), ("no", "未绑定")]
EXPORT_LIMIT = 20_000
HEADERS = ["姓名", "手机", "职位", "角色", "权限", "企业微信账号", "状态", "创建时间"]


def short_label(code: str) -> str:
    """A permission's label without its explanation in brackets, for tables."""
    return models.PERMISSIONS[code].split("（")[0]


def permission_text(staff: Staff) -> str:
    if staff.is_admin:
        return "全部权限"
    codes = [c for c in models.PERMISSIONS if c in (staff.permissions or [])]
    labels = [short_label(c) for c in codes]
    if set(models.WECOM_PERMISSIONS) <= set(codes):  # the usual case, said in a few words
        labels = [f"企业微信全部 {len(models.WECOM_PERMISSIONS)} 项"] + \
            [short_label(c) for c in codes if c not in models.WECOM_PERMISSIONS]
    return "、".join(labels) or "无"


def _filtered(lq: ListQuery):
    query = Staff.select()
    if lq.q:
        query = query.where(Staff.name.contains(lq.q) | Staff.mobile.contains(lq.q) | Staff.position.contains(lq.q))
    if lq.filters.get("role") in models.ROLES:
        query = query.where(Staff.role == lq.filters["role"])
    status = lq.filters.get("status")
    if status != "all":
        query = query.where(Staff.active == (status != "inactive"))
    if lq.filters.get("bound") in ("yes", "no"):
        query = query.where(Staff.wecom_userid.is_null(lq.filters["bound"] == "no"))
    return query


def _row(staff: Staff, tz) -> dict:
    return {"id": staff.id, "name": staff.name, "mobile": staff.mobile or "", "position": staff.position or "",
            "role": models.ROLES.get(staff.role, staff.role), "permissions": permission_text(staff),
            "userid": staff.wecom_userid, "active": bool(staff.active), "created": cell_date(staff.created_at, tz)}


def _list(lq: ListQuery, tz) -> dict:
    page = paginate(_filtered(lq), lq, SORTS)
    return {"page": page, "rows": [_row(s, tz) for s in page.rows]}


def _export(lq: ListQuery, tz) -> list[list]:
    rows = [_row(s, tz) for s in _filtered(lq).order_by(*lq.order(SORTS)).limit(EXPORT_LIMIT)]
    return [[r["name"], r["mobile"], r["position"], r["role"], r["permissions"], r["userid"] or "未绑定",
             "在职" if r["active"] else "停用", r["created"]] for r in rows]


def _read_list(request: web.Request) -> ListQuery:
    return ListQuery.read(request, list(SORTS), "created", filters=FILTERS)


@console.get("/admin/staff", need="admin")
async def staff_list(request: web.Request, me: Staff) -> web.Response:
    lq = _read_list(request)
    context = await request.app[keys.DB].run(_list, lq, request.app[keys.CONFIG].agency.tz)
    return render(request, "admin/staff/list.html", {"lq": lq, "statuses": STATUSES, "bound": BOUND, **context},
                  area="staff")


@console.get("/admin/staff/export.xlsx", need="admin")
async def staff_export(request: web.Request, me: Staff) -> web.Response:
    rows = await request.app[keys.DB].run(_export, _read_list(request), request.app[keys.CONFIG].agency.tz)
    return xlsx_response("员工列表.xlsx", "员工列表", HEADERS, rows)


# ---- add and edit ----------------------------------------------------------------------------------------

def _form(request, me: Staff, values: dict, errors: dict, target: Staff | None = None, status: int = 200):
    return render(request, "admin/staff/form.html",
                  {"values": values, "errors": errors, "target": target, "self_edit": bool(target and target.id == me.id),
                   "roles_for": _roles_for(me)}, status=status, area="staff")


def _roles_for(me: Staff) -> list[tuple[str, str]]:
    """The roles ``me`` may hand out (the rules refuse the rest anyway)."""
    return [(k, v) for k, v in models.ROLES.items() if k != rules.SUPER or me.role == rules.SUPER]


@console.get("/admin/staff/new", need="admin")
async def new_form(request: web.Request, me: Staff) -> web.Response:
    return _form(request, me, {"role": "staff"}, {})


async def _save(request: web.Request, me: Staff, target: Staff | None) -> web.Response:
    form = await request.post()
    db, now = request.app[keys.DB], request.app[keys.CLOCK]()
    values, errors = await db.run(rules.check_profile, form, target.id if target else None)
    if target is not None and target.id == me.id:
        values["role"] = target.role  # nobody changes their own role; the form does not offer it
    if not errors:
        try:
            if target is None:
                saved = await db.atomic(accounts.create_staff, me, values, now)
                return done(f"/admin/staff/{saved.id}/edit", f"已添加员工「{saved.name}」。可以为其发绑定码。")
            saved = await db.atomic(accounts.update_staff, me, target.id, values, now)
            return done("/admin/staff", f"已保存员工「{saved.name}」的资料。")
        except UserError as exc:
            errors["_"] = str(exc)
    return _form(request, me, values, errors, target, status=400)


@console.post("/admin/staff/new", need="admin")
async def create(request: web.Request, me: Staff) -> web.Response:
    return await _save(request, me, None)


async def _target(request: web.Request) -> Staff | None:
    staff_id = parse_id(request.match_info["id"])
    if staff_id is None:
        return None
    return await request.app[keys.DB].run(Staff.get_or_none, Staff.id == staff_id)


def _missing(request: web.Request) -> web.Response:
    return message(request, "没有找到员工", "这位员工不存在或已被删除。", status=404)


@console.get(r"/admin/staff/{id:\d+}/edit", need="admin")
async def edit_form(request: web.Request, me: Staff) -> web.Response:
    target = await _target(request)
    if target is None:
        return _missing(request)
    values = {k: getattr(target, k) for k in ("name", "mobile", "email", "position", "role")}
    return _form(request, me, values, {}, target)


@console.post(r"/admin/staff/{id:\d+}/edit", need="admin")
async def update(request: web.Request, me: Staff) -> web.Response:
    target = await _target(request)
    return _missing(request) if target is None else await _save(request, me, target)


# ---- binding code, deactivation, reactivation --------------------------------------------------------------

@console.post(r"/admin/staff/{id:\d+}/code", need="admin")
async def binding_code(request: web.Request, me: Staff) -> web.Response:
    """The code is shown on this one answer and never again (only its hash is stored)."""
    target = await _target(request)
    if target is None:
        return _missing(request)
    now = request.app[keys.CLOCK]()
    try:
        reason = rules.edit_refusal(me, target)
        if reason:
            raise UserError(reason)
        code = await request.app[keys.DB].atomic(rules.issue_code, target, me, now)
    except UserError as exc:
        return done("/admin/staff", str(exc))
    expires = (now + rules.CODE_TTL).astimezone(request.app[keys.CONFIG].agency.tz)
    return render(request, "admin/staff/code.html", {"target": target, "code": code,
                                                     "expires": expires.strftime("%Y-%m-%d %H:%M")}, area="staff")


def _leave_context(staff_id: int) -> dict:
    target = Staff.get_by_id(staff_id)
    others = list(Staff.select().where(Staff.active & (Staff.id != staff_id)).order_by(Staff.id))
    return {"target": target, "load": leaving.workload(target), "others": others}


@console.get(r"/admin/staff/{id:\d+}/deactivate", need="admin")
async def deactivate_form(request: web.Request, me: Staff) -> web.Response:
    target = await _target(request)
    if target is None:
        return _missing(request)
    context = await request.app[keys.DB].run(_leave_context, target.id)
    return render(request, "admin/staff/deactivate.html",
                  {**context, "refusal": rules.deactivate_refusal(me, target) if target.active else None,
                   "error": ""}, area="staff")


@console.post(r"/admin/staff/{id:\d+}/deactivate", need="admin")
async def deactivate(request: web.Request, me: Staff) -> web.Response:
    target = await _target(request)
    if target is None:
        return _missing(request)
    form = await request.post()
    db = request.app[keys.DB]
    try:
        summary = await db.atomic(leaving.deactivate, me, target.id, parse_id(str(form.get("replacement", ""))),
                                  request.app[keys.CLOCK]())
    except UserError as exc:
        context = await db.run(_leave_context, target.id)
        return render(request, "admin/staff/deactivate.html", {**context, "refusal": None, "error": str(exc)},
                      status=400, area="staff")
    return done("/admin/staff?status=inactive", _left_text(target, summary))


def _left_text(target: Staff, summary: dict) -> str:
    text = f"已停用员工「{target.name}」，其登录已全部退出。"
    if summary["replacement"]:
        moved = summary["reminders"].get("moved", 0) if summary["reminders"] else 0
        text += f"{len(summary['clients'])} 个客户和 {moved} 条待发提醒已转给「{summary['replacement']}」。"
    return text


@console.post(r"/admin/staff/{id:\d+}/reactivate", need="admin")
async def reactivate(request: web.Request, me: Staff) -> web.Response:
    target = await _target(request)
    if target is None:
        return _missing(request)
    try:
        await request.app[keys.DB].atomic(accounts.reactivate, me, target.id)
    except UserError as exc:
        return done("/admin/staff?status=inactive", str(exc))
    return done("/admin/staff", f"已启用员工「{target.name}」。")
