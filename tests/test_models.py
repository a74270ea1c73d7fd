"""The data catalogue: exact money, aware times, periods, constraints, migrations, gapless receipts.

Runs on SQLite by default and on PostgreSQL when DATABASE_URL starts with postgresql://.
"""
import datetime as dt
import multiprocessing
import os
import uuid
from zoneinfo import ZoneInfo

import peewee
import psycopg2
import pytest
from peewee import CharField, IntegerField, IntegrityError
from playhouse.migrate import SchemaMigrator

import models
from bot import migrate

DATABASE_URL = os.environ.get('DATABASE_URL', '')
ON_POSTGRES = DATABASE_URL.startswith('postgresql://')
SHANGHAI = ZoneInfo('Asia/Shanghai')


# --- fixtures (self-contained; shared ones may later move to conftest.py) -----

def open_database(target: str, schema: str | None = None) -> peewee.Database:
    """A database like the app's: a PostgreSQL URL (with a schema) or a SQLite file path."""
    if target.startswith('postgresql://'):
        return peewee.PostgresqlDatabase(target, options=f'-c search_path={schema}')
    return peewee.SqliteDatabase(
        target, pragmas={'journal_mode': 'wal', 'foreign_keys': 1, 'busy_timeout': 30000},
        timeout=30, lock_type='IMMEDIATE')


def _pg_admin(sql: str) -> None:
    conn = psycopg2.connect(DATABASE_URL)
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


@pytest.fixture(scope='session')
def pg_schema():
    """A throwaway PostgreSQL schema for this test session."""
    if not ON_POSTGRES:
        yield None
        return
    schema = f'zf_test_{uuid.uuid4().hex[:10]}'
    _pg_admin(f'CREATE SCHEMA {schema}')
    yield schema
    _pg_admin(f'DROP SCHEMA IF EXISTS {schema} CASCADE')


@pytest.fixture
def db_target(tmp_path, pg_schema):
    """(target, schema) of an empty database: a fresh SQLite file or the emptied PG schema."""
    if ON_POSTGRES:
        _pg_admin(f'DROP SCHEMA IF EXISTS {pg_schema} CASCADE; CREATE SCHEMA {pg_schema}')
        return DATABASE_URL, pg_schema
    return str(tmp_path / 'zhangfang.sqlite3'), None


@pytest.fixture
def bare_database(db_target):
    """models.db bound to an empty database, without tables."""
    database = open_database(*db_target)
    models.db.initialize(database)
    yield database
    database.close()
    models.db.initialize(None)


@pytest.fixture
def database(bare_database, db_target, migrated_template):
    """models.db bound to a migrated, empty database: a copy of the one migrated once per session
    (tests/dbtemplate.py); the tests of the migrations themselves take bare_database."""
    target, schema = db_target
    if schema is None:
        migrated_template.clone(target, models.utcnow())
    else:
        migrated_template.fill(schema, models.utcnow())
    return bare_database


def make_client(name='杭州华夏科技有限公司', **fields):
    return models.Client.create(name=name, short_name=fields.pop('short_name', '华夏科技'), **fields)


# --- field types -------------------------------------------------------------

FORBIDDEN_FIELDS = (peewee.FloatField, peewee.DoubleField, peewee.DecimalField)


def test_no_float_or_decimal_field_anywhere():
    offenders = [f'{model.__name__}.{name}' for model in models.ALL_MODELS
                 for name, field in model._meta.fields.items() if isinstance(field, FORBIDDEN_FIELDS)]
    assert offenders == []


def test_every_fen_field_is_money_and_money_is_only_fen():
    fen = {(m.__name__, n): isinstance(f, models.MoneyField)
           for m in models.ALL_MODELS for n, f in m._meta.fields.items() if n.endswith('_fen')}
    assert fen and all(fen.values()), [k for k, ok in fen.items() if not ok]
    money = [(m.__name__, n) for m in models.ALL_MODELS for n, f in m._meta.fields.items()
             if isinstance(f, models.MoneyField)]
    assert all(name.endswith('_fen') for _, name in money)


def test_money_refuses_floats_and_keeps_big_integers(database):
    client = make_client()
    with pytest.raises(TypeError):
        models.Contract.create(client=client, number='HT-1', title='代理记账服务合同', start_date=dt.date(2026, 1, 1),
                               end_date=dt.date(2026, 12, 31), amount_fen=1234.5)
    big = 9_000_000_000_000_01  # 90 trillion yuan and a fen: beyond 32 bits, exact
    models.Contract.create(client=client, number='HT-2', title='代理记账服务合同', start_date=dt.date(2026, 1, 1),
                           end_date=dt.date(2026, 12, 31), amount_fen=big)
    total = models.Contract.select(peewee.fn.SUM(models.Contract.amount_fen)).scalar()
    assert models.Contract.get(number='HT-2').amount_fen == big
    assert int(total) == big


def test_aware_datetime_round_trips_the_same_instant(database):
    local = dt.datetime(2026, 10, 15, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    staff = models.Staff.create(name='李晓梅', bound_at=local)
    loaded = models.Staff.get_by_id(staff.id).bound_at
    assert loaded == local
    assert loaded.utcoffset() == dt.timedelta(0)
    assert loaded.astimezone(SHANGHAI).hour == 9


def test_aware_datetime_refuses_naive(database):
    with pytest.raises(ValueError):
        models.Staff.create(name='李晓梅', bound_at=dt.datetime(2026, 10, 15, 9, 30))
    with pytest.raises(ValueError):
        models.Staff.select().where(models.Staff.created_at < dt.datetime(2026, 1, 1)).count()


def test_aware_datetime_orders_by_instant(database):
    base = dt.datetime(2026, 10, 15, 0, 0, tzinfo=dt.timezone.utc)
    times = [base + dt.timedelta(seconds=1), base.astimezone(SHANGHAI), base + dt.timedelta(microseconds=1)]
    for n, at in enumerate(times):
        models.AuditLog.create(at=at, action=f'a{n}', entity='Client')
    ordered = [row.action for row in models.AuditLog.select().order_by(models.AuditLog.at)]
    assert ordered == ['a1', 'a2', 'a0']
    later = models.AuditLog.select().where(models.AuditLog.at > base.astimezone(SHANGHAI))
    assert sorted(row.action for row in later) == ['a0', 'a2']


@pytest.mark.parametrize('bad', ['2026-13', '202610', '2026-1', '26-10', '2026-00'])
def test_period_field_refuses_malformed_months(database, bad):
    with pytest.raises(ValueError):
        models.MissingInvoiceFlag.create(client=make_client(), period=bad)


def test_period_field_accepts_months_and_prefix_search(database):
    client = make_client()
    models.MissingInvoiceFlag.create(client=client, period='2026-10')
    found = models.MissingInvoiceFlag.select().where(models.MissingInvoiceFlag.period.startswith('2026'))
    assert [flag.period for flag in found] == ['2026-10']
    assert models.shift_period('2026-01', -1) == '2025-12'
    assert models.period_range('2025-11', '2026-02') == ['2025-11', '2025-12', '2026-01', '2026-02']


def test_json_field_keeps_chinese_text(database):
    client = make_client(tags=['重点客户', '需上门取票'])
    assert models.Client.get_by_id(client.id).tags == ['重点客户', '需上门取票']
    raw = database.execute_sql('SELECT tags FROM client').fetchone()[0]
    assert '重点客户' in raw


# --- model rules ---------------------------------------------------------------

def test_client_pinyin_initials_are_computed_on_save(database):
    client = make_client('华夏科技')
    assert client.pinyin_initials == 'hxkj'
    client.name = '上海锦程贸易有限公司'
    client.save()
    assert models.Client.get_by_id(client.id).pinyin_initials == 'shjcmyyxgs'


def test_knowledge_categories_stop_at_two_levels(database):
    tax = models.KnowledgeCategory.create(name='税务')
    vat = models.KnowledgeCategory.create(name='增值税', parent=tax)
    with pytest.raises(ValueError):
        models.KnowledgeCategory.create(name='小规模', parent=vat)
    other = models.KnowledgeCategory.create(name='工商')
    tax.parent = other  # a parent with children cannot become a child
    with pytest.raises(ValueError):
        tax.save()


def test_top_level_category_names_are_unique(database):
    models.KnowledgeCategory.create(name='税务')
    with pytest.raises(IntegrityError), database.atomic():
        models.KnowledgeCategory.create(name='税务')


def test_choices_are_checked_on_save(database):
    with pytest.raises(ValueError):
        models.Staff.create(name='王浩', role='owner')


def test_unique_constraints_hold(database):
    client = make_client()
    contact = models.ExternalContact.create(external_userid='wmA', name='王建国')
    models.ContactClientLink.create(contact=contact, client=client)
    with pytest.raises(IntegrityError), database.atomic():
        models.ContactClientLink.create(contact=contact, client=client)
    with pytest.raises(IntegrityError), database.atomic():
        make_client()  # same name
    models.FollowRelation.create(contact=contact, userid='lixiaomei')
    with pytest.raises(IntegrityError), database.atomic():
        models.FollowRelation.create(contact=contact, userid='lixiaomei')
    models.SyncRun.create(kind='contacts')
    with pytest.raises(IntegrityError), database.atomic():
        models.SyncRun.create(kind='contacts')  # one running sync per kind


def test_staff_permissions(database):
    admin = models.Staff.create(name='张明远', role='super_admin')
    clerk = models.Staff.create(name='孙伟', permissions=['wecom.billing'])
    assert admin.is_admin and admin.has_perm('knowledge.audit')
    assert clerk.has_perm('wecom.billing') and not clerk.has_perm('wecom.invoice')
    clerk.active = False
    assert not clerk.has_perm('wecom.billing')
    assert len(models.WECOM_PERMISSIONS) == 8


def test_receivable_outstanding(database):
    client = make_client()
    due = models.Receivable(client=client, item='代理记账费', period_start='2026-01', period_end='2026-03',
                            amount_fen=90000, paid_fen=30000, due_date=dt.date(2026, 1, 10))
    assert due.outstanding_fen == 60000 and due.settled_status() == 'partial'
    due.status = 'waived'
    assert due.outstanding_fen == 0


def test_clients_visible_to_staff(database):
    manager = models.Staff.create(name='李晓梅', wecom_userid='lixiaomei')
    follower = models.Staff.create(name='孙伟', wecom_userid='sunwei')
    stranger = models.Staff.create(name='周芳', wecom_userid='zhoufang')
    own = make_client(manager=manager)
    via_contact = make_client('上海锦程贸易有限公司', short_name='锦程贸易')
    contact = models.ExternalContact.create(external_userid='wmB', name='王建国')
    models.FollowRelation.create(contact=contact, userid='sunwei')
    models.ContactClientLink.create(contact=contact, client=via_contact)
    assert {c.id for c in models.clients_visible_to(manager)} == {own.id}
    assert {c.id for c in models.clients_visible_to(follower)} == {via_contact.id}
    assert list(models.clients_visible_to(stranger)) == []


def test_scheduler_lease_has_one_holder(database):
    now = dt.datetime(2026, 10, 15, 1, 0, tzinfo=dt.timezone.utc)
    assert models.SchedulerLease.acquire('scheduler', 'p1', 30, now=now)
    assert not models.SchedulerLease.acquire('scheduler', 'p2', 30, now=now + dt.timedelta(seconds=10))
    assert models.SchedulerLease.acquire('scheduler', 'p1', 30, now=now + dt.timedelta(seconds=10))
    assert models.SchedulerLease.acquire('scheduler', 'p2', 30, now=now + dt.timedelta(seconds=41))


def test_audit_records_actor_and_entity(database):
    staff = models.Staff.create(name='陈静', wecom_userid='chenjing')
    client = make_client()
    entry = models.audit(staff, 'update', client, before={'status': 'active'}, after={'status': 'paused'})
    assert (entry.actor_label, entry.entity, entry.entity_id) == ('chenjing', 'Client', str(client.id))
    assert models.audit(None, 'sync', 'ExternalContact').actor_label == 'system'


def test_receipt_number_needs_a_transaction(database):
    with pytest.raises(RuntimeError):
        models.next_receipt_number(2026)
    with database.atomic():
        assert models.next_receipt_number(2026) == '2026-000001'
        assert models.next_receipt_number(2027) == '2027-000001'
        assert models.next_receipt_number(2026) == '2026-000002'


# --- migrations --------------------------------------------------------------

def test_upgrade_is_idempotent_and_keeps_rows(bare_database):
    assert migrate.current_version(bare_database) == 0
    assert migrate.upgrade(bare_database) == [name for _, name, _ in migrate.MIGRATIONS]
    assert migrate.MIGRATIONS[0][1] == 'initial schema'
    client = make_client(tags=['老客户'])
    assert migrate.upgrade(bare_database) == []
    # Versions are handed out per branch, so the list may have gaps until every branch is merged.
    assert migrate.current_version(bare_database) == max(version for version, _, _ in migrate.MIGRATIONS)
    assert models.Client.get_by_id(client.id).tags == ['老客户']


def test_added_column_keeps_existing_rows(database, monkeypatch):
    client = make_client(tags=['老客户'])
    contact = models.ClientContact.create(client=client, name='王建国', title='老板')

    def add_industry(db, migrator):
        assert migrate.add_column_if_missing(db, migrator, 'client', 'industry', CharField(default='未分类'))
        assert migrate.add_column_if_missing(db, migrator, 'client', 'staff_size', IntegerField(null=True))
        assert not migrate.add_column_if_missing(db, migrator, 'client', 'industry', CharField(default='x'))

    monkeypatch.setattr(migrate, 'MIGRATIONS', migrate.MIGRATIONS + [(99, 'client industry', add_industry)])
    assert migrate.upgrade(database) == ['client industry']
    row = database.execute_sql('SELECT name, tags, industry, staff_size FROM client').fetchone()
    assert row == ('杭州华夏科技有限公司', '["老客户"]', '未分类', None)
    assert models.ClientContact.get_by_id(contact.id).client_id == client.id  # children survive
    assert migrate.current_version(database) == 99


def test_client_pinyin_migration_backfills_existing_clients(database):
    """A database from before migration 2 gets client.pinyin, filled for the clients it already has."""
    client = make_client()
    migrator = SchemaMigrator.from_database(database)
    with database.atomic():
        migrator.migrate(migrator.drop_column('client', 'pinyin'))
        database.execute_sql('DELETE FROM schema_migration WHERE version = 2')
    assert migrate.upgrade(database) == ['client full pinyin']
    assert models.Client.get_by_id(client.id).pinyin == 'hang zhou hua xia ke ji you xian gong si'
    renamed = models.Client.get_by_id(client.id)
    renamed.name = '杭州华厦科技有限公司'  # kept in sync on save, like pinyin_initials
    renamed.save()
    assert models.Client.get_by_id(client.id).pinyin.startswith('hang zhou hua sha')


# --- gapless receipts across processes ----------------------------------------

WORKERS, ITERATIONS, ROLLBACK_EVERY = 4, 500, 7


class _Rollback(Exception):
    pass


def _receipt_worker(target, schema, client_id, worker):
    """Child process: ITERATIONS write transactions, each numbering a Payment; some roll back."""
    database = open_database(target, schema)
    models.db.initialize(database)
    committed = 0
    for i in range(ITERATIONS):
        try:
            with database.atomic():
                number = models.next_receipt_number(2026)
                models.Payment.create(client=client_id, receipt_no=number, amount_fen=10000,
                                      paid_on=dt.date(2026, 10, 15), payer=f'w{worker}-{i}')
                if i % ROLLBACK_EVERY == 0:
                    raise _Rollback
            committed += 1
        except _Rollback:
            pass
    database.close()
    return committed


@pytest.mark.slow
def test_receipt_numbers_are_gapless_across_processes(database, db_target):
    client = make_client()
    database.close()
    context = multiprocessing.get_context('spawn')
    with context.Pool(WORKERS) as pool:
        committed = pool.starmap(_receipt_worker, [(*db_target, client.id, w) for w in range(WORKERS)])
    numbers = [p.receipt_no for p in models.Payment.select().order_by(models.Payment.receipt_no)]
    total = sum(committed)
    assert total == WORKERS * (ITERATIONS - len(range(0, ITERATIONS, ROLLBACK_EVERY)))
    assert numbers == [f'2026-{n:06d}' for n in range(1, total + 1)]
    assert models.ReceiptCounter.get_by_id('receipt-2026').last_value == total


def test_client_search_keys_read_names_as_pypinyin_does():
    """The import's one-pass reading of a name (runs and words remembered) gives what pypinyin.lazy_pinyin gives,
    first letters and full pinyin alike: polyphones in their words, other characters kept, rare characters."""
    import random

    from pypinyin import Style, lazy_pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    def by_pypinyin(text):
        letters = ''.join(lazy_pinyin(text, Style.FIRST_LETTER)).lower()
        tokens = lazy_pinyin(text, Style.NORMAL, errors=list)
        if len(tokens) != len(text):
            tokens = [(lazy_pinyin(ch, Style.NORMAL, errors=list) or [ch])[0] for ch in text]
        return (''.join(ch for ch in letters if ch.isascii() and ch.isalnum()),
                ' '.join('_' if not t.strip() else t.lower() for t in tokens))

    chars = '重长行乐都发和会华夏科技贸易有限公司杭州银行中国建设服务咨询藏朝率省传单曾解给还觉降强嗯A1- （）()·'
    rng = random.Random(12)
    names = ['', '重庆长安银行', '乐乐行（杭州）有限公司', 'ABC科技123号', '〇号仓', '㐀㐁测试', '𠀀字', ' 长沙 长乐 ']
    names += [''.join(rng.choice(chars) for _ in range(rng.randint(1, 14))) for _ in range(3000)]
    names += [chr(code) for code in list(pinyin_dict)[::40]]
    assert [models.name_search_keys(name) for name in names] == [by_pypinyin(name) for name in names]
    assert models.name_search_keys('重庆长安银行') == ('cqcayh', 'chong qing chang an yin hang')
