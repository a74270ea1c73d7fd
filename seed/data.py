"""The demo agency's fixed tables: people, clients' brands and industries, suppliers, knowledge entries."""
from zoneinfo import ZoneInfo

SEED = 20261126
SHANGHAI = ZoneInfo('Asia/Shanghai')
ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'



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

