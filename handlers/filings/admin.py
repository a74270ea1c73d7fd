"""报税看板 (X4): a period's returns by accountant, with counts by state and the days to the deadline; filters,
search, sort, paging and XLSX export; bulk 已申报 / 零申报; a per-return form to mark, correct or 撤销申报.

Who may see which return: handlers/access.visible_clients (staff their own clients, admins all). Every write is
handlers/filings/marks.py, the one the sidebar and the bot use too, audited there.
"""
from __future__ import annotations

from decimal import Decimal

from aiohttp import web

import models
from bot import keys
from bot.money import format_fen
from handlers.admin.kit import ListQuery, xlsx_response
from handlers.admin.shell import Area, ConsoleRoutes, done, render
from handlers.cmdkit import period_label, work_period
from handlers.filings import board
from handlers.filings.marks import MarkError, amount_for, parse_day, mark_filed
from handlers.filings.rules import BOARD_STATES
from handlers.sidebar.kit import recent_periods

console = ConsoleRoutes()
PERM = "wecom.filing"
AREA = Area("filings", "报税看板", "/admin/filings", need=PERM, order=65)
HEADERS = ["客户名称", "会计", "税种", "申报周期", "状态", "税额（元）", "申报日期", "申报期限", "距截止天数"]
KINDS = {"filed": "已申报", "zero": "零申报"}
EXPORT_BATCH = 500


def today(request: web.Request):
    return request.app[keys.CLOCK]().astimezone(request.app[keys.CONFIG].agency.tz).date()


def season_of(request: web.Request, lq: ListQuery) -> board.Season:
    """The period asked for, else the one being filed now (last month)."""
    day = today(request)
    period = lq.filters.get("period", "")
    if not models.PERIOD_RE.match(period) or not "2000" <= period[:4] <= "2099":
        period = work_period(day)
    lq.filters["period"] = period
    return board.Season(period, day, request.app[keys.CONFIG].filings)


def read_query(request: web.Request) -> tuple[ListQuery, board.Season]:
    lq = ListQuery.read(request, list(board.SORTS), "client", filters=board.FILTERS)
    return lq, season_of(request, lq)


def _page(me: models.Staff, lq: ListQuery, season: board.Season, tz) -> dict:
    page = board.page_of(board.filtered(me, lq, season), lq)
    lines = board.summary(me, season)
    people = [(line["id"], line["name"]) for line in lines]
    return {"page": page, "rows": [board.row_of(f, season, tz) for f in page.rows], "lines": lines,
            "totals": board.totals(lines), "people": people}


async def show_board(request: web.Request, me: models.Staff, form: dict | None = None,
                     status: int = 200) -> web.Response:
    lq, season = read_query(request)
    tz = request.app[keys.CONFIG].agency.tz
    context = await request.app[keys.DB].run(_page, me, lq, season, tz)
    periods = recent_periods(models.shift_period(work_period(season.today), 1), 13)
    return render(request, "admin/filings/board.html",
                  {"lq": lq, "season": season, "deadline": season.deadline, "days": season.days_left,
                   "period_label": period_label(season.period), "periods": periods, "states": BOARD_STATES,
                   "taxes": models.TAX_KINDS, "kinds": KINDS, "form": form or {"amounts": {}, "errors": {}},
                   "today": season.today.isoformat(), **context}, status=status, area="filings")


@console.get("/admin/filings", need=PERM)
async def filings_board(request: web.Request, me: models.Staff) -> web.Response:
    return await show_board(request, me)


def _bulk_input(form, day) -> tuple[str, object, list[int], dict[int, str], dict]:
    """(kind, filed_on, ids, amounts as typed, errors) from the bulk form; nothing is written here."""
    errors: dict = {}
    kind = str(form.get("kind", ""))
    ids = [int(v) for v in form.getall("ids", []) if str(v).isdigit()]
    amounts = {i: str(form.get(f"amount-{i}", "")).strip() for i in ids}
    if kind not in KINDS:
        errors["kind"] = "请选择标记为已申报还是零申报"
    if not ids:
        errors["ids"] = "请先勾选要标记的申报"
    filed_on = None
    try:
        filed_on = parse_day(form.get("filed_on", ""), day)
    except MarkError as exc:
        errors["filed_on"] = exc.message
    return kind, filed_on, ids, amounts, errors


def _mark_all(me, marks: list[tuple[int, int]], filed_on, now, tz) -> None:
    """All or nothing: the caller runs this in one transaction, so one refused return writes none."""
    for filing_id, fen in marks:
        try:
            mark_filed(filing_id, fen, filed_on, me, now, tz, via="console")
        except MarkError as exc:  # a return not visible to the member is named for the whole form
            exc.field = {"": "ids", "filed_on": "filed_on"}.get(exc.field, filing_id)
            raise


@console.post("/admin/filings", need=PERM)
async def bulk_mark(request: web.Request, me: models.Staff) -> web.Response:
    """Mark the ticked returns 已申报 (each with the tax typed in its row) or 零申报, on one date."""
    form = await request.post()
    config, now = request.app[keys.CONFIG], request.app[keys.CLOCK]()
    kind, filed_on, ids, amounts, errors = _bulk_input(form, today(request))
    marks = []
    for filing_id in ids:
        try:
            marks.append((filing_id, amount_for(kind if kind in KINDS else "zero", amounts[filing_id])))
        except MarkError as exc:
            errors[filing_id] = exc.message
    if not errors:
        try:
            await request.app[keys.DB].atomic(_mark_all, me, marks, filed_on, now, config.agency.tz)
        except MarkError as exc:
            errors[exc.field] = exc.message
    keep = {"kind": kind, "filed_on": str(form.get("filed_on", "")), "ids": set(ids),
            "amounts": amounts, "errors": errors}
    if errors:
        return await show_board(request, me, form=keep, status=400)
    return done(request.path_qs, f"已将 {len(ids)} 条申报标记为{KINDS[kind]}（{filed_on}）")


def _export(me: models.Staff, lq: ListQuery, season: board.Season, tz) -> web.Response:
    query = board.ordered(board.filtered(me, lq, season), lq)
    cells, offset = [], 0
    while batch := list(query.limit(EXPORT_BATCH).offset(offset)):
        for f in batch:
            r = board.row_of(f, season, tz)
            cells.append([r["client_name"], r["accountant"], r["tax"], r["cycle"], r["state_label"],
                          Decimal(r["amount_fen"]) / 100, r["filed_on"], r["deadline"], r["days_left"]])
        offset += EXPORT_BATCH
    return xlsx_response(f"报税看板-{season.period}.xlsx", f"报税看板 {season.period}", HEADERS, cells)


@console.get("/admin/filings/export.xlsx", need=PERM)
async def export(request: web.Request, me: models.Staff) -> web.Response:
    lq, season = read_query(request)
    return await request.app[keys.DB].run(_export, me, lq, season, request.app[keys.CONFIG].agency.tz)


def yuan_text(fen: int) -> str:
    """A fen amount as the form shows it for editing: '1200.50'."""
    return format_fen(fen, symbol="").replace(",", "")
