"""The JSON API (/api/v1, X10) through HTTP: tokens (missing, unknown, revoked, read-only writing), the rate limit,
upserts by natural key through the import specs (created → updated → unchanged, all or nothing), cursor paging,
payments created through billing's rules and voided, bodies refused before they reach a handler, and the audit."""
from __future__ import annotations

from datetime import timedelta

import pytest

import models
from handlers.api import auth
from tests.api_kit import call, make_token, stack_with
from tests.conftest import run_sync, stop_stack
from tests.factories import agency_today, small_agency

HUAXIA = "杭州华夏科技有限公司"
CLIENT = {"name": "杭州新锐软件有限公司", "short_name": "新锐软件", "tax_id": "91330100MA2H000099",
          "taxpayer_type": "general", "manager": "李小梅", "tags": ["重点客户"], "status": "active"}


@pytest.fixture
async def agency(stack):
    await run_sync(stack, small_agency)
    return stack


async def test_tokens_missing_unknown_revoked_and_read_only_writing(agency):
    status, body, headers = await call(agency, "GET", "/api/v1/clients")
    assert status == 401 and body["error"]["code"] == "unauthorized" and "令牌" in body["error"]["message"]
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert (await call(agency, "GET", "/api/v1/clients", "zf_not-a-token"))[0] == 401

    reader = await make_token(agency, "read", "报表系统")
    status, body, _ = await call(agency, "GET", "/api/v1/clients", reader)
    assert status == 200 and {item["name"] for item in body["items"]} >= {HUAXIA}
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", reader, [CLIENT])
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert (await call(agency, "POST", "/api/v1/payments", reader, []))[0] == 403
    assert await run_sync(agency, lambda: models.Client.select().where(models.Client.name == CLIENT["name"]).count()) == 0

    token_id = await run_sync(agency, lambda: models.ApiToken.get(models.ApiToken.name == "报表系统").id)
    admin = await run_sync(agency, lambda: models.Staff.get(models.Staff.wecom_userid == "admin"))
    await run_sync(agency, lambda: auth.revoke_token(token_id, admin, models.utcnow()))
    status, body, _ = await call(agency, "GET", "/api/v1/clients", reader)
    assert status == 401 and "吊销" in body["error"]["message"]


async def test_token_is_stored_hashed_and_last_use_noted(agency):
    secret = await make_token(agency, "read")
    stored = await run_sync(agency, lambda: models.ApiToken.get())
    assert secret not in (stored.token_hash, stored.name) and stored.token_hash == auth.hash_token(secret)
    assert stored.last_used_at is None
    await call(agency, "GET", "/api/v1/clients", secret)
    assert (await run_sync(agency, lambda: models.ApiToken.get())).last_used_at is not None


async def test_rate_limit_answers_429_with_retry_after(db_url, fake_server):
    stack = await stack_with(db_url, fake_server, rate_limit=3)
    try:
        token = await make_token(stack, "read")
        other = await make_token(stack, "read", "另一个系统")
        answers = [await call(stack, "GET", "/api/v1/clients", token) for _ in range(4)]
        assert [status for status, _, _ in answers] == [200, 200, 200, 429]
        status, body, headers = answers[-1]
        assert body["error"]["code"] == "rate_limited" and int(headers["Retry-After"]) >= 1
        assert (await call(stack, "GET", "/api/v1/clients", other))[0] == 200  # per token
    finally:
        await stop_stack(stack)


async def test_upsert_creates_updates_then_leaves_unchanged(agency):
    token = await make_token(agency)
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [CLIENT])
    assert status == 200, body
    assert body["created"] == 1 and body["items"][0]["action"] == "created"
    client_id = body["items"][0]["id"]
    status, one, _ = await call(agency, "GET", f"/api/v1/clients/{client_id}", token)
    assert status == 200 and one["manager"] == "李小梅" and one["tags"] == ["重点客户"] and one["tax_id"] == CLIENT["tax_id"]

    changed = {**CLIENT, "address": "杭州市滨江区网商路1号", "taxpayer_type": "小规模纳税人"}  # a Chinese label works too
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [changed])
    assert status == 200 and body["items"] == [{"index": 0, "action": "updated", "id": client_id}]
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [changed])
    assert status == 200 and body["items"][0]["action"] == "unchanged" and body["unchanged"] == 1

    stored = await run_sync(agency, lambda: models.Client.get_by_id(client_id))
    assert stored.taxpayer_type == "small" and stored.address == "杭州市滨江区网商路1号"
    assert stored.pinyin_initials  # derived by the spec, as in imports
    audits = await run_sync(agency, lambda: list(models.AuditLog.select().where(
        models.AuditLog.action.in_(["api.create", "api.update"])).order_by(models.AuditLog.id)))
    assert [(a.action, a.actor_label, a.entity, a.entity_id) for a in audits] == [
        ("api.create", "api:记账软件", "Client", str(client_id)), ("api.update", "api:记账软件", "Client", str(client_id))]


async def test_money_is_integer_fen_and_references_resolve(agency):
    token = await make_token(agency)
    today = agency_today()
    contract = {"number": "HT-API-1", "client": "91330100MA2H000001", "title": "代理记账服务合同",
                "start_date": today.isoformat(), "end_date": (today + timedelta(days=365)).isoformat(),
                "amount_fen": 360050}
    status, body, _ = await call(agency, "PUT", "/api/v1/contracts", token, [contract])
    assert status == 200, body
    status, one, _ = await call(agency, "GET", f"/api/v1/contracts/{body['items'][0]['id']}", token)
    assert one["amount_fen"] == 360050 and one["client"] == HUAXIA and isinstance(one["client_id"], int)
    status, body, _ = await call(agency, "PUT", "/api/v1/contracts", token, [{**contract, "amount_fen": 12.5}])
    assert status == 422 and body["error"]["items"][0]["field"] == "amount_fen" and "分" in body["error"]["items"][0]["message"]


async def test_a_bad_item_writes_nothing_and_names_index_and_field(agency):
    token = await make_token(agency)
    good = {**CLIENT, "name": "杭州好客户有限公司", "tax_id": None}
    bad = {**CLIENT, "manager": "不存在的人"}
    before = await run_sync(agency, lambda: models.Client.select().count())
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [good, bad])
    assert status == 422 and body["error"]["code"] == "invalid"
    assert body["error"]["items"] == [{"index": 1, "field": "manager", "header": "客户经理",
                                       "message": "找不到员工「不存在的人」（按姓名或手机号查找）"}]
    assert await run_sync(agency, lambda: models.Client.select().count()) == before

    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [good, {"name": 5, "colour": "red"}])
    assert status == 422
    assert {(p["index"], p["field"]) for p in body["error"]["items"]} == {(1, "name"), (1, "colour")}
    # a tax id another client holds (the spec's guard against stored rows)
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [{**good, "tax_id": "91330100MA2H000001"}])
    assert status == 422 and body["error"]["items"][0]["field"] == "tax_id"
    twins = [{**good, "tax_id": "91330100MA2H000077"}, {**good, "name": "杭州孪生有限公司", "tax_id": "91330100MA2H000077"}]
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, twins)  # the unique index is never reached
    assert status == 422 and [(p["index"], p["field"]) for p in body["error"]["items"]] == [(1, "tax_id")]
    assert await run_sync(agency, lambda: models.Client.select().count()) == before


async def test_vat_cycle_round_trip_and_a_general_taxpayer_refused_quarterly(agency):
    token = await make_token(agency)
    small = {**CLIENT, "taxpayer_type": "small", "vat_cycle": "quarterly"}
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [small])
    assert status == 200, body
    client_id = body["items"][0]["id"]
    assert (await call(agency, "GET", f"/api/v1/clients/{client_id}", token))[1]["vat_cycle"] == "quarterly"
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [{"name": CLIENT["name"], "vat_cycle": "按月"}])
    assert status == 200 and body["items"][0]["action"] == "updated"
    one = (await call(agency, "GET", f"/api/v1/clients/{client_id}", token))[1]
    assert (one["vat_cycle"], one["taxpayer_type"]) == ("monthly", "small")  # fields left out are left alone
    refusals = [({"name": HUAXIA, "vat_cycle": "quarterly"}, "一般纳税人按月申报增值税"),  # stored 一般纳税人
                ({**small, "taxpayer_type": "general"}, "一般纳税人按月申报增值税"),
                ({"name": CLIENT["name"], "vat_cycle": "yearly"}, "不是可选值")]
    for item, says in refusals:
        status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [item])
        [problem] = body["error"]["items"]
        assert status == 422 and (problem["index"], problem["field"], problem["header"]) \
            == (0, "vat_cycle", "增值税申报周期") and says in problem["message"], item
    await call(agency, "PUT", "/api/v1/clients", token, [{"name": CLIENT["name"], "vat_cycle": "quarterly"}])
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [{"name": CLIENT["name"],
                                                                            "taxpayer_type": "general"}])
    assert status == 422 and body["error"]["items"][0]["field"] == "taxpayer_type"
    assert "一般纳税人按月申报增值税" in body["error"]["items"][0]["message"]
    stored = await run_sync(agency, lambda: {c.name: (c.taxpayer_type, c.vat_cycle) for c in models.Client.select()})
    assert stored[HUAXIA] == ("general", "") and stored[CLIENT["name"]] == ("small", "quarterly")
    status, body, _ = await call(agency, "PUT", "/api/v1/clients", token, [{"name": CLIENT["name"], "vat_cycle": ""}])
    assert status == 200 and (await call(agency, "GET", f"/api/v1/clients/{client_id}", token))[1]["vat_cycle"] == ""


async def test_cursor_paging_walks_every_row_once(agency):
    token = await make_token(agency)
    items = [{**CLIENT, "name": f"测试客户{n:02d}有限公司", "tax_id": None} for n in range(23)]
    assert (await call(agency, "PUT", "/api/v1/clients", token, items))[0] == 200
    seen, cursor, pages = [], "", 0
    while True:
        status, body, _ = await call(agency, "GET", "/api/v1/clients", token, limit="5",
                                     **({"cursor": cursor} if cursor else {}))
        assert status == 200 and len(body["items"]) <= 5
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    total = await run_sync(agency, lambda: models.Client.select().count())
    assert len(seen) == len(set(seen)) == total == 26 and seen == sorted(seen) and pages == 6
    for bad in ({"limit": "0"}, {"limit": "201"}, {"limit": "٣"}, {"cursor": "!!"}, {"cursor": "OTk5OTk5OTk5OTk5OTk5OTk5OTk5"}):
        status, body, _ = await call(agency, "GET", "/api/v1/clients", token, **bad)
        assert status == 400 and body["error"]["code"] in ("invalid_limit", "invalid_cursor"), bad


async def test_payments_created_through_billing_rules_then_voided(agency):
    token = await make_token(agency)
    today = agency_today()
    payment = {"client": HUAXIA, "amount_fen": 50000, "paid_on": today.isoformat(), "method": "bank",
               "note": "接口登记"}
    status, body, _ = await call(agency, "POST", "/api/v1/payments", token, [payment, {**payment, "amount_fen": 20000}])
    assert status == 200, body
    receipts = [item["receipt_no"] for item in body["items"]]
    assert [item["action"] for item in body["items"]] == ["created", "created"]
    assert receipts == [f"{today.year}-000001", f"{today.year}-000002"]  # gapless, billing's counter
    status, body, _ = await call(agency, "POST", "/api/v1/payments", token, [payment])
    assert body["items"][0]["action"] == "unchanged" and body["items"][0]["receipt_no"] == receipts[0]

    receivable = await run_sync(agency, lambda: models.Receivable.get(models.Receivable.item == "代理记账费"))
    assert receivable.paid_fen == 30050 + 50000 + 20000 and receivable.status == "partial"  # both allocated, in order
    audit = await run_sync(agency, lambda: models.AuditLog.get(models.AuditLog.action == "payment.record"))
    assert audit.actor_label == "api:记账软件" and audit.actor_id is None

    future = {**payment, "paid_on": (today + timedelta(days=1)).isoformat()}
    status, body, _ = await call(agency, "POST", "/api/v1/payments", token, [future])
    assert status == 422 and body["error"]["items"][0]["field"] == "paid_on"

    status, body, _ = await call(agency, "POST", f"/api/v1/payments/{receipts[0]}/void", token, {"reason": "重复登记"})
    assert status == 200 and body["voided_at"] and body["void_reason"] == "重复登记"
    status, body, _ = await call(agency, "POST", f"/api/v1/payments/{receipts[0]}/void", token, {"reason": "再来"})
    assert status == 409 and "已作废" in body["error"]["message"]
    assert (await call(agency, "POST", "/api/v1/payments/2026-999999/void", token, {"reason": "x"}))[0] == 404
    voided = await run_sync(agency, lambda: models.AuditLog.get(models.AuditLog.action == "payment.void"))
    assert voided.actor_label == "api:记账软件"
    assert (await call(agency, "PUT", "/api/v1/payments", token, [payment]))[0] == 405  # never upserted


async def test_bodies_are_refused_before_handlers(agency):
    token = await make_token(agency)
    path = "/api/v1/clients"
    status, body, _ = await call(agency, "PUT", path, token, raw=b"[]", headers={"Content-Type": "text/plain"})
    assert status == 415 and body["error"]["code"] == "unsupported_media_type"
    status, body, _ = await call(agency, "PUT", path, token, raw=b"[" + b" " * (1100 * 1024) + b"]",
                                 headers={"Content-Type": "application/json"})
    assert status == 413 and body["error"]["code"] == "body_too_large"
    deep = b"[" * 50 + b"]" * 50
    status, body, _ = await call(agency, "PUT", path, token, raw=deep, headers={"Content-Type": "application/json"})
    assert status == 400 and body["error"]["code"] == "invalid_json"
    status, body, _ = await call(agency, "PUT", path, token, raw=b'[{"name": 99999999999999999999}]',
                                 headers={"Content-Type": "application/json"})
    assert status == 400
    status, body, _ = await call(agency, "PUT", path, token, [{"name": "a\u0000b"}])
    assert status == 422 and body["error"]["items"][0]["field"] == "name"
    status, body, _ = await call(agency, "PUT", path, token, {"name": "不是数组"})
    assert status == 422
    for bad_id in ("9223372036854775808", "٣", "abc", "0"):
        status, body, _ = await call(agency, "GET", f"{path}/{bad_id}", token)
        assert status == 400 and body["error"]["code"] == "invalid_id", bad_id
    assert (await call(agency, "GET", f"{path}/999999", token))[0] == 404


async def test_openapi_document_is_served_and_names_every_kind(agency):
    status, doc, _ = await call(agency, "GET", "/api/v1/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.0")
    for kind in ("clients", "services", "contracts", "receivables", "payments", "invoices", "filings", "reports"):
        assert f"/api/v1/{kind}" in doc["paths"] and f"/api/v1/{kind}/{{id}}" in doc["paths"]
    client = doc["components"]["schemas"]["clients_write"]
    assert client["required"] == ["name"] and "客户名称" in client["properties"]["name"]["description"]
    assert client["properties"]["taxpayer_type"]["enum"] == list(models.TAXPAYER_TYPES)
    assert client["properties"]["vat_cycle"]["enum"] == ["", "monthly", "quarterly"]
    assert "增值税申报周期" in client["properties"]["vat_cycle"]["description"]
    assert doc["components"]["schemas"]["contracts_write"]["properties"]["amount_fen"]["type"] == "integer"
    import schemathesis
    schemathesis.openapi.from_dict(doc).validate()  # no exception: a valid OpenAPI 3.0 document
