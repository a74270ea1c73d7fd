"""References by natural key, as staff write them in a spreadsheet: a client by 税号 or exact name, a member of
staff by name or mobile, a contract by number, an invoice by 全电 number or 代码-号码.

Each table is read once per import (on first use) into a dict, so a million rows cost a million dict lookups,
not a million queries; invoices, which may be many, are looked up one at a time and remembered.
"""
from __future__ import annotations

import re
from collections import defaultdict

import models
from handlers.records.spec import CellError

TAX_ID_RE = re.compile(r"[0-9A-Z]{15,20}")


class Lookups:
    """The reference tables of one import (one database, one moment)."""

    def __init__(self) -> None:
        self._clients: tuple[dict, dict] | None = None
        self._staff: tuple[dict, dict] | None = None
        self._contracts: dict | None = None
        self._contract_clients: dict | None = None
        self._invoices: dict[str, int] = {}

    def client(self, text: str) -> int:
        by_tax, by_name = self._client_maps()
        found = by_tax.get(text.upper()) if TAX_ID_RE.fullmatch(text.upper()) else None
        found = found or by_name.get(text)
        if found is None:
            raise CellError(f"找不到客户「{text}」（按税号或完整名称查找）")
        return found

    def _client_maps(self) -> tuple[dict, dict]:
        if self._clients is None:
            by_tax, by_name = {}, {}
            for client_id, name, tax_id in models.Client.select(
                    models.Client.id, models.Client.name, models.Client.tax_id).tuples().iterator():
                by_name[name] = client_id
                if tax_id:
                    by_tax[tax_id.upper()] = client_id
            self._clients = by_tax, by_name
        return self._clients

    def staff(self, text: str) -> int:
        if self._staff is None:
            by_name, by_mobile = defaultdict(list), {}
            for staff_id, name, mobile in models.Staff.select(
                    models.Staff.id, models.Staff.name, models.Staff.mobile).tuples():
                by_name[name].append(staff_id)
                if mobile:
                    by_mobile[mobile] = staff_id
            self._staff = dict(by_name), by_mobile
        by_name, by_mobile = self._staff
        if text in by_mobile:
            return by_mobile[text]
        matches = by_name.get(text, [])
        if len(matches) > 1:
            raise CellError(f"有 {len(matches)} 位员工叫「{text}」，请改填手机号")
        if not matches:
            raise CellError(f"找不到员工「{text}」（按姓名或手机号查找）")
        return matches[0]

    def contract(self, text: str) -> tuple[int, int]:
        """(contract id, its client id)."""
        if self._contracts is None:
            self._contracts = {number: (contract_id, client_id) for contract_id, number, client_id in
                               models.Contract.select(models.Contract.id, models.Contract.number,
                                                      models.Contract.client).tuples().iterator()}
        found = self._contracts.get(text)
        if found is None:
            raise CellError(f"找不到合同编号「{text}」")
        return found

    def contract_client(self, contract_id: int) -> int:
        if self._contract_clients is None:
            self._contract_clients = dict(self._contracts.values())
        return self._contract_clients[contract_id]

    def invoice(self, text: str) -> int:
        """全电 number (20 digits), or 发票代码-发票号码 (10/12 digits, 8 digits) of a paper invoice."""
        if text in self._invoices:
            return self._invoices[text]
        code, _, number = text.replace(" ", "-").rpartition("-")
        query = models.Invoice.select(models.Invoice.id).where(models.Invoice.number == number)
        if code:
            query = query.where(models.Invoice.code == code)
        ids = [row_id for (row_id,) in query.tuples()]
        if len(ids) != 1:
            raise CellError(f"找不到发票「{text}」" if not ids else f"发票号码「{text}」不唯一，请填写 发票代码-发票号码")
        self._invoices[text] = ids[0]
        return ids[0]

    def learn_client(self, client_id: int, name: str, tax_id: str | None) -> None:
        """A client this import just created or renamed can be referred to by later imports of the run."""
        by_tax, by_name = self._client_maps()
        by_name[name] = client_id
        if tax_id:
            by_tax[tax_id.upper()] = client_id
