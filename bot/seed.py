"""The demo agency: a fixed WeCom directory and the bookkeeping records behind it.

`demo_directory()` is the WeCom side (members, external contacts, customer groups) that the
sandbox serves; it needs no database. `seed_demo()` writes the agency's records, the same
directory included, into the database `models.db` is bound to. Both are deterministic: the
directory depends on nothing, the records only on `today`.
"""
import datetime as dt
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import models
from models import db, next_receipt_number, period_of, pinyin_initials, shift_period

from bot import seed_data as data

SEED = 20261126
SHANGHAI = ZoneInfo('Asia/Shanghai')
_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'


class SeedError(Exception):
    """The demo data cannot be written (e.g. the database already holds real data)."""
