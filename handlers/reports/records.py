"""Import spec of report snapshots (报表), X10: one row per statement line; the lines of one client, period and
statement make one ReportSnapshot, and a line is matched by its 项目 name within it."""
from __future__ import annotations

import models
from handlers.records.spec import Column, RecordSpec

SECTIONS = {"asset": "资产", "liability": "负债", "equity": "所有者权益", "profit": "利润"}
LINE_FIELDS = ("code", "amount_fen", "section", "total")


class ReportLineWriter:
    """Upserts lines inside the snapshot's JSON list, keeping the order they were first imported in."""

    def plan(self, spec, batch, lookups, context) -> list:
        snapshots = self._stored(batch)
        actions = []
        for _, values in batch:
            lines = snapshots.get((values["client"], values["period"], values["kind"]), (None, []))[1]
            line = next((line for line in lines if line.get("name") == values["name"]), None)
            if line is None:
                actions.append("created")
            else:
                same = all(line.get(name) == values.get(name) for name in LINE_FIELDS)
                actions.append("unchanged" if same else "updated")
        return actions

    def write(self, spec, batch, actions, lookups, context) -> None:
        snapshots, touched = self._stored(batch), set()
        for (_, values), action in zip(batch, actions):
            if action == "unchanged":
                continue
            key = (values["client"], values["period"], values["kind"])
            snapshot_id, lines = snapshots.setdefault(key, (None, []))
            line = {"code": values.get("code") or "", "name": values["name"], "amount_fen": values["amount_fen"],
                    "section": values.get("section") or "", "total": bool(values.get("total"))}
            at = next((n for n, old in enumerate(lines) if old.get("name") == values["name"]), None)
            if at is None:
                lines.append(line)
            else:
                lines[at] = line
            touched.add(key)
        for key in touched:
            snapshot_id, lines = snapshots[key]
            if snapshot_id is None:
                models.ReportSnapshot.create(client=key[0], period=key[1], kind=key[2], lines=lines)
            else:
                models.ReportSnapshot.update(lines=lines).where(models.ReportSnapshot.id == snapshot_id).execute()

    @staticmethod
    def _stored(batch) -> dict:
        snap = models.ReportSnapshot
        clients = list({values["client"] for _, values in batch})
        periods = list({values["period"] for _, values in batch})
        return {(c, p, k): (i, lines) for i, c, p, k, lines in snap.select(
            snap.id, snap.client, snap.period, snap.kind, snap.lines).where(
            snap.client.in_(clients) & snap.period.in_(periods)).tuples()}


REPORTS = RecordSpec(
    kind="reports", title="报表", model=models.ReportSnapshot, key=("client", "period", "kind", "name"),
    note="每行是一张报表的一行，按「客户 + 所属期 + 报表 + 项目」匹配；同一客户、所属期、报表的各行组成一张报表。",
    columns=(
        Column("客户", "client", "client", required=True, example="杭州华夏科技有限公司"),
        Column("所属期", "period", "period", required=True, example="2026-10"),
        Column("报表", "kind", "enum", required=True, choices=models.REPORT_KINDS, example="利润表"),
        Column("行次", "code", max_len=8, example="1"),
        Column("项目", "name", required=True, example="营业收入"),
        Column("金额", "amount_fen", "money", required=True, signed=True, example="125000.00"),
        Column("类别", "section", "enum", choices=SECTIONS, null=True, example="利润"),
        Column("合计行", "total", "bool", default=False, example="否"),
    ),
    writer=ReportLineWriter())
