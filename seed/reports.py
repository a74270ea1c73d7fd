"""Seeding steps: balance sheets and income statements."""
import datetime as dt

import models
from seed.kit import at, bulk, month_start, yuan
from models import shift_period


def _line(code, name, amount, section, total=False):
    return {'code': code, 'name': name, 'amount_fen': amount, 'section': section, 'total': total}


def _income_statement(rng, revenue, surtax):
    cost = revenue * rng.randint(55, 80) // 100
    selling = revenue * rng.randint(2, 8) // 100
    admin = yuan(rng, 8_000, 40_000)
    finance = yuan(rng, 50, 500)
    operating = revenue - cost - surtax - selling - admin - finance
    income_tax = max(operating, 0) * 5 // 100
    return [_line('1', '营业收入', revenue, 'profit'), _line('2', '营业成本', cost, 'profit'),
            _line('3', '税金及附加', surtax, 'profit'), _line('11', '销售费用', selling, 'profit'),
            _line('14', '管理费用', admin, 'profit'), _line('18', '财务费用', finance, 'profit'),
            _line('21', '营业利润', operating, 'profit', True), _line('22', '营业外收入', 0, 'profit'),
            _line('24', '营业外支出', 0, 'profit'), _line('30', '利润总额', operating, 'profit', True),
            _line('31', '所得税费用', income_tax, 'profit'),
            _line('32', '净利润', operating - income_tax, 'profit', True)]


def _balance_sheet(rng, revenue):
    scale = max(revenue, 50_000_00)
    cash, receivable = scale * rng.randint(30, 120) // 100, scale * rng.randint(10, 60) // 100
    prepaid, other = scale * rng.randint(0, 10) // 100, scale * rng.randint(0, 8) // 100
    stock = scale * rng.randint(0, 80) // 100
    current = cash + receivable + prepaid + other + stock
    cost_fixed = scale * rng.randint(10, 90) // 100
    depreciation = cost_fixed * rng.randint(10, 60) // 100
    fixed = cost_fixed - depreciation
    assets = current + fixed
    payable, advance = scale * rng.randint(5, 40) // 100, scale * rng.randint(0, 15) // 100
    wages, taxes, other_pay = scale * rng.randint(3, 12) // 100, scale * rng.randint(1, 6) // 100, 0
    liabilities = payable + advance + wages + taxes + other_pay
    capital = rng.choice([10, 30, 50, 100]) * 10_000_00
    reserve = capital * rng.randint(0, 10) // 100
    retained = assets - liabilities - capital - reserve  # negative means accumulated losses
    equity = capital + reserve + retained
    return [_line('1', '货币资金', cash, 'asset'), _line('4', '应收账款', receivable, 'asset'),
            _line('5', '预付账款', prepaid, 'asset'), _line('8', '其他应收款', other, 'asset'),
            _line('9', '存货', stock, 'asset'), _line('15', '流动资产合计', current, 'asset', True),
            _line('18', '固定资产原价', cost_fixed, 'asset'), _line('19', '减：累计折旧', depreciation, 'asset'),
            _line('20', '固定资产账面价值', fixed, 'asset'), _line('29', '非流动资产合计', fixed, 'asset', True),
            _line('30', '资产合计', assets, 'asset', True),
            _line('31', '短期借款', 0, 'liability'), _line('33', '应付账款', payable, 'liability'),
            _line('34', '预收账款', advance, 'liability'), _line('35', '应付职工薪酬', wages, 'liability'),
            _line('36', '应交税费', taxes, 'liability'), _line('39', '其他应付款', other_pay, 'liability'),
            _line('41', '流动负债合计', liabilities, 'liability', True),
            _line('46', '非流动负债合计', 0, 'liability', True), _line('47', '负债合计', liabilities, 'liability', True),
            _line('48', '实收资本', capital, 'equity'), _line('49', '资本公积', 0, 'equity'),
            _line('50', '盈余公积', reserve, 'equity'), _line('51', '未分配利润', retained, 'equity'),
            _line('52', '所有者权益合计', equity, 'equity', True),
            _line('53', '负债和所有者权益合计', liabilities + equity, 'equity', True)]


def seed_reports(ctx, sums):
    rows, work = [], ctx.work_period
    for plan in ctx.active():
        cid = ctx.client_ids[plan.index]
        for period in (shift_period(work, -2), shift_period(work, -1), work):
            if period == work and plan.index in ctx.collections_open:
                continue  # books for the work period are not closed yet
            revenue = sums.get((cid, period, 'output'), (0, 0, 0))[0]
            surtax = revenue * (6 if plan.taxpayer_type == 'general' else 1) // 1000
            created = at(min(month_start(shift_period(period, 1)) + dt.timedelta(days=12), ctx.today), 18)
            rows.append({'client': cid, 'period': period, 'kind': 'income_statement',
                         'lines': _income_statement(ctx.rng, revenue, surtax), 'created_at': created})
            rows.append({'client': cid, 'period': period, 'kind': 'balance_sheet',
                         'lines': _balance_sheet(ctx.rng, revenue), 'created_at': created})
    bulk(models.ReportSnapshot, rows)


# --- knowledge base -----------------------------------------------------------
