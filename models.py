"""The data catalogue of 账房: every table of the agency's records, grouped by feature.

Rules the whole catalogue keeps:
- money is integer fen (分) in a `MoneyField`, and every money column is named `*_fen`;
- every time of day is an aware datetime in an `AwareDateTimeField` (stored as UTC);
  plain calendar dates are `DateField`s, months are `PeriodField`s ('2026-10');
- it runs unchanged on SQLite and PostgreSQL.

`db` is a proxy; `bot/db.py` binds it with `models.db.initialize(real_database)`.
This module knows no HTTP, no WeCom API and no wording; Chinese labels below are
data (the names of choices), not messages.
"""
import datetime as dt
import functools
import hashlib
import itertools
import json
import re
from decimal import Decimal

from peewee import (
    OP, SQL, BigIntegerField, BlobField, BooleanField, CharField, CompositeKey, DatabaseProxy, DateField, Expression,
    Field,
    ForeignKeyField, IntegerField, Model, NodeList, PostgresqlDatabase, Proxy, TextField, Value,
)

db = DatabaseProxy()


# ===========================================================================
# Infrastructure: custom fields, time and period helpers, the base model
# ===========================================================================

def utcnow() -> dt.datetime:
    """The current time as an aware UTC datetime."""
    return dt.datetime.now(dt.timezone.utc)


def _unwrap(database):
    while isinstance(database, Proxy):
        database = database.obj
    return database


def is_postgres(database=None) -> bool:
    """True when `database` (default: the bound `db`) is PostgreSQL."""
    return isinstance(_unwrap(database if database is not None else db), PostgresqlDatabase)


class MoneyField(BigIntegerField):
    """An amount in integer fen (分). Floats are refused so no rounding creeps in."""

    def db_value(self, value):
        if value is None:
            return None
        if isinstance(value, (bool, float)) or not isinstance(value, (int, Decimal)):
            raise TypeError(f'{self.name}: money must be integer fen, got {value!r}')
        if isinstance(value, Decimal) and value != value.to_integral_value():
            raise ValueError(f'{self.name}: money must be integer fen, got {value!r}')
        return int(value)

    def python_value(self, value):
        # PostgreSQL returns SUM(bigint) as Decimal; callers always get int.
        return None if value is None else int(value)


class AwareDateTimeField(Field):
    """An aware datetime stored as UTC: text on SQLite, timestamptz on PostgreSQL."""
    field_type = 'TIMESTAMPTZ'

    def db_value(self, value):
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f'{self.name}: expected an aware datetime, got {value!r}')
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f'{self.name}: naive datetime refused: {value!r}')
        value = value.astimezone(dt.timezone.utc)
        model = getattr(self, 'model', None)
        if model is not None and is_postgres(model._meta.database):
            return value
        # Fixed width with microseconds, so text order equals time order on SQLite.
        return value.isoformat(sep=' ', timespec='microseconds')

    def python_value(self, value):
        if value is None:
            return None
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class JSONField(TextField):
    """JSON kept as text, the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def python_value(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def holds_text(self, needle: str) -> Expression:
        """SQL: the stored JSON text contains ``needle`` (ignoring case, wildcards escaped, never
        JSON-encoded again), e.g. '"tag_id": "et1"' or '"重点客户"' — the same on SQLite and PostgreSQL."""
        escaped = needle.replace('\\', '\\\\').replace('_', '\\_').replace('%', '\\%')
        return Expression(self, OP.ILIKE, NodeList((Value(f'%{escaped}%', converter=False), SQL('ESCAPE'),
                                                   Value('\\', converter=False))))


PERIOD_RE = re.compile(r'^[0-9]{4}-(0[1-9]|1[0-2])\Z')


class PeriodField(CharField):
    """A month, 'YYYY-MM'. Text order is time order."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault('max_length', 7)
        super().__init__(*args, **kwargs)

    def db_value(self, value):
        if value is None:
            return None
        if not isinstance(value, str) or not PERIOD_RE.match(value):
            raise ValueError(f'{self.name}: period must be YYYY-MM, got {value!r}')
        return value

    # LIKE patterns are not periods: compare them without the validating converter.
    def startswith(self, rhs):
        return super(PeriodField, self.coerce(False)).startswith(rhs)

    def contains(self, rhs):
        return super(PeriodField, self.coerce(False)).contains(rhs)


def period_of(day: dt.date) -> str:
    """The period ('YYYY-MM') a date falls in."""
    return f'{day.year:04d}-{day.month:02d}'


def shift_period(period: str, months: int) -> str:
    """The period `months` after (or before, if negative) `period`."""
    if not PERIOD_RE.match(period):
        raise ValueError(f'period must be YYYY-MM, got {period!r}')
    index = int(period[:4]) * 12 + int(period[5:]) - 1 + months
    return f'{index // 12:04d}-{index % 12 + 1:02d}'


def period_range(start: str, end: str) -> list[str]:
    """Every period from `start` to `end`, both included."""
    periods = [start]
    while periods[-1] < end:
        periods.append(shift_period(periods[-1], 1))
    return periods


def _choices(labels: dict) -> list[tuple]:
    return list(labels.items())


class BaseModel(Model):
    """Common base: snake_case table names, choice checks and updated_at on save()."""

    class Meta:
        database = db
        legacy_table_names = False

    def validate_choices(self):
        """Raise ValueError when a field with choices holds a value outside them."""
        for field in self._meta.sorted_fields:
            value = self.__data__.get(field.name)
            if field.choices and value is not None and value not in dict(field.choices):
                raise ValueError(f'{type(self).__name__}.{field.name}: {value!r} is not a valid choice')

    def save(self, *args, **kwargs):
        self.validate_choices()
        if 'updated_at' in self._meta.fields:
            self.updated_at = utcnow()
        return super().save(*args, **kwargs)


# ===========================================================================
# Staff, roles and permissions (S3, S4)
# ===========================================================================

ROLES = {'super_admin': '超级管理员', 'admin': '管理员', 'staff': '职员'}

# The manual's "企业微信 8 项权限" (one per sidebar area plus linking), then the knowledge base rights.
PERMISSIONS = {
    'wecom.link': '关联微信联系人和客户群',
    'wecom.service': '服务情况（到期提醒、缺票提醒）',
    'wecom.billing': '收款情况（催款提醒、确认收款、发送收据）',
    'wecom.collection': '收票情况',
    'wecom.followup': '跟进情况',
    'wecom.filing': '报税情况',
    'wecom.report': '报表情况',
    'wecom.invoice': '发票情况',
    'knowledge.maintain': '维护知识库（分类、新增、修改、删除、导入导出）',
    'knowledge.audit': '审核知识库',
}
WECOM_PERMISSIONS = [code for code in PERMISSIONS if code.startswith('wecom.')]


class Staff(BaseModel):
    """An agency employee with a login role, permissions and at most one WeCom binding."""
    name = CharField(max_length=64)
    mobile = CharField(max_length=20, null=True, index=True)
    email = CharField(max_length=128, null=True)
    position = CharField(max_length=64, default='')
    role = CharField(max_length=16, default='staff', choices=_choices(ROLES))
    permissions = JSONField(default=list)
    wecom_userid = CharField(max_length=64, unique=True, null=True)
    bound_at = AwareDateTimeField(null=True)
    active = BooleanField(default=True)
    created_at = AwareDateTimeField(default=utcnow)

    @property
    def is_admin(self) -> bool:
        return self.role in ('super_admin', 'admin')

    def has_perm(self, code: str) -> bool:
        """True when this active staff member may use permission `code` (admins may use all)."""
        if code not in PERMISSIONS:
            raise KeyError(f'unknown permission {code!r}')
        return bool(self.active) and (self.is_admin or code in (self.permissions or []))


class BindingCode(BaseModel):
    """A one-time code an admin issues so a WeCom member can bind to a staff account (S4)."""
    staff = ForeignKeyField(Staff, backref='binding_codes', on_delete='CASCADE')
    code_hash = CharField(max_length=64, unique=True)
    expires_at = AwareDateTimeField()
    used_at = AwareDateTimeField(null=True)
    used_by_userid = CharField(max_length=64, null=True)
    created_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL', backref='issued_binding_codes')
    created_at = AwareDateTimeField(default=utcnow)

    @staticmethod
    def hash_code(code: str) -> str:
        """The stored form of a code: sha256 hex of its trimmed, upper-cased text."""
        return hashlib.sha256(code.strip().upper().encode()).hexdigest()


class WeComMember(BaseModel):
    """A member in the app's visible range as WeCom last listed it (user/list_id + user/get), for binding (S4).

    Newer apps get no name or mobile from user/get (WECOM.md §9); ``consent_mobile`` is the mobile the member
    let us read through snsapi_privateinfo, kept apart so a refresh never overwrites what they consented to."""
    userid = CharField(max_length=64, unique=True)
    name = CharField(max_length=64, default='')
    mobile = CharField(max_length=20, default='')
    department = JSONField(default=list)
    position = CharField(max_length=128, default='')
    status = IntegerField(default=0)  # user/get: 1 active, 2 disabled, 4 not activated, 5 left; 0 unknown
    in_range = BooleanField(default=True)
    last_seen_at = AwareDateTimeField(null=True)  # the refresh that last listed this member
    fetched_at = AwareDateTimeField(null=True)
    consent_mobile = CharField(max_length=20, default='')
    consent_mobile_at = AwareDateTimeField(null=True)

    class Meta:
        table_name = 'wecom_member'


# ===========================================================================
# Clients (the agency's customer companies) and their people (B1)
# ===========================================================================

TAXPAYER_TYPES = {'small': '小规模纳税人', 'general': '一般纳税人'}
# 增值税申报周期 as the agency sets it; '' leaves it to the client's VAT returns (handlers/invoices/rules.filing_cycle).
VAT_CYCLES = {'': '未设置（按申报记录推断）', 'monthly': '按月', 'quarterly': '按季'}
CLIENT_STATUSES = {'active': '服务中', 'paused': '暂停服务', 'lost': '已流失'}


def pinyin_initials(text: str) -> str:
    """Lower-case pinyin first letters of `text`, e.g. 华夏科技 -> 'hxkj'."""
    return name_search_keys(text)[0]


def name_pinyin(text: str) -> str:
    """Toneless pinyin of `text`, one token per character, e.g. 华夏科技 -> 'hua xia ke ji'.

    One token per character keeps the alignment a search needs (华厦 is 华夏 with one character of the same
    sound); characters without pinyin stand for themselves, lower-cased (spaces as '_')."""
    return name_search_keys(text)[1]


def name_search_keys(text: str) -> tuple[str, str]:
    """(pinyin_initials(text), name_pinyin(text)) from one reading of the name, as pypinyin's lazy_pinyin reads it:
    in its words, so a polyphone is read in its word (重庆 chong). A first letter is the first letter of the
    toneless reading (pypinyin's FIRST_LETTER style is defined so); other characters are kept as they are."""
    letters, tokens = [], []
    for position, run in enumerate(_han_runs().split(text)):
        if position % 2:  # split() alternates: other characters, then a run of Chinese characters (the group)
            for word in _cut_run(run):
                readings, firsts = _word_keys(word)
                tokens.extend(readings)
                letters.append(firsts)
        elif run:
            tokens.extend(run)
            letters.append(run)
    initials = _NOT_INITIAL.sub('', ''.join(letters).lower())
    if len(tokens) != len(text):
        tokens = [(_lazy_pinyin(ch, _pinyin_styles().NORMAL, list) or [ch])[0] for ch in text]
    elif not _SPACE.search(text):  # the usual name: no token is blank
        return initials, ' '.join(tokens).lower()
    return initials, ' '.join(['_' if not token.strip() else token.lower() for token in tokens])


_NOT_INITIAL = re.compile('[^0-9a-z]')
_SPACE = re.compile(r'\s')


@functools.lru_cache(maxsize=1 << 16)
def _word_keys(word: str) -> tuple[tuple[str, ...], str]:
    """A word's toneless readings and their first letters."""
    readings = _word_pinyin(word, _pinyin_styles().NORMAL, list)
    return readings, ''.join(reading[:1] for reading in readings)


def _lazy_pinyin(text: str, style, errors='default') -> list[str]:
    """pypinyin.lazy_pinyin(text, style, errors), for the two ways errors are used here ('default' keeps other
    characters as they are, list splits them into characters), in its words: runs of other characters whole, each
    run of Chinese characters cut into words by pypinyin's segmenter. A run's cut and a word's reading depend on
    themselves alone, so both are remembered: the runs and words of company names (有限公司, 科技, 杭州) repeat."""
    tokens = []
    for position, run in enumerate(_han_runs().split(text)):
        if position % 2:  # split() alternates: other characters, then a run of Chinese characters (the group)
            for word in _cut_run(run):
                tokens.extend(_word_pinyin(word, style, errors))
        elif run:
            tokens.extend(run if errors is list else [run] if errors == 'default' else _word_pinyin(run, style, errors))
    return tokens


@functools.lru_cache(maxsize=1)
def _pinyin_styles():
    from pypinyin import Style  # loads its dictionaries on first use
    return Style


@functools.lru_cache(maxsize=1)
def _han_runs() -> re.Pattern:
    from pypinyin.constants import RE_HANS  # '^(?:[…])+$': the characters pypinyin has readings for
    return re.compile(f"({RE_HANS.pattern.removeprefix('^(?:').removesuffix(')+$')}+)")


@functools.lru_cache(maxsize=1 << 14)
def _cut_run(run: str) -> tuple[str, ...]:
    return tuple(_pinyin_engine().seg(run))


@functools.lru_cache(maxsize=1 << 16)
def _word_pinyin(words: str, style, errors) -> tuple[str, ...]:
    return tuple(itertools.chain(*_pinyin_engine()._converter.convert(words, style, False, errors, strict=True)))


@functools.lru_cache(maxsize=1)
def _pinyin_engine():
    from pypinyin.converter import UltimateConverter
    from pypinyin.core import Pinyin
    return Pinyin(UltimateConverter(v_to_u=False, neutral_tone_with_five=False, tone_sandhi=False))  # lazy_pinyin's


class Client(BaseModel):
    """A company the agency keeps the books for (客户)."""
    name = CharField(max_length=128, unique=True)
    short_name = CharField(max_length=64, default='', index=True)
    tax_id = CharField(max_length=32, null=True, unique=True)  # 统一社会信用代码
    taxpayer_type = CharField(max_length=8, default='small', choices=_choices(TAXPAYER_TYPES))
    vat_cycle = CharField(max_length=10, default='', choices=_choices(VAT_CYCLES))  # 增值税申报周期
    legal_person = CharField(max_length=64, default='')
    address = CharField(max_length=255, default='')
    tags = JSONField(default=list)
    manager = ForeignKeyField(Staff, null=True, on_delete='SET NULL', backref='managed_clients')
    accountant = ForeignKeyField(Staff, null=True, on_delete='SET NULL', backref='booked_clients')
    status = CharField(max_length=8, default='active', choices=_choices(CLIENT_STATUSES))
    note = TextField(default='')
    pinyin_initials = CharField(max_length=128, default='', index=True)
    pinyin = TextField(default='')  # name_pinyin(name): full-pinyin and same-sound search
    created_at = AwareDateTimeField(default=utcnow)

    def save(self, *args, **kwargs):
        self.pinyin_initials, self.pinyin = name_search_keys(self.name or '')
        return super().save(*args, **kwargs)


class ClientContact(BaseModel):
    """A person on the client's side (boss, finance, cashier) as the agency records them."""
    client = ForeignKeyField(Client, backref='contacts', on_delete='CASCADE')
    name = CharField(max_length=64)
    title = CharField(max_length=32, default='')  # 老板 / 财务 / 出纳 …
    mobile = CharField(max_length=20, null=True)
    is_primary = BooleanField(default=False)

    class Meta:
        indexes = ((('client', 'name'), False),)  # the import's natural key (X10)


# ===========================================================================
# WeCom contacts, customer groups and their links to clients (L1–L6)
# ===========================================================================

CONTACT_TYPES = {1: '微信用户', 2: '企业微信用户'}
MEMBER_TYPES = {1: '企业成员', 2: '外部联系人'}
JOIN_SCENES = {1: '由成员直接邀请入群', 2: '由成员通过邀请链接入群', 3: '通过扫描群二维码入群'}


class ExternalContact(BaseModel):
    """A WeCom external contact (外部联系人); marked vanished, never deleted, when syncs stop seeing it."""
    external_userid = CharField(max_length=64, unique=True)
    name = CharField(max_length=128, default='')
    type = IntegerField(default=1, choices=_choices(CONTACT_TYPES))
    corp_name = CharField(max_length=128, null=True)
    gender = IntegerField(default=0)  # 0 unknown, 1 male, 2 female
    unionid = CharField(max_length=64, null=True)
    avatar = CharField(max_length=512, null=True)
    vanished_at = AwareDateTimeField(null=True)
    updated_at = AwareDateTimeField(default=utcnow)


class FollowRelation(BaseModel):
    """Which WeCom member follows an external contact, with that member's remark and tags."""
    contact = ForeignKeyField(ExternalContact, backref='follows', on_delete='CASCADE')
    userid = CharField(max_length=64, index=True)  # WeCom member; may not be bound to a Staff
    remark = CharField(max_length=128, default='')
    description = CharField(max_length=255, default='')
    tags = JSONField(default=list)  # [{tag_id, tag_name, group_name, type}]
    state = CharField(max_length=64, null=True)
    add_way = IntegerField(null=True)
    followed_at = AwareDateTimeField(null=True)
    deleted_at = AwareDateTimeField(null=True)  # del_external_contact / del_follow_user
    updated_at = AwareDateTimeField(default=utcnow, index=True)  # keys the console's cached tag options

    class Meta:
        indexes = ((('contact', 'userid'), True),)


class CustomerGroup(BaseModel):
    """A WeCom customer group (客户群)."""
    chat_id = CharField(max_length=64, unique=True)
    name = CharField(max_length=128, default='')
    owner_userid = CharField(max_length=64, default='', index=True)
    notice = TextField(default='')
    admin_userids = JSONField(default=list)
    member_version = CharField(max_length=64, null=True)
    created_at_wecom = AwareDateTimeField(null=True)
    status = IntegerField(default=0)  # 0 normal; other values as WeCom reports them (e.g. 1 pending transfer)
    dismissed_at = AwareDateTimeField(null=True)
    vanished_at = AwareDateTimeField(null=True)
    updated_at = AwareDateTimeField(default=utcnow)


class GroupMember(BaseModel):
    """A member of a customer group: a WeCom member (type 1) or an external contact (type 2)."""
    group = ForeignKeyField(CustomerGroup, backref='members', on_delete='CASCADE')
    member_id = CharField(max_length=64, index=True)  # userid or external_userid
    member_type = IntegerField(choices=_choices(MEMBER_TYPES))
    join_time = AwareDateTimeField(null=True)
    join_scene = IntegerField(null=True, choices=_choices(JOIN_SCENES))
    invitor_userid = CharField(max_length=64, null=True)
    group_nickname = CharField(max_length=128, default='')
    name = CharField(max_length=128, default='')
    left_at = AwareDateTimeField(null=True)

    class Meta:
        indexes = ((('group', 'member_id'), True),)


class ContactClientLink(BaseModel):
    """An external contact linked to a client (L4; a contact may serve several clients)."""
    contact = ForeignKeyField(ExternalContact, backref='client_links', on_delete='CASCADE')
    client = ForeignKeyField(Client, backref='contact_links', on_delete='CASCADE')
    created_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    created_at = AwareDateTimeField(default=utcnow)

    class Meta:
        indexes = ((('contact', 'client'), True),)


class GroupClientLink(BaseModel):
    """A customer group linked to a client (L5)."""
    group = ForeignKeyField(CustomerGroup, backref='client_links', on_delete='CASCADE')
    client = ForeignKeyField(Client, backref='group_links', on_delete='CASCADE')
    created_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    created_at = AwareDateTimeField(default=utcnow)

    class Meta:
        indexes = ((('group', 'client'), True),)


def clients_visible_to(staff: Staff):
    """Clients `staff` may see: all for admins; else managed, booked, or reached via followed contacts/groups."""
    query = Client.select()
    if staff.is_admin:
        return query
    visible = (Client.manager == staff) | (Client.accountant == staff)
    if staff.wecom_userid:
        via_contacts = (ContactClientLink.select(ContactClientLink.client)
                        .join(FollowRelation, on=(FollowRelation.contact == ContactClientLink.contact))
                        .where((FollowRelation.userid == staff.wecom_userid)
                               & FollowRelation.deleted_at.is_null()))
        via_groups = (GroupClientLink.select(GroupClientLink.client)
                      .join(GroupMember, on=(GroupMember.group == GroupClientLink.group))
                      .where((GroupMember.member_id == staff.wecom_userid)
                             & (GroupMember.member_type == 1) & GroupMember.left_at.is_null()))
        visible |= Client.id.in_(via_contacts) | Client.id.in_(via_groups)
    return query.where(visible)


# ===========================================================================
# Services and contracts (B2, B3)
# ===========================================================================

SERVICE_KINDS = {'bookkeeping': '记账', 'business': '工商'}
BILLING_CYCLES = {'monthly': '按月', 'quarterly': '按季', 'yearly': '按年', 'once': '一次性'}
SERVICE_STATUSES = {'active': '服务中', 'expired': '已到期', 'cancelled': '已取消', 'renewed': '已续费'}
CONTRACT_STATUSES = {'draft': '草稿', 'active': '执行中', 'ended': '已到期', 'terminated': '已终止'}


class Contract(BaseModel):
    """A signed service contract (合同) with a client."""
    client = ForeignKeyField(Client, backref='contracts')
    number = CharField(max_length=32, unique=True)
    title = CharField(max_length=128)
    start_date = DateField()
    end_date = DateField()
    amount_fen = MoneyField()
    signed_on = DateField(null=True)
    status = CharField(max_length=12, default='active', choices=_choices(CONTRACT_STATUSES))


class Service(BaseModel):
    """A bookkeeping (记账) or business-registration (工商) service term for a client."""
    client = ForeignKeyField(Client, backref='services')
    contract = ForeignKeyField(Contract, null=True, backref='services', on_delete='SET NULL')
    kind = CharField(max_length=12, choices=_choices(SERVICE_KINDS))
    name = CharField(max_length=64)
    start_date = DateField()
    end_date = DateField(index=True)
    fee_fen = MoneyField()  # per billing cycle
    billing_cycle = CharField(max_length=10, default='yearly', choices=_choices(BILLING_CYCLES))
    status = CharField(max_length=10, default='active', choices=_choices(SERVICE_STATUSES))

    class Meta:
        # The import's natural key (X10); not unique, so databases holding duplicates still migrate.
        indexes = ((('client', 'kind', 'name', 'start_date'), False),)


class MissingInvoiceFlag(BaseModel):
    """An accountant's mark that a client's invoices for a period are missing (缺票)."""
    client = ForeignKeyField(Client, backref='missing_invoice_flags', on_delete='CASCADE')
    period = PeriodField()
    note = TextField(default='')
    flagged_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    flagged_at = AwareDateTimeField(default=utcnow)
    resolved_at = AwareDateTimeField(null=True)

    class Meta:
        indexes = ((('client', 'period'), True),)


# ===========================================================================
# Billing: receivables, payments and gapless receipt numbers (B3)
# ===========================================================================

RECEIVABLE_STATUSES = {'open': '未收', 'partial': '部分收款', 'paid': '已收清', 'waived': '已减免'}
PAYMENT_METHODS = {'bank': '银行转账', 'wechat': '微信', 'alipay': '支付宝', 'cash': '现金', 'other': '其他'}


class Receivable(BaseModel):
    """An amount a client owes for an item over a range of periods (应收)."""
    client = ForeignKeyField(Client, backref='receivables')
    contract = ForeignKeyField(Contract, null=True, backref='receivables', on_delete='SET NULL')
    service = ForeignKeyField(Service, null=True, backref='receivables', on_delete='SET NULL')
    item = CharField(max_length=64)  # e.g. 代理记账费
    period_start = PeriodField()
    period_end = PeriodField()
    amount_fen = MoneyField()
    paid_fen = MoneyField(default=0)
    due_date = DateField(index=True)
    status = CharField(max_length=8, default='open', choices=_choices(RECEIVABLE_STATUSES))
    created_at = AwareDateTimeField(default=utcnow)

    class Meta:
        # (client, item, period_start): the import's natural key (X10), not unique (see Service).
        indexes = ((('client', 'status'), False), (('client', 'item', 'period_start'), False))

    @property
    def outstanding_fen(self) -> int:
        if self.status == 'waived':
            return 0
        return max(self.amount_fen - self.paid_fen, 0)

    def settled_status(self) -> str:
        """The status paid_fen implies ('open', 'partial' or 'paid'); a waiver is kept."""
        if self.status == 'waived':
            return 'waived'
        if self.paid_fen >= self.amount_fen:
            return 'paid'
        return 'partial' if self.paid_fen > 0 else 'open'


class Payment(BaseModel):
    """Money received from a client (收款), numbered by a gapless receipt number."""
    client = ForeignKeyField(Client, backref='payments')
    receipt_no = CharField(max_length=16, unique=True)
    amount_fen = MoneyField()
    method = CharField(max_length=8, default='bank', choices=_choices(PAYMENT_METHODS))
    paid_on = DateField()
    payer = CharField(max_length=128, default='')
    note = TextField(default='')
    recorded_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    created_at = AwareDateTimeField(default=utcnow)
    voided_at = AwareDateTimeField(null=True)  # a voided receipt keeps its number
    void_reason = CharField(max_length=255, null=True)
    account = CharField(max_length=32, default='')  # 收款账户, free text: 基本户, 支付宝…
    # The part kept as the client's credit (预收/多收) when it was recorded: amount = its first allocations
    # + credit_fen. What is left of it is credit_fen minus its from_credit allocations and refund parts.
    credit_fen = MoneyField(default=0)


class PaymentAllocation(BaseModel):
    """The part of a payment applied to one receivable."""
    payment = ForeignKeyField(Payment, backref='allocations')
    receivable = ForeignKeyField(Receivable, backref='allocations')
    amount_fen = MoneyField()
    from_credit = BooleanField(default=False)  # applied later from the payment's credit (用余额抵扣)


class CreditRefund(BaseModel):
    """Credit paid back to a client (退款); its parts say which payments' credit it came from."""
    client = ForeignKeyField(Client, backref='credit_refunds')
    amount_fen = MoneyField()
    method = CharField(max_length=8, default='bank', choices=_choices(PAYMENT_METHODS))
    refunded_on = DateField()
    note = CharField(max_length=100, default='')
    recorded_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    created_at = AwareDateTimeField(default=utcnow)


class CreditRefundPart(BaseModel):
    """The part of a refund drawn from one payment's credit (oldest credit first)."""
    refund = ForeignKeyField(CreditRefund, backref='parts')
    payment = ForeignKeyField(Payment, backref='refund_parts')
    amount_fen = MoneyField()


class ReceiptCounter(BaseModel):
    """The last receipt number used per key (one key per year)."""
    key = CharField(max_length=32, primary_key=True)
    last_value = BigIntegerField(default=0)


def next_receipt_number(year: int) -> str:
    """The next receipt number of `year`, e.g. '2026-000001'; call inside an open write transaction.

    The number commits or rolls back with the caller's Payment row, so numbers stay gapless.
    SQLite serialises writers (BEGIN IMMEDIATE, and the first statement here is a write);
    PostgreSQL holds the counter's row lock from the UPDATE until the caller's commit.
    """
    if not db.in_transaction():
        raise RuntimeError('next_receipt_number() must run inside an open write transaction')
    key = f'receipt-{year}'
    # First number of a year: concurrent inserters wait on the key, then do nothing.
    ReceiptCounter.insert(key=key, last_value=0).on_conflict_ignore().execute()
    (ReceiptCounter.update(last_value=ReceiptCounter.last_value + 1)
     .where(ReceiptCounter.key == key).execute())
    value = ReceiptCounter.select(ReceiptCounter.last_value).where(ReceiptCounter.key == key).scalar()
    return f'{year:04d}-{value:06d}'


# ===========================================================================
# Invoice collection (收票, B4)
# ===========================================================================

COLLECTION_STATUSES = {'open': '收票中', 'complete': '已完成'}
COLLECTION_KINDS = {
    'purchase_invoice': '进项发票',
    'sales_invoice': '销项发票',
    'expense_receipt': '费用票',
    'bank_slip': '银行回单',
    'payroll': '工资表',
}


class InvoiceCollection(BaseModel):
    """What a client handed in for one period (收票记录)."""
    client = ForeignKeyField(Client, backref='collections')
    period = PeriodField()
    status = CharField(max_length=8, default='open', choices=_choices(COLLECTION_STATUSES))
    completed_at = AwareDateTimeField(null=True)
    completed_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    note = TextField(default='')
    created_at = AwareDateTimeField(default=utcnow)

    class Meta:
        indexes = ((('client', 'period'), True),)


class CollectionItem(BaseModel):
    """One kind of document within a 收票 record: how many, and whether it arrived."""
    collection = ForeignKeyField(InvoiceCollection, backref='items', on_delete='CASCADE')
    kind = CharField(max_length=20, choices=_choices(COLLECTION_KINDS))
    count = IntegerField(default=0)
    received = BooleanField(default=False)
    note = TextField(default='')
    received_at = AwareDateTimeField(null=True)

    class Meta:
        indexes = ((('collection', 'kind'), True),)


# ===========================================================================
# Follow-ups (跟进, B5)
# ===========================================================================

class FollowUp(BaseModel):
    """A note of contact with a client by a staff member."""
    client = ForeignKeyField(Client, backref='followups')
    staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    content = TextField()
    created_at = AwareDateTimeField(default=utcnow, index=True)


class FollowUpAttachment(BaseModel):
    """A file attached to a follow-up; the bytes live under the upload dir at storage_key."""
    followup = ForeignKeyField(FollowUp, backref='attachments', on_delete='CASCADE')
    filename = CharField(max_length=255)
    content_type = CharField(max_length=128, default='application/octet-stream')
    size = IntegerField(default=0)
    storage_key = CharField(max_length=255)
    sha256 = CharField(max_length=64)


# ===========================================================================
# Tax filings (报税, B6, X4)
# ===========================================================================

TAX_KINDS = {'vat': '增值税', 'surtax': '附加税费', 'cit': '企业所得税', 'iit': '个人所得税', 'stamp': '印花税'}
FILING_STATUSES = {'pending': '未申报', 'filed': '已申报', 'paid': '已缴款'}
FILING_CYCLES = {'monthly': '按月', 'quarterly': '按季', 'yearly': '按年'}


class TaxFiling(BaseModel):
    """One tax return of a client; `period` is the last month the return covers (a quarter ends in 03/06/09/12)."""
    client = ForeignKeyField(Client, backref='filings')
    period = PeriodField()
    tax = CharField(max_length=8, choices=_choices(TAX_KINDS))
    cycle = CharField(max_length=10, default='monthly', choices=_choices(FILING_CYCLES))
    status = CharField(max_length=8, default='pending', choices=_choices(FILING_STATUSES))
    amount_fen = MoneyField(default=0)
    filed_at = AwareDateTimeField(null=True)
    filed_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')

    class Meta:
        indexes = ((('client', 'period', 'tax'), True), (('period', 'status'), False))


# ===========================================================================
# Reports (报表, B7)
# ===========================================================================

REPORT_KINDS = {'balance_sheet': '资产负债表', 'income_statement': '利润表'}


class ReportSnapshot(BaseModel):
    """A client's financial statement for a period, as line items of 小企业会计准则.

    `lines` is a list of {code, name, amount_fen, section, total}: `code` is the 行次,
    `section` one of asset/liability/equity/profit, `total` marks subtotal lines.
    """
    client = ForeignKeyField(Client, backref='reports')
    period = PeriodField()
    kind = CharField(max_length=20, choices=_choices(REPORT_KINDS))
    lines = JSONField(default=list)
    created_at = AwareDateTimeField(default=utcnow)

    class Meta:
        indexes = ((('client', 'period', 'kind'), True),)

    def line_fen(self, name: str) -> int:
        """The amount of the line called `name`; KeyError if there is none."""
        for line in self.lines:
            if line['name'] == name:
                return line['amount_fen']
        raise KeyError(name)


# ===========================================================================
# Invoices (发票, B8)
# ===========================================================================

INVOICE_DIRECTIONS = {'input': '进项', 'output': '销项'}
INVOICE_KINDS = {'special': '专票', 'normal': '普票'}
INVOICE_STATUSES = {'normal': '正常', 'void': '作废', 'red': '红冲'}


class Invoice(BaseModel):
    """An input (进项) or output (销项) invoice of a client; amounts exclude tax."""
    client = ForeignKeyField(Client, backref='invoices')
    direction = CharField(max_length=6, choices=_choices(INVOICE_DIRECTIONS))
    period = PeriodField()
    number = CharField(max_length=32)  # 全电 (数电) number, or the 8-digit number of a paper invoice
    code = CharField(max_length=12, default='')  # 发票代码 of a paper invoice; '' for 全电
    issue_date = DateField()
    counterparty = CharField(max_length=128, default='')
    amount_fen = MoneyField()
    tax_fen = MoneyField()
    rate_bp = IntegerField()  # basis points: 1300 = 13%, 100 = 1%
    kind = CharField(max_length=8, default='normal', choices=_choices(INVOICE_KINDS))
    status = CharField(max_length=8, default='normal', choices=_choices(INVOICE_STATUSES))

    class Meta:
        indexes = ((('client', 'period', 'direction'), False),
                   (('client', 'direction', 'number'), True))


# ===========================================================================
# Knowledge base (知识库, K1–K4, B9, X8)
# ===========================================================================

class KnowledgeCategory(BaseModel):
    """A knowledge-base category; two levels at most (a child's parent has no parent)."""
    name = CharField(max_length=64)
    parent = ForeignKeyField('self', null=True, backref='children')
    sort_order = IntegerField(default=0)

    class Meta:
        indexes = ((('parent', 'name'), True),)

    def save(self, *args, **kwargs):
        if self.parent_id is not None:
            if self.id is not None and self.parent_id == self.id:
                raise ValueError('a knowledge category cannot be its own parent')
            if KnowledgeCategory.get_by_id(self.parent_id).parent_id is not None:
                raise ValueError('knowledge categories have two levels at most')
            if self.id is not None and self.children.exists():
                raise ValueError('a category with sub-categories cannot become a sub-category')
        return super().save(*args, **kwargs)


class KnowledgeEntry(BaseModel):
    """A question and its answer; only audited entries are offered to staff in chats."""
    category = ForeignKeyField(KnowledgeCategory, backref='entries')
    title = CharField(max_length=255)
    brief = TextField(default='')  # 简要描述: the short answer
    answer = TextField(default='')
    keywords = CharField(max_length=255, default='')  # how clients word it, for search (ranked below the title)
    audited = BooleanField(default=False, index=True)
    audited_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL', backref='audited_entries')
    audited_at = AwareDateTimeField(null=True)
    created_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL', backref='written_entries')
    created_at = AwareDateTimeField(default=utcnow)
    updated_at = AwareDateTimeField(default=utcnow)
    hits = IntegerField(default=0)


class KnowledgeTerm(BaseModel):
    """Search vocabulary: a character, a two-character piece or a Latin/digit token of audited entries, with
    its document frequency (BM25's idf) and toneless pinyin (same-sound typo lookup, two-character pieces)."""
    term = CharField(max_length=64, unique=True)
    df = IntegerField(default=0)
    pinyin = CharField(max_length=64, default='', index=True)


class KnowledgePosting(BaseModel):
    """One term in one audited entry, with its precomputed BM25F weight (fields boosted title > keywords >
    brief > answer, length-normalised, saturated) in ten-thousandths (0..10000: the catalogue keeps no floats);
    the search multiplies it by the term's idf."""
    term = ForeignKeyField(KnowledgeTerm, on_delete='CASCADE', lazy_load=False)
    # Not a foreign key: deleting an entry must not silently drop its postings before reindex_entry() has
    # taken their document frequencies back; the search joins the entry, so a stale posting never shows.
    entry_id = IntegerField(index=True)
    weight = IntegerField()

    class Meta:
        primary_key = CompositeKey('term', 'entry_id')
        # Covering the search's per-term read (best weights first, then the entry): no table lookups.
        indexes = ((('term', 'weight', 'entry_id'), False),)


class KnowledgeIndexStat(BaseModel):
    """Corpus statistics of the search index: entries indexed and each field's total length (BM25)."""
    name = CharField(max_length=32, primary_key=True)
    value = BigIntegerField(default=0)


class KnowledgeSynonym(BaseModel):
    """A word in an agency-maintained synonym group (法人 = 法定代表人): a query containing one also searches
    for the others. ``grp`` is the group's id (its first word's row id)."""
    term = CharField(max_length=32, unique=True)
    grp = IntegerField(index=True)


class KnowledgeGap(BaseModel):
    """A search that found nothing, counted, so a maintainer can write the missing entry (X8)."""
    query = CharField(max_length=255, unique=True)
    times = IntegerField(default=1)
    last_userid = CharField(max_length=64, null=True)
    first_at = AwareDateTimeField(default=utcnow)
    last_at = AwareDateTimeField(default=utcnow)
    draft = ForeignKeyField(KnowledgeEntry, null=True, on_delete='SET NULL')  # the entry written to answer it
    answered_at = AwareDateTimeField(null=True)  # when that entry was audited and the askers were told
    unsent = IntegerField(default=0)  # of ``times``: searches that found entries but none was sent or opened


class KnowledgeGapAsker(BaseModel):
    """Who asked a gap's question (for the maintainers' list, and to tell them once the answer is audited)."""
    gap = ForeignKeyField(KnowledgeGap, backref='askers', on_delete='CASCADE')
    userid = CharField(max_length=64)  # the WeCom userid, or staff:<id> for a member without one
    staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    times = IntegerField(default=1)  # days on which this member asked it
    last_at = AwareDateTimeField(default=utcnow)
    notified_at = AwareDateTimeField(null=True)

    class Meta:
        indexes = ((('gap', 'userid'), True),)


class KnowledgeSearch(BaseModel):
    """A search that found entries, kept for a short window: if its member sends or opens no entry before
    ``until`` it becomes a gap ("有结果但未发送"); handlers/knowledge/searchlog.py folds and prunes these rows."""
    userid = CharField(max_length=64)  # the WeCom userid, or staff:<id> (as KnowledgeGapAsker)
    staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    query = CharField(max_length=255)  # lower case, as KnowledgeGap.query
    at = AwareDateTimeField(default=utcnow)
    until = AwareDateTimeField(index=True)  # a send/open up to then counts for this search
    results = IntegerField(default=0)
    used = BooleanField(default=False)

    class Meta:
        indexes = ((('userid', 'until'), False),)


class KnowledgeGapAsk(BaseModel):
    """A member's unanswered query on one day: a gap counts at most once per member, query and day.

    Only today's rows matter; a member's older ones are deleted when that member next records a gap."""
    userid = CharField(max_length=64)
    day = DateField()  # the agency's date
    query = CharField(max_length=255)

    class Meta:
        indexes = ((('userid', 'day', 'query'), True),)


# ===========================================================================
# Data import and export runs (K3, X10)
# ===========================================================================

class ImportRun(BaseModel):
    """One XLSX/CSV/JSON import or export, with its per-row result report."""
    kind = CharField(max_length=32)  # e.g. knowledge_import, clients_import, knowledge_export
    filename = CharField(max_length=255, default='')
    state = CharField(max_length=8, default='running', choices=_choices(
        {'running': '进行中', 'done': '已完成', 'failed': '失败'}))
    total = IntegerField(default=0)
    succeeded = IntegerField(default=0)
    failed = IntegerField(default=0)
    report = JSONField(default=list)  # [{row, ok, message}]
    created_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    created_at = AwareDateTimeField(default=utcnow)
    finished_at = AwareDateTimeField(null=True)
    # Record imports (X10): a dry run writes nothing; counts = {created, updated, unchanged, errors};
    # phase/done are the progress the console polls ('校验' then '写入').
    dry_run = BooleanField(default=False)
    counts = JSONField(default=dict)
    phase = CharField(max_length=16, default='')
    done = IntegerField(default=0)


# ===========================================================================
# Handover of a member's clients, WeCom customers and groups (X9)
# ===========================================================================

# WeCom's transfer_result statuses (doc/94088); a group's transfer is done at once or fails with an errcode.
TRANSFER_STATUSES = {1: '接替完毕', 2: '等待接替', 3: '客户拒绝', 4: '接替成员客户已达上限', 5: '无接替记录'}
TRANSFER_MODES = {'onjob': '在职继承', 'resigned': '离职继承'}


class HandoverRun(BaseModel):
    """One handover: whose clients moved to whom (as applied), who did it, and WeCom's transfer if started."""
    from_staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL', backref='handovers_given')
    from_name = CharField(max_length=64, default='')
    by_staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL', backref='handovers_made')
    created_at = AwareDateTimeField(default=utcnow, index=True)
    state = CharField(max_length=8, default='applied', choices=_choices({'applied': '已交接'}))
    roles = JSONField(default=list)  # ['manager', 'accountant']
    changes = JSONField(default=list)  # [{client_id, client, manager: [before, after], accountant: [...]}]
    counts = JSONField(default=dict)  # taker name -> clients received
    wecom_mode = CharField(max_length=8, default='')  # '' (not started) or a TRANSFER_MODES key
    handover_userid = CharField(max_length=64, default='')
    takeover_userid = CharField(max_length=64, default='', index=True)
    checked_at = AwareDateTimeField(null=True)  # last transfer_result read


class HandoverItem(BaseModel):
    """One WeCom customer or group in a run's transfer, with the latest status WeCom gave for it."""
    run = ForeignKeyField(HandoverRun, backref='items', on_delete='CASCADE')
    kind = CharField(max_length=8, choices=_choices({'customer': '客户', 'group': '客户群'}))
    target = CharField(max_length=64, index=True)  # external_userid or chat_id
    name = CharField(max_length=128, default='')
    status = IntegerField(null=True)  # TRANSFER_STATUSES; None until WeCom accepted the request
    errcode = IntegerField(default=0)  # WeCom's refusal of the request itself (not the customer's answer)
    updated_at = AwareDateTimeField(default=utcnow)

    class Meta:
        indexes = ((('run', 'kind', 'target'), True),)


# ===========================================================================
# Reminders, callbacks and audit (C3, C4, X2, X3, X6)
# ===========================================================================

# uncertain: an attempt may have reached WeCom and WeCom's duplicate check no longer covers a repeat, so it is
# never sent again by itself; it is counted and listed instead (bot/outbox/health.py).
OUTBOX_STATES = ('pending', 'sent', 'failed', 'dropped', 'uncertain')
INBOX_STATES = ('received', 'done', 'failed')


class ReminderOutbox(BaseModel):
    """Everything pushed to WeCom: reminder items (kind|client|due-or-period|recipient), the digests carrying them
    and late command replies (bot/outbox/)."""
    dedupe_key = CharField(max_length=255, unique=True)
    kind = CharField(max_length=32)
    client = ForeignKeyField(Client, null=True, on_delete='CASCADE', backref='reminders')
    recipient_userid = CharField(max_length=64, index=True)
    payload = JSONField(default=dict)
    state = CharField(max_length=16, default='pending', choices=[(s, s) for s in OUTBOX_STATES])
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    created_at = AwareDateTimeField(default=utcnow)
    next_attempt_at = AwareDateTimeField(null=True)
    sent_at = AwareDateTimeField(null=True)
    wecom_msgid = CharField(max_length=128, null=True)
    resolved_at = AwareDateTimeField(null=True)  # when the records showed the matter done (X2, X6)
    # Start of the first attempt that may have reached WeCom: a repeat is sent only while WeCom's duplicate
    # check (counted from here) still swallows it.
    maybe_sent_at = AwareDateTimeField(null=True)
    message_hash = CharField(max_length=64, null=True)  # sha256 of the stored message, to spot identical ones
    blob = BlobField(null=True)  # a late reply's image or file, kept until it is uploaded
    # The job run (JobRun.key) that planned an item: its admins' summary is counted from these rows.
    run_key = CharField(max_length=64, null=True, index=True)

    class Meta:
        indexes = ((('state', 'next_attempt_at'), False), (('recipient_userid', 'message_hash'), False))


class JobRun(BaseModel):
    """One scheduled job's run for one day; open (finished_at NULL) while its items are being written in chunks,
    finished in the transaction that writes the admins' summary (bot/outbox/runs.py)."""
    key = CharField(max_length=64, primary_key=True)  # '<job>@<day>'
    job = CharField(max_length=32, index=True)
    day = DateField()
    found = IntegerField(default=0)       # due reminders the run found for staff (sent earlier or not)
    unassigned = IntegerField(default=0)  # due reminders without a bound member to send to
    started_at = AwareDateTimeField(default=utcnow)
    finished_at = AwareDateTimeField(null=True)


class CallbackInbox(BaseModel):
    """A WeCom callback seen once (dedupe by MsgId or event key) and how handling ended."""
    dedupe_key = CharField(max_length=255, unique=True)
    kind = CharField(max_length=64)  # e.g. 'text', 'event:change_external_contact'
    received_at = AwareDateTimeField(default=utcnow, index=True)
    state = CharField(max_length=8, default='received', choices=[(s, s) for s in INBOX_STATES])
    finished_at = AwareDateTimeField(null=True)
    error = TextField(null=True)


class AuditLog(BaseModel):
    """Who changed what, when, with before/after values."""
    at = AwareDateTimeField(default=utcnow, index=True)
    actor = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    actor_label = CharField(max_length=64, default='system')  # WeCom userid or 'system'
    action = CharField(max_length=64)
    entity = CharField(max_length=64)
    entity_id = CharField(max_length=64, null=True)
    before = JSONField(null=True)
    after = JSONField(null=True)

    class Meta:
        indexes = ((('entity', 'entity_id'), False),)


def audit(actor, action, entity_obj_or_name, entity_id=None, before=None, after=None) -> AuditLog:
    """Record an audit entry; `actor` is a Staff, a label (e.g. a WeCom userid) or None for 'system'."""
    if isinstance(actor, Staff):
        staff, label = actor, actor.wecom_userid or f'staff:{actor.id}'
    else:
        staff, label = None, actor or 'system'
    if isinstance(entity_obj_or_name, Model):
        entity = type(entity_obj_or_name).__name__
        entity_id = entity_obj_or_name.get_id() if entity_id is None else entity_id
    else:
        entity = str(entity_obj_or_name)
    return AuditLog.create(actor=staff, actor_label=label, action=action, entity=entity,
                           entity_id=None if entity_id is None else str(entity_id),
                           before=before, after=after)


# ===========================================================================
# JSON API tokens (X10)
# ===========================================================================

API_SCOPES = {'read': '只读', 'write': '读写'}


class ApiToken(BaseModel):
    """A bearer token of the JSON API (/api/v1), created and revoked by admins; only its sha256 is kept."""
    name = CharField(max_length=48, unique=True)  # audit rows name it: 'api:<name>'
    token_hash = CharField(max_length=64, unique=True)
    scope = CharField(max_length=8, default='read', choices=_choices(API_SCOPES))
    created_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    created_at = AwareDateTimeField(default=utcnow)
    last_used_at = AwareDateTimeField(null=True)  # written at most once a minute
    revoked_at = AwareDateTimeField(null=True)
    revoked_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL', backref='revoked_api_tokens')


# ===========================================================================
# WeCom plumbing shared between processes (tokens, conversations, syncs, scheduler)
# ===========================================================================

class ConsoleSession(BaseModel):
    """A signed-in back-office session, kept on the server so sign-out and deactivation end it at once."""
    token_hash = CharField(max_length=64, unique=True)  # sha256 of the cookie's random token
    staff = ForeignKeyField(Staff, backref='console_sessions', on_delete='CASCADE')
    userid = CharField(max_length=64)  # the WeCom member who signed in
    csrf = CharField(max_length=64)
    via = CharField(max_length=8, default='oauth', choices=[('oauth', 'oauth'), ('qr', 'qr')])
    created_at = AwareDateTimeField(default=utcnow)
    last_seen_at = AwareDateTimeField(default=utcnow, index=True)
    ended_at = AwareDateTimeField(null=True)
    address = CharField(max_length=64, default='')


class TokenCache(BaseModel):
    """A WeCom access token or JS-SDK ticket shared by all processes."""
    key = CharField(max_length=128, primary_key=True)
    value = TextField()
    expires_at = AwareDateTimeField()
    updated_at = AwareDateTimeField(default=utcnow)


class ConversationState(BaseModel):
    """A member's pending choice or confirmation in the command bot."""
    userid = CharField(max_length=64, primary_key=True)
    data = JSONField(default=dict)
    expires_at = AwareDateTimeField()


class SidebarChoice(BaseModel):
    """The client a member last picked in the sidebar of one chat (a contact or a group linked to several)."""
    staff = ForeignKeyField(Staff, on_delete='CASCADE')
    chat_key = CharField(max_length=128)  # external_userid or chat_id
    client = ForeignKeyField(Client, on_delete='CASCADE')
    chosen_at = AwareDateTimeField(default=utcnow)

    class Meta:
        indexes = ((('staff', 'chat_key'), True),)


class SyncRun(BaseModel):
    """A contact or group sync; resumable from `cursor`; at most one running per kind."""
    kind = CharField(max_length=32)  # 'contacts' / 'groups'
    state = CharField(max_length=8, default='running', choices=[(s, s) for s in ('running', 'done', 'failed')])
    started_at = AwareDateTimeField(default=utcnow)
    finished_at = AwareDateTimeField(null=True)
    heartbeat_at = AwareDateTimeField(default=utcnow)
    cursor = JSONField(null=True)
    counts = JSONField(default=dict)
    error = TextField(null=True)
    started_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')


SyncRun.add_index(SyncRun.index(SyncRun.kind, unique=True, where=(SyncRun.state == 'running'),
                                name='sync_run_one_running_per_kind'))
# NULL parents never collide in a UNIQUE index, so top-level names need their own.
KnowledgeCategory.add_index(KnowledgeCategory.index(
    KnowledgeCategory.name, unique=True, where=KnowledgeCategory.parent.is_null(),
    name='knowledge_category_top_level_name'))


class SchedulerLease(BaseModel):
    """The lease that lets exactly one process run the scheduler (X11)."""
    name = CharField(max_length=64, primary_key=True)
    holder = CharField(max_length=128, default='')
    expires_at = AwareDateTimeField()

    @classmethod
    def acquire(cls, name: str, holder: str, ttl_seconds: float, now: dt.datetime | None = None) -> bool:
        """Take or renew lease `name` for `holder`; False while another holder's lease is live."""
        now = now or utcnow()
        with db.atomic():
            cls.insert(name=name, holder='', expires_at=now).on_conflict_ignore().execute()
            taken = (cls.update(holder=holder, expires_at=now + dt.timedelta(seconds=ttl_seconds))
                     .where((cls.name == name) & ((cls.holder == holder) | (cls.expires_at <= now)))
                     .execute())
        return taken == 1

    @classmethod
    def release(cls, name: str, holder: str) -> None:
        """Give lease `name` up if `holder` has it."""
        cls.update(expires_at=utcnow()).where((cls.name == name) & (cls.holder == holder)).execute()


# ===========================================================================
# 运行状况 (X7): what the console's health page stores
# ===========================================================================

DRIFT_STATES = ('running', 'done', 'failed')


class DriftCheck(BaseModel):
    """One 检查差异 run: WeCom's customer list per member (externalcontact/list) against our follow relations."""
    started_at = AwareDateTimeField(default=utcnow, index=True)
    finished_at = AwareDateTimeField(null=True)
    state = CharField(max_length=8, default='running', choices=[(s, s) for s in DRIFT_STATES])
    started_by = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
    members = IntegerField(default=0)       # members compared
    wecom_total = IntegerField(default=0)   # follow relations WeCom lists
    ours_total = IntegerField(default=0)    # follow relations we hold (not deleted)
    missing = IntegerField(default=0)       # in WeCom, not here
    extra = IntegerField(default=0)         # here, no longer in WeCom
    details = JSONField(default=list)       # per member with a difference: {userid, wecom, ours, missing, extra, …}
    error = TextField(null=True)

    @property
    def drift(self) -> int:
        return self.missing + self.extra


# ===========================================================================
# Every model, parents before children
# ===========================================================================

ALL_MODELS = [
    Staff, BindingCode, WeComMember,
    Client, ClientContact,
    ExternalContact, FollowRelation, CustomerGroup, GroupMember, ContactClientLink, GroupClientLink,
    Contract, Service, MissingInvoiceFlag,
    Receivable, Payment, PaymentAllocation, CreditRefund, CreditRefundPart, ReceiptCounter,
    InvoiceCollection, CollectionItem,
    FollowUp, FollowUpAttachment,
    TaxFiling, ReportSnapshot, Invoice,
    KnowledgeCategory, KnowledgeEntry, KnowledgeGap, KnowledgeGapAsk, KnowledgeGapAsker, KnowledgeSearch,
    KnowledgeTerm, KnowledgePosting, KnowledgeIndexStat, KnowledgeSynonym,
    ImportRun,
    HandoverRun, HandoverItem,
    ReminderOutbox, JobRun, CallbackInbox, AuditLog, ApiToken,
    TokenCache, ConversationState, SidebarChoice, SyncRun, SchedulerLease, ConsoleSession,
    DriftCheck,
]
