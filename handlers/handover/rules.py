"""Handover (X9): a member's clients move, as 客户经理 and/or 会计, to one or several colleagues.

The same three steps serve every channel: what a member holds (``holdings``), the plan for a choice of takers
(``plan``, which writes nothing: the preview), and ``apply``, which re-builds the plan inside its transaction and
refuses when it differs from the one previewed, so an admin never confirms something they did not see.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import models
from bot.edge.inputs import parse_id
from handlers.admin.kit import FormErrors
from handlers.handover import transfer
from models import Client, HandoverRun, Staff

ROLES = {"manager": "客户经理", "accountant": "会计"}
MODES = {"one": "全部交给一人", "even": "平均分给多人"}


class Stale(Exception):
    """The data changed between the preview and the confirmation."""


class Refused(Exception):
    """The plan has problems (an inactive taker, nothing to move): nothing is written."""


@dataclass(frozen=True)
class Choice:
    """What an admin chose: whose clients, which roles, how they are spread, and per-client exceptions."""
    from_id: int
    roles: tuple[str, ...]
    mode: str
    takers: tuple[int, ...]
    overrides: tuple[tuple[int, int], ...] = ()  # (client id, taker id), ahead of the mode
    wecom_taker: int | None = None  # also start WeCom's transfer of contacts and groups to this member


@dataclass
class Row:
    """One client in the plan: who gets it, and each role's (before, after) staff id."""
    client_id: int
    client: str
    taker_id: int
    moves: dict[str, tuple[int, int]]


@dataclass
class Plan:
    choice: Choice
    from_staff: Staff | None
    rows: list[Row] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # staff id -> name, for every id the plan shows
    counts: dict[int, int] = field(default_factory=dict)  # taker id -> clients received
    problems: list[str] = field(default_factory=list)  # any of these refuses the handover
    wecom: dict = field(default_factory=dict)  # transfer.summary() of the member's WeCom customers and groups

    @property
    def fingerprint(self) -> str:
        """What the admin saw, condensed: a different value at apply time means the data changed."""
        shown = [[r.client_id, r.taker_id, sorted(r.moves.items())] for r in self.rows]
        shown.append([self.wecom.get("mode", ""), self.wecom.get("customers", 0), self.wecom.get("groups", 0)])
        return hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:32]

    def ready(self) -> bool:
        return not self.problems and bool(self.rows or self.choice.wecom_taker)


# ---- reading the form --------------------------------------------------------------------------------

def read_choice(form) -> tuple[Choice | None, FormErrors]:
    """The admin's choice from the pick page's (or the preview's hidden) fields; field errors if incomplete."""
    errors = FormErrors()
    from_id = parse_id(form.get("staff", ""))
    roles = tuple(r for r in ROLES if r in form.getall("roles", []))
    mode = form.get("mode", "")
    takers = _ids([form.get("taker", "")] if mode == "one" else form.getall("takers", []))
    if from_id is None:
        errors["staff"] = "请选择要交接的成员"
    if not roles:
        errors["roles"] = "请至少选择一个要交接的角色"
    if mode not in MODES:
        errors["mode"] = "请选择交接方式"
    elif mode == "one" and not takers:
        errors["taker"] = "请选择接手人"
    elif mode == "even" and len(takers) < 2:
        errors["takers"] = "平均分配请至少选择两位接手人"
    overrides = tuple((cid, tid) for key in form if key.startswith("row_")
                      if (cid := parse_id(key[4:])) and (tid := parse_id(form.get(key, ""))))
    wecom_taker = parse_id(form.get("wecom_taker", "")) if form.get("wecom") == "1" else None
    if form.get("wecom") == "1" and wecom_taker is None:
        errors["wecom_taker"] = "请选择在企业微信中接替客户的成员"
    if errors:
        return None, errors
    return Choice(from_id, roles, mode, takers, tuple(sorted(set(overrides))), wecom_taker), errors


def _ids(values) -> tuple[int, ...]:
    return tuple(dict.fromkeys(i for i in (parse_id(v) for v in values) if i))


# ---- what a member holds, and the plan -----------------------------------------------------------------

def held_clients(staff_id: int, roles=tuple(ROLES)) -> list[Client]:
    """Clients where ``staff_id`` is in one of ``roles``, in name (pinyin) order."""
    condition = None
    for role in roles:
        term = getattr(Client, role) == staff_id
        condition = term if condition is None else condition | term
    return list(Client.select().where(condition).order_by(Client.pinyin, Client.id))


def holdings(staff_id: int) -> dict:
    """The pick page's view of a member: their clients with both roles named, and counts per role."""
    clients = held_clients(staff_id)
    ids = {c.manager_id for c in clients} | {c.accountant_id for c in clients}
    names = dict(Staff.select(Staff.id, Staff.name).where(Staff.id.in_([i for i in ids if i])).tuples())
    return {"clients": clients, "names": names,
            "as_manager": sum(c.manager_id == staff_id for c in clients),
            "as_accountant": sum(c.accountant_id == staff_id for c in clients)}


def plan(choice: Choice) -> Plan:
    """The handover ``choice`` would make now; writes nothing."""
    giver = Staff.get_or_none(Staff.id == choice.from_id)
    result = Plan(choice, giver)
    if giver is None:
        result.problems.append("找不到要交接的成员")
        return result
    wanted = set(choice.takers) | {t for _, t in choice.overrides} | {choice.wecom_taker} - {None}
    takers = {s.id: s for s in Staff.select().where(Staff.id.in_(list(wanted)))}
    result.names = {s.id: s.name for s in takers.values()} | {giver.id: giver.name}
    clients = held_clients(giver.id, choice.roles)
    for client, taker_id in _assign(clients, choice).items():
        moves = {r: (giver.id, taker_id) for r in choice.roles if getattr(client, f"{r}_id") == giver.id}
        result.rows.append(Row(client.id, client.short_name or client.name, taker_id, moves))
        result.counts[taker_id] = result.counts.get(taker_id, 0) + 1
    result.problems += _taker_problems(giver, takers, set(choice.takers) | set(result.counts))
    result.wecom = transfer.summary(giver)
    if choice.wecom_taker:
        result.problems += transfer.taker_problems(giver, takers.get(choice.wecom_taker), result.wecom)
    if not result.rows:
        result.problems += [] if choice.wecom_taker else ["该成员名下没有需要交接的客户（所选角色）"]
    return result


def _assign(clients: list[Client], choice: Choice) -> dict:
    """Client -> taker id: the per-client choice first; the rest all to one, or in turn over the takers."""
    fixed = dict(choice.overrides)
    assigned, turn = {}, 0
    for client in clients:
        if client.id in fixed:
            assigned[client] = fixed[client.id]
        else:
            assigned[client] = choice.takers[turn % len(choice.takers)] if choice.mode == "even" else choice.takers[0]
            turn += 1
    return assigned


def _taker_problems(giver: Staff, takers: dict, ids: set) -> list[str]:
    problems = []
    for taker_id in sorted(i for i in ids if i):
        taker = takers.get(taker_id)
        if taker is None:
            problems.append(f"接手人（编号 {taker_id}）不存在")
        elif taker.id == giver.id:
            problems.append(f"不能把客户交给{giver.name}本人")
        elif not taker.active:
            problems.append(f"{taker.name} 已停用，不能接手客户，请另选接手人")
    return problems


# ---- applying it ---------------------------------------------------------------------------------------

def apply(choice: Choice, fingerprint: str, actor_id: int, now) -> int:
    """Apply the previewed plan in the caller's transaction; raises Refused or Stale (then nothing is written)."""
    current = plan(choice)
    if not current.ready():
        raise Refused()
    if current.fingerprint != fingerprint:
        raise Stale()
    actor = Staff.get_by_id(actor_id)
    run = HandoverRun.create(from_staff=current.from_staff, from_name=current.from_staff.name, by_staff=actor,
                             created_at=now, roles=list(choice.roles), changes=_changes(current),
                             counts={current.names[t]: n for t, n in current.counts.items()})
    for row in current.rows:
        _move(row, current.names, actor, run.id)
    if choice.wecom_taker:
        transfer.add_items(run, current.from_staff, Staff.get_by_id(choice.wecom_taker))
    models.audit(actor, "handover.apply", "HandoverRun", run.id, None,
                 {"from": current.from_staff.name, "roles": [ROLES[r] for r in choice.roles],
                  "clients": len(current.rows), "counts": run.counts, "wecom": run.wecom_mode or None})
    return run.id


def _changes(current: Plan) -> list[dict]:
    names = current.names
    return [{"client_id": r.client_id, "client": r.client,
             **{role: [names[before], names[after]] for role, (before, after) in r.moves.items()}}
            for r in current.rows]


def _move(row: Row, names: dict, actor: Staff, run_id: int) -> None:
    """One client's roles change hands, only if they are still where the plan found them; audited."""
    client = Client.get_by_id(row.client_id)
    before = _owners(client)
    for role, (old, new) in row.moves.items():
        column = getattr(Client, role)
        if not Client.update({column: new}).where((Client.id == row.client_id) & (column == old)).execute():
            raise Stale()
    after = _owners(Client.get_by_id(row.client_id))
    models.audit(actor, "handover.client", "Client", row.client_id, before, {**after, "handover_run": run_id})


def _owners(client: Client) -> dict:
    people = {s.id: s.name for s in Staff.select(Staff.id, Staff.name)
              .where(Staff.id.in_([i for i in (client.manager_id, client.accountant_id) if i]))}
    return {"client": client.name,
            "manager_id": client.manager_id, "manager": people.get(client.manager_id),
            "accountant_id": client.accountant_id, "accountant": people.get(client.accountant_id)}


def staff_lists() -> dict:
    """Everyone (a leaver may already be deactivated), and who may take clients over (active members)."""
    everyone = list(Staff.select().order_by(Staff.active.desc(), Staff.name))
    return {"everyone": everyone, "active": [s for s in everyone if s.active]}


def recent_runs(limit: int = 20) -> list[HandoverRun]:
    return list(HandoverRun.select().order_by(HandoverRun.id.desc()).limit(limit))
