"""The demo agency: a fixed WeCom directory and the bookkeeping records behind it.

`demo_directory()` is the WeCom side (members, external contacts, customer groups) that the
sandbox serves; it needs no database. `seed_demo()` writes the agency's records, that same
directory included, into the database `models.db` is bound to (after `migrate.upgrade`).
Both are deterministic: the directory depends on nothing, the records only on `today`.

Periods: the "work period" is last month: in November the agency collects October's
documents, closes October's books and files October's returns by the 15th.
"""
import datetime as dt
import random

import models
from seed.billing import seed_billing
from seed.books import (
    seed_collections,
    seed_filings,
    seed_followups,
    seed_invoices,
    seed_knowledge,
    seed_missing_flags,
)
from seed.data import SEED, SHANGHAI
from seed.kit import Ctx
from seed.people import seed_clients, seed_staff, seed_wecom
from seed.reports import seed_reports
from seed.world import build_world
from models import db


class SeedError(Exception):
    """The demo data cannot be written (the database already holds clients)."""



def _today_in_shanghai() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def seed_demo(today: dt.date | None = None) -> dict:
    """Write the demo agency into the bound database; return row counts per table."""
    ctx = Ctx(world=build_world(), today=today or _today_in_shanghai(), rng=random.Random(SEED + 1))
    with db.atomic():
        if models.Client.select().exists() or models.Staff.select().exists():
            raise SeedError('数据库中已有数据，未写入演示数据')
        seed_staff(ctx)
        seed_clients(ctx)
    with db.atomic():
        seed_wecom(ctx)
    seed_billing(ctx)
    with db.atomic():
        seed_collections(ctx)
        seed_missing_flags(ctx)
        seed_followups(ctx)
    with db.atomic():
        sums = seed_filings(ctx, seed_invoices(ctx))
        seed_reports(ctx, sums)
    with db.atomic():
        seed_knowledge(ctx)
        models.audit(None, 'seed_demo', 'Client', after={'today': ctx.today.isoformat()})
    return {model._meta.table_name: model.select().count() for model in models.ALL_MODELS}
