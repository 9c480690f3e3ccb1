"""Fault test: the worker is killed while it sends an e-mail; after a restart the e-mail goes out exactly once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

SETUP = """
import datetime as dt
from django.contrib.auth.models import Group
from django.utils import timezone
from apps.accounts.models import User
from apps.catalog.models import Service, ServiceComponent, ComponentVersion
from apps.environments.models import Environment
from apps.deployments.services import Context, deployment_create, deployment_transition
po = User.objects.create_user("po", email="po@example.test", password="x-pw-12345")
po.groups.add(Group.objects.get(name="Product owner"))
svc = Service.objects.create(name="Shop", slug="shop")
svc.product_owners.add(po)
from guardian.shortcuts import assign_perm
assign_perm("catalog.request_service_deployment", po, svc)
env = Environment.objects.create(name="Test", slug="test", kind="test")
comp = ServiceComponent.objects.create(service=svc, name="web", type="software", source="in_house")
v = ComponentVersion.objects.create(component=comp, version="1.0", repository_ref="dml://web/1.0")
start = timezone.now() + dt.timedelta(days=3)
d = deployment_create(ctx=Context(actor=po), data={"title": "Crash test", "service": svc, "environment": env,
    "component_versions": [v], "planned_start": start, "planned_end": start + dt.timedelta(hours=1),
    "acceptance_criteria": "The shop answers."})
deployment_transition(ctx=Context(actor=po), deployment=d, transition="submit")
print(d.pk)
"""

COUNT = """
from apps.deployments.models import DeploymentEvent
print(DeploymentEvent.objects.filter(kind="communication").count())
"""

WAITING = """
from apps.core.models import OutboxMail
print(OutboxMail.objects.filter(sent_at__isnull=True).count())
"""


def _manage(env, *args, **kw):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
        check=True,
        **kw,
    )


def _communications(env) -> int:
    return int(_manage(env, "shell", "-v", "0", "-c", COUNT).stdout.strip().splitlines()[-1])


def _mail_waiting(env) -> int:
    return int(_manage(env, "shell", "-v", "0", "-c", WAITING).stdout.strip().splitlines()[-1])


def _cluster(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(1)
    return predicate()


@pytest.mark.postgres
def test_a_worker_killed_mid_task_sends_the_mail_once_after_restart(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("needs a database another process can share: runs on PostgreSQL (as in .ci/run)")
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "deploydesk_crash_test"')
        conn.execute('CREATE DATABASE "deploydesk_crash_test"')
    mails = tmp_path / "mails"
    mails.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/deploydesk_crash_test",
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEPLOYDESK_TASK_TIMEOUT": "20",
        "DEPLOYDESK_TASK_RETRY": "25",
        "DEPLOYDESK_WORKERS": "1",
        "EMAIL_URL": f"filemail:///{mails}",
        "DEPLOYDESK_EMAIL_BACKEND": "tests.support.slow_mail.SlowFileBackend",
        "DEPLOYDESK_SLOW_MAIL_SECONDS": "15",
        "DEPLOYDESK_OUTBOX_RESEND_SECONDS": "5",  # the dead worker's claim on the message is taken over after this
    }
    _manage(env, "migrate", "-v0")
    # given a transition whose notification waits in the broker
    _manage(env, "shell", "-v", "0", "-c", SETUP)
    # when the worker picks it up and is killed while sending
    cluster = _cluster(env)
    try:
        with psycopg.connect(f"{base}/deploydesk_crash_test") as conn:
            picked = _wait(
                lambda: conn.execute("SELECT count(*) FROM django_q_ormq WHERE lock IS NOT NULL").fetchone()[0] > 0, 40
            )
        assert picked, "the worker never picked the task"
        time.sleep(2)
    finally:
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait(timeout=30)
    # nothing left the server; the communication, if its task committed, waits with its message in the mail outbox
    assert list(mails.iterdir()) == [] and _communications(env) <= 1
    # then, after a restart, the message is sent (its dead claim taken over) and its effect happens once
    env["DEPLOYDESK_SLOW_MAIL_SECONDS"] = "0"
    cluster = _cluster(env)
    try:
        sent = _wait(lambda: _communications(env) >= 1 and _mail_waiting(env) == 0, 150)
        assert sent, "the e-mail was not sent after the restart"
        time.sleep(8)  # give a duplicate delivery every chance to show
    finally:
        cluster.send_signal(signal.SIGTERM)  # a clean stop
        try:
            cluster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=30)
    assert _communications(env) == 1
    assert len(list(mails.iterdir())) == 1
