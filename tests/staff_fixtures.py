"""The rich test agency plus a staff member who is not bound to WeCom yet, and a member typing to the app."""
import pytest

import models
from tests.cmd_data import rich_agency
from tests.cmdbot import Bot


@pytest.fixture
def agency(database):
    a = rich_agency()
    a["new"] = models.Staff.create(name="新同事", role="staff", mobile="13800000003", position="助理")
    return a


@pytest.fixture
def bot(agency, db_url):
    return Bot(db_url)
