"""Schema migrations that keep data.

`upgrade(database)` applies, in order, every entry of `MIGRATIONS` not yet recorded in the
`schema_migration` table, each in its own transaction, and records it there. Running it again
applies nothing. Several processes may start at once: PostgreSQL takes an advisory lock and
SQLite's BEGIN IMMEDIATE serialises them, and each migration re-checks that it is still missing.

Adding a schema change:
- never edit a migration that has shipped, and never drop-and-recreate a table;
- append `(next_version, 'what it does', fn)` to `MIGRATIONS`, where `fn(database, migrator)`
  uses playhouse.migrate operations through `migrator` (a `SchemaMigrator`), e.g.
  `add_column_if_missing(database, migrator, 'client', 'industry', CharField(default=''))`,
  `migrator.migrate(migrator.add_index('invoice', ('issue_date',)))`;
- new tables: `database.create_tables([NewModel], safe=True)`;
- backfill values in the same function with UPDATE statements so existing rows stay valid;
- make `models.py` declare the same column, so fresh databases (migration 1 creates the current
  models) and upgraded ones end up alike; that is why migrations check before they add.
"""
import peewee
from peewee import BlobField, CharField, IntegerField, Model
from playhouse.migrate import SchemaMigrator

import models
from models import AwareDateTimeField, utcnow

# Arbitrary constant naming this app's migration lock on PostgreSQL.
_PG_LOCK_ID = 0x5A46_0001


class SchemaMigration(Model):
    """A migration applied to this database."""
    version = IntegerField(primary_key=True)
    name = CharField(max_length=128)
    applied_at = AwareDateTimeField(default=utcnow)

    class Meta:
        database = models.db
        legacy_table_names = False


def _initial_schema(database, migrator):
    database.create_tables(models.ALL_MODELS, safe=True)


def _sidebar_choice(database, migrator):
    database.create_tables([models.SidebarChoice], safe=True)


def _knowledge_gap_asks(database, migrator):
    database.create_tables([models.KnowledgeGapAsk], safe=True)


def _console_sessions(database, migrator):
    database.create_tables([models.ConsoleSession], safe=True)


def _drift_checks(database, migrator):
    database.create_tables([models.DriftCheck], safe=True)


def _handover_runs(database, migrator):
    database.create_tables([models.HandoverRun, models.HandoverItem], safe=True)


def _wecom_members(database, migrator):
    database.create_tables([models.WeComMember], safe=True)


def add_column_if_missing(database, migrator, table, column_name, field):
    """Add `field` as `table.column_name` unless it exists; existing rows get the field's default.

    A NOT NULL field needs a default. On PostgreSQL the column becomes NOT NULL after the
    backfill; on SQLite it stays nullable in the schema (making it NOT NULL means rebuilding
    the table) and the model keeps new rows non-null.
    """
    if column_name in {column.name for column in database.get_columns(table)}:
        return False
    field = field.clone()
    if isinstance(database, peewee.SqliteDatabase) and not field.null:
        if field.default is None:
            raise ValueError(f'{table}.{column_name} is NOT NULL but has no default')
        field.null = True
        migrator.migrate(migrator.add_column(table, column_name, field),
                         migrator.apply_default(table, column_name, field))
    else:
        migrator.migrate(migrator.add_column(table, column_name, field))
    return True


def _client_pinyin(database, migrator):
    """client.pinyin (full toneless pinyin per character) for pinyin and same-sound client search."""
    add_column_if_missing(database, migrator, 'client', 'pinyin', peewee.TextField(default=''))
    for client_id, name in models.Client.select(models.Client.id, models.Client.name).tuples():
        models.Client.update(pinyin=models.name_pinyin(name)).where(models.Client.id == client_id).execute()


def _outbox_exactly_once(database, migrator):
    table = models.ReminderOutbox._meta.table_name
    add_column_if_missing(database, migrator, table, 'maybe_sent_at', AwareDateTimeField(null=True))
    add_column_if_missing(database, migrator, table, 'message_hash', CharField(max_length=64, null=True))
    add_column_if_missing(database, migrator, table, 'blob', BlobField(null=True))
    if isinstance(database, peewee.PostgresqlDatabase):  # 'uncertain' is longer than the old 8 characters
        database.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "state" TYPE VARCHAR(16)')
    if not any(index.columns == ['recipient_userid', 'message_hash'] for index in database.get_indexes(table)):
        migrator.migrate(migrator.add_index(table, ('recipient_userid', 'message_hash'), False))
    # A digest in flight or in doubt before the upgrade kept that in its payload, sent with the old default
    # check (1800 s): carry it over, so it is repeated only inside that window and never re-worded.
    row = models.ReminderOutbox
    for digest in (row.select(row.id, row.payload, row.sent_at)
                   .where((row.kind == 'digest') & (row.state == 'pending') & row.maybe_sent_at.is_null())):
        payload = dict(digest.payload or {})
        if payload.pop('in_doubt', False) and digest.sent_at is not None:
            payload.pop('prior_doubt', None)
            payload['dup_window'] = 1800
            row.update(maybe_sent_at=digest.sent_at, payload=payload).where(row.id == digest.id).execute()


def add_index_if_missing(database, migrator, table, columns, unique=False):
    """Add an index on ``columns`` of ``table`` unless one on exactly those columns exists."""
    if not any(index.columns == list(columns) for index in database.get_indexes(table)):
        migrator.migrate(migrator.add_index(table, tuple(columns), unique))


def _console_link_indexes(database, migrator):
    """微信联系人 (L1): the newest follow-relation change keys the cached 标签 filter options."""
    add_index_if_missing(database, migrator, 'follow_relation', ('updated_at',))


def _payments_done_properly(database, migrator):
    """收款 (B3): the receiving account, the credit a payment leaves, credit applied later, and refunds."""
    add_column_if_missing(database, migrator, 'payment', 'account', CharField(max_length=32, default=''))
    add_column_if_missing(database, migrator, 'payment', 'credit_fen', models.MoneyField(default=0))
    add_column_if_missing(database, migrator, 'payment_allocation', 'from_credit', peewee.BooleanField(default=False))
    database.create_tables([models.CreditRefund, models.CreditRefundPart], safe=True)


def _record_imports(database, migrator):
    """Record imports (X10): import run progress and counts, the paper invoice code, natural-key indexes."""
    add_column_if_missing(database, migrator, 'import_run', 'dry_run', peewee.BooleanField(default=False))
    add_column_if_missing(database, migrator, 'import_run', 'counts', models.JSONField(default=dict))
    add_column_if_missing(database, migrator, 'import_run', 'phase', CharField(max_length=16, default=''))
    add_column_if_missing(database, migrator, 'import_run', 'done', IntegerField(default=0))
    add_column_if_missing(database, migrator, 'invoice', 'code', CharField(max_length=12, default=''))
    add_index_if_missing(database, migrator, 'service', ('client_id', 'kind', 'name', 'start_date'))
    add_index_if_missing(database, migrator, 'receivable', ('client_id', 'item', 'period_start'))
    add_index_if_missing(database, migrator, 'client_contact', ('client_id', 'name'))


def _job_runs(database, migrator):
    """Job runs written in chunks: the job_run table and each outbox row's run_key. Rows from before stay
    untagged (NULL): their runs completed in one transaction and need no summary rebuilt."""
    database.create_tables([models.JobRun], safe=True)
    table = models.ReminderOutbox._meta.table_name
    add_column_if_missing(database, migrator, table, 'run_key', CharField(max_length=64, null=True))
    if not any(index.columns == ['run_key'] for index in database.get_indexes(table)):
        migrator.migrate(migrator.add_index(table, ('run_key',), False))


def _knowledge_search(database, migrator):
    """Knowledge search (issue 13): entry keywords, the term index, its statistics and the synonym list.
    The index is filled by `python -m bot kb reindex` (or the demo seed); until then searches find nothing."""
    add_column_if_missing(database, migrator, 'knowledge_entry', 'keywords', CharField(max_length=255, default=''))
    database.create_tables([models.KnowledgeTerm, models.KnowledgePosting, models.KnowledgeIndexStat,
                            models.KnowledgeSynonym], safe=True)


def _knowledge_console(database, migrator):
    """Knowledge console (issue 13): who asked each gap, and when its answer was audited and they were told."""
    add_column_if_missing(database, migrator, 'knowledge_gap', 'answered_at', models.AwareDateTimeField(null=True))
    database.create_tables([models.KnowledgeGapAsker], safe=True)


def _api_tokens(database, migrator):
    """JSON API (X10): bearer tokens admins create and revoke in the console."""
    database.create_tables([models.ApiToken], safe=True)


def _knowledge_unsent_searches(database, migrator):
    """Knowledge gaps (issue 13): searches with results that nothing was sent after, and their gap count."""
    add_column_if_missing(database, migrator, 'knowledge_gap', 'unsent', IntegerField(default=0))
    database.create_tables([models.KnowledgeSearch], safe=True)


def _knowledge_posting_cover(database, migrator):
    """Knowledge search speed: a covering posting index (term, weight, entry) replaces (term, weight)."""
    table = 'knowledge_posting'
    add_index_if_missing(database, migrator, table, ('term_id', 'weight', 'entry_id'))
    for index in database.get_indexes(table):
        if index.columns == ['term_id', 'weight']:
            migrator.migrate(migrator.drop_index(table, index.name))


def _client_vat_cycle(database, migrator):
    """增值税申报周期 on the client: '' (unset) for every existing client, whose cycle stays inferred from its
    VAT returns as before."""
    add_column_if_missing(database, migrator, 'client', 'vat_cycle', CharField(max_length=10, default=''))


MIGRATIONS = [
    (1, 'initial schema', _initial_schema),
    (2, 'client full pinyin', _client_pinyin),
    (3, 'sidebar: the client a member last picked per chat', _sidebar_choice),
    (4, 'knowledge: gaps counted once per member, query and day', _knowledge_gap_asks),
    (5, 'outbox: exactly-once accounting (maybe_sent_at, message_hash, blob, the uncertain state)',
     _outbox_exactly_once),
    (6, 'console: server-side back-office sessions', _console_sessions),
    (7, 'staff: WeCom members in the visible range, for binding', _wecom_members),
    (8, 'handover: runs and their WeCom transfer items', _handover_runs),
    (9, 'health: contact drift checks (WeCom customer lists against our follow relations)', _drift_checks),
    (10, 'console contacts: follow_relation.updated_at index', _console_link_indexes),
    (11, 'payments: account, credit balance, credit applications and refunds', _payments_done_properly),
    (12, 'record imports: run progress and counts, invoice code, natural-key indexes', _record_imports),
    (13, 'job runs written in chunks: job_run, reminder_outbox.run_key', _job_runs),
    (14, 'knowledge: search index, synonyms and entry keywords', _knowledge_search),
    (15, 'api: bearer tokens of the JSON API', _api_tokens),
    (16, 'knowledge console: gap askers and answered gaps', _knowledge_console),
    (17, 'knowledge gaps: searches with results but nothing sent', _knowledge_unsent_searches),
    (18, 'knowledge search: covering posting index', _knowledge_posting_cover),
    (19, 'clients: VAT filing cycle (vat_cycle)', _client_vat_cycle),
]


def _real(database):
    """Accept the models.db proxy as well as a database."""
    return database.obj if isinstance(database, peewee.Proxy) else database


def _ensure_table(database):
    with database.atomic(), database.bind_ctx([SchemaMigration]):
        _lock(database)
        SchemaMigration.create_table(safe=True)


def _lock(database):
    """Serialise migrating processes (SQLite's BEGIN IMMEDIATE already does)."""
    if isinstance(database, peewee.PostgresqlDatabase):
        database.execute_sql('SELECT pg_advisory_xact_lock(%s)', (_PG_LOCK_ID,))


def _applied_versions(database) -> set[int]:
    with database.bind_ctx([SchemaMigration]):
        return {row.version for row in SchemaMigration.select(SchemaMigration.version)}


def current_version(database) -> int:
    """The highest applied migration version, 0 for an empty database."""
    database = _real(database)
    if not database.table_exists(SchemaMigration._meta.table_name):
        return 0
    return max(_applied_versions(database), default=0)


def _apply(database, version, name, fn) -> bool:
    migrator = SchemaMigrator.from_database(database)
    with migrator.migration_context():
        _lock(database)
        if version in _applied_versions(database):
            return False  # another process applied it while we waited
        with database.bind_ctx(models.ALL_MODELS):
            fn(database, migrator)
        if isinstance(database, peewee.SqliteDatabase):
            problems = database.execute_sql('PRAGMA foreign_key_check').fetchall()
            if problems:
                raise RuntimeError(f'migration {version} broke foreign keys: {problems[:5]}')
        with database.bind_ctx([SchemaMigration]):
            SchemaMigration.create(version=version, name=name)
    return True


def upgrade(database) -> list[str]:
    """Apply every missing migration in order; return the names applied (empty when up to date)."""
    database = _real(database)
    _ensure_table(database)
    applied = []
    for version, name, fn in sorted(MIGRATIONS, key=lambda migration: migration[0]):
        if version in _applied_versions(database):
            continue
        if _apply(database, version, name, fn):
            applied.append(name)
    return applied
