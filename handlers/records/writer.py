"""The generic upsert by natural key: per batch, one query finds the stored rows with the batch's keys; a row
with no stored match is created (one multi-row INSERT per batch), one whose cells differ is updated, the rest
are left alone, so importing the same file twice changes nothing the second time."""
from __future__ import annotations


def _same(stored, new) -> bool:
    if stored in ("", None) and new in ("", None):
        return True
    return stored == new


class ModelWriter:
    """plan() says what each row of a batch would do; write() does it (after plan(), same batch)."""

    def plan(self, spec, batch: list[tuple[int, dict]], lookups, context) -> list:
        stored = self._stored(spec, batch)
        actions, found = [], []
        for _, values in batch:
            row = stored.get(tuple(values[name] for name in spec.key))
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
        model, inserts = spec.model, []
        for (_, values), action, row in zip(batch, actions, self._found):
            if action == "created":
                inserts.append({**spec.defaults_on_create, **values, **(spec.derive(values) if spec.derive else {})})
            elif action == "updated":
                changed = {name: value for name, value in values.items() if not _same(row[1].get(name), value)}
                if spec.derive:
                    changed.update(spec.derive({**row[1], **values}))
                model.update(**changed).where(model.id == row[0]).execute()
        if inserts:
            model.insert_many(inserts).execute()
        if spec.after_write:
            spec.after_write(batch, actions, lookups)

    @staticmethod
    def _stored(spec, batch) -> dict[tuple, tuple[int, dict]]:
        """Natural key -> (id, stored values of the spec's fields) for the batch's keys."""
        model = spec.model
        fields = [model._meta.fields[name] for name in spec.fields]
        query = model.select(model.id, *fields)
        for name in spec.key:
            query = query.where(model._meta.fields[name].in_(list({values[name] for _, values in batch})))
        stored = {}
        for row in query.tuples().iterator():
            data = dict(zip(spec.fields, row[1:]))
            stored[tuple(data[name] for name in spec.key)] = (row[0], data)
        return stored
