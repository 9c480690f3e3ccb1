"""The settings each PostgreSQL connection is opened with (config/settings/base.py)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_postgresql_connections_price_random_reads_as_on_ssd_and_do_not_jit():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL connection setting")
    # the filtered lists' (status, environment, id) index is chosen only when a random read is priced near a
    # sequential one; PostgreSQL's own default is 4
    assert float(_setting("random_page_cost")) == pytest.approx(1.1)
    assert _setting("jit") == "off"
