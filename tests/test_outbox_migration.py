"""Migration 5 (the outbox's exactly-once fields) on a database without it keeps every row, and a digest that was
in flight before the upgrade stays a byte-for-byte repeat inside the duplicate check it was sent with."""
from datetime import timedelta

import models
from bot import migrate

Row = models.ReminderOutbox


def _back_to_version_2(database) -> None:
    table = Row._meta.table_name
    for index in database.get_indexes(table):
        if "message_hash" in index.columns:
            database.execute_sql(f'DROP INDEX "{index.name}"')
    for column in ("maybe_sent_at", "message_hash", "blob"):
        database.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    if models.is_postgres():
        database.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "state" TYPE VARCHAR(8)')
    database.execute_sql("DELETE FROM schema_migration WHERE version = 5")


def test_version_2_outbox_rows_survive_and_a_digest_in_doubt_stays_in_doubt(database):
    _back_to_version_2(database)
    now = models.utcnow()
    Row.insert(dedupe_key="arrears|c1|lixiaomei", kind="arrears", recipient_userid="lixiaomei", state="sent",
               payload={"client": "华夏科技"}, sent_at=now - timedelta(days=1)).execute()
    Row.insert(dedupe_key="digest|abc", kind="digest", recipient_userid="lixiaomei", state="pending", attempts=1,
               payload={"kind": "arrears", "items": [], "message": {"msgtype": "markdown"}, "in_doubt": True,
                        "prior_doubt": False},
               sent_at=now - timedelta(minutes=1), next_attempt_at=now + timedelta(minutes=1)).execute()
    assert migrate.upgrade(database) == [migrate.MIGRATIONS[4][1]]
    item, digest = Row.select().order_by(Row.id)
    assert (item.state, item.payload, item.maybe_sent_at) == ("sent", {"client": "华夏科技"}, None)
    assert digest.maybe_sent_at == digest.sent_at and digest.payload["dup_window"] == 1800
    assert "in_doubt" not in digest.payload
    Row.update(state="uncertain").where(Row.id == item.id).execute()  # fits the widened column
    assert Row.get_by_id(item.id).state == "uncertain"
    assert migrate.upgrade(database) == []


def test_outbox_rows_from_before_job_runs_survive_untagged(database):
    """Migration 13 (job runs written in chunks) on a database without it: rows kept, run_key NULL (no run to
    finish for them), and job runs can be recorded afterwards."""
    table = Row._meta.table_name
    for index in database.get_indexes(table):
        if index.columns == ["run_key"]:
            database.execute_sql(f'DROP INDEX "{index.name}"')
    database.execute_sql(f'ALTER TABLE "{table}" DROP COLUMN "run_key"')
    database.execute_sql(f'DROP TABLE "{models.JobRun._meta.table_name}"')
    database.execute_sql("DELETE FROM schema_migration WHERE version = 13")
    database.execute_sql(f"""INSERT INTO "{table}" (dedupe_key, kind, recipient_userid, payload, state, attempts,
                             created_at) VALUES ('arrears|c1|lixiaomei', 'arrears', 'lixiaomei', '{{}}', 'sent', 1,
                             '2026-11-12T01:30:00+00:00')""")
    assert migrate.upgrade(database) == [name for version, name, _ in migrate.MIGRATIONS if version == 13]
    [item] = Row.select()
    assert (item.dedupe_key, item.state, item.run_key) == ("arrears|c1|lixiaomei", "sent", None)
    assert not models.JobRun.select().exists()
    assert migrate.upgrade(database) == []
