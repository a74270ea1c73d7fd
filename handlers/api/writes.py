"""/api/v1 writing: PUT an array to upsert by natural key (all or nothing, through the record specs' writers);
payments: POST an array to create (never updated: a payment already stored with the same client, date, amount
and method is 'unchanged'), POST …/{receipt_no}/void to void. Every write is audited as 'api:<token name>'."""
from __future__ import annotations

import dataclasses
import re

from aiohttp import web
from peewee import IntegrityError

import models
from bot import keys
from bot.router import UserError
from handlers.api import auth
from handlers.api.body import ApiError, answer, read_json
from handlers.api.kinds import ApiKind, stored_ids
from handlers.api.routes import endpoint
from handlers.api.shapes import bad_text, load_references, plain_values, to_cells, to_json
from handlers.billing.rules import check_paid_on, void_payment
from handlers.records.checks import all_of
from handlers.records.importer import Context, import_rows

RECEIPT_RE = re.compile(r"[0-9]{4}-[0-9]{6}")


def _invalid(problems: list[dict]) -> ApiError:
    return ApiError(422, "invalid", "提交的数据有错误，均未写入；请按 items 逐项修改后重新提交。", items=problems)


async def _items(request: web.Request, kind: ApiKind) -> list[dict]:
    """The body's objects as cells for the spec's parser, or a 422 naming every bad item and field."""
    config = request.app[keys.CONFIG].api
    body = await read_json(request, config.max_body_kb * 1024)
    if not isinstance(body, list):
        raise _invalid([{"index": None, "field": None, "message": "请求内容应为 JSON 数组（每项一条记录）"}])
    if len(body) > config.max_items:
        raise _invalid([{"index": None, "field": None, "message": f"一次最多提交 {config.max_items} 条，请分批"}])
    cells, problems = [], []
    for index, item in enumerate(body):
        found, wrong = to_cells(kind.spec, item)
        cells.append(found)
        problems += [{"index": index, "field": name or None, "message": text} for name, text in wrong]
    if problems:
        raise _invalid(problems)
    return cells


def _write(kind: ApiKind, spec, cells: list[dict], label: str, tz) -> tuple:
    """(outcome, per-item results): import_rows checks all, writes all in one transaction, audits each write."""
    results = {}

    def audit(written) -> None:
        ids = stored_ids(kind, written.rows)
        for row, action, values in written.rows:
            results[row] = {"index": row, "action": action, **ids[row]}
            if action != "unchanged" and kind.upsert:  # payments are audited by billing's own rule
                models.audit(label, "api.create" if action == "created" else "api.update", kind.model.__name__,
                             entity_id=ids[row]["id"], after={"kind": kind.name, **plain_values(values)})
    try:
        outcome = import_rows(spec, cells, context=Context(actor=label, tz=tz), audit=audit)
    except IntegrityError:  # another writer stored the same natural key between our check and our insert
        raise ApiError(409, "conflict", "有其他请求同时写入了相同的记录，本次均未写入，请重试。") from None
    return outcome, [results[row] for row in sorted(results)]


def _answer(kind: ApiKind, outcome, results: list) -> web.Response:
    if not outcome.ok:
        fields = {column.header: column.field for column in kind.spec.columns}
        raise _invalid([{"index": problem.row if problem.column else None, "field": fields.get(problem.column),
                         "header": problem.column or None, "message": problem.message}
                        for problem in outcome.errors])
    return answer({"items": results, **{name: getattr(outcome, name) for name in ("created", "updated", "unchanged")}})


def upsert_handler(kind: ApiKind):
    @endpoint(write=True)
    async def upsert(request: web.Request, token) -> web.Response:
        cells = await _items(request, kind)
        tz = request.app[keys.CONFIG].agency.tz
        outcome, results = await request.app[keys.DB].run(_write, kind, kind.spec, cells, auth.actor_label(token), tz)
        return _answer(kind, outcome, results)
    return upsert


def _payments_spec(spec, today):
    """The import's payments spec, with billing's rule for a payment's date (not in the future, at most a year
    back): an import migrates history, the API records what happens now."""
    def dated(values: dict, lookups) -> list[tuple[str, str]]:
        try:
            check_paid_on(values["paid_on"], today)
        except UserError as exc:
            return [(spec.column("paid_on").header, str(exc))]
        return []
    return dataclasses.replace(spec, check=all_of(spec.check, dated))


def create_payments_handler(kind: ApiKind):
    @endpoint(write=True)
    async def create_payments(request: web.Request, token) -> web.Response:
        cells = await _items(request, kind)
        app = request.app
        tz = app[keys.CONFIG].agency.tz
        spec = _payments_spec(kind.spec, app[keys.CLOCK]().astimezone(tz).date())
        outcome, results = await app[keys.DB].run(_write, kind, spec, cells, auth.actor_label(token), tz)
        return _answer(kind, outcome, results)
    return create_payments


def _void(kind: ApiKind, receipt_no: str, reason: str, label: str, now) -> dict:
    with models.db.atomic():
        payment = models.Payment.get_or_none(models.Payment.receipt_no == receipt_no)
        if payment is None:
            raise ApiError(404, "not_found", f"没有收据号为 {receipt_no} 的收款。")
        try:
            payment = void_payment(payment.id, reason, label, now)
        except UserError as exc:
            raise ApiError(409 if payment.voided_at else 422, "refused", str(exc)) from None
    return to_json(kind.spec, payment, load_references(kind.spec, [payment]), kind.extras)


def void_handler(kind: ApiKind):
    @endpoint(write=True)
    async def void(request: web.Request, token) -> web.Response:
        receipt_no = request.match_info["receipt_no"]
        body = await read_json(request, request.app[keys.CONFIG].api.max_body_kb * 1024)
        reason = body.get("reason") if isinstance(body, dict) else None
        if not isinstance(reason, str) or bad_text(reason):
            raise _invalid([{"index": None, "field": "reason", "message": "请填写作废原因（字符串）"}])
        if not RECEIPT_RE.fullmatch(receipt_no):
            raise ApiError(404, "not_found", "收据号应为 年份-6位序号，如 2026-000001。")
        app = request.app
        found = await app[keys.DB].run(_void, kind, receipt_no, reason, auth.actor_label(token), app[keys.CLOCK]())
        return answer(found)
    return void
