"""A client's 增值税申报周期 (vat_cycle): migration 19 on a database from before it keeps every client unset
(inferred, as before), and the 客户 reply and the sidebar's 基础资料 show the cycle next to the taxpayer type once
it is set. The console, import, API and estimate channels are tested with their own pages
(test_admin_clients_edit, test_records_import, test_api, test_invoices_vat_rules)."""
import pytest

import models
from bot import migrate
from handlers.invoices.rules import filing_cycle, vat_cycle_problem
from tests.cmdbot import agency, bot  # noqa: F401 (fixtures)
from tests.conftest import run_sync
from tests.factories import small_agency
from tests.sidebar_client import open_sidebar


def _back_to_version_18(database) -> None:
    database.execute_sql('ALTER TABLE "client" DROP COLUMN "vat_cycle"')
    database.execute_sql("DELETE FROM schema_migration WHERE version = 19")


def test_migration_19_keeps_clients_and_leaves_their_cycle_inferred(database):
    ids = small_agency()
    models.ClientContact.create(client=ids["huaxin"], name="赵会计")
    models.TaxFiling.create(client=ids["huaxin"], period="2026-09", tax="vat", cycle="monthly", status="filed")
    _back_to_version_18(database)
    assert "vat_cycle" not in {c.name for c in database.get_columns("client")}
    assert migrate.current_version(database) == 18
    assert migrate.upgrade(database) == ["clients: VAT filing cycle (vat_cycle)"]
    clients = {c.short_name: c for c in models.Client.select()}
    assert {name: c.vat_cycle for name, c in clients.items()} == {"华夏科技": "", "华信建材": "", "锦程贸易": ""}
    assert clients["华夏科技"].tax_id == "91330100MA2H000001" and clients["华夏科技"].manager_id == ids["li"].id
    assert [c.name for c in clients["华信建材"].contacts] == ["赵会计"]
    assert filing_cycle(clients["华信建材"], "2026-10") == "monthly"  # still its return's, as before
    assert filing_cycle(clients["锦程贸易"], "2026-10") == "quarterly"
    huaxin = clients["华信建材"]
    huaxin.vat_cycle = "quarterly"
    huaxin.save()
    assert filing_cycle(models.Client.get_by_id(huaxin.id), "2026-10") == "quarterly"
    assert migrate.upgrade(database) == []


@pytest.mark.parametrize("taxpayer, cycle, refused", [
    ("general", "quarterly", True), ("general", "monthly", False), ("general", "", False),
    ("small", "quarterly", False), ("small", "monthly", False), ("small", "", False)])
def test_only_a_general_taxpayer_filing_quarterly_is_refused(taxpayer, cycle, refused):
    assert bool(vat_cycle_problem(taxpayer, cycle)) is refused


async def test_the_client_reply_shows_the_cycle_only_once_set(bot, agency):  # noqa: F811
    text = await bot.send("lixiaomei", "客户 华信建材")
    assert "纳税人类型：小规模纳税人\n" in text and "申报）" not in text.split("\n")[1]
    agency["huaxin"].vat_cycle = "quarterly"
    agency["huaxin"].save()
    text = await bot.send("lixiaomei", "客户 华信建材")
    assert "纳税人类型：小规模纳税人（按季申报）\n" in text


async def test_the_sidebar_profile_carries_the_cycle(stack):
    ids = await run_sync(stack, small_agency)
    sidebar = await open_sidebar(stack, "lixiaomei", external_userid="wmHuaxiaBoss")
    try:
        path = f"/sidebar/api/clients/{ids['huaxia'].id}/profile"
        status, body = await sidebar.get(path)
        assert status == 200 and (body["taxpayer"], body["vat_cycle"]) == ("一般纳税人", "")
        await run_sync(stack, lambda: models.Client.update(vat_cycle="monthly")
                       .where(models.Client.id == ids["huaxia"].id).execute())
        assert (await sidebar.get(path))[1]["vat_cycle"] == "按月"
    finally:
        await sidebar.close()
