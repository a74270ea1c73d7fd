"""The demo agency: a fixed WeCom directory and the bookkeeping records behind it.

`demo_directory()` is the WeCom side (members, external contacts, customer groups) that the
sandbox serves; it needs no database. `seed_demo()` writes the agency's records, that same
directory included, into the database `models.db` is bound to (after `migrate.upgrade`).
Both are deterministic: the directory depends on nothing, the records only on `today`.

Periods: the "work period" is last month: in November the agency collects October's
documents, closes October's books and files October's returns by the 15th.
"""
import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import models
from models import db, next_receipt_number, period_of, pinyin_initials, shift_period

SEED = 20261126
SHANGHAI = ZoneInfo('Asia/Shanghai')
_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'


class SeedError(Exception):
    """The demo data cannot be written (the database already holds clients)."""


# ===========================================================================
# Demo data tables
# ===========================================================================

CORP_NAME = '杭州明信财税代理有限公司'

# userid, name, position, role, extra permissions; 'newbie' is a WeCom member with no staff binding.
MEMBERS = [
    ('admin', '张明远', '总经理', 'super_admin', []),
    ('chenjing', '陈静', '行政主管', 'admin', []),
    ('lixiaomei', '李晓梅', '客户经理', 'staff', []),
    ('wanghao', '王浩', '客户经理', 'staff', []),
    ('zhaoli', '赵丽', '客户经理', 'staff', ['knowledge.maintain']),
    ('liuyang', '刘洋', '主办会计', 'staff', ['knowledge.maintain', 'knowledge.audit']),
    ('sunwei', '孙伟', '会计', 'staff', []),
    ('zhoufang', '周芳', '会计', 'staff', []),
    ('newbie', '吴欣然', '会计助理', 'staff', []),
]
UNBOUND_USERID = 'newbie'
MANAGERS = ['lixiaomei', 'wanghao', 'zhaoli']
ACCOUNTANTS = ['liuyang', 'sunwei', 'zhoufang']

CITIES = [  # city, district, 统一社会信用代码 region, roads
    ('杭州', '西湖区', '330106', ('文三路', '学院路', '天目山路')), ('上海', '浦东新区', '310115', ('世纪大道', '张江路', '浦电路')),
    ('北京', '朝阳区', '110105', ('建国路', '望京街', '酒仙桥路')), ('苏州', '工业园区', '320571', ('星湖街', '苏州大道东', '金鸡湖大道')),
    ('宁波', '鄞州区', '330212', ('天童南路', '四明中路', '钱湖北路')), ('南京', '建邺区', '320105', ('江东中路', '河西大街', '庐山路')),
    ('深圳', '南山区', '440305', ('科技园路', '南海大道', '深南大道')), ('广州', '天河区', '440106', ('珠江东路', '天河路', '体育西路')),
    ('成都', '高新区', '510109', ('天府大道', '益州大道', '天府三街')), ('武汉', '洪山区', '420111', ('光谷大道', '珞喻路', '关山大道')),
]
BRANDS = (
    '华夏 锦程 青禾 远航 恒信 博雅 德润 启明 安泰 鼎盛 嘉禾 瑞丰 汇通 盛世 宏图 金诺 天成 新程 优品 云帆 '
    '绿源 晨光 众诚 海川 明辉 长青 卓越 睿达 蓝海 同创 立信 万和 福瑞 兴业 东升 百川 聚力 君悦 佳美 '
    '正元 合力 方圆 星辰 润泽 和顺 凯旋 雅居 惠民 铭泰 思远'
).split()
INDUSTRIES = [  # full suffix, short suffix, output VAT rate (bp) of a general taxpayer
    ('科技有限公司', '科技', 600), ('贸易有限公司', '贸易', 1300), ('餐饮管理有限公司', '餐饮', 600),
    ('建筑工程有限公司', '建筑', 900), ('文化传媒有限公司', '传媒', 600), ('电子商务有限公司', '电商', 1300),
    ('物流有限公司', '物流', 900), ('企业管理咨询有限公司', '咨询', 600), ('装饰工程有限公司', '装饰', 900),
    ('医疗器械有限公司', '医疗', 1300), ('教育科技有限公司', '教育', 600), ('食品有限公司', '食品', 1300),
    ('服装有限公司', '服装', 1300), ('机械设备有限公司', '机械', 1300), ('广告有限公司', '广告', 600),
]
FIXED_CLIENTS = {0: (0, '华夏', 0), 1: (1, '锦程', 1), 2: (2, '青禾', 2)}  # city, brand, industry
CLIENT_TAGS = ['重点客户', '新客户', '老客户', '需上门取票', '电子发票', '年底汇算']

SURNAMES = list('王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁沈')
MALE_GIVEN = '建国 志强 伟 军 海涛 国华 永刚 文斌 俊杰 浩然 明 磊 振华 立新 晓东 子豪 宇航 鹏 勇 建平'.split()
FEMALE_GIVEN = '秀英 丽娟 静 敏 婷婷 晓燕 雪梅 佳怡 欣怡 慧 琳 丹 红梅 雅琴 芳 玉兰 思雨 梦瑶 小红 春梅'.split()

SHARED_BOSS = {12: 0, 25: 3, 37: 7, 48: 20}  # client index -> client whose boss also owns it
NO_GROUP = [5, 12, 17, 25, 29, 33, 37, 41, 44, 48]  # clients without a customer group of their own
EXPIRING = [1, 6, 11, 19, 27, 34, 42]  # bookkeeping ends within 30 days
EXPIRED = [9, 23, 38, 46]  # bookkeeping ended; 38 lost, 46 paused
FIXED_CYCLES = {0: 'quarterly'}  # 华夏科技 pays late by the quarter, so the demo has arrears to chase
TAGS = {  # tag_name -> (tag_id, group_name)
    '老板': ('etROLE0001BOSS', '客户角色'), '财务': ('etROLE0002FIN', '客户角色'),
    '出纳': ('etROLE0003CASH', '客户角色'), '重点客户': ('etLEVEL0001VIP', '客户等级'),
}
SUPPLIERS = ['杭州顺达办公用品有限公司', '上海云启信息技术有限公司', '中通快递股份有限公司', '浙江绿城物业服务有限公司',
             '苏州恒瑞包装材料有限公司', '宁波港联物流有限公司', '南京金桥建材有限公司', '深圳华星电子元件有限公司',
             '广州粤海印刷有限公司', '成都天府餐饮供应链有限公司', '武汉长江机械配件有限公司', '北京京东世纪贸易有限公司']
CUSTOMERS = ['浙江新世纪商贸有限公司', '上海东方明珠文化发展有限公司', '江苏苏宁易购电子商务有限公司', '杭州滨江实业有限公司',
             '北京中关村科技发展有限公司', '广东美的生活电器有限公司', '四川蜀道建设有限公司', '湖北楚天传媒有限公司',
             '宁波舜宇精工有限公司', '南京紫金投资咨询有限公司', '深圳前海微众服务有限公司', '个人客户（散客）']
INPUT_RATES = [1300, 1300, 600, 300, 100]  # goods, services, small-scale suppliers at 3% and 1%
BUSINESS_ITEMS = ['工商年报代办', '地址变更', '经营范围变更', '法定代表人变更', '商标注册', '股权变更']
FOLLOWUP_NOTES = [
    '电话沟通{period}收票情况，客户承诺本周内寄出进项发票。',
    '客户咨询小规模纳税人季度免税额度，已解释季度销售额30万元标准。',
    '提醒客户续签代理记账合同，客户表示月底前安排付款。',
    '上门取回{period}银行回单和费用票，工资表待财务补发。',
    '客户新招两名员工，已提醒在30日内办理社保登记。',
    '客户计划变更经营地址，已发送变更所需材料清单。',
]

KNOWLEDGE_TREE = {
    '税务': ['增值税', '企业所得税', '个人所得税', '发票', '纳税申报'],
    '工商': ['设立', '变更', '年报', '注销'],
    '社保': ['社会保险', '住房公积金'],
}
# (first level, second level, title, brief, answer, audited)
KNOWLEDGE = [
    ('税务', '增值税', '小规模纳税人增值税征收率是多少？', '目前减按1%征收率征收。',
     '根据财政部 税务总局公告2023年第19号，2027年12月31日前，增值税小规模纳税人适用3%征收率的应税销售收入，'
     '减按1%征收率征收增值税；适用3%预征率的预缴增值税项目，减按1%预征率预缴增值税。', True),
    ('税务', '增值税', '小规模纳税人季度销售额多少以内免征增值税？', '月销售额10万元以下（按季30万元以下）免征。',
     '2027年12月31日前，小规模纳税人发生增值税应税销售行为，合计月销售额未超过10万元（以1个季度为1个纳税期的，'
     '季度销售额未超过30万元）的，免征增值税。注意：开具增值税专用发票的销售额需要缴税，不能享受免税。', True),
    ('税务', '增值税', '什么情况下必须登记为一般纳税人？', '年应税销售额超过500万元应当登记为一般纳税人。',
     '增值税纳税人年应税销售额超过500万元（连续不超过12个月或四个季度的累计销售额）的，除另有规定外，应当向主管税务机关'
     '办理一般纳税人登记。未超过标准但会计核算健全的，也可以主动申请登记为一般纳税人。', True),
    ('税务', '纳税申报', '增值税每月什么时候申报？', '一般为次月1日至15日，遇节假日顺延。',
     '以1个月或1个季度为1个纳税期的，自期满之日起15日内申报纳税。申报期最后一日遇法定休假日的顺延，'
     '具体以当地税务机关公布的征期日历为准。没有收入也需要按期进行零申报。', True),
    ('税务', '增值税', '增值税专用发票的抵扣有期限吗？', '2017年1月1日以后开具的专票已取消认证期限。',
     '增值税一般纳税人取得2017年1月1日及以后开具的增值税专用发票，取消认证确认、稽核比对、申报抵扣的期限，'
     '可在电子发票服务平台勾选确认后申报抵扣进项税额。小规模纳税人取得专票不能抵扣。', True),
    ('税务', '增值税', '附加税费包括哪些，如何计算？', '城建税、教育费附加、地方教育附加，以实缴增值税为计税依据。',
     '附加税费以实际缴纳的增值税、消费税为计税依据：城市维护建设税税率市区7%、县城镇5%、其他1%；教育费附加3%；'
     '地方教育附加2%。小规模纳税人、小型微利企业和个体工商户在2027年底前可减半征收（六税两费减征）。', True),
    ('税务', '企业所得税', '小型微利企业所得税有什么优惠？', '年应纳税所得额300万元以内，实际税负5%。',
     '根据财政部 税务总局公告2023年第12号，对小型微利企业减按25%计算应纳税所得额，按20%的税率缴纳企业所得税，'
     '政策延续至2027年12月31日。小型微利企业需同时满足：年应纳税所得额不超过300万元、从业人数不超过300人、'
     '资产总额不超过5000万元。', True),
    ('税务', '企业所得税', '企业所得税什么时候预缴和汇算清缴？', '按季预缴，次年5月31日前完成年度汇算清缴。',
     '企业所得税按年计算、分月或分季预缴，一般在季度终了之日起15日内预缴申报；年度终了之日起5个月内'
     '（即次年5月31日前）办理年度汇算清缴，结清应缴应退税款。', True),
    ('税务', '企业所得税', '业务招待费可以全额税前扣除吗？', '按发生额的60%扣除，最高不超过当年营业收入的5‰。',
     '企业发生的与生产经营活动有关的业务招待费支出，按照发生额的60%扣除，但最高不得超过当年销售（营业）收入的5‰。'
     '需要取得合规发票并保留招待事由、对象等记录。', True),
    ('税务', '企业所得税', '研发费用加计扣除比例是多少？', '未形成无形资产的按实际发生额的100%加计扣除。',
     '根据财政部 税务总局公告2023年第7号，企业开展研发活动中实际发生的研发费用，未形成无形资产计入当期损益的，'
     '在按规定据实扣除的基础上，再按照实际发生额的100%在税前加计扣除；形成无形资产的，按照无形资产成本的200%摊销。', False),
    ('税务', '个人所得税', '工资薪金个税怎么代扣代缴？', '按累计预扣法计算，次月15日内申报。',
     '扣缴义务人向员工支付工资薪金时，按累计预扣法预扣个人所得税：累计收入减去累计减除费用（每月5000元）、'
     '专项扣除（三险一金）、专项附加扣除等后，适用预扣率表计算，并在次月15日内办理全员全额扣缴申报。', True),
    ('税务', '个人所得税', '专项附加扣除有哪些项目和标准？', '子女教育、婴幼儿照护、赡养老人等7项。',
     '现行标准：3岁以下婴幼儿照护和子女教育每个每月2000元；赡养老人每月3000元（非独生子女分摊）；'
     '继续教育学历每月400元或职业资格当年3600元；住房贷款利息每月1000元；住房租金每月800至1500元；'
     '大病医疗在年度汇算时据实扣除，上限8万元。', True),
    ('税务', '个人所得税', '全年一次性奖金还能单独计税吗？', '可以，单独计税政策延续至2027年底。',
     '根据财政部 税务总局公告2023年第30号，居民个人取得全年一次性奖金，可以不并入当年综合所得，'
     '以奖金收入除以12个月得到的数额按月度税率表确定适用税率和速算扣除数，单独计算纳税，执行至2027年12月31日。', True),
    ('税务', '发票', '增值税专用发票丢失了怎么办？', '可凭销售方记账联复印件作为抵扣和记账凭证。',
     '纳税人同时丢失已开具增值税专用发票的发票联和抵扣联，可凭加盖销售方发票专用章的相应发票记账联复印件，'
     '作为增值税进项税额的抵扣凭证、退税凭证或记账凭证。数电发票不存在纸质丢失问题，可在电子发票服务平台重新下载。', True),
    ('税务', '发票', '发票开错了怎么处理？', '当月未认证可作废，否则开具红字发票冲销。',
     '纸质发票在开具当月、对方未认证且未跨月的，可以作废重开；其他情况需开具红字发票。'
     '数电发票不能作废，应由开票方或受票方在电子发票服务平台填开《红字发票信息确认单》，确认后开具红字数电发票。', True),
    ('税务', '发票', '什么是数电发票？', '全面数字化的电子发票，与纸质发票具有同等法律效力。',
     '数电发票无需领用税控设备，通过电子发票服务平台按授信总额度开具，开具后自动交付到受票方的税务数字账户。'
     '数电发票与纸质发票具有同等法律效力，报销入账需按规定进行电子归档。', True),
    ('税务', '纳税申报', '逾期未申报会有什么后果？', '可能被罚款并加收滞纳金，还会影响纳税信用。',
     '未按期申报的，税务机关责令限期改正，可以处二千元以下的罚款；情节严重的处二千元以上一万元以下罚款。'
     '未按期缴纳税款的，从滞纳之日起按日加收万分之五的滞纳金，并影响纳税信用等级。', False),
    ('工商', '设立', '注册公司需要准备哪些材料？', '名称、住所、股东身份证明、经营范围和公司章程等。',
     '一般需要：核准的企业名称；股东和法定代表人、董事、监事、财务负责人身份证明；住所使用证明（租赁合同及产权证明）；'
     '公司章程；经营范围。目前多数地区可在市场监管部门的企业开办“一网通办”平台全程线上办理。', True),
    ('工商', '变更', '公司地址变更需要办理哪些手续？', '先办理工商变更登记，跨区迁移还需办理税务迁移。',
     '需提交变更登记申请书、股东会决议、新住所使用证明、修改后的章程或章程修正案、营业执照正副本。'
     '同区变更后到税务机关更新登记信息；跨区变更需先在原税务机关办理迁出，结清税款和发票后再迁入。', True),
    ('工商', '变更', '更换法定代表人需要什么材料？', '股东会决议、新法定代表人身份证明和任职文件等。',
     '需提交变更登记申请书、关于变更法定代表人的股东会决议、新法定代表人的任职文件和身份证明、'
     '章程修正案（如章程记载法定代表人）、营业执照正副本。变更后需同步更新银行预留信息和税务登记信息。', True),
    ('工商', '注销', '公司注销的一般流程是什么？', '清算组备案、公告、清税、工商注销，依次办理。',
     '一般流程：成立清算组并备案；通过国家企业信用信息公示系统发布债权人公告（45日）；清理债权债务；'
     '办理清税并取得清税文书；向市场监管部门申请注销登记；最后注销银行账户和社保、公积金账户。', True),
    ('工商', '注销', '哪些公司可以简易注销？', '未发生债权债务或已清偿完毕的企业。',
     '领取营业执照后未开展经营活动，或申请注销登记前未发生债权债务、已将债权债务清偿完结且未结清清偿费用、'
     '职工工资、社会保险费用、法定补偿金和应缴纳税款等情形的企业，可以申请简易注销，公示期为20日。', True),
    ('工商', '年报', '企业年报什么时候报送？', '每年1月1日至6月30日报送上一年度年报。',
     '企业应当于每年1月1日至6月30日，通过国家企业信用信息公示系统报送上一年度年度报告并向社会公示。'
     '未按时报送的，将被列入经营异常名录。', True),
    ('社保', '社会保险', '新员工入职多久内要办理社保？', '自用工之日起30日内办理社会保险登记。',
     '用人单位应当自用工之日起30日内为其职工向社会保险经办机构申请办理社会保险登记，'
     '并按月足额缴纳社会保险费。未按时办理的，可能被责令限期改正并处以罚款。', True),
    ('社保', '社会保险', '社保缴费基数怎么确定？', '按职工上年度月平均工资申报，在当地上下限之间。',
     '职工以本人上年度月平均工资作为缴费基数，低于当地公布的缴费基数下限的按下限、高于上限的按上限申报。'
     '新入职员工一般以首月工资作为缴费基数。每年社保年度调整时需要重新申报。', True),
    ('社保', '住房公积金', '住房公积金缴存比例是多少？', '单位和职工缴存比例一般为5%至12%。',
     '住房公积金单位和职工缴存比例均不得低于5%，原则上不高于12%，具体比例由各地公积金管理中心规定，'
     '单位可在规定范围内自主确定。缴存基数一般为职工上年度月平均工资。', False),
]


# ===========================================================================
# The WeCom directory (no database)
# ===========================================================================

@dataclass
class _ClientPlan:
    index: int
    name: str
    short_name: str
    city: str
    rate_bp: int
    taxpayer_type: str
    manager: str
    accountant: str
    tax_id: str
    address: str
    tags: list
    people: list = field(default_factory=list)  # person dicts, shared for a shared boss


@dataclass
class _World:
    directory: dict
    clients: list
    contact_links: list  # (external_userid, client index)
    group_links: list  # (chat_id, client index)


def _wecom_id(rng, prefix, length=30):
    return prefix + ''.join(rng.choice(_ID_ALPHABET) for _ in range(length))


def _mobile(rng):
    return rng.choice(['138', '139', '186', '135', '158', '177']) + f'{rng.randrange(10 ** 8):08d}'


class _NamePool:
    """Unique Chinese personal names drawn from a seeded generator."""

    def __init__(self, rng):
        self.rng, self.used = rng, {m[1] for m in MEMBERS}

    def take(self):
        while True:
            gender = self.rng.choice([1, 2])
            given = self.rng.choice(MALE_GIVEN if gender == 1 else FEMALE_GIVEN)
            name = self.rng.choice(SURNAMES) + given
            if name not in self.used:
                self.used.add(name)
                return name, gender


def _plan_client(rng, index, brands):
    city_i, brand, ind_i = FIXED_CLIENTS.get(index) or (rng.randrange(len(CITIES)), brands[index],
                                                        rng.randrange(len(INDUSTRIES)))
    city, district, region, roads = CITIES[city_i]
    suffix, short_suffix, rate_bp = INDUSTRIES[ind_i]
    general = index % 4 == 1 or rng.random() < 0.15
    tail = f'{index:02d}' + ''.join(rng.choice('0123456789ABCDEFGHJKLMNPQRTUWXY') for _ in range(6))
    return _ClientPlan(
        index=index, name=f'{city}{brand}{suffix}', short_name=f'{brand}{short_suffix}', city=city,
        rate_bp=rate_bp if general else 100, taxpayer_type='general' if general else 'small',
        manager=MANAGERS[index % 3], accountant=ACCOUNTANTS[(index // 3) % 3],
        tax_id=f'91{region}MA{tail}',
        address=f'{city}市{district}{rng.choice(roads)}{rng.randint(1, 999)}号',
        tags=rng.sample(CLIENT_TAGS, rng.choice([0, 1, 1, 2])))


def _plan_people(rng, clients, names):
    for plan in clients:
        if plan.index in SHARED_BOSS:
            plan.people.append(clients[SHARED_BOSS[plan.index]].people[0])
        else:
            plan.people.append(_person(rng, names, '老板', plan, wecom_user=False))
        plan.people.append(_person(rng, names, '财务', plan, wecom_user=rng.random() < 0.15))
        if rng.random() < 0.5:
            plan.people.append(_person(rng, names, '出纳', plan, wecom_user=False))


def _person(rng, names, title, plan, wecom_user):
    name, gender = names.take()
    return {'title': title, 'name': name, 'gender': gender, 'mobile': _mobile(rng),
            'external_userid': _wecom_id(rng, 'wm'), 'type': 2 if wecom_user else 1,
            'unionid': '' if wecom_user else _wecom_id(rng, 'o', 27),
            'corp_name': plan.name if wecom_user else ''}


def _tag(name):
    tag_id, group_name = TAGS[name]
    return {'group_name': group_name, 'tag_name': name, 'tag_id': tag_id, 'type': 1}


def _follow(rng, userid, person, plan):
    tags = [_tag(person['title'])] + ([_tag('重点客户')] if '重点客户' in plan.tags else [])
    return {'userid': userid, 'remark': f"{person['name']}-{plan.short_name}",
            'description': f"{plan.short_name}{person['title']}",
            'createtime': 1_696_000_000 + rng.randrange(60_000_000),
            'tags': tags, 'state': '', 'add_way': rng.choice([1, 2, 3])}


def _plan_contacts(rng, clients):
    contacts, links, by_id = [], [], {}
    for plan in clients:
        for person in plan.people:
            followers = [plan.manager] + ([plan.accountant] if person['title'] != '老板' else [])
            contact = by_id.get(person['external_userid'])
            if contact is None:
                contact = by_id[person['external_userid']] = {
                    'external_userid': person['external_userid'], 'name': person['name'],
                    'type': person['type'], 'corp_name': person['corp_name'], 'gender': person['gender'],
                    'unionid': person['unionid'], 'avatar': '', 'follow_users': []}
                contacts.append(contact)
            known = [f['userid'] for f in contact['follow_users']]
            contact['follow_users'] += [_follow(rng, u, person, plan) for u in followers if u not in known]
            links.append((person['external_userid'], plan.index))
    return contacts, links


def _plan_group(rng, plan):
    created = 1_700_000_000 + rng.randrange(40_000_000)
    members = [{'userid': plan.manager, 'type': 1, 'join_time': created, 'join_scene': 1,
                'group_nickname': '', 'name': _member_name(plan.manager)}]
    invited = [(plan.accountant, 1, _member_name(plan.accountant))]
    invited += [(p['external_userid'], 2, p['name']) for p in plan.people]
    for userid, kind, name in invited:
        members.append({'userid': userid, 'type': kind, 'join_time': created + rng.randrange(86_400 * 30),
                        'join_scene': rng.choice([1, 1, 3]) if kind == 2 else 1,
                        'invitor': {'userid': plan.manager}, 'group_nickname': '', 'name': name})
    return {'chat_id': _wecom_id(rng, 'wr'), 'name': f'{plan.short_name}服务群', 'owner': plan.manager,
            'create_time': created,
            'notice': f'本群为{plan.short_name}专属服务群，记账、报税、发票问题请在群里留言，工作日9:00-18:00回复。',
            'member_list': members, 'admin_list': [{'userid': plan.accountant}]}


def _member_name(userid):
    return next(m[1] for m in MEMBERS if m[0] == userid)


def _build_world() -> _World:
    rng = random.Random(SEED)
    brands = BRANDS[:3] + rng.sample(BRANDS[3:], len(BRANDS) - 3)
    clients = [_plan_client(rng, i, brands) for i in range(len(BRANDS))]
    _plan_people(rng, clients, _NamePool(rng))
    contacts, contact_links = _plan_contacts(rng, clients)
    groups, group_links = [], []
    for plan in clients:
        if plan.index not in NO_GROUP:
            groups.append(_plan_group(rng, plan))
            group_links.append((groups[-1]['chat_id'], plan.index))
    for index, owner_index in SHARED_BOSS.items():  # the boss's other company shares the group
        chat_id = next(c for c, i in group_links if i == owner_index)
        group_links.append((chat_id, index))
    members = [{'userid': u, 'name': n, 'mobile': _mobile(rng), 'department': [1], 'position': p}
               for u, n, p, _, _ in MEMBERS]
    directory = {'corp_name': CORP_NAME, 'members': members, 'contacts': contacts, 'groups': groups}
    return _World(directory, clients, contact_links, group_links)


def demo_directory() -> dict:
    """The demo corp's WeCom members, external contacts and customer groups (always the same)."""
    return _build_world().directory


# ===========================================================================
# Small helpers for the records
# ===========================================================================

def _at(day: dt.date, hour=10, minute=0) -> dt.datetime:
    """An aware UTC datetime for a Shanghai wall-clock time on `day`."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.timezone.utc)


def _from_epoch(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def _month_start(period: str) -> dt.date:
    return dt.date(int(period[:4]), int(period[5:]), 1)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _bulk(model, rows, chunk=200):
    for start in range(0, len(rows), chunk):
        model.insert_many(rows[start:start + chunk]).execute()


def _yuan(rng, low, high):
    """A random amount in fen between `low` and `high` yuan, with cents."""
    return rng.randint(low * 100, high * 100)


@dataclass
class _Ctx:
    """What the seeding steps share."""
    world: _World
    today: dt.date
    rng: random.Random
    staff: dict = field(default_factory=dict)  # userid -> Staff
    client_ids: dict = field(default_factory=dict)  # plan index -> client id
    status: dict = field(default_factory=dict)  # plan index -> client status
    collections_open: list = field(default_factory=list)  # plan indexes with an incomplete work period

    @property
    def work_period(self) -> str:
        return shift_period(period_of(self.today), -1)

    def active(self):
        return [p for p in self.world.clients if self.status[p.index] == 'active']


# ===========================================================================
# Seeding steps, one transaction each
# ===========================================================================

def _seed_staff(ctx):
    mobiles = {m['userid']: m['mobile'] for m in ctx.world.directory['members']}
    for userid, name, position, role, extra in MEMBERS:
        permissions = [] if role != 'staff' else models.WECOM_PERMISSIONS + extra
        bound = userid != UNBOUND_USERID
        ctx.staff[userid] = models.Staff.create(
            name=name, mobile=mobiles[userid], email=f'{userid}@mingxin-caishui.cn', position=position,
            role=role, permissions=permissions, active=True,
            wecom_userid=userid if bound else None,
            bound_at=_at(ctx.today - dt.timedelta(days=120)) if bound else None,
            created_at=_at(ctx.today - dt.timedelta(days=400)))


def _client_status(index):
    return {38: 'lost', 46: 'paused'}.get(index, 'active')


def _seed_clients(ctx):
    rows, contacts = [], []
    for plan in ctx.world.clients:
        ctx.status[plan.index] = _client_status(plan.index)
        rows.append({'name': plan.name, 'short_name': plan.short_name, 'tax_id': plan.tax_id,
                     'taxpayer_type': plan.taxpayer_type, 'legal_person': plan.people[0]['name'],
                     'address': plan.address, 'tags': plan.tags, 'status': ctx.status[plan.index],
                     'manager': ctx.staff[plan.manager].id, 'accountant': ctx.staff[plan.accountant].id,
                     'pinyin_initials': pinyin_initials(plan.name),
                     'created_at': _at(ctx.today - dt.timedelta(days=700 - plan.index * 7))})
    _bulk(models.Client, rows)
    ids = dict(models.Client.select(models.Client.name, models.Client.id).tuples())
    for plan in ctx.world.clients:
        ctx.client_ids[plan.index] = ids[plan.name]
        contacts += [{'client': ids[plan.name], 'name': p['name'], 'title': p['title'], 'mobile': p['mobile'],
                      'is_primary': p['title'] == '财务'} for p in plan.people]
    _bulk(models.ClientContact, contacts)


def _seed_wecom(ctx):
    directory = ctx.world.directory
    _bulk(models.ExternalContact, [
        {'external_userid': c['external_userid'], 'name': c['name'], 'type': c['type'],
         'corp_name': c['corp_name'] or None, 'gender': c['gender'], 'unionid': c['unionid'] or None,
         'avatar': c['avatar'] or None} for c in directory['contacts']])
    contact_ids = dict(models.ExternalContact.select(
        models.ExternalContact.external_userid, models.ExternalContact.id).tuples())
    _bulk(models.FollowRelation, [
        {'contact': contact_ids[c['external_userid']], 'userid': f['userid'], 'remark': f['remark'],
         'description': f['description'], 'tags': f['tags'], 'state': f['state'] or None,
         'add_way': f['add_way'], 'followed_at': _from_epoch(f['createtime'])}
        for c in directory['contacts'] for f in c['follow_users']])
    _bulk(models.ContactClientLink, [
        {'contact': contact_ids[eid], 'client': ctx.client_ids[index], 'created_by': ctx.staff['admin'].id}
        for eid, index in ctx.world.contact_links])
    _seed_groups(ctx)


def _seed_groups(ctx):
    groups = ctx.world.directory['groups']
    _bulk(models.CustomerGroup, [
        {'chat_id': g['chat_id'], 'name': g['name'], 'owner_userid': g['owner'], 'notice': g['notice'],
         'admin_userids': [a['userid'] for a in g['admin_list']],
         'created_at_wecom': _from_epoch(g['create_time']), 'status': 0} for g in groups])
    group_ids = dict(models.CustomerGroup.select(models.CustomerGroup.chat_id, models.CustomerGroup.id).tuples())
    _bulk(models.GroupMember, [
        {'group': group_ids[g['chat_id']], 'member_id': m['userid'], 'member_type': m['type'],
         'join_time': _from_epoch(m['join_time']), 'join_scene': m['join_scene'],
         'invitor_userid': m.get('invitor', {}).get('userid'), 'group_nickname': m['group_nickname'],
         'name': m['name']} for g in groups for m in g['member_list']])
    _bulk(models.GroupClientLink, [
        {'group': group_ids[chat_id], 'client': ctx.client_ids[index], 'created_by': ctx.staff['admin'].id}
        for chat_id, index in ctx.world.group_links])


# --- services, contracts, receivables and payments -------------------------

@dataclass
class _Term:
    plan: _ClientPlan
    service: models.Service
    contract: models.Contract | None


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
    start = _add_years(end, -1) + dt.timedelta(days=1)
    terms = []
    for term_start, term_end in ((_add_years(start, -1), start - dt.timedelta(days=1)), (start, end)):
        seq[0] += 1
        contract = models.Contract.create(
            client=ctx.client_ids[plan.index], number=f'HT{term_start.year}-{seq[0]:04d}',
            title='代理记账服务合同', start_date=term_start, end_date=term_end, amount_fen=monthly_fee * 12,
            signed_on=term_start - dt.timedelta(days=ctx.rng.randint(1, 10)),
            status='active' if term_end >= ctx.today else 'ended')
        status = 'renewed' if term_end < start else ('active' if term_end >= ctx.today else 'expired')
        service = models.Service.create(
            client=ctx.client_ids[plan.index], contract=contract, kind='bookkeeping', name='代理记账',
            start_date=term_start, end_date=term_end, fee_fen=monthly_fee * months,
            billing_cycle=cycle, status=status)
        terms.append(_Term(plan, service, contract))
    return terms


def _business_term(ctx, plan):
    start = ctx.today - dt.timedelta(days=ctx.rng.randint(10, 200))
    end = start + dt.timedelta(days=ctx.rng.choice([30, 60, 90]))
    service = models.Service.create(
        client=ctx.client_ids[plan.index], kind='business', name=ctx.rng.choice(BUSINESS_ITEMS),
        start_date=start, end_date=end, fee_fen=ctx.rng.choice([500, 800, 1200, 2000, 3000]) * 100,
        billing_cycle='once', status='active' if end >= ctx.today else 'expired')
    return _Term(plan, service, None)


def _bill_dates(service):
    """(period_start, period_end, due_date) of each bill of a service term."""
    if service.billing_cycle == 'once':
        return [(period_of(service.start_date),) * 2 + (service.start_date + dt.timedelta(days=7),)]
    months = {'monthly': 1, 'quarterly': 3, 'yearly': 12}[service.billing_cycle]
    first, bills = period_of(service.start_date), []
    for offset in range(0, 12, months):
        start = shift_period(first, offset)
        bills.append((start, shift_period(start, months - 1), _month_start(start) + dt.timedelta(days=9)))
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
    window = (ctx.today - dt.timedelta(days=365), ctx.today + dt.timedelta(days=31))
    planned = []  # (paid_on, plan index, receivable, amount)
    for term in terms:
        bills = [b for b in _bill_dates(term.service) if window[0] <= b[2] <= window[1]]
        for n, (p_start, p_end, due) in enumerate(bills):
            amount = term.service.fee_fen
            unpaid_last = n == len(bills) - 1 and term.service.status == 'expired'
            payments = _payments_for(ctx, term.plan.index, due, amount, unpaid_last)
            receivable = models.Receivable(
                client=ctx.client_ids[term.plan.index], contract=term.contract, service=term.service,
                item='代理记账费' if term.service.kind == 'bookkeeping' else f'工商服务费（{term.service.name}）',
                period_start=p_start, period_end=p_end, amount_fen=amount,
                paid_fen=sum(a for _, a in payments), due_date=due, created_at=_at(due - dt.timedelta(days=20)))
            receivable.status = receivable.settled_status()
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
            note=f'{receivable.item} {receivable.period_start}至{receivable.period_end}',
            recorded_by=ctx.staff[plan.manager], created_at=_at(paid_on, 16, ctx.rng.randrange(60)))
        models.PaymentAllocation.create(payment=payment, receivable=receivable, amount_fen=amount)


def _seed_billing(ctx):
    seq, terms = [0], []
    with db.atomic():
        for plan in ctx.world.clients:
            terms += _bookkeeping_terms(ctx, plan, seq)
            if ctx.rng.random() < 0.25:
                terms.append(_business_term(ctx, plan))
        planned = _seed_receivables(ctx, terms)
    with db.atomic():
        _seed_payments(ctx, planned)


# --- 收票, 缺票 and follow-ups ------------------------------------------------

def _collection_items(ctx, collection_id, complete, done_at):
    rows = []
    for kind in models.COLLECTION_KINDS:
        received = complete or ctx.rng.random() < 0.5
        count = {'payroll': 1}.get(kind, ctx.rng.randint(1, 30)) if received else 0
        rows.append({'collection': collection_id, 'kind': kind, 'count': count, 'received': received,
                     'received_at': done_at if received else None})
    return rows


def _seed_collections(ctx):
    items, work = [], ctx.work_period
    for plan in ctx.active():
        for period in (shift_period(work, -2), shift_period(work, -1), work):
            complete = period != work or ctx.rng.random() < 0.6
            closing = _month_start(shift_period(period, 1)) + dt.timedelta(days=ctx.rng.randint(2, 12))
            done_at = _at(min(closing, ctx.today), 15)
            collection = models.InvoiceCollection.create(
                client=ctx.client_ids[plan.index], period=period, status='complete' if complete else 'open',
                completed_at=done_at if complete else None,
                completed_by=ctx.staff[plan.accountant] if complete else None,
                created_at=_at(_month_start(period) + dt.timedelta(days=25)))
            items += _collection_items(ctx, collection.id, complete, done_at)
            if not complete:
                ctx.collections_open.append(plan.index)
    _bulk(models.CollectionItem, items)


def _seed_missing_flags(ctx):
    work, rows = ctx.work_period, []
    for n, index in enumerate(ctx.collections_open[:6]):
        plan = ctx.world.clients[index]
        rows.append({'client': ctx.client_ids[index], 'period': work,
                     'note': f'缺少{int(work[5:])}月进项发票{ctx.rng.randint(1, 5)}张，另缺银行回单',
                     'flagged_by': ctx.staff[plan.accountant].id,
                     'flagged_at': _at(ctx.today - dt.timedelta(days=n + 1), 11),
                     'resolved_at': None})
    if ctx.active():  # one older flag, already resolved
        plan = ctx.active()[-1]
        rows.append({'client': ctx.client_ids[plan.index], 'period': shift_period(work, -1),
                     'note': '缺少费用票（差旅）', 'flagged_by': ctx.staff[plan.accountant].id,
                     'flagged_at': _at(ctx.today - dt.timedelta(days=40)),
                     'resolved_at': _at(ctx.today - dt.timedelta(days=30))})
    _bulk(models.MissingInvoiceFlag, rows)


def _seed_followups(ctx):
    rows = []
    for plan in ctx.world.clients[::2]:
        for _ in range(ctx.rng.randint(1, 3)):
            note = ctx.rng.choice(FOLLOWUP_NOTES).format(period=f'{int(ctx.work_period[5:])}月')
            rows.append({'client': ctx.client_ids[plan.index], 'staff': ctx.staff[plan.manager].id, 'content': note,
                         'created_at': _at(ctx.today - dt.timedelta(days=ctx.rng.randint(1, 60)),
                                           ctx.rng.randint(9, 17), ctx.rng.randrange(60))})
    _bulk(models.FollowUp, rows)


# --- invoices, filings and reports ------------------------------------------

def _invoice_rows(ctx, plan, period, direction, seq):
    rng, general = ctx.rng, plan.taxpayer_type == 'general'
    last_day = min(ctx.today, _month_start(shift_period(period, 1)) - dt.timedelta(days=1))
    if last_day < _month_start(period):
        return []
    if direction == 'output':  # a small-scale taxpayer invoices at its 1% levy rate only
        count = rng.randint(4, 10) if general else rng.randint(2, 6)
        rates, parties, (low, high) = [plan.rate_bp], CUSTOMERS, (15_000, 80_000) if general else (3_000, 25_000)
    else:
        count = rng.randint(3, 8) if general else rng.randint(0, 2)
        rates, parties, (low, high) = INPUT_RATES, SUPPLIERS, (5_000, 50_000) if general else (500, 5_000)
    rows = []
    for _ in range(count):
        seq[0] += 1
        rate, amount = rng.choice(rates), _yuan(rng, low, high)
        kind = 'special' if (general and rng.random() < 0.8) or (not general and rng.random() < 0.2) else 'normal'
        rows.append({'client': ctx.client_ids[plan.index], 'direction': direction, 'period': period,
                     'number': f'{int(period[2:4]):02d}33{2 if direction == "output" else 1}{seq[0]:015d}',
                     'issue_date': _month_start(period) + dt.timedelta(days=rng.randrange(last_day.day)),
                     'counterparty': rng.choice(parties), 'amount_fen': amount,
                     'tax_fen': (amount * rate + 5000) // 10000, 'rate_bp': rate, 'kind': kind})
    return rows


def _seed_invoices(ctx):
    rows, seq, current = [], [0], period_of(ctx.today)
    for plan in ctx.active():
        for period in [shift_period(current, -m) for m in range(6, -1, -1)]:
            rows += _invoice_rows(ctx, plan, period, 'output', seq)
            rows += _invoice_rows(ctx, plan, period, 'input', seq)
    _bulk(models.Invoice, rows)
    return rows


def _sums(invoices):
    """{(client id, period, direction): (amount_fen, tax_fen, special amount_fen)}."""
    sums = {}
    for row in invoices:
        key = (row['client'], row['period'], row['direction'])
        amount, tax, special = sums.get(key, (0, 0, 0))
        sums[key] = (amount + row['amount_fen'], tax + row['tax_fen'],
                     special + (row['amount_fen'] if row['kind'] == 'special' else 0))
    return sums


def _small_vat(sums, client_id, quarter_end):
    """Quarterly VAT of a small-scale taxpayer: 1%, ordinary invoices exempt up to 300,000 yuan."""
    months = [shift_period(quarter_end, -m) for m in range(3)]
    sales = sum(sums.get((client_id, m, 'output'), (0, 0, 0))[0] for m in months)
    special = sum(sums.get((client_id, m, 'output'), (0, 0, 0))[2] for m in months)
    taxable = special if sales <= 300_000_00 else sales
    return taxable // 100


def _filing_status(ctx, period, amount):
    deadline = _month_start(shift_period(period, 1)) + dt.timedelta(days=14)
    pending = deadline >= ctx.today and ctx.rng.random() < 0.4 or ctx.rng.random() < 0.03
    if pending:
        return 'pending', None
    filed = min(deadline - dt.timedelta(days=ctx.rng.randint(0, 10)), ctx.today)
    return ('paid' if amount else 'filed'), _at(filed, 14)


def _filing(ctx, plan, period, tax, cycle, amount):
    status, filed_at = _filing_status(ctx, period, amount)
    return {'client': ctx.client_ids[plan.index], 'period': period, 'tax': tax, 'cycle': cycle,
            'status': status, 'amount_fen': amount, 'filed_at': filed_at,
            'filed_by': ctx.staff[plan.accountant].id if filed_at else None}


def _client_filings(ctx, plan, sums, quarter_end):
    cid, rows, work = ctx.client_ids[plan.index], [], ctx.work_period
    for period in (shift_period(work, -2), shift_period(work, -1), work):
        if plan.taxpayer_type == 'general':
            vat = max(sums.get((cid, period, 'output'), (0, 0, 0))[1]
                      - sums.get((cid, period, 'input'), (0, 0, 0))[1], 0)
            rows += [_filing(ctx, plan, period, 'vat', 'monthly', vat),
                     _filing(ctx, plan, period, 'surtax', 'monthly', vat * 12 // 100)]
        rows.append(_filing(ctx, plan, period, 'iit', 'monthly', ctx.rng.choice([0, 0, _yuan(ctx.rng, 50, 3000)])))
    if plan.taxpayer_type == 'small':
        vat = _small_vat(sums, cid, quarter_end)
        rows += [_filing(ctx, plan, quarter_end, 'vat', 'quarterly', vat),
                 _filing(ctx, plan, quarter_end, 'surtax', 'quarterly', vat * 6 // 100)]
    rows.append(_filing(ctx, plan, quarter_end, 'cit', 'quarterly', _yuan(ctx.rng, 0, 20_000) // 1000 * 1000))
    rows.append(_filing(ctx, plan, quarter_end, 'stamp', 'quarterly', _yuan(ctx.rng, 10, 600)))
    return rows


def _seed_filings(ctx, invoices):
    sums, work = _sums(invoices), ctx.work_period
    quarter_end = shift_period(work, -((int(work[5:]) % 3)))  # last month of the last finished quarter
    rows = []
    for plan in ctx.active():
        rows += _client_filings(ctx, plan, sums, quarter_end)
    _bulk(models.TaxFiling, rows)
    return sums


def _line(code, name, amount, section, total=False):
    return {'code': code, 'name': name, 'amount_fen': amount, 'section': section, 'total': total}


def _income_statement(rng, revenue, surtax):
    cost = revenue * rng.randint(55, 80) // 100
    selling = revenue * rng.randint(2, 8) // 100
    admin = _yuan(rng, 8_000, 40_000)
    finance = _yuan(rng, 50, 500)
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


def _seed_reports(ctx, sums):
    rows, work = [], ctx.work_period
    for plan in ctx.active():
        cid = ctx.client_ids[plan.index]
        for period in (shift_period(work, -2), shift_period(work, -1), work):
            if period == work and plan.index in ctx.collections_open:
                continue  # books for the work period are not closed yet
            revenue = sums.get((cid, period, 'output'), (0, 0, 0))[0]
            surtax = revenue * (6 if plan.taxpayer_type == 'general' else 1) // 1000
            created = _at(min(_month_start(shift_period(period, 1)) + dt.timedelta(days=12), ctx.today), 18)
            rows.append({'client': cid, 'period': period, 'kind': 'income_statement',
                         'lines': _income_statement(ctx.rng, revenue, surtax), 'created_at': created})
            rows.append({'client': cid, 'period': period, 'kind': 'balance_sheet',
                         'lines': _balance_sheet(ctx.rng, revenue), 'created_at': created})
    _bulk(models.ReportSnapshot, rows)


# --- knowledge base -----------------------------------------------------------

def _seed_knowledge(ctx):
    categories = {}
    for order, (top, children) in enumerate(KNOWLEDGE_TREE.items()):
        parent = models.KnowledgeCategory.create(name=top, sort_order=order)
        for child_order, child in enumerate(children):
            categories[top, child] = models.KnowledgeCategory.create(name=child, parent=parent, sort_order=child_order)
    author, auditor = ctx.staff['zhaoli'], ctx.staff['liuyang']
    rows = []
    for n, (top, child, title, brief, answer, audited) in enumerate(KNOWLEDGE):
        written = _at(ctx.today - dt.timedelta(days=200 - n * 5))
        rows.append({'category': categories[top, child].id, 'title': title, 'brief': brief, 'answer': answer,
                     'audited': audited, 'audited_by': auditor.id if audited else None,
                     'audited_at': written + dt.timedelta(days=1) if audited else None,
                     'created_by': author.id, 'created_at': written, 'updated_at': written,
                     'hits': ctx.rng.randint(0, 80) if audited else 0})
    _bulk(models.KnowledgeEntry, rows)


# ===========================================================================
# Entry point
# ===========================================================================

def _today_in_shanghai() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def seed_demo(today: dt.date | None = None) -> dict:
    """Write the demo agency into the bound database; return row counts per table."""
    ctx = _Ctx(world=_build_world(), today=today or _today_in_shanghai(), rng=random.Random(SEED + 1))
    with db.atomic():
        if models.Client.select().exists() or models.Staff.select().exists():
            raise SeedError('数据库中已有数据，未写入演示数据')
        _seed_staff(ctx)
        _seed_clients(ctx)
    with db.atomic():
        _seed_wecom(ctx)
    _seed_billing(ctx)
    with db.atomic():
        _seed_collections(ctx)
        _seed_missing_flags(ctx)
        _seed_followups(ctx)
    with db.atomic():
        sums = _seed_filings(ctx, _seed_invoices(ctx))
        _seed_reports(ctx, sums)
    with db.atomic():
        _seed_knowledge(ctx)
        models.audit(None, 'seed_demo', 'Client', after={'today': ctx.today.isoformat()})
    return {model._meta.table_name: model.select().count() for model in models.ALL_MODELS}
