"""The agency's synonym list for knowledge search: how clients say it = how the rules say it.

A query containing any word of a group also searches for the group's other words. The list is edited in the
console (``add_synonym_group`` / ``remove_synonym_group``); the words are expanded when a query is planned, so
no index rebuild is needed after an edit. ``STARTER`` is the list a new install gets.
"""
from __future__ import annotations

import models
from bot.router import UserError
from handlers.knowledge.text import normalise

# Written from how clients word things in chats with their accountant, first word = the everyday one.
STARTER = """
法人 法定代表人 法人代表
个体户 个体工商户
老板拿钱 分红 股息红利 利润分配
老板借钱 股东借款 借款未还
抬头 购买方名称 发票抬头
五险一金 社保公积金 社会保险和住房公积金
社保 社会保险 养老保险 上保险 交保险 参保
公积金 住房公积金
专票 增值税专用发票 专用发票
普票 增值税普通发票 普通发票
电子发票 数电票 全电发票 数电发票
税务局网站 电子税务局 网上申报 网上税务局
关公司 注销 公司不开了 不做了 关掉 不想做了 不干了
零申报 没收入申报 无收入申报 没有收入
小规模 小规模纳税人
一般人 一般纳税人
个税 个人所得税
企税 企业所得税 所得税
汇算 汇算清缴 年度汇算
年报 年度报告 工商年报
营业执照 执照
开户 银行开户 开对公账户
对公账户 基本户 公司账户 对公户
私户 个人账户 个人卡
工资 薪金 工资薪金
发工资 代发工资 工资发放
报销 费用报销
收据 白条 没有发票 没发票 没票
进项 进项税额 抵扣
销项 销项税额
税点 税负 税率
开票 开发票 开具发票
红冲 红字发票 冲红 作废发票
发票丢了 发票丢失 发票遗失
罚款 罚金 滞纳金 处罚
逾期 过期 晚了 超期
报税 纳税申报 申报纳税
交税 缴税 纳税
退税 出口退税 留抵退税 退还税款
免税 免征 不用交税
个人独资 个人独资企业 独资企业
合伙 合伙企业
注册资本 认缴 实缴
股权转让 转让股份 卖股份 卖掉股份
股份 股权
变更 工商变更 变更登记
地址 注册地址 经营地址 住所
异常 经营异常 异常名录
非正常户 非正常 税务异常
跨区 跨区域 外出经营 跨区域涉税事项 外地 外省
代账 代理记账 记账报税
会计 记账会计 做账会计
账本 账簿 会计账簿
凭证 记账凭证 原始凭证
印花 印花税
房租 租金 租赁费
车辆 汽车 小汽车
餐费 业务招待费 招待费 请客吃饭
残保金 残疾人就业保障金
工伤 工伤保险
生育 生育保险 产假
失业金 失业保险
个税app 个人所得税app 个税软件
专项附加 专项附加扣除 附加扣除
房贷 住房贷款利息
孩子 子女教育 小孩 上学
老人 赡养老人 父母
起征点 基本减除费用 免征额
年终奖 全年一次性奖金
劳务费 劳务报酬 临时工 兼职
稿费 稿酬所得
经营所得 个体户个税 生产经营所得
核定 核定征收
查账 查账征收
税控盘 税控设备 金税盘 ux盘
ca 数字证书 ukey
密码忘了 忘记密码 重置密码
银行流水 流水 对账单
回单 银行回单 电子回单
网银 网上银行
公户转私户 公转私
小微 小型微利企业 小微企业
研发 研发费用 加计扣除
固定资产 资产折旧
季报 季度申报 按季申报
月报 按月申报 月度申报
附加税 附加税费 城建税 教育费附加
没开张 没开业 未开业
电脑 电子设备 设备
抵掉 抵税 税前扣除
开错票 开错发票 发票开错
工程 建筑服务 施工
被封 冻结 封了
""".strip()


def starter_groups() -> list[list[str]]:
    return [line.split() for line in STARTER.splitlines() if line.strip()]


def add_synonym_group(words: list[str]) -> int:
    """Save a group of words meaning the same; words already in a group join it (groups merge). Returns the group."""
    words = list(dict.fromkeys(w for w in (normalise(w).strip() for w in words) if w))
    if len(words) < 2 or any(len(w) < 2 or len(w) > 32 for w in words):
        raise UserError("同义词组至少要两个词，每个词 2 到 32 个字")
    S = models.KnowledgeSynonym
    existing = {s.term: s.grp for s in S.select().where(S.term.in_(words))}
    groups = sorted(set(existing.values()))
    if groups:
        target = groups[0]
        S.update(grp=target).where(S.grp.in_(groups)).execute()
    else:
        first = S.create(term=words[0], grp=0)
        target = first.id
        S.update(grp=target).where(S.id == first.id).execute()
        existing[words[0]] = target
    S.insert_many([{"term": w, "grp": target} for w in words if w not in existing]).execute()
    return target


def remove_synonym_group(group: int) -> int:
    """Delete a whole group; returns the number of words removed."""
    return models.KnowledgeSynonym.delete().where(models.KnowledgeSynonym.grp == group).execute()


def remove_synonym(word: str) -> None:
    """Take one word out of its group (a group left with one word is dropped)."""
    S = models.KnowledgeSynonym
    row = S.get_or_none(S.term == normalise(word).strip())
    if row is None:
        return
    row.delete_instance()
    if S.select().where(S.grp == row.grp).count() < 2:
        remove_synonym_group(row.grp)


def synonym_groups() -> list[list[str]]:
    """Every group, its words in the order they were added (for the console)."""
    S = models.KnowledgeSynonym
    groups: dict[int, list[str]] = {}
    for row in S.select().order_by(S.grp, S.id):
        groups.setdefault(row.grp, []).append(row.term)
    return list(groups.values())


def load_starter_synonyms() -> int:
    """Add the starter list (groups merge with what the agency already has); returns the number of groups."""
    groups = starter_groups()
    for words in groups:
        add_synonym_group(words)
    return len(groups)
