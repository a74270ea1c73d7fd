"""A migrated database for every test without running the migrations for every test.

Once per test session (per xdist worker) the real `migrate.upgrade` runs on an empty database: the template.
Each test then gets a copy of it, so the copy is what `upgrade` makes and nothing else:
- SQLite: the template file, checkpointed and closed (no -wal or -shm left), copied byte for byte;
- PostgreSQL: the statements `upgrade` sent that changed anything (DDL and writes; its introspection reads
  are left out), replayed in one round trip into the test's fresh schema. Before the first copy is handed
  out, a replay is compared with the template: columns, defaults, indexes, constraints, sequences and every
  row must match, so a migration that one day does something the replay misses stops the run at once (the
  same comparison is what allows a statement that changes nothing to be left out, see `_shortest`).
  Schemas are made a couple of tests ahead by a thread of their own, and dropped by it afterwards, so the
  server builds them while the tests run.
In both, `schema_migration.applied_at` is set when the test takes its copy, as if the migrations ran then.
Tests of the migrations themselves take `empty_db_url` (tests/conftest.py) and run them for real.
"""
from __future__ import annotations

import queue
import shutil
import sqlite3
import threading
import uuid
from datetime import datetime
from pathlib import Path
from typing import Callable

import models
from bot import migrate
from bot.config.settings import DatabaseConfig
from bot.db import open_database

MIGRATION_TABLE = migrate.SchemaMigration._meta.table_name


def _upgrade(url: str, record: list | None = None) -> None:
    """Run the real migrations on the empty database at ``url``; ``record`` collects every (sql, params)."""
    database = open_database(DatabaseConfig(url=url))
    if record is not None:
        execute_sql = database.execute_sql

        def recorded(sql, params=None):
            record.append((sql, params))
            return execute_sql(sql, params)
        database.execute_sql = recorded
    previous = models.db.obj
    models.db.initialize(database)
    try:
        database.connect()
        migrate.upgrade(database)
    finally:
        database.close()
        models.db.initialize(previous)


class SqliteTemplate:
    """A migrated SQLite file; `clone(path, now)` copies it to ``path``."""

    def __init__(self, directory: Path):
        self.path = directory / "migrated.sqlite3"
        _upgrade(f"sqlite:///{self.path}")
        leftovers = [p.name for p in directory.iterdir() if p != self.path]
        assert not leftovers, f"the SQLite template was not closed cleanly: {leftovers}"

    def clone(self, path: Path, now: datetime) -> None:
        shutil.copyfile(self.path, path)
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            stamp = migrate.SchemaMigration.applied_at.db_value(now)
            conn.execute(f'UPDATE "{MIGRATION_TABLE}" SET "applied_at" = ?', (stamp,))
        finally:
            conn.close()


_READS = ("SELECT", "SHOW")


class PostgresTemplate:
    """The SQL that migrates an empty PostgreSQL schema, and a supply of schemas made with it.

    ``connect()`` opens an autocommit psycopg2 connection to the test database; ``url_of(schema)`` is the
    app's URL for a schema."""

    def __init__(self, connect: Callable, url_of: Callable[[str], str], ahead: int = 2):
        self.admin = connect()
        record: list = []
        template = self._new_schema("zf_tmpl")
        try:
            _upgrade(url_of(template), record)
            with self.admin.cursor() as cur:
                writes = [cur.mogrify(sql, params or ()).decode() for sql, params in record
                          if not sql.lstrip().upper().startswith(_READS)]
            self.statements = self._shortest(template, writes)
        finally:
            self.drop(template)
        self._made: queue.Queue[str] = queue.Queue(maxsize=ahead)  # ready for a test
        self._todo: queue.Queue[str | None] = queue.Queue()  # given back, to drop; None: stop
        self._error: BaseException | None = None
        self._worker = threading.Thread(target=self._work, args=(connect(),), name="test-schemas", daemon=True)
        self._worker.start()

    # ---- what a test sees ----

    def take(self, now: datetime) -> str:
        """A migrated schema of its own for one test; give it back with `drop_later`."""
        for _ in range(1200):
            if self._error is not None:
                raise RuntimeError("the thread making test schemas failed") from self._error
            try:
                schema = self._made.get(timeout=0.1)
                break
            except queue.Empty:
                continue
        else:
            raise TimeoutError("no test schema made within two minutes")
        with self.admin.cursor() as cur:
            cur.execute(f'UPDATE {schema}."{MIGRATION_TABLE}" SET "applied_at" = %s', (now,))
        return schema

    def fill(self, schema: str, now: datetime) -> None:
        """Migrate the existing, empty ``schema`` the same way (for tests that make their own schemas)."""
        with self.admin.cursor() as cur:
            stamp = cur.mogrify(f'UPDATE "{MIGRATION_TABLE}" SET "applied_at" = %s', (now,)).decode()
            cur.execute(f"BEGIN; SET LOCAL search_path TO {schema};\n" + ";\n".join(self.statements)
                        + f";\n{stamp};\nCOMMIT")

    def drop_later(self, schema: str) -> None:
        self._todo.put(schema)

    def close(self) -> None:
        """Stop making schemas; drop every one made or given back."""
        self._todo.put(None)
        self._worker.join()
        while not self._made.empty():
            self.drop(self._made.get())
        self.admin.close()

    def drop(self, schema: str) -> None:
        with self.admin.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    # ---- the thread that makes and drops schemas ----

    def _work(self, conn) -> None:
        """Drop what tests gave back, then keep `ahead` schemas ready; stop at None."""
        try:
            while True:
                try:
                    schema = self._todo.get(block=self._made.full(), timeout=0.05)
                except queue.Empty:
                    if not self._made.full():  # only this thread puts, so there is room
                        schema = f"zf_test_{uuid.uuid4().hex[:12]}"
                        self._create(conn, schema, self.statements)
                        self._made.put_nowait(schema)
                    continue
                if schema is None:
                    return
                with conn.cursor() as cur:
                    cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        except BaseException as exc:  # noqa: BLE001 - reported to the test waiting for a schema
            self._error = exc
        finally:
            conn.close()

    # ---- the script and its proof ----

    @staticmethod
    def _create(conn, schema: str, statements: list[str]) -> None:
        """CREATE SCHEMA ``schema`` holding what ``statements`` make: one round trip, one transaction."""
        with conn.cursor() as cur:
            cur.execute(f"BEGIN; CREATE SCHEMA {schema}; SET LOCAL search_path TO {schema};\n"
                        + ";\n".join(statements) + ";\nCOMMIT")

    def _new_schema(self, prefix: str) -> str:
        schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self.admin.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {schema}")
        return schema

    def _shortest(self, template: str, writes: list[str]) -> list[str]:
        """The statements to replay, proved to give what the template has.

        On a new database migration 1 already creates every table as models.py declares it, so a later
        ALTER TABLE (migration 5's widening of reminder_outbox.state on PostgreSQL) usually changes nothing, yet
        it rebuilds the table's indexes: some 40% of a replay's time on the server. Such statements are left out only when
        the replay without them is the same as the template."""
        expected = self._describe(template)
        without_alters = [s for s in writes if not s.lstrip().upper().startswith("ALTER TABLE")]
        problems: list[str] = []
        for statements in ([without_alters] if len(without_alters) < len(writes) else []) + [writes]:
            problems = self._differences(expected, statements)
            if not problems:
                return statements
        raise AssertionError("replaying the migrations' SQL did not give what migrate.upgrade gives; "
                             "fix tests/dbtemplate.py:\n" + "\n".join(problems)[:4000])

    def _differences(self, expected: dict[str, list], statements: list[str]) -> list[str]:
        copy = f"zf_tcopy_{uuid.uuid4().hex[:12]}"
        self._create(self.admin, copy, statements)
        try:
            got = self._describe(copy)
        finally:
            self.drop(copy)
        return [f"{key}: only after upgrade {[r for r in expected.get(key, []) if r not in got.get(key, [])][:3]}, "
                f"only in the replay {[r for r in got.get(key, []) if r not in expected.get(key, [])][:3]}"
                for key in sorted(expected.keys() | got.keys()) if expected.get(key) != got.get(key)]

    def _describe(self, schema: str) -> dict[str, list]:
        """The schema's catalogue and rows, with its name replaced, so two schemas can be compared."""
        queries = {
            "columns": """SELECT table_name, column_name, ordinal_position, data_type, udt_name,
                                 character_maximum_length, numeric_precision, numeric_scale, datetime_precision,
                                 collation_name, is_nullable, column_default, is_identity, is_generated
                          FROM information_schema.columns WHERE table_schema = %(s)s ORDER BY 1, 3""",
            "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(s)s ORDER BY 1, 2",
            "constraints": """SELECT c.relname, k.conname, k.contype, k.condeferrable, k.condeferred,
                                     pg_get_constraintdef(k.oid)
                              FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                              JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = %(s)s ORDER BY 1, 2""",
            "sequences": """SELECT sequencename, data_type, start_value, min_value, max_value, increment_by, cycle,
                                   cache_size, last_value FROM pg_sequences WHERE schemaname = %(s)s ORDER BY 1""",
            "relations": """SELECT c.relname, c.relkind, c.relpersistence, c.relhasindex, c.relchecks,
                                   c.relhastriggers, c.relrowsecurity, c.reloptions
                            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = %(s)s ORDER BY 1""",
            "triggers": """SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                           JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(s)s
                           GROUP BY 1 ORDER BY 1""",
            "functions": """SELECT p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p
                            JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %(s)s ORDER BY 1, 2""",
        }
        found: dict[str, list] = {}
        with self.admin.cursor() as cur:
            for key, sql in queries.items():
                cur.execute(sql, {"s": schema})
                found[key] = [tuple(str(v).replace(f"{schema}.", "<schema>.") for v in row) for row in cur.fetchall()]
            for table in sorted({row[0] for row in found["columns"]}):
                columns = "version, name" if table == MIGRATION_TABLE else "*"  # applied_at: the copy's own time
                cur.execute(f'SELECT {columns} FROM {schema}."{table}" ORDER BY 1')
                found[f"rows of {table}"] = cur.fetchall()
        return found
