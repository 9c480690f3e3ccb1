"""The django-q2 schedules come with `migrate` (every migrated database runs its reviews), and /health/ names any
schedule that is missing."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django_q.models import Schedule

from apps.reviews.schedules import SCHEDULES, schedules_ensure

ROOT = Path(__file__).resolve().parents[2]


def test_migrate_on_an_empty_database_registers_every_schedule(tmp_path):
    # given an empty SQLite database file, as on a server set up from the README's production path
    database = tmp_path / "fresh.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.pop("REDIS_URL", None)
    # when only `migrate` runs
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    # then every schedule exists, once, with its function
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT name, func, repeats FROM django_q_schedule ORDER BY name").fetchall()
    assert rows == sorted((name, func, -1) for name, (func, _type, _minutes) in SCHEDULES.items())


@pytest.mark.django_db
def test_migrating_again_keeps_the_schedules_and_their_next_run():
    # given the schedules registered by the test database's own migrate
    before = dict(Schedule.objects.values_list("name", "next_run"))
    assert set(before) == set(SCHEDULES)
    # when the post_migrate step runs again
    outcomes = schedules_ensure()
    # then nothing is created or moved
    assert {outcome for _name, outcome in outcomes} == {"unchanged"}
    assert dict(Schedule.objects.values_list("name", "next_run")) == before


@pytest.mark.django_db
def test_health_names_a_missing_schedule(client):
    # given one schedule deleted by hand
    missing = "reviews: open failure reviews"
    Schedule.objects.filter(name=missing).delete()
    # when /health/ is asked
    response = client.get("/health/")
    # then it is degraded, naming that schedule, while the other parts are ok
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["parts"]["schedules"] == {"status": "missing", "missing": [missing]}
    assert body["parts"]["database"] == {"status": "ok"}
    # and `setup_schedules` (the manual re-sync) puts it back
    schedules_ensure()
    assert client.get("/health/").json()["parts"]["schedules"] == {"status": "ok"}
