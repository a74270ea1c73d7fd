"""交接: an admin moves a member's clients (客户经理 / 会计) to colleagues: pick, preview, confirm; optionally
WeCom's own transfer of the member's customers and groups, whose results the run's page shows."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

import models
from bot import keys
from bot.edge.inputs import parse_id
from bot.wecom import WeComError
from handlers.admin.kit import FormErrors, ListQuery, paginate
from handlers.admin.shell import Area, ConsoleRoutes, done, message, render
from handlers.handover import rules, transfer
from models import HandoverItem, HandoverRun, Staff

console = ConsoleRoutes()
AREA = Area("handover", "交接", "/admin/handover", need="admin", order=60)
ITEM_SORTS = {"id": HandoverItem.id, "name": HandoverItem.name, "status": HandoverItem.status}


def _form_values(form) -> dict:
    """The pick form as the admin left it (to show it again with its errors)."""
    if form is None:
        return {"roles": list(rules.ROLES), "mode": "one", "taker": "", "takers": [], "rows": {}}
    return {"roles": form.getall("roles", []), "mode": form.get("mode", ""), "taker": form.get("taker", ""),
            "takers": form.getall("takers", []),
            "rows": {k[4:]: v for k, v in form.items() if k.startswith("row_") and v}}


def _pick_context(staff_id: int | None) -> dict:
    lists = rules.staff_lists()
    chosen = next((s for s in lists["everyone"] if s.id == staff_id), None)
    held = rules.holdings(chosen.id) if chosen else {}
    wecom = transfer.summary(chosen) if chosen else {}
    return {**lists, "chosen": chosen, "held": held, "wecom": wecom, "runs": rules.recent_runs(),
            "takers": [s for s in lists["active"] if not chosen or s.id != chosen.id]}


async def _pick(request: web.Request, staff_id, errors=None, form=None, status=200) -> web.Response:
    context = await request.app[keys.DB].run(_pick_context, staff_id)
    return render(request, "admin/handover/pick.html",
                  {**context, "errors": errors or FormErrors(), "form": _form_values(form), "modes": rules.MODES,
                   "role_names": rules.ROLES, "transfer_modes": models.TRANSFER_MODES,
                   "zone": ZoneInfo(request.app[keys.CONFIG].agency.timezone)}, status=status, area="handover")


@console.get("/admin/handover", need="admin")
async def pick(request: web.Request, me: Staff) -> web.Response:
    return await _pick(request, parse_id(request.query.get("staff", "")))


def _preview_context(choice: rules.Choice) -> dict:
    plan = rules.plan(choice)
    return {"plan": plan, "wecom_takers": transfer.takers(plan.from_staff) if plan.from_staff else []}


async def _preview(request: web.Request, choice: rules.Choice, warning: str = "", status: int = 200):
    context = await request.app[keys.DB].run(_preview_context, choice)
    return render(request, "admin/handover/preview.html",
                  {**context, "choice": choice, "warning": warning, "role_names": rules.ROLES,
                   "modes": rules.MODES, "transfer_modes": models.TRANSFER_MODES},
                  status=status, area="handover")


@console.post("/admin/handover/preview", need="admin")
async def preview(request: web.Request, me: Staff) -> web.Response:
    form = await request.post()
    choice, errors = rules.read_choice(form)
    if errors:
        return await _pick(request, parse_id(form.get("staff", "")), errors, form, status=400)
    return await _preview(request, choice)


@console.post("/admin/handover/apply", need="admin")
async def apply(request: web.Request, me: Staff) -> web.Response:
    form = await request.post()
    choice, errors = rules.read_choice(form)
    if errors:
        return await _pick(request, parse_id(form.get("staff", "")), errors, form, status=400)
    app = request.app
    now = app[keys.CLOCK]()
    try:
        run_id = await app[keys.DB].atomic(rules.apply, choice, str(form.get("plan", "")), me.id, now)
    except rules.Stale:
        return await _preview(request, choice, "预览之后数据已有变化（客户或成员有改动），以下是最新的预览，"
                                               "请核对后再确认。", status=409)
    except rules.Refused:
        return await _preview(request, choice, "未交接：请先处理下面的问题。", status=400)
    note = ""
    if choice.wecom_taker:
        await transfer.start(app[keys.WECOM], app[keys.DB], run_id, now)
        note = "，已在企业微信中发起转接"
    return done(f"/admin/handover/runs/{run_id}", f"交接完成{note}。")


def _run_context(run_id: int, lq: ListQuery, zone: ZoneInfo) -> dict | None:
    run = HandoverRun.get_or_none(HandoverRun.id == run_id)
    if run is None:
        return None
    items = HandoverItem.select().where(HandoverItem.run == run_id)
    if lq.filters.get("kind") in ("customer", "group"):
        items = items.where(HandoverItem.kind == lq.filters["kind"])
    page = paginate(items, lq, ITEM_SORTS)
    rows = [{"kind": "客户" if i.kind == "customer" else "客户群", "name": i.name, "target": i.target,
             "label": transfer.label(i), "bad": i.errcode != 0 or i.status in (3, 4, 5),
             "ok": i.status == 1} for i in page.rows]
    return {"run": run, "page": page, "rows": rows, "tally": transfer.tally(run_id),
            "by": run.by_staff.name if run.by_staff else "",
            "at": run.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "checked": run.checked_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if run.checked_at else ""}


@console.get("/admin/handover/runs/{run_id}", need="admin")
async def run_page(request: web.Request, me: Staff) -> web.Response:
    zone = ZoneInfo(request.app[keys.CONFIG].agency.timezone)
    lq = ListQuery.read(request, list(ITEM_SORTS), "id", filters=("kind",))
    context = await request.app[keys.DB].run(_run_context, parse_id(request.match_info["run_id"]) or 0, lq, zone)
    if context is None:
        return message(request, "找不到交接记录", "这条交接记录不存在。", status=404)
    return render(request, "admin/handover/run.html",
                  {**context, "lq": lq, "role_names": rules.ROLES,
                   "transfer_modes": models.TRANSFER_MODES}, area="handover")


@console.post("/admin/handover/runs/{run_id}/refresh", need="admin")
async def refresh(request: web.Request, me: Staff) -> web.Response:
    app = request.app
    run_id = parse_id(request.match_info["run_id"]) or 0
    run = await app[keys.DB].run(HandoverRun.get_or_none, HandoverRun.id == run_id)
    if run is None or not run.wecom_mode:
        return message(request, "无法刷新", "这次交接没有在企业微信中发起转接。", status=404)
    try:
        await transfer.refresh(app[keys.WECOM], app[keys.DB], run_id, app[keys.CLOCK]())
    except WeComError as exc:
        return done(f"/admin/handover/runs/{run_id}", f"刷新失败：企业微信返回错误码 {exc.errcode}，请稍后再试。")
    return done(f"/admin/handover/runs/{run_id}", "已刷新企业微信的转接结果。")
