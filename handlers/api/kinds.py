"""What each kind of the API reads and writes: its record spec (the import's), the read-only fields it shows
besides the spec's, and whether PUT upserts it (payments are only created, by POST, and voided)."""
from __future__ import annotations

from dataclasses import dataclass

import models
from handlers.billing.records import PAYMENTS, RECEIVABLES
from handlers.clients.records import CLIENTS
from handlers.filings.records import FILINGS
from handlers.invoices.records import INVOICES
from handlers.records.spec import RecordSpec
from handlers.reports.records import REPORTS
from handlers.services.records import CONTRACTS, SERVICES


@dataclass(frozen=True)
class ApiKind:
    name: str  # /api/v1/<name>
    spec: RecordSpec
    extras: tuple[str, ...] = ()  # stored fields shown read-only (a payment's receipt number, a status)
    upsert: bool = True  # PUT by natural key; False: POST creates, nothing updates

    @property
    def model(self):
        return self.spec.model


KINDS = {kind.name: kind for kind in [
    ApiKind("clients", CLIENTS, ("created_at",)),
    ApiKind("contracts", CONTRACTS),
    ApiKind("services", SERVICES),
    ApiKind("receivables", RECEIVABLES, ("status", "created_at")),
    ApiKind("payments", PAYMENTS, ("receipt_no", "account", "credit_fen", "created_at", "voided_at", "void_reason"),
            upsert=False),
    ApiKind("invoices", INVOICES),
    ApiKind("filings", FILINGS, ("filed_at",)),
    ApiKind("reports", REPORTS, ("lines", "created_at")),  # read as snapshots (lines inside), written line by line as the import does
]}

REPORT_LINE_FIELDS = ("code", "name", "amount_fen", "section", "total")


def stored_ids(kind: ApiKind, rows: list[tuple[int, str, dict]]) -> dict[int, dict]:
    """{row: {"id": …}} of written rows, found again by natural key (the writers insert many rows at once and
    return no ids). Payments also give their receipt number; a report line gives its snapshot's id."""
    model, spec = kind.model, kind.spec
    if model is models.ReportSnapshot:
        key = ("client", "period", "kind")
    elif model is models.Payment:
        key = ("client", "paid_on", "amount_fen", "method")
    else:
        key = spec.key
    columns = [model._meta.fields[name] for name in key]
    query = model.select(model.id, *columns, *([model.receipt_no] if model is models.Payment else []))
    for name, column in zip(key, columns):
        query = query.where(column.in_(list({values[name] for _, _, values in rows})))
    if model is models.Payment:
        query = query.where(model.voided_at.is_null()).order_by(model.id)
    found = {}
    for record in query.tuples():
        found[tuple(record[1:1 + len(key)])] = {"id": record[0], **(
            {"receipt_no": record[-1]} if model is models.Payment else {})}
    return {row: found.get(tuple(values[name] for name in key), {"id": None}) for row, _, values in rows}
