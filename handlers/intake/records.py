"""Import specs of 收票 records (one row per client, period and kind of document) and 缺票 flags, X10."""
from __future__ import annotations

import models
from handlers.records.spec import Column, RecordSpec

FLAGS = RecordSpec(
    kind="missing_flags", title="缺票", model=models.MissingInvoiceFlag, key=("client", "period"),
    note="按「客户 + 所属期」匹配：每个客户每个所属期一条缺票标记。",
    columns=(
        Column("客户", "client", "client", required=True, example="杭州华夏科技有限公司"),
        Column("所属期", "period", "period", required=True, example="2026-10"),
        Column("缺票说明", "note", max_len=500, example="缺少10月进项发票3张"),
        Column("标记人", "flagged_by", "staff", null=True, example="刘洋"),
    ))


class CollectionWriter:
    """收票 rows: the period's InvoiceCollection is found or created, then its item of that kind is upserted."""
    ITEM_FIELDS = ("count", "received", "note")

    def plan(self, spec, batch, lookups, context) -> list:
        collections, items = self._stored(batch)
        actions = []
        for _, values in batch:
            collection = collections.get((values["client"], values["period"]))
            item = items.get((collection[0], values["kind"])) if collection else None
            if item is None:
                actions.append("created")
                continue
            same = all(item.get(name) == values[name] for name in self.ITEM_FIELDS if name in values)
            same = same and values.get("status") in (None, collection[1])
            actions.append("unchanged" if same else "updated")
        return actions

    def write(self, spec, batch, actions, lookups, context) -> None:
        collections, items = self._stored(batch)
        for (_, values), action in zip(batch, actions):
            if action == "unchanged":
                continue
            key = (values["client"], values["period"])
            if key not in collections:
                row = models.InvoiceCollection.create(client=values["client"], period=values["period"],
                                                      status=values.get("status") or "open")
                collections[key] = (row.id, row.status)
            collection_id, status = collections[key]
            if values.get("status") and values["status"] != status:
                models.InvoiceCollection.update(status=values["status"]).where(
                    models.InvoiceCollection.id == collection_id).execute()
                collections[key] = (collection_id, values["status"])
            fields = {name: values[name] for name in self.ITEM_FIELDS if name in values}
            if (collection_id, values["kind"]) in items:
                models.CollectionItem.update(**fields).where(
                    (models.CollectionItem.collection == collection_id)
                    & (models.CollectionItem.kind == values["kind"])).execute()
            else:
                models.CollectionItem.create(collection=collection_id, kind=values["kind"], **fields)
                items[(collection_id, values["kind"])] = fields

    @staticmethod
    def _stored(batch):
        clients = list({values["client"] for _, values in batch})
        periods = list({values["period"] for _, values in batch})
        collections = {(c, p): (i, s) for i, c, p, s in models.InvoiceCollection.select(
            models.InvoiceCollection.id, models.InvoiceCollection.client, models.InvoiceCollection.period,
            models.InvoiceCollection.status).where(models.InvoiceCollection.client.in_(clients)
                                                   & models.InvoiceCollection.period.in_(periods)).tuples()}
        ids = [i for i, _ in collections.values()]
        item = models.CollectionItem
        items = {(c, k): {"count": n, "received": r, "note": t} for c, k, n, r, t in item.select(
            item.collection, item.kind, item.count, item.received, item.note).where(item.collection.in_(ids)).tuples()}
        return collections, items


COLLECTIONS = RecordSpec(
    kind="collections", title="收票", model=models.CollectionItem, key=("client", "period", "kind"),
    note="每行是一个客户一个所属期的一类资料，按「客户 + 所属期 + 资料类型」匹配；同一所属期的各行属于同一条收票记录。",
    columns=(
        Column("客户", "client", "client", required=True, example="杭州华夏科技有限公司"),
        Column("所属期", "period", "period", required=True, example="2026-10"),
        Column("资料类型", "kind", "enum", required=True, choices=models.COLLECTION_KINDS, example="进项发票"),
        Column("份数", "count", "int", default=0, example="12"),
        Column("已收到", "received", "bool", default=False, example="是"),
        Column("备注", "note", max_len=500, example=""),
        Column("收票状态", "status", "enum", choices=models.COLLECTION_STATUSES, null=True, example="收票中",
               help="整条收票记录的状态；留空则不改"),
    ),
    writer=CollectionWriter())
