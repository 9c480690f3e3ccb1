"""A real django-q2 worker (`manage.py qcluster`) runs the quarterly schedule and plans the review.

The worker is another process, so it must see the test database: on PostgreSQL it does; pytest-django's SQLite
test database is in memory (a shared-cache URI private to this process), so there the test is skipped — run it
with `DATABASE_URL=postgres://postgres@127.0.0.1:5432/reviews`. The scheduler runs every 30 s from the cluster's
guard loop (STACK.md), so each test waits up to 90 s. The Redis variant runs when REDIS_URL is set.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_q.models import Success

from apps.reviews.models import ModelReview, ReviewKind
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 90

pytestmark = [pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    """The URL of the database this test runs on, for the worker process; skips when it cannot share it."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        if connection.creation.is_in_memory_db(s["NAME"]):
            pytest.skip(
                "pytest-django's SQLite test database is in memory and cannot be shared with a qcluster process; "
                "run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/reviews"
            )
        return f"sqlite:///{s['NAME']}"
    if connection.vendor != "postgresql":
        pytest.skip(f"no qcluster test for {connection.vendor}")
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{s['NAME']}"


def _run_cluster_until_review(tmp_path, *, redis_url: str | None) -> ModelReview | None:
    # given an active model whose quarterly review is due in 3 days, and the schedules registered
    manager = UserFactory(roles=["manager"])
    model = DeploymentModelFactory(active=True, owner=manager, next_review_due=timezone.localdate() + dt.timedelta(3))
    call_command("setup_schedules")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "Q_SYNC": "false"}
    env["DATABASE_URL"] = _database_url()
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    log_path = tmp_path / "qcluster.log"
    # when a real worker runs
    with log_path.open("w") as log:
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        review = None
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline and worker.poll() is None:
                review = ModelReview.objects.filter(model=model, kind=ReviewKind.SCHEDULED).first()
                if review is not None and Success.objects.filter(func__endswith="schedule_quarterly_reviews").exists():
                    break
                time.sleep(1)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    assert review is not None, f"no review after {WAIT_SECONDS} s; worker log:\n{log_path.read_text()[-3000:]}"
    return review


def test_qcluster_with_orm_broker_plans_the_quarterly_review(tmp_path):
    review = _run_cluster_until_review(tmp_path, redis_url=None)
    # then the worker planned exactly one scheduled review, and recorded the task's success
    assert ModelReview.objects.filter(model=review.model).count() == 1
    assert review.due_date == timezone.localdate() + dt.timedelta(3)
    assert Success.objects.filter(func="apps.reviews.tasks.schedule_quarterly_reviews").exists()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="set REDIS_URL (e.g. redis://127.0.0.1:6379/14)")
def test_qcluster_with_redis_broker_plans_the_quarterly_review(tmp_path):
    review = _run_cluster_until_review(tmp_path, redis_url=os.environ["REDIS_URL"])
    assert ModelReview.objects.filter(model=review.model).count() == 1
    assert Success.objects.filter(func="apps.reviews.tasks.schedule_quarterly_reviews").exists()
