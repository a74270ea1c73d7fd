"""Who may see which client: the one rule every command, page and job goes through.

Staff see the clients they manage or keep the books for, and the clients linked to WeCom contacts they
follow or customer groups they own or sit in. Admins see every client.
"""
from __future__ import annotations

import functools

import models
from models import Client, ContactClientLink, CustomerGroup, FollowRelation, GroupClientLink, GroupMember, Staff


def visible_clients(staff: Staff):
    """A Client query restricted to what ``staff`` may see."""
    query = Client.select()
    if staff.is_admin:
        return query
    condition = (Client.manager == staff) | (Client.accountant == staff)
    uid = staff.wecom_userid
    if uid:
        via_contacts = (ContactClientLink.select(ContactClientLink.client)
                        .join(FollowRelation, on=(FollowRelation.contact == ContactClientLink.contact))
                        .where((FollowRelation.userid == uid) & FollowRelation.deleted_at.is_null()))
        own_groups = CustomerGroup.select(CustomerGroup.id).where(CustomerGroup.owner_userid == uid)
        member_groups = (GroupMember.select(GroupMember.group)
                         .where((GroupMember.member_id == uid) & GroupMember.left_at.is_null()))
        via_groups = (GroupClientLink.select(GroupClientLink.client)
                      .where(GroupClientLink.group.in_(own_groups) | GroupClientLink.group.in_(member_groups)))
        condition |= Client.id.in_(via_contacts) | Client.id.in_(via_groups)
    return query.where(condition)


def can_see_client(staff: Staff, client_id: int) -> bool:
    return visible_clients(staff).where(Client.id == client_id).exists()


def find_clients(staff: Staff, text: str, limit: int = 10) -> list[Client]:
    """Clients visible to ``staff`` that ``text`` means, by the first rule that finds any: exact name or short
    name; a part of either, or pinyin initials (hxkj → 华夏科技); full pinyin (huaxia) or one character of
    the same sound (华厦 → 华夏); one character wrong, missing or swapped (华夏科妓, 华科技, 夏华)."""
    text = text.strip()
    if not text:
        return []
    base = visible_clients(staff)
    exact = list(base.where((Client.name == text) | (Client.short_name == text)).limit(limit))
    if exact:
        return exact
    like = Client.name.contains(text) | Client.short_name.contains(text)
    if text.isascii() and text.isalpha() and len(text) >= 2:  # pinyin initials anywhere: hxkj in hzhxkjyxgs
        like |= Client.pinyin_initials.contains(text.lower())
    found = list(base.where(like).order_by(Client.name).limit(limit))
    if found:
        return found
    rows = list(base.select(Client.id, Client.name, Client.short_name, Client.pinyin).tuples())
    for rule in (_sounds_like, _one_typo):
        ids = [row[0] for row in rows if rule(text, *row[1:])]
        if ids:
            return list(Client.select().where(Client.id.in_(ids)).order_by(Client.name).limit(limit))
    return []


@functools.lru_cache(maxsize=4096)
def _tokens(name: str) -> tuple[str, ...]:
    """One pinyin token per character (for short names, which have no stored column)."""
    return tuple(models.name_pinyin(name).split(" ")) if name else ()


@functools.lru_cache(maxsize=4096)
def _readings(ch: str) -> frozenset[str]:
    """Every toneless reading of a character (厦: sha, xia), so a polyphone typed alone still matches."""
    from pypinyin import Style, pinyin
    return frozenset(r.lower() for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0])


def _sounds_like(text: str, name: str, short_name: str, stored: str) -> bool:
    """Full pinyin on syllable boundaries ('huaxia'), or the same characters but one of the same sound."""
    if text.isascii():
        if len(text) < 3 or not text.isalpha():
            return False
        text = text.lower()
        return any(text in "".join(tokens) and _syllable_run(text, tokens)
                   for tokens in (stored.split(" ") if stored else _tokens(name), _tokens(short_name)))
    return len(text) >= 2 and any(
        _all_but_one_in(text, target) and _homophone_window(text, tokens, target)
        for target, tokens in ((name, stored.split(" ") if stored else _tokens(name)),
                               (short_name, _tokens(short_name))))


def _all_but_one_in(text: str, target: str) -> bool:
    """A cheap first test: every character of ``text`` but at most one occurs in ``target``."""
    return sum(ch not in target for ch in text) <= 1


def _syllable_run(text: str, tokens) -> bool:
    """Whether ``text`` is a run of whole syllables of ``tokens``: huaxia in hang zhou hua xia ke ji."""
    for start in range(len(tokens)):
        joined = ""
        for token in tokens[start:]:
            joined += token
            if joined == text:
                return True
            if not text.startswith(joined):
                break
    return False


def _homophone_window(text: str, tokens, name: str) -> bool:
    """Whether ``name`` holds ``text`` with exactly one character swapped for another of the same sound."""
    if len(tokens) != len(name):
        return False
    for start in range(len(name) - len(text) + 1):
        window = name[start:start + len(text)]
        wrong = [i for i, ch in enumerate(text) if ch != window[i]]
        if len(wrong) == 1 and tokens[start + wrong[0]] in _readings(text[wrong[0]]):
            return True
    return False


def _one_typo(text: str, name: str, short_name: str, stored: str = "") -> bool:
    """One character wrong or missing (for 3 characters or more), or two neighbours swapped, in either name."""
    if text.isascii() or len(text) < 2:
        return False
    return any(_typo_in(text, target) for target in (name, short_name) if target and _all_but_one_in(text, target))


def _typo_in(text: str, target: str) -> bool:
    n = len(text)
    for start in range(len(target) - n + 1):
        window = target[start:start + n]
        wrong = [i for i in range(n) if text[i] != window[i]]
        if len(wrong) == 1 and n >= 3:
            return True
        if len(wrong) == 2 and wrong[1] == wrong[0] + 1 and text[wrong[0]] == window[wrong[1]] \
                and text[wrong[1]] == window[wrong[0]]:
            return True
    # One missing inside the run (a missing first or last character is a plain substring, found earlier).
    return n >= 3 and any(target[start:start + n + 1][:j] + target[start:start + n + 1][j + 1:] == text
                          for start in range(len(target) - n) for j in range(1, n))


def clients_for_contact(external_userid: str):
    return (Client.select().join(ContactClientLink)
            .join(models.ExternalContact)
            .where(models.ExternalContact.external_userid == external_userid)
            .order_by(Client.name))


def clients_for_group(chat_id: str):
    return (Client.select().join(GroupClientLink).join(CustomerGroup)
            .where(CustomerGroup.chat_id == chat_id).order_by(Client.name))
