"""Small helpers every seeding step uses: times, money, bulk inserts and the seeding context."""
import datetime as dt
import random
from dataclasses import dataclass, field

from seed.data import SHANGHAI
from seed.world import World
from models import period_of, shift_period


def at(day: dt.date, hour=10, minute=0) -> dt.datetime:
    """An aware UTC datetime for a Shanghai wall-clock time on `day`."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.timezone.utc)


def from_epoch(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def month_start(period: str) -> dt.date:
    return dt.date(int(period[:4]), int(period[5:]), 1)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def bulk(model, rows, chunk=200):
    for start in range(0, len(rows), chunk):
        model.insert_many(rows[start:start + chunk]).execute()


def yuan(rng, low, high):
    """A random amount in fen between `low` and `high` yuan, with cents."""
    return rng.randint(low * 100, high * 100)


@dataclass
class Ctx:
    """What the seeding steps share."""
    world: World
    today: dt.date
    rng: random.Random
    staff: dict = field(default_factory=dict)  # userid -> Staff
    client_ids: dict = field(default_factory=dict)  # plan index -> client id
    status: dict = field(default_factory=dict)  # plan index -> client status
    collections_open: list = field(default_factory=list)  # plan indexes with an incomplete work period

    @property
    def work_period(self) -> str:
        return shift_period(period_of(self.today), -1)

    def active(self):
        return [p for p in self.world.clients if self.status[p.index] == 'active']
