"""The generic upsert by natural key: per batch, one query finds the stored rows with the batch's keys; a row
with no stored match is created (one multi-row INSERT per batch), one whose cells differ is updated, the rest
are left alone, so importing the same file twice changes nothing the second time."""
from __future__ import annotations

import datetime as dt
from operator import itemgetter

import peewee

import models


def _same(stored, new) -> bool:
    if stored in ("", None) and new in ("", None):
        return True
    return stored == new


class ModelWriter:
    """plan() says what each row of a batch would do; write() does it (after plan(), same batch)."""

    def plan(self, spec, batch: list[tuple[int, dict]], lookups, context) -> list:
        stored = self._stored(spec, batch)
        if not stored:  # the usual batch of a first import: all new
            actions, found = ["created"] * len(batch), [None] * len(batch)
        else:
            key, actions, found = key_getter(spec.key), [], []
            for _, values in batch:
                row = stored.get(key(values))
                found.append(row)
                if row is None:
                    actions.append("created")
                elif any(not _same(row[1].get(name), value) for name, value in values.items()):
                    actions.append("updated")
                else:
                    actions.append("unchanged")
        if spec.guard:
            for position, problem in spec.guard([(n, v, row[0] if row else None)
                                                 for (n, v), row in zip(batch, found)]).items():
                actions[position] = problem
        self._found = found
        return actions

    def write(self, spec, batch: list[tuple[int, dict]], actions: list, lookups, context) -> None:
        model, inserts, plain = spec.model, [], not spec.defaults_on_create and not spec.derive
        for (_, values), action, row in zip(batch, actions, self._found):
            if action == "created":
                inserts.append(values if plain else
                               {**spec.defaults_on_create, **values, **(spec.derive(values) if spec.derive else {})})
            elif action == "updated":
                changed = {name: value for name, value in values.items() if not _same(row[1].get(name), value)}
                if spec.derive:
                    changed.update(spec.derive({**row[1], **values}))
                model.update(**changed).where(model.id == row[0]).execute()
        if inserts:
            insert_rows(model, inserts)
        if spec.after_write:
            spec.after_write(batch, actions, lookups)

    @staticmethod
    def _stored(spec, batch) -> dict[tuple, tuple[int, dict]]:
        """Natural key -> (id, stored values of the spec's fields) for the batch's keys (one plain query: peewee's
        query builder costs more than the query itself for 500-value IN lists)."""
        model = spec.model
        meta, param = model._meta, model._meta.database.param
        fields = [meta.fields[name] for name in spec.fields]
        # One term per distinct key, (a = ? AND b = ?) OR …, so both databases probe the natural-key index once per
        # row; IN lists per column made SQLite probe their cross product or scan the table.
        key = key_getter(spec.key)
        keys = list({key(values) for _, values in batch})
        key_fields = [meta.fields[name] for name in spec.key]
        term = "(" + " AND ".join(f'"{f.column_name}" = {param}' for f in key_fields) + ")"
        where = [" OR ".join([term] * len(keys))]
        converters = [converter(f) for f in key_fields]
        params = [convert(value) for key in keys for convert, value in zip(converters, key)]
        columns = ", ".join(f'"{f.column_name}"' for f in [meta.primary_key, *fields])
        cursor = meta.database.execute_sql(f'SELECT {columns} FROM "{meta.table_name}" WHERE {" AND ".join(where)}',
                                           params)
        stored = {}
        for row in cursor:
            data = {f.name: f.python_value(value) for f, value in zip(fields, row[1:])}
            stored[tuple(data[name] for name in spec.key)] = (row[0], data)
        return stored


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT many rows with one executemany, built column by column; fields a row leaves out get their defaults,
    as in peewee (a callable default such as created_at is taken once per batch: the rows of one INSERT share the
    moment)."""
    meta = model._meta
    given = set().union(*rows)
    fields = [f for f in meta.sorted_fields if f.name in given or (f is not meta.primary_key and f.default is not None)]
    named = [f.name for f in fields if f.name in given]
    try:  # every row names the same fields (a file's rows do): its cells picked in C
        picked = iter(zip(*map(itemgetter(*named), rows)) if len(named) > 1 else [[row[named[0]] for row in rows]])
    except KeyError:
        picked = iter([[row.get(name, _default(meta.fields[name], None)) for row in rows] for name in named])
    columns = []
    for f in fields:
        if f.name in given:
            columns.append(_db_values(f, list(next(picked))))
        else:
            columns.append([f.db_value(_default(f, None))] * len(rows))
    names = ", ".join(f'"{f.column_name}"' for f in fields)
    cursor = meta.database.cursor()
    if models.is_postgres(meta.database):  # one statement of many VALUES rows: executemany is a round trip a row
        from psycopg2.extras import execute_values
        execute_values(cursor, f'INSERT INTO "{meta.table_name}" ({names}) VALUES %s', list(zip(*columns)),
                       page_size=len(rows))
        return
    marks = ", ".join([meta.database.param] * len(fields))
    cursor.executemany(f'INSERT INTO "{meta.table_name}" ({names}) VALUES ({marks})', list(zip(*columns)))


def key_getter(names) -> callable:
    """values -> the tuple of their ``names`` (a tuple also for one name, as the stored keys are)."""
    if len(names) == 1:
        name = names[0]
        return lambda values: (values[name],)
    return itemgetter(*names)


def _db_values(field, column: list) -> list:
    """``field.db_value`` of each value, or the column itself when every value already is what db_value would
    return (text for a text field, an int for an integer, money or foreign-key field, a date for a date field)."""
    if isinstance(field, models.JSONField):  # the same few values (no tags, one tag) row after row: dumped once
        dumped = {}
        return [dumped[key] if (key := repr(value)) in dumped else dumped.setdefault(key, field.db_value(value))
                for value in column]
    kinds = _stored_as(field)
    if kinds and set(map(type, column)) <= kinds:
        if not isinstance(field, models.PeriodField) or (None not in column and all(map(models.PERIOD_RE.match, column))):
            return column
    return list(map(field.db_value, column))


def _stored_as(field) -> set | None:
    target = field.rel_field if isinstance(field, peewee.ForeignKeyField) else field
    if isinstance(target, models.MoneyField):
        return {int, type(None)}
    if isinstance(target, models.PeriodField):  # text, when every value has the form (checked per column)
        return {str, type(None)}
    if type(target).db_value is not peewee.Field.db_value:
        return None
    adapt = type(target).adapt
    kind = {peewee._StringField.adapt: str, peewee.IntegerField.adapt: int, peewee.BooleanField.adapt: bool,
            peewee.DateField.adapt: dt.date}.get(adapt)
    return {kind, type(None)} if kind else None


def converter(field):
    """``field.db_value``, skipped for a value that already is what it would return (``_stored_as``): the same
    values, without a call per cell."""
    kinds, db_value = _stored_as(field), field.db_value
    if not kinds or isinstance(field, models.PeriodField):  # a period is checked value by value here
        return db_value
    return lambda value: value if value.__class__ in kinds else db_value(value)


def _default(field, default):
    default = field.default if default is None else default
    return default() if callable(default) else default
