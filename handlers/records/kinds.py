"""Every record type that can be imported, in the order an agency migrates them (clients before what refers to
them). Each spec lives in its feature package; this list is the one place that names them all."""
from __future__ import annotations

from handlers.billing.records import PAYMENTS, RECEIVABLES
from handlers.clients.records import CLIENTS, CONTACTS
from handlers.filings.records import FILINGS
from handlers.intake.records import COLLECTIONS, FLAGS
from handlers.invoices.records import INVOICES
from handlers.knowledge.records import KNOWLEDGE
from handlers.reports.records import REPORTS
from handlers.services.records import CONTRACTS, SERVICES

SPECS = [CLIENTS, CONTACTS, CONTRACTS, SERVICES, RECEIVABLES, PAYMENTS, INVOICES, FILINGS, REPORTS, COLLECTIONS,
         FLAGS, KNOWLEDGE]
BY_KIND = {spec.kind: spec for spec in SPECS}


def spec_for(kind: str):
    """The spec of ``kind`` (English slug or 中文 name), or None."""
    return BY_KIND.get(kind) or next((spec for spec in SPECS if spec.title == kind), None)
