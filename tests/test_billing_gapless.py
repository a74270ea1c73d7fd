"""Receipt numbers stay gapless with voids mixed in: 4 processes record payments through the rules every channel uses
(some roll back) and void some of their own, all against one client. Voids keep their numbers, and what the client
owes afterwards is exactly its bill minus its valid payments (tests/test_models.py has the bare-counter version)."""
import multiprocessing
from zoneinfo import ZoneInfo

import pytest

import models
from handlers.billing.rules import lock_client, prepare_payment, record_payment, void_payment
from tests.test_models import bare_database, db_target, open_database, pg_schema  # noqa: F401 (fixtures)

WORKERS, ITERATIONS, ROLLBACK_EVERY, VOID_EVERY = 4, 150, 7, 5
BILL_FEN = 10**12
TZ = ZoneInfo("Asia/Shanghai")


class _Rollback(Exception):
    pass


def _pay(staff_id: int, client_id: int, fen: int) -> models.Payment:
    staff = models.Staff.get_by_id(staff_id)
    lock_client(client_id)
    planned, _, _ = prepare_payment(client_id, fen)
    return record_payment(staff, client_id, fen, "bank", planned, models.utcnow(), TZ)[0]


def _worker(target, schema, staff_id, client_id, worker):
    """Child process: ITERATIONS payments (every ROLLBACK_EVERY-th rolled back), voiding every VOID_EVERY-th."""
    database = open_database(target, schema)
    models.db.initialize(database)
    mine, voided = [], 0
    for i in range(ITERATIONS):
        try:
            with database.atomic():
                payment = _pay(staff_id, client_id, 100 + worker)
                if i % ROLLBACK_EVERY == 0:
                    raise _Rollback
            mine.append(payment.id)
        except _Rollback:
            continue
        if len(mine) % VOID_EVERY == 0:
            with database.atomic():
                void_payment(mine[-2], f"w{worker} 作废", models.Staff.get_by_id(staff_id), models.utcnow())
            voided += 1
    database.close()
    return len(mine), voided


@pytest.fixture
def database(bare_database):
    from bot import migrate
    migrate.upgrade(bare_database)
    return bare_database


@pytest.mark.slow
@pytest.mark.real_clock
def test_receipt_numbers_stay_gapless_with_voids_mixed_in(database, db_target):
    staff = models.Staff.create(name="李小梅", role="staff", permissions=models.WECOM_PERMISSIONS)
    client = models.Client.create(name="杭州华夏科技有限公司", short_name="华夏科技")
    bill = models.Receivable.create(client=client, item="代理记账费", period_start="2026-01", period_end="2026-12",
                                    amount_fen=BILL_FEN, due_date=models.utcnow().date())
    database.close()
    context = multiprocessing.get_context("spawn")
    with context.Pool(WORKERS) as pool:
        results = pool.starmap(_worker, [(*db_target, staff.id, client.id, w) for w in range(WORKERS)])
    committed, voided = sum(r[0] for r in results), sum(r[1] for r in results)
    assert committed == WORKERS * (ITERATIONS - len(range(0, ITERATIONS, ROLLBACK_EVERY)))
    payments = list(models.Payment.select().order_by(models.Payment.receipt_no))
    year = payments[0].receipt_no[:4]
    assert [p.receipt_no for p in payments] == [f"{year}-{n:06d}" for n in range(1, committed + 1)]
    assert sum(p.voided_at is not None for p in payments) == voided > 0
    valid = sum(p.amount_fen for p in payments if p.voided_at is None)
    bill = models.Receivable.get_by_id(bill.id)
    assert bill.paid_fen == valid and bill.status == "partial"
    assert models.AuditLog.select().where(models.AuditLog.action == "payment.void").count() == voided
