"""The demo agency: a believable, repeatable data set that matches the demo WeCom directory.

Runs on SQLite by default and on PostgreSQL when DATABASE_URL starts with postgresql://.
"""
import collections
import contextlib
import datetime as dt
import os
import time
import uuid

import peewee
import psycopg2
import pytest
from peewee import fn

import models
from bot import migrate
from seed.demo import SeedError, seed_demo
from seed.world import demo_directory

DATABASE_URL = os.environ.get('DATABASE_URL', '')
ON_POSTGRES = DATABASE_URL.startswith('postgresql://')
TODAY = dt.date(2026, 11, 26)


# --- fixtures (self-contained; shared ones may later move to conftest.py) -----

def _pg_admin(sql: str) -> None:
    conn = psycopg2.connect(DATABASE_URL)
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


@contextlib.contextmanager
def fresh_database(directory):
    """A migrated, empty database bound to models.db: a new SQLite file or a new PG schema."""
    name = f'zf_test_{uuid.uuid4().hex[:10]}'
    if ON_POSTGRES:
        _pg_admin(f'CREATE SCHEMA {name}')
        database = peewee.PostgresqlDatabase(DATABASE_URL, options=f'-c search_path={name}')
    else:
        database = peewee.SqliteDatabase(
            str(directory / f'{name}.sqlite3'),
            pragmas={'journal_mode': 'wal', 'foreign_keys': 1, 'busy_timeout': 30000}, lock_type='IMMEDIATE')
    models.db.initialize(database)
    migrate.upgrade(database)
    try:
        yield database
    finally:
        database.close()
        models.db.initialize(None)
        if ON_POSTGRES:
            _pg_admin(f'DROP SCHEMA IF EXISTS {name} CASCADE')


@pytest.fixture(scope='module')
def seeded_database(tmp_path_factory):
    """One database holding the demo agency as of TODAY, shared by the read-only tests."""
    with fresh_database(tmp_path_factory.mktemp('seed')) as database:
        started = time.monotonic()
        counts = seed_demo(TODAY)
        database.seed_seconds, database.seed_counts = time.monotonic() - started, counts
        yield database


@pytest.fixture
def demo(seeded_database):
    """models.db bound to the seeded demo database."""
    models.db.initialize(seeded_database)
    yield seeded_database
    models.db.initialize(None)


@pytest.fixture
def database(tmp_path):
    """models.db bound to a migrated, empty database of its own."""
    with fresh_database(tmp_path) as database:
        yield database


# --- the WeCom directory -------------------------------------------------------

def test_directory_is_identical_across_calls():
    first, second = demo_directory(), demo_directory()
    assert first == second
    assert first is not second


def test_directory_shape_and_size():
    directory = demo_directory()
    userids = [m['userid'] for m in directory['members']]
    assert userids[0] == 'admin' and 'newbie' in userids and len(userids) == len(set(userids)) == 9
    assert 100 <= len(directory['contacts']) <= 140
    assert 35 <= len(directory['groups']) <= 45
    assert any(len(c['follow_users']) == 2 for c in directory['contacts'])
    for contact in directory['contacts']:
        assert contact['external_userid'].startswith('wm') and contact['type'] in (1, 2)
        assert {f['userid'] for f in contact['follow_users']} <= set(userids)
    for group in directory['groups']:
        assert group['chat_id'].startswith('wr') and group['name'].endswith('服务群')
        assert group['owner'] in userids
        assert {m['join_scene'] for m in group['member_list']} <= {1, 2, 3}


# --- the records -------------------------------------------------------------------

def test_seeding_is_sized_like_an_agency(demo):
    assert 45 <= models.Client.select().count() <= 60
    assert demo.seed_counts['client'] == models.Client.select().count()
    assert models.Client.select().where(models.Client.taxpayer_type == 'general').count() >= 10
    assert models.Client.select().where(models.Client.pinyin_initials == '').count() == 0
    huaxia = models.Client.get(models.Client.short_name == '华夏科技')
    assert huaxia.name == '杭州华夏科技有限公司' and 'hxkj' in huaxia.pinyin_initials
    unassigned = models.Client.manager.is_null() | models.Client.accountant.is_null()
    assert models.Client.select().where(unassigned).count() == 0


def test_staff_bindings(demo):
    admin = models.Staff.get(models.Staff.wecom_userid == 'admin')
    assert admin.role == 'super_admin' and admin.bound_at is not None
    assert not models.Staff.select().where(models.Staff.wecom_userid == 'newbie').exists()
    newbie = next(m for m in demo_directory()['members'] if m['userid'] == 'newbie')
    unbound = models.Staff.get(models.Staff.mobile == newbie['mobile'])
    assert unbound.wecom_userid is None and unbound.name == newbie['name']
    members = {m['userid'] for m in demo_directory()['members']}
    bound = {s.wecom_userid for s in models.Staff.select().where(models.Staff.wecom_userid.is_null(False))}
    assert bound == members - {'newbie'}


def test_records_match_the_directory(demo):
    directory = demo_directory()
    contacts = {c.external_userid for c in models.ExternalContact.select()}
    assert contacts == {c['external_userid'] for c in directory['contacts']}
    assert {g.chat_id for g in models.CustomerGroup.select()} == {g['chat_id'] for g in directory['groups']}
    follows = {(f.contact.external_userid, f.userid)
               for f in models.FollowRelation.select(models.FollowRelation, models.ExternalContact)
               .join(models.ExternalContact)}
    assert follows == {(c['external_userid'], f['userid']) for c in directory['contacts'] for f in c['follow_users']}
    members = {(m.group.chat_id, m.member_id, m.member_type)
               for m in models.GroupMember.select(models.GroupMember, models.CustomerGroup).join(models.CustomerGroup)}
    assert members == {(g['chat_id'], m['userid'], m['type']) for g in directory['groups'] for m in g['member_list']}


def test_links_cover_every_contact_and_group(demo):
    linked = (models.ContactClientLink.select(models.ContactClientLink.contact, fn.COUNT(models.ContactClientLink.id))
              .group_by(models.ContactClientLink.contact).tuples())
    per_contact = dict(linked)
    assert len(per_contact) == models.ExternalContact.select().count()
    assert any(n >= 2 for n in per_contact.values())  # a boss owning two companies
    groups = dict(models.GroupClientLink.select(models.GroupClientLink.group, fn.COUNT(models.GroupClientLink.id))
                  .group_by(models.GroupClientLink.group).tuples())
    assert len(groups) == models.CustomerGroup.select().count() and max(groups.values()) >= 2


def test_services_include_expiring_and_expired(demo):
    bookkeeping = models.Service.select().where(models.Service.kind == 'bookkeeping')
    soon = bookkeeping.where(models.Service.status == 'active',
                             models.Service.end_date.between(TODAY, TODAY + dt.timedelta(days=30)))
    assert soon.count() >= 3
    assert bookkeeping.where(models.Service.status == 'expired', models.Service.end_date < TODAY).count() >= 2
    assert models.Service.select().where(models.Service.kind == 'business').count() >= 5
    assert {s.client_id for s in bookkeeping} == {c.id for c in models.Client.select()}


def test_receivables_mix_paid_partial_and_overdue(demo):
    statuses = collections.Counter(r.status for r in models.Receivable.select())
    assert statuses['paid'] > statuses['open'] > 0 and statuses['partial'] > 0
    overdue = models.Receivable.select().where(models.Receivable.status.in_(['open', 'partial']),
                                               models.Receivable.due_date < TODAY)
    assert overdue.count() >= 5
    huaxia = models.Client.get(models.Client.short_name == '华夏科技')
    assert any(r.outstanding_fen > 0 for r in overdue if r.client_id == huaxia.id)
    allocated = dict(models.PaymentAllocation.select(models.PaymentAllocation.receivable,
                                                     fn.SUM(models.PaymentAllocation.amount_fen))
                     .group_by(models.PaymentAllocation.receivable).tuples())
    for receivable in models.Receivable.select():
        assert receivable.paid_fen == int(allocated.get(receivable.id, 0))
        assert receivable.status == receivable.settled_status()
        assert receivable.due_date >= TODAY - dt.timedelta(days=366)


def assert_receipts_gapless_per_year():
    """Every year's receipt numbers run 000001..N with no gap, in date order, matching the counters."""
    by_year = collections.defaultdict(list)
    for payment in models.Payment.select().order_by(models.Payment.receipt_no):
        year, number = payment.receipt_no.split('-')
        assert int(year) == payment.paid_on.year
        by_year[year].append((int(number), payment.paid_on))
    for entries in by_year.values():
        assert [n for n, _ in entries] == list(range(1, len(entries) + 1))
        assert [d for _, d in entries] == sorted(d for _, d in entries)
    counters = {c.key: c.last_value for c in models.ReceiptCounter.select()}
    assert counters == {f'receipt-{y}': len(n) for y, n in by_year.items()}
    return by_year


def test_receipt_numbers_are_gapless_per_year(demo):
    by_year = assert_receipts_gapless_per_year()
    assert by_year[str(TODAY.year)][0][0] == 1


def test_collections_cover_three_periods_with_some_open(demo):
    work = models.shift_period(models.period_of(TODAY), -1)
    periods = [models.shift_period(work, -2), models.shift_period(work, -1), work]
    rows = list(models.InvoiceCollection.select())
    assert sorted({c.period for c in rows}) == periods
    assert all(c.status == 'complete' for c in rows if c.period != work)
    assert 0 < sum(c.status == 'open' for c in rows if c.period == work) < models.Client.select().count()
    kinds = {i.kind for i in models.CollectionItem.select()}
    assert kinds == set(models.COLLECTION_KINDS)
    flagged = models.MissingInvoiceFlag.select().where(models.MissingInvoiceFlag.resolved_at.is_null())
    assert flagged.count() >= 3 and all(f.period == work for f in flagged)


def test_invoices_have_realistic_rates(demo):
    small_output = (models.Invoice.select(models.Invoice.rate_bp).join(models.Client)
                    .where(models.Client.taxpayer_type == 'small', models.Invoice.direction == 'output'))
    assert {i.rate_bp for i in small_output} == {100}
    assert {1300, 600, 300, 100} <= {i.rate_bp for i in models.Invoice.select(models.Invoice.rate_bp)}
    for invoice in models.Invoice.select():
        assert invoice.amount_fen > 0
        assert invoice.tax_fen == (invoice.amount_fen * invoice.rate_bp + 5000) // 10000
        assert invoice.issue_date <= TODAY and models.period_of(invoice.issue_date) == invoice.period


def test_filings_follow_taxpayer_cycles(demo):
    vat = models.TaxFiling.select(models.TaxFiling, models.Client).join(models.Client).where(
        models.TaxFiling.tax == 'vat')
    cycles = {(f.client.taxpayer_type, f.cycle) for f in vat}
    assert cycles == {('small', 'quarterly'), ('general', 'monthly')}
    assert all(f.period[5:] in ('03', '06', '09', '12') for f in vat if f.cycle == 'quarterly')
    statuses = {f.status for f in models.TaxFiling.select()}
    assert statuses == {'pending', 'filed', 'paid'}
    assert all(f.filed_at is None for f in models.TaxFiling.select().where(models.TaxFiling.status == 'pending'))


def _subtotal(report, *names):
    return sum(report.line_fen(name) for name in names)


def test_report_snapshots_balance(demo):
    reports = list(models.ReportSnapshot.select())
    assert {r.kind for r in reports} == {'balance_sheet', 'income_statement'}
    assert len({r.period for r in reports}) == 3
    for report in reports:
        if report.kind == 'balance_sheet':
            assert report.line_fen('资产合计') == report.line_fen('负债和所有者权益合计')
            assert report.line_fen('资产合计') == _subtotal(report, '流动资产合计', '非流动资产合计')
            assert report.line_fen('流动资产合计') == _subtotal(report, '货币资金', '应收账款', '预付账款',
                                                              '其他应收款', '存货')
            assert report.line_fen('所有者权益合计') == _subtotal(report, '实收资本', '资本公积', '盈余公积',
                                                              '未分配利润')
        else:
            operating = report.line_fen('营业收入') - _subtotal(report, '营业成本', '税金及附加', '销售费用',
                                                                '管理费用', '财务费用')
            assert report.line_fen('营业利润') == operating
            assert report.line_fen('净利润') == report.line_fen('利润总额') - report.line_fen('所得税费用')
        assert all(isinstance(line['amount_fen'], int) for line in report.lines)


def test_knowledge_base_has_two_levels_and_drafts(demo):
    tops = models.KnowledgeCategory.select().where(models.KnowledgeCategory.parent.is_null())
    assert {c.name for c in tops} >= {'税务', '工商', '社保'}
    children = models.KnowledgeCategory.select().where(models.KnowledgeCategory.parent.is_null(False))
    assert all(c.parent.parent_id is None for c in children)
    entries = list(models.KnowledgeEntry.select())
    assert len(entries) >= 100  # the starter knowledge base (seed/knowledge_data.py)
    drafts = [e for e in entries if not e.audited]
    assert 0 < len(drafts) < len(entries) / 4
    assert all(e.audited_by_id and e.audited_at for e in entries if e.audited)
    assert all(e.category.parent_id is not None for e in entries)


# --- repeatability and safety -------------------------------------------------------

def _fingerprint():
    """What two seedings must agree on."""
    return {
        'clients': list(models.Client.select(models.Client.name, models.Client.tax_id, models.Client.status)
                        .order_by(models.Client.id).tuples()),
        'payments': list(models.Payment.select(models.Payment.receipt_no, models.Payment.amount_fen,
                                               models.Payment.paid_on).order_by(models.Payment.id).tuples()),
        'invoices': list(models.Invoice.select(models.Invoice.number, models.Invoice.amount_fen)
                         .order_by(models.Invoice.id).tuples()),
        'reports': [r.lines for r in models.ReportSnapshot.select().order_by(models.ReportSnapshot.id)],
    }


def test_seeding_twice_refuses_and_keeps_data(database):
    seed_demo(TODAY)
    clients = models.Client.select().count()
    with pytest.raises(SeedError, match='数据库中已有数据'):
        seed_demo(TODAY)
    assert models.Client.select().count() == clients


def test_seed_refuses_a_database_with_clients(database):
    models.Client.create(name='真实客户有限公司')
    with pytest.raises(SeedError):
        seed_demo(TODAY)
    assert models.Client.select().count() == 1


def test_two_seedings_write_identical_data(demo, tmp_path):
    first = _fingerprint()
    with fresh_database(tmp_path):
        seed_demo(TODAY)
        second = _fingerprint()
    assert first == second


def test_seed_works_across_a_year_boundary(database):
    seed_demo(dt.date(2027, 1, 5))
    work = '2026-12'
    assert models.InvoiceCollection.select().where(models.InvoiceCollection.period == work).exists()
    quarterly = models.TaxFiling.select().where(models.TaxFiling.cycle == 'quarterly')
    assert {f.period for f in quarterly} == {'2026-12'}
    assert '2026' in assert_receipts_gapless_per_year()
    for report in models.ReportSnapshot.select().where(models.ReportSnapshot.kind == 'balance_sheet'):
        assert report.line_fen('资产合计') == report.line_fen('负债和所有者权益合计')
