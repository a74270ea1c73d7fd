"""Writing contracts and service terms (B2): create, update, delete, 续费 / 续签 and 终止, each audited with before
and after. Renewing follows the services rule (handlers/services/rules.py): the new term starts the day after the
old one ends, and a later term of the same kind is what makes the old one count as renewed, so its 到期 reminders
stop; the old term is also stored as 已续费. Ending a term (终止) stores it as 已取消, which no reminder chases."""
from __future__ import annotations

from datetime import date

import models
from handlers.admin.forms import changed, in_use, plain
from handlers.services.rules import OPEN, is_one_off, next_term, renewed_ids

CONTRACT_FIELDS = ("number", "title", "start_date", "end_date", "amount_fen", "signed_on", "status")
SERVICE_FIELDS = ("kind", "name", "start_date", "end_date", "fee_fen", "billing_cycle", "contract", "status")
MAX_REASON = 200


class Refused(Exception):
    """A change the records do not allow; the message says why, for the page."""


def _data(record, names) -> dict:
    return plain({n: getattr(record, n + "_id") if n in ("contract", "client") else getattr(record, n) for n in names})


def number_taken(number: str, contract_id: int | None) -> str | None:
    other = models.Contract.get_or_none(models.Contract.number == number)
    if other is None or other.id == contract_id:
        return None
    return f"合同编号 {number} 已被客户「{other.client.name}」的合同使用"


def save_contract(actor, client: models.Client, contract: models.Contract | None, values: dict) -> models.Contract:
    if contract is None:
        contract = models.Contract.create(client=client, **values)
        models.audit(actor, "contract.create", contract, after={**_data(contract, CONTRACT_FIELDS), "client": client.id})
        return contract
    before = _data(contract, CONTRACT_FIELDS)
    for name, value in values.items():
        setattr(contract, name, value)
    contract.save()
    old, new = changed(before, _data(contract, CONTRACT_FIELDS))
    if new:
        models.audit(actor, "contract.update", contract, before=old, after=new)
    return contract


def save_service(actor, client: models.Client, service: models.Service | None, values: dict) -> models.Service:
    if service is None:
        service = models.Service.create(client=client, **values)
        models.audit(actor, "service.create", service, after={**_data(service, SERVICE_FIELDS), "client": client.id})
        return service
    before = _data(service, SERVICE_FIELDS)
    for name, value in values.items():
        setattr(service, name, value)
    service.save()
    old, new = changed(before, _data(service, SERVICE_FIELDS))
    if new:
        models.audit(actor, "service.update", service, before=old, after=new)
    return service


def delete_contract(actor, contract: models.Contract) -> str | None:
    """Delete a contract no service or receivable refers to; else the reason (nothing changes)."""
    reason = in_use(f"合同 {contract.number} ", [
        ("服务", "项", contract.services.count()), ("应收", "笔", contract.receivables.count())])
    if reason:
        return reason
    before = {**_data(contract, CONTRACT_FIELDS), "client": contract.client_id}
    contract.delete_instance()
    models.audit(actor, "contract.delete", "Contract", contract.id, before=before)
    return None


def delete_service(actor, service: models.Service) -> str | None:
    reason = in_use(f"服务「{service.name}」", [("应收", "笔", service.receivables.count())])
    if reason:
        return reason
    before = {**_data(service, SERVICE_FIELDS), "client": service.client_id}
    service.delete_instance()
    models.audit(actor, "service.delete", "Service", service.id, before=before)
    return None


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refused("请填写终止原因")
    if len(reason) > MAX_REASON:
        raise Refused(f"终止原因最多 {MAX_REASON} 字")
    return reason


def end_service(actor, service: models.Service, day: date, reason: str) -> None:
    """终止: the term stops on ``day`` (or its own end, if sooner) and is stored as 已取消."""
    reason = _check_reason(reason)
    if service.status not in OPEN:
        raise Refused(f"这项服务{models.SERVICE_STATUSES[service.status]}，不能再终止")
    if day < service.start_date:
        raise Refused(f"终止日期不能早于服务开始日期 {service.start_date}")
    before = _data(service, ("status", "end_date"))
    service.status, service.end_date = "cancelled", min(day, service.end_date)
    service.save()
    models.audit(actor, "service.end", service, before=before,
                 after={**_data(service, ("status", "end_date")), "reason": reason})


def end_contract(actor, contract: models.Contract, day: date, reason: str) -> int:
    """终止 a contract: stored as 已终止, and each of its open terms ends on ``day``; how many terms ended."""
    reason = _check_reason(reason)
    if contract.status == "terminated":
        raise Refused("这份合同已经终止")
    if day < contract.start_date:
        raise Refused(f"终止日期不能早于合同开始日期 {contract.start_date}")
    terms = [s for s in contract.services if s.status in OPEN]
    for service in terms:
        end_service(actor, service, max(day, service.start_date), reason)
    models.audit(actor, "contract.end", contract, before={"status": contract.status},
                 after={"status": "terminated", "ended_on": day.isoformat(), "reason": reason})
    contract.status = "terminated"
    contract.save()
    return len(terms)


def renew_service(actor, service: models.Service, end: date | None = None, fee_fen: int | None = None,
                  contract: models.Contract | None = None) -> models.Service:
    """续费: the next term from the day after this one ends; this one is stored as 已续费."""
    if is_one_off(service):
        raise Refused("一次性的工商事项办完即结束，不能续费；需要再办请新增服务")
    if service.status not in OPEN:
        raise Refused(f"这项服务{models.SERVICE_STATUSES[service.status]}，不能续费")
    terms = list(models.Service.select().where(models.Service.client == service.client_id))
    if service.id in renewed_ids(terms):
        raise Refused("这项服务已经有下一期，不能重复续费")
    start, default_end = next_term(service.start_date, service.end_date)
    end = end or default_end
    if end < start:
        raise Refused(f"新一期的结束日期不能早于开始日期 {start}")
    new = models.Service.create(client=service.client_id, contract=contract or service.contract_id, kind=service.kind,
                                name=service.name, start_date=start, end_date=end,
                                fee_fen=service.fee_fen if fee_fen is None else fee_fen,
                                billing_cycle=service.billing_cycle, status="active")
    service.status = "renewed"
    service.save()
    models.audit(actor, "service.renew", new, before={"service": service.id},
                 after={**_data(new, SERVICE_FIELDS), "renews": service.id})
    return new


def renew_contract(actor, contract: models.Contract, values: dict) -> tuple[models.Contract, int]:
    """续签: a new contract (its own number) for the next term; each open term of the old one is renewed into it
    and the old contract is stored as 已到期. (new contract, terms renewed)."""
    if contract.status == "terminated":
        raise Refused("已终止的合同不能续签")
    new = models.Contract.create(client=contract.client_id, status="active", **values)
    terms = list(models.Service.select().where(models.Service.client == contract.client_id))
    renewed = renewed_ids(terms)
    count = 0
    for service in terms:
        if service.contract_id == contract.id and service.status in OPEN and service.id not in renewed \
                and not is_one_off(service):
            renew_service(actor, service, None, None, new)
            count += 1
    models.audit(actor, "contract.renew", new, before={"contract": contract.number, "status": contract.status},
                 after={**_data(new, CONTRACT_FIELDS), "renews": contract.number, "services": count})
    contract.status = "ended"
    contract.save()
    return new, count
