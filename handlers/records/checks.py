"""Cross-field checks several record types share (dates in order, a contract of the same client)."""
from __future__ import annotations


def dates_in_order(start: str, end: str, end_header: str, label: str = "结束日期"):
    """A check: ``end`` is not before ``start``."""
    def check(values: dict, lookups) -> list[tuple[str, str]]:
        if values.get(start) and values.get(end) and values[end] < values[start]:
            return [(end_header, f"{label}早于开始（{values[start]} 之后才行）")]
        return []
    return check


def contract_of_client(header: str):
    """A check: the contract (if any) belongs to the row's client."""
    def check(values: dict, lookups) -> list[tuple[str, str]]:
        if values.get("contract") and values.get("client") \
                and lookups.contract_client(values["contract"]) != values["client"]:
            return [(header, "该合同不属于这一行的客户")]
        return []
    return check


def all_of(*checks):
    def check(values: dict, lookups) -> list[tuple[str, str]]:
        return [problem for one in checks for problem in one(values, lookups)]
    return check
