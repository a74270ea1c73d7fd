"""Every console route × every kind of member, from one explicit table: who gets the page, who gets 403, and
that a deactivated member or nobody signed in is sent to sign in (GET) or refused (401, writes). Writes that are
refused change nothing. A route the table does not list fails the test, so a new page must be added here."""
import re

import aiohttp
import pytest

import models
from handlers.admin.shell import CONSOLE_ROUTES
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import small_agency

M, A, L, B = "member", "admin", "wecom.link", "wecom.billing"  # any member / admins / 关联 / 收款 permission
F = "wecom.filing"  # 报税 permission
S = "wecom.service"  # 服务情况 permission (contracts, terms, 缺票)
KM, KA = "knowledge.maintain", "knowledge.audit"  # 知识库维护 / 知识库审核
I, R, C = "wecom.invoice", "wecom.report", "wecom.collection"  # 发票 / 报表 / 收票 permissions
TABLE = {
    ("GET", "/admin"): M, ("POST", "/admin/logout"): M, ("GET", "/admin/audit"): A,
    ("GET", "/admin/staff"): A, ("GET", "/admin/staff/export.xlsx"): A, ("GET", "/admin/staff/new"): A,
    ("POST", "/admin/staff/new"): A, ("GET", "/admin/staff/{id:\\d+}/edit"): A,
    ("POST", "/admin/staff/{id:\\d+}/edit"): A, ("POST", "/admin/staff/{id:\\d+}/code"): A,
    ("GET", "/admin/staff/{id:\\d+}/deactivate"): A, ("POST", "/admin/staff/{id:\\d+}/deactivate"): A,
    ("POST", "/admin/staff/{id:\\d+}/reactivate"): A, ("GET", "/admin/staff/permissions"): A,
    ("POST", "/admin/staff/permissions/{id:\\d+}"): A, ("POST", "/admin/staff/permissions/bulk"): A,
    ("GET", "/admin/members"): A, ("POST", "/admin/members/refresh"): A, ("GET", "/admin/members/refresh"): A,
    ("POST", "/admin/members/match"): A, ("POST", "/admin/members/unbind"): A, ("POST", "/admin/members/code"): A,
    ("GET", "/admin/contacts"): M, ("GET", "/admin/contacts/export.xlsx"): M,
    ("GET", "/admin/contacts/{id}/links"): L, ("POST", "/admin/contacts/{id}/links"): L,
    ("GET", "/admin/groups"): M, ("GET", "/admin/groups/export.xlsx"): M,
    ("GET", "/admin/groups/{id}/links"): L, ("POST", "/admin/groups/{id}/links"): L,
    ("POST", "/admin/sync/{kind}"): L, ("GET", "/admin/sync/{kind}/progress"): M,
    ("GET", "/admin/clients"): M, ("GET", "/admin/clients/export.xlsx"): M,
    ("GET", "/admin/handover"): A, ("POST", "/admin/handover/preview"): A, ("POST", "/admin/handover/apply"): A,
    ("GET", "/admin/handover/runs/{run_id}"): A, ("POST", "/admin/handover/runs/{run_id}/refresh"): A,
    ("GET", "/admin/health"): A, ("POST", "/admin/health/drift"): A,
    ("GET", "/admin/payments"): B, ("GET", "/admin/payments/export.xlsx"): B, ("GET", "/admin/payments/{id:\\d+}"): B,
    ("GET", "/admin/payments/{id:\\d+}/receipt.png"): B, ("POST", "/admin/payments/{id:\\d+}/void"): B,
    ("GET", "/admin/payments/new"): B, ("POST", "/admin/payments/new"): B, ("GET", "/admin/payments/credits"): B,
    ("GET", "/admin/payments/credit/{id:\\d+}"): B, ("POST", "/admin/payments/credit/{id:\\d+}/apply"): B,
    ("POST", "/admin/payments/credit/{id:\\d+}/refund"): B,
    ("GET", "/admin/imports"): A, ("GET", "/admin/imports/export.xlsx"): A, ("POST", "/admin/imports"): A,
    ("GET", "/admin/imports/template/{kind}"): A, ("GET", "/admin/imports/{id:\\d+}"): A,
    ("GET", "/admin/imports/{id:\\d+}/progress"): A, ("GET", "/admin/imports/{id:\\d+}/report.xlsx"): A,
    ("POST", "/admin/imports/{id:\\d+}/confirm"): A,
    ("GET", "/admin/filings"): F, ("POST", "/admin/filings"): F, ("GET", "/admin/filings/export.xlsx"): F,
    ("GET", "/admin/filings/{filing_id:\\d+}"): F, ("POST", "/admin/filings/{filing_id:\\d+}"): F,
    ("POST", "/admin/filings/{filing_id:\\d+}/undo"): F,
    # entry and editing (issue 12 item 1); {id} is a client, contact, contract, service, receivable or flag id
    ("GET", "/admin/clients/{id:\\d+}"): M, ("GET", "/admin/clients/new"): A, ("POST", "/admin/clients/new"): A,
    ("GET", "/admin/clients/{id:\\d+}/edit"): L, ("POST", "/admin/clients/{id:\\d+}/edit"): L,
    ("POST", "/admin/clients/{id:\\d+}/delete"): A,
    ("GET", "/admin/clients/{id:\\d+}/contacts/new"): L, ("POST", "/admin/clients/{id:\\d+}/contacts/new"): L,
    ("GET", "/admin/client-contacts/{id:\\d+}"): L, ("POST", "/admin/client-contacts/{id:\\d+}"): L,
    ("POST", "/admin/client-contacts/{id:\\d+}/delete"): L,
    ("GET", "/admin/clients/{id:\\d+}/contracts/new"): S, ("POST", "/admin/clients/{id:\\d+}/contracts/new"): S,
    ("GET", "/admin/contracts/{id:\\d+}"): S, ("POST", "/admin/contracts/{id:\\d+}"): S,
    ("POST", "/admin/contracts/{id:\\d+}/delete"): S, ("POST", "/admin/contracts/{id:\\d+}/end"): S,
    ("POST", "/admin/contracts/{id:\\d+}/renew"): S,
    ("GET", "/admin/clients/{id:\\d+}/services/new"): S, ("POST", "/admin/clients/{id:\\d+}/services/new"): S,
    ("GET", "/admin/services/{id:\\d+}"): S, ("POST", "/admin/services/{id:\\d+}"): S,
    ("POST", "/admin/services/{id:\\d+}/delete"): S, ("POST", "/admin/services/{id:\\d+}/end"): S,
    ("POST", "/admin/services/{id:\\d+}/renew"): S,
    ("GET", "/admin/clients/{id:\\d+}/receivables/new"): B, ("POST", "/admin/clients/{id:\\d+}/receivables/new"): B,
    ("GET", "/admin/receivables/{id:\\d+}"): B, ("POST", "/admin/receivables/{id:\\d+}"): B,
    ("POST", "/admin/receivables/{id:\\d+}/delete"): B, ("POST", "/admin/contracts/{id:\\d+}/bill"): B,
    ("POST", "/admin/services/{id:\\d+}/bill"): B,
    ("POST", "/admin/clients/{id:\\d+}/missing-flags"): S, ("POST", "/admin/missing-flags/{id:\\d+}/resolve"): S,
    # {id} is also an invoice, report snapshot or 收票 record id
    ("GET", "/admin/clients/{id:\\d+}/invoices"): I, ("GET", "/admin/clients/{id:\\d+}/invoices/export.xlsx"): I,
    ("GET", "/admin/clients/{id:\\d+}/invoices/new"): I, ("POST", "/admin/clients/{id:\\d+}/invoices/new"): I,
    ("GET", "/admin/invoices/{id:\\d+}"): I, ("POST", "/admin/invoices/{id:\\d+}"): I,
    ("POST", "/admin/invoices/{id:\\d+}/delete"): I,
    ("GET", "/admin/clients/{id:\\d+}/reports/new"): R, ("POST", "/admin/clients/{id:\\d+}/reports/new"): R,
    ("GET", "/admin/reports/{id:\\d+}"): R, ("POST", "/admin/reports/{id:\\d+}"): R,
    ("POST", "/admin/reports/{id:\\d+}/delete"): R,
    ("GET", "/admin/clients/{id:\\d+}/collections/new"): C, ("POST", "/admin/clients/{id:\\d+}/collections/new"): C,
    ("GET", "/admin/collections/{id:\\d+}"): C, ("POST", "/admin/collections/{id:\\d+}"): C,
    ("GET", "/admin/knowledge"): M, ("GET", "/admin/knowledge/{id:\\d+}"): M, ("GET", "/admin/knowledge/new"): KM,
    ("POST", "/admin/knowledge/new"): KM, ("GET", "/admin/knowledge/{id:\\d+}/edit"): KM,
    ("POST", "/admin/knowledge/{id:\\d+}/edit"): KM, ("POST", "/admin/knowledge/delete"): KM,
    ("POST", "/admin/knowledge/audit"): KA, ("POST", "/admin/knowledge/unaudit"): KA,
    ("GET", "/admin/knowledge/export.xlsx"): KM, ("GET", "/admin/knowledge/categories"): KM,
    ("POST", "/admin/knowledge/categories"): KM, ("POST", "/admin/knowledge/categories/{id:\\d+}/rename"): KM,
    ("POST", "/admin/knowledge/categories/{id:\\d+}/move"): KM, ("POST", "/admin/knowledge/categories/delete"): KM,
    ("GET", "/admin/knowledge/imports"): KM, ("POST", "/admin/knowledge/imports"): KM,
    ("GET", "/admin/knowledge/imports/template.xlsx"): KM, ("GET", "/admin/knowledge/imports/{id:\\d+}"): KM,
    ("GET", "/admin/knowledge/imports/{id:\\d+}/report.xlsx"): KM, ("GET", "/admin/knowledge/gaps"): KM,
    ("POST", "/admin/knowledge/gaps/{id:\\d+}/draft"): KM, ("POST", "/admin/knowledge/gaps/dismiss"): KM,
    ("GET", "/admin/knowledge/synonyms"): KM, ("POST", "/admin/knowledge/synonyms"): KM,
    ("POST", "/admin/knowledge/synonyms/{id:\\d+}/delete"): KM, ("POST", "/admin/knowledge/synonyms/starter"): KM,
    ("GET", "/admin/api-tokens"): A, ("POST", "/admin/api-tokens"): A, ("POST", "/admin/api-tokens/{id:\\d+}/revoke"): A,
}
# Who signs in as what: the super admin, an admin, a 职员 with every 企业微信 permission, one with none, and
# 职员 with only 知识库维护 or only 知识库审核.
ROLES = {"super_admin": "admin", "admin": "newbie", "staff_link": "lixiaomei", "staff_plain": "wanggang",
         "kb_maintain": "kbwriter", "kb_audit": "kbchecker"}
MAY = {"super_admin": {M, A, L, B, F, S, KM, KA, I, R, C}, "admin": {M, A, L, B, F, S, KM, KA, I, R, C},
       "staff_link": {M, L, B, F, S, I, R, C},
       "staff_plain": {M}, "kb_maintain": {M, KM}, "kb_audit": {M, KA}}
WRITES = (models.Staff, models.AuditLog, models.ContactClientLink, models.GroupClientLink, models.HandoverRun,
          models.BindingCode, models.SyncRun, models.DriftCheck, models.Payment, models.PaymentAllocation,
          models.CreditRefund, models.ImportRun, models.Client, models.ClientContact, models.Contract, models.Service,
          models.Receivable, models.MissingInvoiceFlag, models.KnowledgeEntry, models.KnowledgeCategory,
          models.KnowledgeGap, models.KnowledgeSynonym, models.ApiToken, models.Invoice, models.ReportSnapshot,
          models.InvoiceCollection, models.CollectionItem)


def _prepare(ids: dict) -> dict:
    models.Staff.create(name="管理员小周", role="admin", wecom_userid="newbie")
    models.Staff.create(name="知识维护小林", role="staff", wecom_userid="kbwriter", permissions=["knowledge.maintain"])
    models.Staff.create(name="知识审核老陈", role="staff", wecom_userid="kbchecker", permissions=["knowledge.audit"])
    models.Staff.update(permissions=[]).where(models.Staff.id == ids["wang"].id).execute()
    contact = models.ExternalContact.get(models.ExternalContact.external_userid == "wmHuaxiaBoss")
    group = models.CustomerGroup.get(models.CustomerGroup.chat_id == "wrHuaxiaGroup")
    run = models.HandoverRun.create(from_staff=ids["wang"], from_name="王刚", by_staff=ids["admin"])
    filing = models.TaxFiling.create(client=ids["huaxia"], period="2026-10", tax="vat", status="filed", amount_fen=100)
    return {"id": str(ids["wang"].id), "run_id": str(run.id), "kind": "contacts", "contact": str(contact.id),
            "group": str(group.id), "filing_id": str(filing.id)}


def _path(template: str, values: dict) -> str:
    path = template.replace("{id:\\d+}", values["id"]).replace("{run_id}", values["run_id"])
    path = path.replace("{kind}", values["kind"]).replace("{filing_id:\\d+}", values["filing_id"])
    if path.startswith("/admin/contacts/{id}"):
        return path.replace("{id}", values["contact"])
    return path.replace("{id}", values["group"])


def _counts() -> list[int]:
    return [model.select().count() for model in WRITES]


@pytest.fixture
async def world(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    for userid, name in (("kbwriter", "知识维护小林"), ("kbchecker", "知识审核老陈")):
        stack.fake.add_member({"userid": userid, "name": name, "department": [1]})
    values = await run_sync(stack, _prepare, ids)
    yield stack, ids, values
    await stop_stack(stack)


async def test_every_console_route_is_in_the_table(world):
    stack, _, _ = world
    routes = {(spec.method, spec.path) for spec in stack.app[CONSOLE_ROUTES]}
    assert routes == set(TABLE), "add the new route to TABLE with who may use it"


async def _ask(client, method: str, path: str):
    if method == "GET":
        return await client.get(path)
    return await client.post(path, data={})


async def test_each_route_answers_each_member_as_the_table_says(world):
    stack, _, values = world
    for role, userid in ROLES.items():
        client = await open_console(stack, userid)
        try:
            for (method, template), need in TABLE.items():
                if template == "/admin/logout":
                    continue  # asked last: it ends the session
                path = _path(template, values)
                before = await run_sync(stack, _counts) if method == "POST" and need not in MAY[role] else None
                status, body, headers = await _ask(client, method, path)
                where = f"{role} {method} {path}"
                if need in MAY[role]:
                    assert status not in (401, 403) and status < 500, (where, status, str(body)[:300])
                    assert not (status == 302 and headers["Location"].startswith("/admin/login")), where
                    if method == "GET" and isinstance(body, str):
                        tokens = re.findall(r'name="_csrf" value="([^"]*)"', body)
                        assert all(token == client.csrf for token in tokens), (where, "a form without the token")
                else:
                    assert status == 403 and "没有权限" in body, (where, status)
                    if before is not None:
                        assert await run_sync(stack, _counts) == before, (where, "a refused write changed data")
            status, _, _ = await client.post("/admin/logout")
            assert status == 302, role
        finally:
            await client.close()


async def test_a_deactivated_member_and_nobody_are_sent_to_sign_in(world):
    stack, ids, values = world
    wang = await open_console(stack, "wanggang")
    await run_sync(stack, lambda: models.Staff.update(active=False).where(models.Staff.id == ids["wang"].id)
                   .execute())
    nobody = aiohttp.ClientSession()
    try:
        before = await run_sync(stack, _counts)
        for (method, template) in TABLE:
            path = _path(template, values)
            status, body, headers = await _ask(wang, method, path)
            if method == "GET":
                assert status == 302 and headers["Location"].startswith("/admin/login"), (method, path, status)
            else:
                assert status == 401 and "登录已失效" in body, (method, path, status)
            async with nobody.request(method, stack.url(path), data={"_csrf": wang.csrf},
                                      allow_redirects=False) as r:
                assert r.status == (302 if method == "GET" else 401), (method, path, r.status)
        assert await run_sync(stack, _counts) == before
    finally:
        await wang.close()
        await nobody.close()
