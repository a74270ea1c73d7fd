"""Invoices (发票) entered in the console: create, update and delete, each audited. The fields are parsed by the
invoices' import spec (handlers/invoices/records.py) before they get here.

Deleting: no other record refers to an invoice (a 红冲 invoice is its own row with negative amounts, and 收票
items count documents, they do not point at invoices), so an invoice can always be deleted; the audit row keeps
what it was."""
from __future__ import annotations

import models
from handlers.admin.forms import changed, plain

FIELDS = ("direction", "period", "code", "number", "issue_date", "counterparty", "amount_fen", "tax_fen", "rate_bp",
          "kind", "status")


def number_taken(client_id: int, direction: str, number: str, invoice_id: int | None) -> str | None:
    """The unique key is client + direction + number: the reason a second one is refused."""
    query = models.Invoice.select().where((models.Invoice.client == client_id) & (models.Invoice.direction == direction)
                                          & (models.Invoice.number == number))
    if invoice_id:
        query = query.where(models.Invoice.id != invoice_id)
    if query.exists():
        return f"这个客户已有{models.INVOICE_DIRECTIONS.get(direction, '')}发票 {number}"
    return None


def save_invoice(staff: models.Staff, client: models.Client, invoice: models.Invoice | None,
                 values: dict) -> models.Invoice:
    """Create (``invoice`` None) or update an invoice of ``client`` with parsed ``values``; audited."""
    values = {k: values[k] for k in FIELDS if k in values}
    if invoice is None:
        invoice = models.Invoice.create(client=client, **values)
        models.audit(staff, "invoice.create", invoice, after={"client": client.id, **plain(values)})
        return invoice
    before = {k: getattr(invoice, k) for k in values}
    for k, v in values.items():
        setattr(invoice, k, v)
    invoice.save()
    old, new = changed(plain(before), plain(values))
    models.audit(staff, "invoice.update", invoice, before=old, after=new)
    return invoice


def delete_invoice(staff: models.Staff, invoice: models.Invoice) -> None:
    """Delete an invoice (nothing refers to one); the audit row keeps its fields."""
    kept = {"client": invoice.client_id, **plain({k: getattr(invoice, k) for k in FIELDS})}
    invoice.delete_instance()
    models.audit(staff, "invoice.delete", "Invoice", invoice.id, before=kept)
