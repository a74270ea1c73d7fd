"""企业微信成员 (S4): the members in the app's visible range, who is bound to which staff account, and the
admin's actions: 刷新成员列表, 匹配员工, 取消关联, 发绑定码. The page answers from WeComMember; only the refresh
talks to WeCom, in a background task whose progress the page polls."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot import keys
from bot.edge.inputs import parse_id
from bot.router import UserError
from handlers.admin.kit import ListQuery, paginate
from handlers.admin.shell import Area, ConsoleRoutes, done, message, render
from handlers.contacts.runs import SyncBusy
from handlers.staff import memberlist, refresh
from handlers.staff.rules import issue_code
from models import Staff, WeComMember

console = ConsoleRoutes()
AREA = Area("members", "企业微信成员", "/admin/members", need="admin", order=20)
PATH = "/admin/members"
SORTS = {"userid": WeComMember.userid, "name": WeComMember.name}


def _zone(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[keys.CONFIG].agency.timezone)


def _page(lq: ListQuery, now, zone) -> dict:
    page = paginate(memberlist.member_query(lq.q, lq.filters.get("bound", "")), lq, SORTS)
    free = memberlist.unbound_staff()
    rows = [memberlist.row_view(member) for member in page.rows]
    for row in rows:  # preselect the staff account of the same name: the usual match, one click less
        row["suggest"] = next((s.id for s in free if row["name"] and s.name == row["name"]), None)
    return {"page": page, "rows": rows, "free": free, "counts": memberlist.counts(),
            "progress": refresh.progress(now, zone)}


@console.get(PATH, need="admin")
async def members_page(request: web.Request, me: Staff) -> web.Response:
    lq = ListQuery.read(request, list(SORTS), "userid", filters=("bound",))
    context = await request.app[keys.DB].run(_page, lq, request.app[keys.CLOCK](), _zone(request))
    return render(request, "admin/members/list.html", {"lq": lq, **context}, area="members")


@console.post(PATH + "/refresh", need="admin")
async def start_refresh(request: web.Request, me: Staff) -> web.Response:
    """刷新成员列表: claim the run here (so a double click is refused), do the work in the background."""
    app = request.app
    try:
        run = await app[keys.DB].atomic(refresh.start, app[keys.CLOCK](), me.id)
    except SyncBusy:
        return done(PATH, "成员列表正在刷新中，请稍候。")
    app[keys.TASKS].spawn(refresh.refresh(app, run, me.id), name=f"members-refresh:{run.id}")
    return done(PATH, "已开始刷新成员列表，完成后本页会显示结果。")


@console.get(PATH + "/refresh", need="admin")
async def refresh_progress(request: web.Request, me: Staff) -> web.Response:
    """The progress line's JSON for static/admin.js's data-poll."""
    state = await request.app[keys.DB].run(refresh.progress, request.app[keys.CLOCK](), _zone(request))
    return web.json_response({"running": state["running"], "text": state["text"]})


async def _form(request: web.Request) -> dict:
    form = await request.post()
    return {k: str(v).strip()[:100] for k, v in form.items() if isinstance(v, str)}


@console.post(PATH + "/match", need="admin")
async def match(request: web.Request, me: Staff) -> web.Response:
    """匹配员工: bind one member to one unbound staff account."""
    form = await _form(request)
    staff_id = parse_id(form.get("staff_id", ""))
    if not staff_id:
        return message(request, "请选择员工", "请在下拉框中选择要匹配的员工账号后再点「匹配」。", status=400)
    try:
        staff = await request.app[keys.DB].atomic(memberlist.match_member, form.get("userid", ""), staff_id, me,
                                                  request.app[keys.CLOCK]())
    except UserError as exc:
        return message(request, "无法匹配", str(exc), status=409)
    return done(PATH, f"已将企业微信成员 {staff.wecom_userid} 匹配到员工「{staff.name}」。")


@console.post(PATH + "/unbind", need="admin")
async def unbind(request: web.Request, me: Staff) -> web.Response:
    """取消关联: the member loses the sidebar, the bot and the console at once."""
    form = await _form(request)
    userid = form.get("userid", "")
    try:
        staff, _ = await request.app[keys.DB].atomic(memberlist.unbind_member, userid, me,
                                                     request.app[keys.CLOCK]())
    except UserError as exc:
        return message(request, "无法取消关联", str(exc), status=409)
    if staff.id == me.id:  # they just unbound themselves: their own session has ended too
        return done("/admin/login?bye=1", f"已取消你与企业微信成员 {userid} 的关联。")
    return done(PATH, f"已取消员工「{staff.name}」与企业微信成员 {userid} 的关联，其登录已立即失效。")


@console.post(PATH + "/code", need="admin")
async def binding_code(request: web.Request, me: Staff) -> web.Response:
    """发绑定码: shown on this response only (never stored in clear, never put in a redirect or a cookie)."""
    form = await _form(request)
    staff_id = parse_id(form.get("staff_id", ""))
    db, now = request.app[keys.DB], request.app[keys.CLOCK]()
    staff = await db.run(Staff.get_or_none, Staff.id == staff_id) if staff_id else None
    if staff is None:
        return message(request, "请选择员工", "请在下拉框中选择要发绑定码的员工账号。", status=400)
    try:
        code = await db.atomic(issue_code, staff, me, now)
    except UserError as exc:
        return message(request, "无法发绑定码", str(exc), status=409)
    response = render(request, "admin/members/code.html", {"staff": staff, "code": code}, area="members")
    response.headers["Cache-Control"] = "no-store"
    return response
