"""已关联客户 in the console (L6): staff see their visible clients only, admins all; every filter and the search
change the rows; the service state follows the services rule; the export holds the filtered rows."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

import models
from tests.conftest import run_sync, start_stack, stop_stack
from tests.console_client import open_console
from tests.factories import agency_today, small_agency

OPEN = []


def _extra():
    """锦程贸易: a lapsed service and a tag; 华信建材: a long-running service; a client named like a formula."""
    today = agency_today()
    jincheng = models.Client.get(models.Client.short_name == "锦程贸易")
    jincheng.tags = ["重点客户"]
    jincheng.save()
    models.Service.create(client=jincheng, kind="bookkeeping", name="代理记账", start_date=today - timedelta(days=400),
                          end_date=today - timedelta(days=10), fee_fen=100000)
    huaxin = models.Client.get(models.Client.short_name == "华信建材")
    models.Service.create(client=huaxin, kind="bookkeeping", name="代理记账", start_date=today - timedelta(days=10),
                          end_date=today + timedelta(days=300), fee_fen=100000)
    models.Client.create(name="=1+1 有限公司", short_name="公式", taxpayer_type="general", vat_cycle="monthly")


@pytest.fixture
async def console(db_url, fake_server):
    stack = await start_stack(db_url, fake_server)
    ids = await run_sync(stack, small_agency)
    await run_sync(stack, _extra)
    yield stack, ids
    while OPEN:
        await OPEN.pop().close()
    await stop_stack(stack)


async def _as(stack, userid):
    client = await open_console(stack, userid)
    OPEN.append(client)
    return client


def _names(page: str) -> list[str]:
    return [name for name in ("杭州华夏科技有限公司", "杭州华信建材有限公司", "上海锦程贸易有限公司", "=1+1 有限公司")
            if name in page]


async def test_staff_see_their_clients_admins_all(console):
    stack, _ = console
    li = await _as(stack, "lixiaomei")
    status, page, _ = await li.get("/admin/clients")
    assert status == 200 and _names(page) == ["杭州华夏科技有限公司", "杭州华信建材有限公司"]
    assert "陈总" in page and "华夏科技服务群" in page and "李小梅" in page
    admin = await _as(stack, "admin")
    _, page, _ = await admin.get("/admin/clients")
    assert len(_names(page)) == 4 and "共 4 条" in page


async def test_filters_and_search(console):
    stack, ids = console
    admin = await _as(stack, "admin")
    cases = [({"state": "expiring"}, ["杭州华夏科技有限公司"]), ({"state": "active"}, ["杭州华信建材有限公司"]),
             ({"state": "expired"}, ["上海锦程贸易有限公司"]), ({"state": "none"}, ["=1+1 有限公司"]),
             ({"linked": "yes"}, ["杭州华夏科技有限公司", "上海锦程贸易有限公司"]),
             ({"linked": "no"}, ["杭州华信建材有限公司", "=1+1 有限公司"]),
             ({"taxpayer": "general"}, ["杭州华夏科技有限公司", "=1+1 有限公司"]),
             ({"cycle": "monthly"}, ["=1+1 有限公司"]), ({"cycle": "quarterly"}, []),
             ({"cycle": "unset"}, ["杭州华夏科技有限公司", "杭州华信建材有限公司", "上海锦程贸易有限公司"]),
             ({"tag": "重点客户"}, ["上海锦程贸易有限公司"]),
             ({"staff": str(ids["wang"].id)}, ["上海锦程贸易有限公司"]),
             ({"staff": str(ids["li"].id)}, ["杭州华夏科技有限公司", "杭州华信建材有限公司"]),
             ({"q": "91330100MA2H"}, ["杭州华夏科技有限公司"]), ({"q": "华信"}, ["杭州华信建材有限公司"])]
    for query, expected in cases:
        _, page, _ = await admin.get("/admin/clients", **query)
        assert _names(page) == expected, query
    _, page, _ = await admin.get("/admin/clients", state="expiring")
    assert "即将到期" in page
    # A filter never widens what a staff member sees.
    wang = await _as(stack, "wanggang")
    _, page, _ = await wang.get("/admin/clients", linked="no")
    assert _names(page) == []


async def test_export_holds_the_filtered_rows_and_neutralises_formulas(console):
    stack, _ = console
    admin = await _as(stack, "admin")
    status, body, headers = await admin.get("/admin/clients/export.xlsx", taxpayer="general")
    assert status == 200 and "spreadsheetml" in headers["Content-Type"]
    sheet = load_workbook(io.BytesIO(body)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["客户名称", "税号", "纳税人类型", "增值税申报周期", "客户经理", "会计", "服务状态", "关联联系人",
                       "关联客户群", "标签"]
    assert [r[0] for r in rows[1:]] == ["=1+1 有限公司", "杭州华夏科技有限公司"]
    assert rows[1][3] == "按月"
    assert rows[2][1:8] == ["91330100MA2H000001", "一般纳税人", "未设置", "李小梅", None, "即将到期", "陈总"]
    assert sheet["A2"].data_type == "s" and sheet["A2"].quotePrefix
    li = await _as(stack, "lixiaomei")
    _, body, _ = await li.get("/admin/clients/export.xlsx")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(body)).active.iter_rows()]
    assert [r[0] for r in rows[1:]] == ["杭州华信建材有限公司", "杭州华夏科技有限公司"]
