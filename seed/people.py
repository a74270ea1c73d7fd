"""Seeding steps: staff, clients, the WeCom directory and customer groups."""
import datetime as dt

import models
from handlers.invoices.vat_table import DEFAULT_CYCLE
from seed.data import MEMBERS, UNBOUND_USERID
from seed.kit import at, bulk, from_epoch
from seed.records import import_records


def seed_staff(ctx):
    mobiles = {m['userid']: m['mobile'] for m in ctx.world.directory['members']}
    for userid, name, position, role, extra in MEMBERS:
        permissions = [] if role != 'staff' else models.WECOM_PERMISSIONS + extra
        bound = userid != UNBOUND_USERID
        ctx.staff[userid] = models.Staff.create(
            name=name, mobile=mobiles[userid], email=f'{userid}@mingxin-caishui.cn', position=position,
            role=role, permissions=permissions, active=True,
            wecom_userid=userid if bound else None,
            bound_at=at(ctx.today - dt.timedelta(days=120)) if bound else None,
            created_at=at(ctx.today - dt.timedelta(days=400)))


def _client_status(index):
    return {38: 'lost', 46: 'paused'}.get(index, 'active')


def seed_clients(ctx):
    """Clients and their contacts, through the clients and contacts imports; then their demo creation dates."""
    names = {userid: staff.name for userid, staff in ctx.staff.items()}
    clients, contacts = [], []
    for plan in ctx.world.clients:
        ctx.status[plan.index] = _client_status(plan.index)
        clients.append({'客户名称': plan.name, '简称': plan.short_name, '税号': plan.tax_id,
                        '纳税人类型': models.TAXPAYER_TYPES[plan.taxpayer_type],
                        # the cycle seed/books.py files their VAT returns by, so the demo's figures stay the same
                        '增值税申报周期': models.VAT_CYCLES[DEFAULT_CYCLE[plan.taxpayer_type]],
                        '法定代表人': plan.people[0]['name'],
                        '地址': plan.address, '客户经理': names[plan.manager], '主办会计': names[plan.accountant],
                        '标签': '、'.join(plan.tags), '状态': models.CLIENT_STATUSES[ctx.status[plan.index]]})
        contacts += [{'客户': plan.tax_id, '姓名': p['name'], '职务': p['title'], '手机': p['mobile'],
                      '主要联系人': '是' if p['title'] == '财务' else '否'} for p in plan.people]
    import_records('clients', clients)
    import_records('contacts', contacts)
    ids = dict(models.Client.select(models.Client.name, models.Client.id).tuples())
    for plan in ctx.world.clients:
        ctx.client_ids[plan.index] = ids[plan.name]
        (models.Client.update(created_at=at(ctx.today - dt.timedelta(days=700 - plan.index * 7)))
         .where(models.Client.id == ids[plan.name]).execute())


def seed_wecom(ctx):
    directory = ctx.world.directory
    bulk(models.ExternalContact, [
        {'external_userid': c['external_userid'], 'name': c['name'], 'type': c['type'],
         'corp_name': c['corp_name'] or None, 'gender': c['gender'], 'unionid': c['unionid'] or None,
         'avatar': c['avatar'] or None} for c in directory['contacts']])
    contact_ids = dict(models.ExternalContact.select(
        models.ExternalContact.external_userid, models.ExternalContact.id).tuples())
    bulk(models.FollowRelation, [
        {'contact': contact_ids[c['external_userid']], 'userid': f['userid'], 'remark': f['remark'],
         'description': f['description'], 'tags': f['tags'], 'state': f['state'] or None,
         'add_way': f['add_way'], 'followed_at': from_epoch(f['createtime'])}
        for c in directory['contacts'] for f in c['follow_users']])
    bulk(models.ContactClientLink, [
        {'contact': contact_ids[eid], 'client': ctx.client_ids[index], 'created_by': ctx.staff['admin'].id}
        for eid, index in ctx.world.contact_links])
    _seed_groups(ctx)


def _seed_groups(ctx):
    groups = ctx.world.directory['groups']
    bulk(models.CustomerGroup, [
        {'chat_id': g['chat_id'], 'name': g['name'], 'owner_userid': g['owner'], 'notice': g['notice'],
         'admin_userids': [a['userid'] for a in g['admin_list']],
         'created_at_wecom': from_epoch(g['create_time']), 'status': 0} for g in groups])
    group_ids = dict(models.CustomerGroup.select(models.CustomerGroup.chat_id, models.CustomerGroup.id).tuples())
    bulk(models.GroupMember, [
        {'group': group_ids[g['chat_id']], 'member_id': m['userid'], 'member_type': m['type'],
         'join_time': from_epoch(m['join_time']), 'join_scene': m['join_scene'],
         'invitor_userid': m.get('invitor', {}).get('userid'), 'group_nickname': m['group_nickname'],
         'name': m['name']} for g in groups for m in g['member_list']])
    bulk(models.GroupClientLink, [
        {'group': group_ids[chat_id], 'client': ctx.client_ids[index], 'created_by': ctx.staff['admin'].id}
        for chat_id, index in ctx.world.group_links])


# --- services, contracts, receivables and payments -------------------------
