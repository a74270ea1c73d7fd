"""Seeding steps: 收票, 缺票 flags, follow-ups, invoices, filings and the knowledge base."""
import datetime as dt

import models
from handlers.invoices.rules import vat_estimate
from handlers.invoices.vat_table import DEFAULT_CYCLE, levy_rate
from handlers.knowledge.index import rebuild_index
from handlers.knowledge.synonyms import load_starter_synonyms
from seed import knowledge_data
from seed.data import CUSTOMERS, FOLLOWUP_NOTES, INPUT_RATES, SUPPLIERS
from seed.kit import at, bulk, month_start, yuan
from models import period_of, shift_period


def _collection_items(ctx, collection_id, complete, done_at):
    rows = []
    for kind in models.COLLECTION_KINDS:
        received = complete or ctx.rng.random() < 0.5
        count = {'payroll': 1}.get(kind, ctx.rng.randint(1, 30)) if received else 0
        rows.append({'collection': collection_id, 'kind': kind, 'count': count, 'received': received,
                     'received_at': done_at if received else None})
    return rows


def seed_collections(ctx):
    items, work = [], ctx.work_period
    for plan in ctx.active():
        for period in (shift_period(work, -2), shift_period(work, -1), work):
            complete = period != work or ctx.rng.random() < 0.6
            closing = month_start(shift_period(period, 1)) + dt.timedelta(days=ctx.rng.randint(2, 12))
            done_at = at(min(closing, ctx.today), 15)
            collection = models.InvoiceCollection.create(
                client=ctx.client_ids[plan.index], period=period, status='complete' if complete else 'open',
                completed_at=done_at if complete else None,
                completed_by=ctx.staff[plan.accountant] if complete else None,
                created_at=at(month_start(period) + dt.timedelta(days=25)))
            items += _collection_items(ctx, collection.id, complete, done_at)
            if not complete:
                ctx.collections_open.append(plan.index)
    bulk(models.CollectionItem, items)


def seed_missing_flags(ctx):
    work, rows = ctx.work_period, []
    for n, index in enumerate(ctx.collections_open[:6]):
        plan = ctx.world.clients[index]
        rows.append({'client': ctx.client_ids[index], 'period': work,
                     'note': f'缺少{int(work[5:])}月进项发票{ctx.rng.randint(1, 5)}张，另缺银行回单',
                     'flagged_by': ctx.staff[plan.accountant].id,
                     'flagged_at': at(ctx.today - dt.timedelta(days=n + 1), 11),
                     'resolved_at': None})
    if ctx.active():  # one older flag, already resolved
        plan = ctx.active()[-1]
        rows.append({'client': ctx.client_ids[plan.index], 'period': shift_period(work, -1),
                     'note': '缺少费用票（差旅）', 'flagged_by': ctx.staff[plan.accountant].id,
                     'flagged_at': at(ctx.today - dt.timedelta(days=40)),
                     'resolved_at': at(ctx.today - dt.timedelta(days=30))})
    bulk(models.MissingInvoiceFlag, rows)


def seed_followups(ctx):
    rows = []
    for plan in ctx.world.clients[::2]:
        for _ in range(ctx.rng.randint(1, 3)):
            note = ctx.rng.choice(FOLLOWUP_NOTES).format(period=f'{int(ctx.work_period[5:])}月')
            rows.append({'client': ctx.client_ids[plan.index], 'staff': ctx.staff[plan.manager].id, 'content': note,
                         'created_at': at(ctx.today - dt.timedelta(days=ctx.rng.randint(1, 60)),
                                           ctx.rng.randint(9, 17), ctx.rng.randrange(60))})
    bulk(models.FollowUp, rows)


# --- invoices, filings and reports ------------------------------------------

def _invoice_rows(ctx, plan, period, direction, seq):
    rng, general = ctx.rng, plan.taxpayer_type == 'general'
    last_day = min(ctx.today, month_start(shift_period(period, 1)) - dt.timedelta(days=1))
    if last_day < month_start(period):
        return []
    if direction == 'output':  # a small-scale taxpayer invoices at the levy rate in force only
        count = rng.randint(4, 10) if general else rng.randint(2, 6)
        rates = [plan.rate_bp] if general else [levy_rate(month_start(period)).rate_bp]
        parties, (low, high) = CUSTOMERS, (15_000, 80_000) if general else (3_000, 25_000)
    else:
        count = rng.randint(3, 8) if general else rng.randint(0, 2)
        rates, parties, (low, high) = INPUT_RATES, SUPPLIERS, (5_000, 50_000) if general else (500, 5_000)
    rows = []
    for _ in range(count):
        seq[0] += 1
        rate, amount = rng.choice(rates), yuan(rng, low, high)
        kind = 'special' if (general and rng.random() < 0.8) or (not general and rng.random() < 0.2) else 'normal'
        rows.append({'client': ctx.client_ids[plan.index], 'direction': direction, 'period': period,
                     'number': f'{int(period[2:4]):02d}33{2 if direction == "output" else 1}{seq[0]:015d}',
                     'issue_date': month_start(period) + dt.timedelta(days=rng.randrange(last_day.day)),
                     'counterparty': rng.choice(parties), 'amount_fen': amount,
                     'tax_fen': (amount * rate + 5000) // 10000, 'rate_bp': rate, 'kind': kind})
    return rows


def seed_invoices(ctx):
    rows, seq, current = [], [0], period_of(ctx.today)
    for plan in ctx.active():
        for period in [shift_period(current, -m) for m in range(6, -1, -1)]:
            rows += _invoice_rows(ctx, plan, period, 'output', seq)
            rows += _invoice_rows(ctx, plan, period, 'input', seq)
    bulk(models.Invoice, rows)
    return rows


def _sums(invoices):
    """{(client id, period, direction): (amount_fen, tax_fen)}, the invoicing figures the reports start from."""
    sums = {}
    for row in invoices:
        key = (row['client'], row['period'], row['direction'])
        amount, tax = sums.get(key, (0, 0))
        sums[key] = (amount + row['amount_fen'], tax + row['tax_fen'])
    return sums


def _filing_status(ctx, period, amount):
    deadline = month_start(shift_period(period, 1)) + dt.timedelta(days=14)
    pending = deadline >= ctx.today and ctx.rng.random() < 0.4 or ctx.rng.random() < 0.03
    if pending:
        return 'pending', None
    filed = min(deadline - dt.timedelta(days=ctx.rng.randint(0, 10)), ctx.today)
    return ('paid' if amount else 'filed'), at(filed, 14)


def _filing(ctx, plan, period, tax, cycle, amount):
    status, filed_at = _filing_status(ctx, period, amount)
    return {'client': ctx.client_ids[plan.index], 'period': period, 'tax': tax, 'cycle': cycle,
            'status': status, 'amount_fen': amount, 'filed_at': filed_at,
            'filed_by': ctx.staff[plan.accountant].id if filed_at else None}


def _client_filings(ctx, plan, client, quarter_end):
    """The client's returns of the last three months and the last quarter; VAT as the product estimates it."""
    rows, work = [], ctx.work_period
    vat_cycle = DEFAULT_CYCLE[plan.taxpayer_type]
    for period in (shift_period(work, -2), shift_period(work, -1), work):
        if vat_cycle == 'monthly':
            vat = vat_estimate(client, period).payable_fen
            rows += [_filing(ctx, plan, period, 'vat', 'monthly', vat),
                     _filing(ctx, plan, period, 'surtax', 'monthly', vat * 12 // 100)]
        rows.append(_filing(ctx, plan, period, 'iit', 'monthly', ctx.rng.choice([0, 0, yuan(ctx.rng, 50, 3000)])))
    if vat_cycle == 'quarterly':
        vat = vat_estimate(client, quarter_end).payable_fen
        rows += [_filing(ctx, plan, quarter_end, 'vat', 'quarterly', vat),
                 _filing(ctx, plan, quarter_end, 'surtax', 'quarterly', vat * 6 // 100)]
    rows.append(_filing(ctx, plan, quarter_end, 'cit', 'quarterly', yuan(ctx.rng, 0, 20_000) // 1000 * 1000))
    rows.append(_filing(ctx, plan, quarter_end, 'stamp', 'quarterly', yuan(ctx.rng, 10, 600)))
    return rows


def seed_filings(ctx, invoices):
    """Tax returns; the invoices are already written, so VAT is estimated from them by the product's one rule."""
    work = ctx.work_period
    quarter_end = shift_period(work, -((int(work[5:]) % 3)))  # last month of the last finished quarter
    clients = {c.id: c for c in models.Client.select()}
    rows = []
    for plan in ctx.active():
        rows += _client_filings(ctx, plan, clients[ctx.client_ids[plan.index]], quarter_end)
    bulk(models.TaxFiling, rows)
    return _sums(invoices)


def seed_knowledge(ctx):
    """The starter knowledge base (seed/knowledge_data.py), the starter synonym list, and the search index."""
    categories = {}
    for order, (top, children) in enumerate(knowledge_data.TREE.items()):
        parent = models.KnowledgeCategory.create(name=top, sort_order=order)
        for child_order, child in enumerate(children):
            categories[top, child] = models.KnowledgeCategory.create(name=child, parent=parent, sort_order=child_order)
    author, auditor = ctx.staff['zhaoli'], ctx.staff['liuyang']
    rows = []
    for n, (top, child, title, brief, answer, audited) in enumerate(knowledge_data.entries()):
        written = at(ctx.today - dt.timedelta(days=300 - n * 2))
        rows.append({'category': categories[top, child].id, 'title': title, 'brief': brief, 'answer': answer,
                     'audited': audited, 'audited_by': auditor.id if audited else None,
                     'audited_at': written + dt.timedelta(days=1) if audited else None,
                     'created_by': author.id, 'created_at': written, 'updated_at': written,
                     'hits': ctx.rng.randint(0, 80) if audited else 0})
    bulk(models.KnowledgeEntry, rows)
    load_starter_synonyms()
    rebuild_index()
