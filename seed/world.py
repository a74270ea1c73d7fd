"""The demo's WeCom directory (members, external contacts, customer groups), planned without a database."""
import random
from dataclasses import dataclass, field

from seed.data import (
    ACCOUNTANTS,
    BRANDS,
    CITIES,
    CLIENT_TAGS,
    CORP_NAME,
    FEMALE_GIVEN,
    FIXED_CLIENTS,
    ID_ALPHABET,
    INDUSTRIES,
    MALE_GIVEN,
    MANAGERS,
    MEMBERS,
    NO_GROUP,
    SEED,
    SHARED_BOSS,
    SURNAMES,
    TAGS,
)


@dataclass
class ClientPlan:
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
class World:
    directory: dict
    clients: list
    contact_links: list  # (external_userid, client index)
    group_links: list  # (chat_id, client index)


def _wecom_id(rng, prefix, length=30):
    return prefix + ''.join(rng.choice(ID_ALPHABET) for _ in range(length))


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
    return ClientPlan(
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


def build_world() -> World:
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
    return World(directory, clients, contact_links, group_links)


def demo_directory() -> dict:
    """The demo corp's WeCom members, external contacts and customer groups (always the same)."""
    return build_world().directory
