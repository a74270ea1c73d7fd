"""Seeding steps: service terms, receivables and payments."""
import datetime as dt
from dataclasses import dataclass

import models
from seed.data import BUSINESS_ITEMS, EXPIRED, EXPIRING, FIXED_CYCLES
from seed.kit import add_years, at, month_start
from seed.world import ClientPlan
from models import db, next_receipt_number, period_of, shift_period
from seed.records import import_records, yuan_text


@dataclass
class _Term:
    """A service term as planned; ``service`` and ``contract`` hold the template cells they are imported from."""
    plan: ClientPlan
    service: dict
    contract: dict | None


def _current_end(ctx, index):
    if index in EXPIRING:
        return ctx.today + dt.timedelta(days=3 + (index * 7) % 28)
    if index in EXPIRED:
        return ctx.today - dt.timedelta(days=10 + (index * 3) % 50)
    return ctx.today + dt.timedelta(days=31 + ctx.rng.randrange(300))


def _bookkeeping_terms(ctx, plan, seq):
    general = plan.taxpayer_type == 'general'
    monthly_fee = ctx.rng.choice([600, 800, 1000, 1200] if general else [200, 250, 300, 350, 400]) * 100
    cycle = ctx.rng.choice(['monthly', 'quarterly'] if general else ['yearly', 'quarterly', 'yearly'])
    cycle = FIXED_CYCLES.get(plan.index, cycle)
    months = {'monthly': 1, 'quarterly': 3, 'yearly': 12}[cycle]
    end = _current_end(ctx, plan.index)
    start = add_years(end, -1) + dt.timedelta(days=1)
    terms = []
    for term_start, term_end in ((add_years(start, -1), start - dt.timedelta(days=1)), (start, end)):
        seq[0] += 1
        number = f'HT{term_start.year}-{seq[0]:04d}'
        contract = {'合同编号': number, '客户': plan.tax_id, '合同名称': '代理记账服务合同',
                    '开始日期': term_start, '结束日期': term_end, '合同金额': yuan_text(monthly_fee * 12),
                    '签订日期': term_start - dt.timedelta(days=ctx.rng.randint(1, 10)),
                    '状态': models.CONTRACT_STATUSES['active' if term_end >= ctx.today else 'ended']}
        status = 'renewed' if term_end < start else ('active' if term_end >= ctx.today else 'expired')
        service = {'客户': plan.tax_id, '服务类型': '记账', '服务名称': '代理记账', '开始日期': term_start,
                   '结束日期': term_end, '费用': yuan_text(monthly_fee * months),
                   '收费周期': models.BILLING_CYCLES[cycle], '合同编号': number,
                   '状态': models.SERVICE_STATUSES[status],
                   'kind': 'bookkeeping', 'cycle': cycle, 'fee_fen': monthly_fee * months, 'status': status}
        terms.append(_Term(plan, service, contract))
    return terms


def _business_term(ctx, plan):
    start = ctx.today - dt.timedelta(days=ctx.rng.randint(10, 200))
    end = start + dt.timedelta(days=ctx.rng.choice([30, 60, 90]))
    name, fee = ctx.rng.choice(BUSINESS_ITEMS), ctx.rng.choice([500, 800, 1200, 2000, 3000]) * 100
    status = 'active' if end >= ctx.today else 'expired'
    service = {'客户': plan.tax_id, '服务类型': '工商', '服务名称': name, '开始日期': start, '结束日期': end,
               '费用': yuan_text(fee), '收费周期': '一次性', '状态': models.SERVICE_STATUSES[status],
               'kind': 'business', 'cycle': 'once', 'fee_fen': fee, 'status': status}
    return _Term(plan, service, None)


def _bill_dates(service):
    """(period_start, period_end, due_date) of each bill of a service term."""
    if service['cycle'] == 'once':
        return [(period_of(service['开始日期']),) * 2 + (service['开始日期'] + dt.timedelta(days=7),)]
    months = {'monthly': 1, 'quarterly': 3, 'yearly': 12}[service['cycle']]
    first, bills = period_of(service['开始日期']), []
    for offset in range(0, 12, months):
        start = shift_period(first, offset)
        bills.append((start, shift_period(start, months - 1), month_start(start) + dt.timedelta(days=9)))
    return bills


def _payer_profile(index):
    return 'late' if index % 4 == 0 else ('partial' if index % 7 == 3 else 'prompt')


def _payments_for(ctx, index, due, amount, unpaid_last):
    """The (paid_on, amount) payments a client of this profile made for one bill."""
    rng, today, profile = ctx.rng, ctx.today, _payer_profile(index)
    if unpaid_last:  # the lapsed client stopped paying
        return []
    delay = {'prompt': rng.randint(-5, 12), 'late': rng.randint(25, 60), 'partial': rng.randint(0, 20)}[profile]
    paid_on = due + dt.timedelta(days=delay)
    if paid_on > today:
        return []
    if profile == 'partial' and (today - due).days < 90:
        return [(paid_on, amount // 20000 * 10000)]  # half, rounded down to 100 yuan
    return [(paid_on, amount)]


def _seed_receivables(ctx, terms):
    """Bills through the receivables import; returns the payments to record: (paid_on, plan index, receivable,
    amount)."""
    window = (ctx.today - dt.timedelta(days=365), ctx.today + dt.timedelta(days=31))
    records, extras, planned = [], [], []
    for term in terms:
        bills = [b for b in _bill_dates(term.service) if window[0] <= b[2] <= window[1]]
        for n, (p_start, p_end, due) in enumerate(bills):
            amount = term.service['fee_fen']
            unpaid_last = n == len(bills) - 1 and term.service['status'] == 'expired'
            payments = _payments_for(ctx, term.plan.index, due, amount, unpaid_last)
            item = '代理记账费' if term.service['kind'] == 'bookkeeping' else f"工商服务费（{term.service['服务名称']}）"
            records.append({'客户': term.plan.tax_id, '收费项目': item, '起始所属期': p_start, '结束所属期': p_end,
                            '应收金额': yuan_text(amount), '已收金额': yuan_text(sum(a for _, a in payments)),
                            '到期日': due, '合同编号': term.contract['合同编号'] if term.contract else ''})
            extras.append((term, item, p_start, due, payments))
    import_records('receivables', records)
    services = {(c, k, n, s): i for i, c, k, n, s in models.Service.select(
        models.Service.id, models.Service.client, models.Service.kind, models.Service.name,
        models.Service.start_date).tuples()}
    for term, item, p_start, due, payments in extras:  # what a template does not carry: the term and the date
        client_id = ctx.client_ids[term.plan.index]
        receivable = models.Receivable.get((models.Receivable.client == client_id) & (models.Receivable.item == item)
                                           & (models.Receivable.period_start == p_start))
        receivable.service = services[(client_id, term.service['kind'], term.service['服务名称'],
                                       term.service['开始日期'])]
        receivable.created_at = at(due - dt.timedelta(days=20))
        receivable.save()
        planned += [(paid_on, term.plan.index, receivable, a) for paid_on, a in payments]
    return planned


def _seed_payments(ctx, planned):
    methods = ['bank', 'bank', 'bank', 'wechat', 'alipay', 'cash']
    plans = {p.index: p for p in ctx.world.clients}
    for paid_on, index, receivable, amount in sorted(planned, key=lambda p: (p[0], p[1], p[2].id)):
        method = ctx.rng.choice(methods)
        plan = plans[index]
        payment = models.Payment.create(
            client=receivable.client_id, receipt_no=next_receipt_number(paid_on.year), amount_fen=amount,
            method=method, paid_on=paid_on, payer=plan.name if method == 'bank' else plan.people[0]['name'],
            recorded_by=ctx.staff[plan.manager], created_at=at(paid_on, 16, ctx.rng.randrange(60)))
        models.PaymentAllocation.create(payment=payment, receivable=receivable, amount_fen=amount)


def seed_billing(ctx):
    """Contracts, service terms and receivables through their imports; payments as staff record them."""
    seq, terms = [0], []
    with db.atomic():
        for plan in ctx.world.clients:
            terms += _bookkeeping_terms(ctx, plan, seq)
            if ctx.rng.random() < 0.25:
                terms.append(_business_term(ctx, plan))
        import_records('contracts', [term.contract for term in terms if term.contract])
        import_records('services', [term.service for term in terms])
        planned = _seed_receivables(ctx, terms)
    with db.atomic():
        _seed_payments(ctx, planned)


# --- 收票, 缺票 and follow-ups ------------------------------------------------
