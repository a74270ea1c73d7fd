"""A tiny agency for dispatch and sidebar tests, matching conftest.SMALL_DIRECTORY."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import models

AGENCY_TZ = ZoneInfo("Asia/Shanghai")


def agency_today() -> date:
    """Today in the agency's zone: what the product counts days from (the machine runs on UTC)."""
    return datetime.now(AGENCY_TZ).date()


def small_agency(today: date | None = None) -> dict:
    """Admin 张总, manager 李小梅 (华夏科技, via contact and group), accountant 王刚 (锦程贸易)."""
    with models.db.atomic():  # one commit for the whole set-up, not one (and a sync to disk) per row
        return _small_agency(today or agency_today())


def _small_agency(today: date) -> dict:
    admin = models.Staff.create(name="张总", role="super_admin", wecom_userid="admin")
    li = models.Staff.create(name="李小梅", role="staff", wecom_userid="lixiaomei", permissions=models.WECOM_PERMISSIONS)
    wang = models.Staff.create(name="王刚", role="staff", wecom_userid="wanggang", permissions=models.WECOM_PERMISSIONS)
    huaxia = models.Client.create(name="杭州华夏科技有限公司", short_name="华夏科技", taxpayer_type="general",
                                  manager=li, tax_id="91330100MA2H000001")
    huaxin = models.Client.create(name="杭州华信建材有限公司", short_name="华信建材", taxpayer_type="small",
                                  manager=li)
    jincheng = models.Client.create(name="上海锦程贸易有限公司", short_name="锦程贸易", taxpayer_type="small",
                                    accountant=wang)
    boss = models.ExternalContact.create(external_userid="wmHuaxiaBoss", name="陈总", corp_name="华夏科技")
    cashier = models.ExternalContact.create(external_userid="wmJinchengCashier", name="刘出纳", corp_name="锦程贸易")
    models.FollowRelation.create(contact=boss, userid="lixiaomei", remark="华夏陈总")
    models.FollowRelation.create(contact=cashier, userid="wanggang")
    models.ContactClientLink.create(contact=boss, client=huaxia)
    models.ContactClientLink.create(contact=cashier, client=jincheng)
    group = models.CustomerGroup.create(chat_id="wrHuaxiaGroup", name="华夏科技服务群", owner_userid="lixiaomei")
    models.GroupMember.create(group=group, member_id="lixiaomei", member_type=1)
    models.GroupClientLink.create(group=group, client=huaxia)
    models.Service.create(client=huaxia, kind="bookkeeping", name="代理记账", start_date=today - timedelta(days=340),
                          end_date=today + timedelta(days=25), fee_fen=360000)
    models.Receivable.create(client=huaxia, item="代理记账费", period_start="2026-01", period_end="2026-06",
                             amount_fen=180000, paid_fen=30050, due_date=today - timedelta(days=10), status="partial")
    return {"admin": admin, "li": li, "wang": wang, "huaxia": huaxia, "huaxin": huaxin, "jincheng": jincheng}
