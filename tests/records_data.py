"""Import test data for every record type: a small base agency, a good file and a file with problems in several
rows (with the (row, column) each problem must be reported at)."""
import datetime as dt

import models

CLIENT = "杭州华夏科技有限公司"
TAX_ID = "91330106MA2XXXXX01"


def base_agency() -> dict:
    li = models.Staff.create(name="李晓梅", mobile="13800000001")
    liu = models.Staff.create(name="刘洋", mobile="13800000002")
    client = models.Client.create(name=CLIENT, tax_id=TAX_ID, manager=li, accountant=liu)
    contract = models.Contract.create(client=client, number="HT2026-0001", title="代理记账服务合同",
                                      start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31),
                                      amount_fen=360000)
    receivable = models.Receivable.create(client=client, contract=contract, item="代理记账费", period_start="2026-01",
                                          period_end="2026-03", amount_fen=90000, due_date=dt.date(2026, 1, 10))
    return {"li": li, "liu": liu, "client": client, "contract": contract, "receivable": receivable}


GOOD = {
    "clients": [
        {"客户名称": "杭州新程贸易有限公司", "税号": "91330106MA2YYYYY02", "纳税人类型": "一般纳税人",
         "增值税申报周期": "按月", "客户经理": "13800000001", "主办会计": "刘洋", "标签": "重点客户、新客户", "状态": "服务中"},
        {"客户名称": CLIENT, "简称": "华夏", "税号": TAX_ID},
    ],
    "contacts": [
        {"客户": TAX_ID, "姓名": "王建国", "职务": "老板", "手机": "13900000000", "主要联系人": "是"},
        {"客户": CLIENT, "姓名": "陈会计", "职务": "财务"},
    ],
    "contracts": [
        {"合同编号": "HT2026-0002", "客户": CLIENT, "合同名称": "代理记账服务合同", "开始日期": "2026-01-01",
         "结束日期": "2026-12-31", "合同金额": "3,600.00", "签订日期": "2025/12/25", "状态": "执行中"},
    ],
    "services": [
        {"客户": CLIENT, "服务类型": "记账", "服务名称": "代理记账", "开始日期": "2026-01-01", "结束日期": "2026-12-31",
         "费用": "900", "收费周期": "按季", "合同编号": "HT2026-0001"},
        {"客户": CLIENT, "服务类型": "工商", "服务名称": "地址变更", "开始日期": "2026年3月1日", "结束日期": "2026-04-30",
         "费用": "800.5", "收费周期": "一次性"},
    ],
    "receivables": [
        {"客户": CLIENT, "收费项目": "代理记账费", "起始所属期": "2026-04", "结束所属期": "2026-06", "应收金额": "900",
         "到期日": "2026-04-10", "合同编号": "HT2026-0001"},
        {"客户": TAX_ID, "收费项目": "工商服务费（地址变更）", "起始所属期": "2026年3月", "结束所属期": "2026/03",
         "应收金额": "800", "已收金额": "800", "到期日": "2026-03-08"},
    ],
    "payments": [
        {"客户": CLIENT, "收款金额": "300", "收款日期": "2026-02-01", "收款方式": "微信", "付款人": "王建国",
         "冲抵应收": "代理记账费 2026-01"},
    ],
    "invoices": [
        {"客户": CLIENT, "方向": "销项", "所属期": "2026-10", "发票号码": "26332000000000000001",
         "开票日期": "2026-10-15", "对方单位": "浙江新世纪商贸有限公司", "金额": "10000", "税额": "1300", "税率": "13%",
         "发票类型": "专票"},
        {"客户": CLIENT, "方向": "进项", "所属期": "2026-10", "发票代码": "033002100111", "发票号码": "12345678",
         "开票日期": "2026-10-03", "金额": "-100", "税额": "-1", "税率": "1%", "状态": "红冲"},
    ],
    "filings": [
        {"客户": CLIENT, "所属期": "2026-09", "税种": "增值税", "申报周期": "按季", "状态": "已申报", "税额": "1250",
         "申报人": "刘洋"},
        {"客户": CLIENT, "所属期": "2026-10", "税种": "个人所得税"},
    ],
    "reports": [
        {"客户": CLIENT, "所属期": "2026-10", "报表": "利润表", "行次": "1", "项目": "营业收入", "金额": "125000",
         "类别": "利润"},
        {"客户": CLIENT, "所属期": "2026-10", "报表": "利润表", "行次": "2", "项目": "营业成本", "金额": "80000",
         "类别": "利润"},
    ],
    "collections": [
        {"客户": CLIENT, "所属期": "2026-10", "资料类型": "进项发票", "份数": "12", "已收到": "是", "收票状态": "收票中"},
        {"客户": CLIENT, "所属期": "2026-10", "资料类型": "工资表", "份数": "1", "已收到": "否"},
    ],
    "missing_flags": [
        {"客户": CLIENT, "所属期": "2026-10", "缺票说明": "缺少10月进项发票3张", "标记人": "刘洋"},
    ],
    "knowledge": [
        {"一级分类": "税务", "二级分类": "增值税", "标题": "专票丢了怎么办？", "答案": "登报声明作废。", "关键词": "专票 丢失"},
        {"一级分类": "工商", "标题": "怎么注销公司？", "简要描述": "先清税", "答案": "先清税再注销。"},
    ],
}

# Rows 2-4 each have one problem; row 5 is fine (and must not be written either).
BAD = {
    "clients": ([{"客户名称": "", "简称": "无名"}, {"客户名称": "甲公司", "税号": "123"},
                 {"客户名称": "乙公司", "客户经理": "不存在的人"}, {"客户名称": "丙公司", "税号": TAX_ID},
                 {"客户名称": "丁公司"}, {"客户名称": "戊公司", "增值税申报周期": "按年"},
                 {"客户名称": "己公司", "纳税人类型": "一般纳税人", "增值税申报周期": "按季"}],
                {(2, "客户名称"), (3, "税号"), (4, "客户经理"), (5, "税号"), (7, "增值税申报周期"), (8, "增值税申报周期")}),
    "contacts": ([{"客户": "不存在的公司", "姓名": "甲"}, {"客户": CLIENT, "姓名": ""},
                  {"客户": CLIENT, "姓名": "乙", "主要联系人": "也许"}, {"客户": CLIENT, "姓名": "丙"}],
                 {(2, "客户"), (3, "姓名"), (4, "主要联系人")}),
    "contracts": ([{**GOOD["contracts"][0], "合同编号": "HT-B1", "开始日期": "2026-13-01"},
                   {**GOOD["contracts"][0], "合同编号": "HT-B2", "结束日期": "2025-01-01"},
                   {**GOOD["contracts"][0], "合同编号": "HT-B3", "合同金额": "12.345"},
                   {**GOOD["contracts"][0], "合同编号": "HT-B4"}],
                  {(2, "开始日期"), (3, "结束日期"), (4, "合同金额")}),
    "services": ([{**GOOD["services"][0], "服务类型": "保洁"}, {**GOOD["services"][1], "费用": "abc"},
                  {**GOOD["services"][0], "合同编号": "HT-NONE"}, GOOD["services"][1]],
                 {(2, "服务类型"), (3, "费用"), (4, "合同编号")}),
    "receivables": ([{**GOOD["receivables"][0], "起始所属期": "2026-13"},
                     {**GOOD["receivables"][0], "已收金额": "1000"},
                     {**GOOD["receivables"][0], "结束所属期": "2026-01"}, GOOD["receivables"][1]],
                    {(2, "起始所属期"), (3, "已收金额"), (4, "结束所属期")}),
    "payments": ([{**GOOD["payments"][0], "收款金额": "12.345"}, {**GOOD["payments"][0], "收款日期": "昨天"},
                  {**GOOD["payments"][0], "冲抵应收": "咨询费 2026-01"},
                  {**GOOD["payments"][0], "收款日期": "2026-02-02"}],
                 {(2, "收款金额"), (3, "收款日期"), (4, "冲抵应收")}),
    "invoices": ([{**GOOD["invoices"][0], "发票号码": "123"}, {**GOOD["invoices"][0], "税率": "abc"},
                  {**GOOD["invoices"][0], "方向": "进出"}, GOOD["invoices"][1]],
                 {(2, "发票号码"), (3, "税率"), (4, "方向")}),
    "filings": ([{**GOOD["filings"][0], "所属期": "2026-10"}, {**GOOD["filings"][1], "税种": "房产税"},
                 {**GOOD["filings"][1], "税额": "1.234"}, GOOD["filings"][1]],
                {(2, "所属期"), (3, "税种"), (4, "税额")}),
    "reports": ([{**GOOD["reports"][0], "报表": "现金流量表"}, {**GOOD["reports"][0], "项目": ""},
                 {**GOOD["reports"][1], "金额": "很多"}, GOOD["reports"][0]],
                {(2, "报表"), (3, "项目"), (4, "金额")}),
    "collections": ([{**GOOD["collections"][0], "资料类型": "合同"}, {**GOOD["collections"][0], "份数": "1.5"},
                     {**GOOD["collections"][0], "所属期": "十月"}, GOOD["collections"][1]],
                    {(2, "资料类型"), (3, "份数"), (4, "所属期")}),
    "missing_flags": ([{**GOOD["missing_flags"][0], "所属期": ""}, {**GOOD["missing_flags"][0], "标记人": "某人"},
                       {**GOOD["missing_flags"][0], "客户": ""}, GOOD["missing_flags"][0]],
                      {(2, "所属期"), (3, "标记人"), (4, "客户")}),
    "knowledge": ([{**GOOD["knowledge"][0], "标题": ""}, {**GOOD["knowledge"][1], "答案": ""},
                   {**GOOD["knowledge"][1], "标题": "长" * 256}, GOOD["knowledge"][1]],
                  {(2, "标题"), (3, "答案"), (4, "标题")}),
}

# What each kind writes, to compare before and after (every row of these tables).
TABLES = {
    "clients": [models.Client], "contacts": [models.ClientContact], "contracts": [models.Contract],
    "services": [models.Service], "receivables": [models.Receivable],
    "payments": [models.Payment, models.PaymentAllocation, models.Receivable, models.ReceiptCounter],
    "invoices": [models.Invoice], "filings": [models.TaxFiling], "reports": [models.ReportSnapshot],
    "collections": [models.InvoiceCollection, models.CollectionItem], "missing_flags": [models.MissingInvoiceFlag],
    "knowledge": [models.KnowledgeEntry, models.KnowledgeCategory],
}


def snapshot(kind: str) -> list:
    return [sorted(map(repr, model.select().tuples())) for model in TABLES[kind]]


def as_rows(spec, records: list[dict]) -> tuple[list[str], list[list]]:
    """The template's headers and the records as cell lists in that order."""
    from handlers.records.template import header_text
    header = [header_text(c) for c in spec.columns]
    return header, [[record.get(c.header, "") for c in spec.columns] for record in records]
