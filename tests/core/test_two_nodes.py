"""Two nodes, as two machines would run them: two gunicorn servers and two django-q2 clusters, separate processes with
separate memories, on one PostgreSQL and one Redis (broker and cache). A mixed load of plans, approvals, rejections,
exports and KPIs goes to both; midway one web server and one worker cluster are killed (SIGKILL). Afterwards:
nothing written twice or lost — deployments, events, audit entries, e-mails, webhook deliveries — the audit chain
verifies, and a change made on one node is seen on the other at once."""

import contextlib
import datetime as dt
import email
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings

from apps.bench.measure import login
from tests.integrations.conftest import _start as start_receiver

ROOT = Path(settings.BASE_DIR)
# the nodes' own database, named after the test run's (runs against different databases keep apart), and their Redis
# database (broker and cache), on REDIS_URL's server: 11, or DEPLOYDESK_TWO_NODES_REDIS_DB (your own on a shared one).
# Not 12 and up: those are the test workers' caches (config/settings/test.py), which each test empties as it starts
DB_SUFFIX = "_two_nodes"
REDIS_DB = int(os.environ.get("DEPLOYDESK_TWO_NODES_REDIS_DB", "11"))
PLANS = 40  # deployments planned by the pipeline clients
KILL_AFTER = 16  # plans finished before one server and one cluster are killed
DELIVERIES = PLANS + PLANS - PLANS // 5  # the webhook hears of every submit and approval (every fifth is rejected)

SETUP = """
import json
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm
from apps.accounts.models import User
from apps.accounts.services import api_token_create
from apps.catalog.models import ComponentVersion, Service, ServiceComponent
from apps.environments.models import Environment
from apps.integrations.models import WebhookSubscription

manager = User.objects.create_user("manager", email="manager@example.test", password="x-pw-12345")
manager.groups.add(Group.objects.get(name="Deployment manager"))
pipeline = User.objects.create_user("pipeline", email="pipeline@example.test", password="x-pw-12345")
pipeline.groups.add(Group.objects.get(name="Product owner"))
service = Service.objects.create(name="Shop", slug="shop")
service.product_owners.add(pipeline)
assign_perm("catalog.request_service_deployment", pipeline, service)
env = Environment.objects.create(name="Test", slug="test", kind="test", controlled=False,
                                 allows_parallel_deployments=True)
component = ServiceComponent.objects.create(service=service, name="web", type="software", source="in_house")
version = ComponentVersion.objects.create(component=component, version="1.0", repository_ref="dml://web/1.0")
WebhookSubscription.objects.create(owner=manager, name="two nodes", url=RECEIVER_URL, secret="receiver-secret",
                                   events=["deployment.submit", "deployment.approve"], format="json")
print(json.dumps({"manager": api_token_create(user=manager, name="two nodes")[1],
                  "pipeline": api_token_create(user=pipeline, name="two nodes")[1],
                  "service": service.pk, "environment": env.pk, "version": version.pk}))
"""

REPORT = """
import json
from collections import Counter
from apps.audit.models import AuditEntry
from apps.core.models import OutboxMail, OutboxTask
from apps.deployments.models import Deployment, DeploymentEvent
from apps.integrations.models import WebhookDelivery

planned = Deployment.objects.filter(title__startswith="two-nodes-")
events = DeploymentEvent.objects.filter(deployment__title__startswith="two-nodes-")
transitions = Counter((e.deployment.title, e.data.get("transition")) for e in events.filter(kind="transition"))
notified = Counter(e.data.get("about_event") for e in events.filter(kind="communication"))
audited = Counter(
    (a.object_id, a.action, a.at.isoformat())
    for a in AuditEntry.objects.filter(object_type="deployments.deployment", action="transition")
)
print(json.dumps({
    "titles": Counter(planned.values_list("title", flat=True)),
    "statuses": dict(Counter(planned.values_list("status", flat=True))),
    "transitions": {f"{t}|{n}": c for (t, n), c in transitions.items()},
    "transition_events": events.filter(kind="transition").count(),
    "notified_events": len(notified),
    "notified_twice": [k for k, c in notified.items() if c > 1],
    "audited_transitions": sum(audited.values()),
    "audited_twice": sum(1 for c in audited.values() if c > 1),
    "deliveries": WebhookDelivery.objects.count(),
    "deliveries_by_state": dict(Counter(WebhookDelivery.objects.values_list("state", flat=True))),
    "delivery_guids": sorted(str(g) for g in WebhookDelivery.objects.values_list("guid", flat=True)),
    "outbox": OutboxTask.objects.count(),
    "mail_waiting": OutboxMail.objects.filter(sent_at__isnull=True).count(),
    "mail_ids": sorted(OutboxMail.objects.filter(subject__contains="two-nodes-").values_list("message_id", flat=True)),
}))
"""


def _manage(env, *args, timeout=600) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(env, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        + ["--timeout", "120", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            requests.get(f"{url}/health/", timeout=5)
            return process, url
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def _cluster(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        _kill(process)


class Nodes:
    """The two web nodes' addresses; a client fails over to the other when its node does not answer."""

    def __init__(self, urls: list[str]):
        self.urls = urls
        self.down: set[str] = set()
        self.lock = threading.Lock()

    def call(self, prefer: int, method: str, path: str, token: str, key: str = "", **kwargs) -> requests.Response:
        headers = {"Authorization": f"Token {token}", **({"Idempotency-Key": key} if key else {})}
        order = [self.urls[prefer % 2], self.urls[(prefer + 1) % 2]]
        last = None
        for _ in range(3):
            for url in order:
                if url in self.down:
                    continue
                try:
                    return requests.request(method, url + path, headers=headers, timeout=60, **kwargs)
                except (
                    requests.ConnectionError,
                    requests.exceptions.ChunkedEncodingError,
                ) as exc:  # the node died: try the other
                    last = exc
                    with self.lock:
                        self.down.add(url)
        raise AssertionError(f"no node answered {method} {path}: {last}")


def _export_rows(url: str, token: str, environment: int) -> int:
    response = requests.get(
        f"{url}/exports/deployments.csv?environment={environment}", headers={"Authorization": f"Token {token}"}
    )
    assert response.status_code == 200, response.text[:500]
    return len([line for line in response.text.splitlines() if line.strip()]) - 1  # less the header


def _register_environments(browser: requests.Session, url: str) -> list[str]:
    """The names the register's environment filter offers."""
    page = browser.get(f"{url}/deployments/", timeout=30)
    assert page.status_code == 200, page.status_code
    html = page.text
    start = html.index('name="environment"')
    select = html[start : html.index("</select>", start)]
    return re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', select)


def _mails(folder: Path) -> list[tuple[str, str]]:
    """(Message-ID, subject) of every message written to the folder, resends included."""
    found = []
    for path in folder.iterdir():
        for text in path.read_text(errors="replace").split("-" * 79):
            message = email.message_from_string(text.strip())
            if message["Message-ID"]:
                found.append((message["Message-ID"], message["Subject"]))
    return found


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(2)
    return predicate()


@pytest.mark.postgres
def test_two_nodes_lose_nothing_duplicate_nothing_and_agree_at_once(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not url.startswith("postgres") or not redis_url:
        pytest.skip("two nodes share PostgreSQL and Redis: runs on PostgreSQL with Redis (as in .ci/run)")
    import psycopg
    import redis

    base, name = url.rsplit("/", 1)
    database = name.split("?")[0] + DB_SUFFIX
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    shared_redis = f"{redis_url.rsplit('/', 1)[0]}/{REDIS_DB}"
    redis.Redis.from_url(shared_redis).flushdb()
    mails = tmp_path / "mails"
    mails.mkdir()
    receiver = start_receiver(tmp_path)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "DATABASE_URL": f"{base}/{database}",
        "REDIS_URL": shared_redis,
        "EMAIL_URL": f"filemail:///{mails}",
        "DEPLOYDESK_EMAIL_BACKEND": "tests.support.slow_mail.UniqueFileBackend",
        "DEPLOYDESK_OUTBOX_RESEND_SECONDS": "5",
        "DEPLOYDESK_WORKERS": "2",
        "DEPLOYDESK_WEBHOOK_RETRY_BASE_SECONDS": "2",
        "DEPLOYDESK_WEBHOOK_TIMEOUT_SECONDS": "5",
    }
    _manage(env, "migrate", "-v0")
    ids = json.loads(
        _manage(env, "shell", "-v", "0", "-c", SETUP.replace("RECEIVER_URL", repr(receiver.url))).splitlines()[-1]
    )
    processes = []
    try:
        (server_a, url_a), (server_b, url_b) = _server(env, tmp_path / "a.log"), _server(env, tmp_path / "b.log")
        cluster_a, cluster_b = _cluster(env), _cluster(env)
        processes += [server_a, server_b, cluster_a, cluster_b]
        nodes = Nodes([url_a, url_b])
        manager, pipeline = ids["manager"], ids["pipeline"]

        # --- a change made on one node is seen on the other at once ---------------------------------------------
        kpis_b = nodes.call(1, "GET", "/api/v1/kpis/", manager).json()  # node B computes and caches its figures
        rows_b = _export_rows(url_b, manager, ids["environment"])  # node B's register, as exported
        browser_b = login(url_b, "manager", "x-pw-12345")  # through the login form
        shown = [_register_environments(browser_b, url_b) for _ in range(4)]  # each of its workers keeps its lists
        assert all("Test" in names and "Perf lab" not in names for names in shown), shown
        created = nodes.call(
            0, "POST", "/api/v1/environments/", manager, json={"name": "Perf lab", "kind": "test"}
        )  # on node A
        assert created.status_code == 201, created.text
        page_b = requests.get(f"{url_b}/api/v1/environments/?limit=200", headers={"Authorization": f"Token {manager}"})
        assert "Perf lab" in [e["name"] for e in page_b.json()["results"]]
        # node B's register shows it in its environment filter at once, on every worker, whatever each one kept
        assert all("Perf lab" in _register_environments(browser_b, url_b) for _ in range(4))

        # --- a mixed load on both nodes; midway one server and one cluster are killed -------------------------
        finished = []
        first_day = dt.datetime(2027, 1, 4, 10, tzinfo=dt.UTC)

        def plan(i: int) -> None:
            body = {
                "title": f"two-nodes-{i:03d}",
                "service": ids["service"],
                "environment": ids["environment"],
                "component_versions": [ids["version"]],
                # a day each: the same component in overlapping windows would be a conflict
                "planned_start": (first_day + dt.timedelta(days=i)).isoformat(),
                "planned_end": (first_day + dt.timedelta(days=i, minutes=45)).isoformat(),
                "acceptance_criteria": "The shop answers.",
            }
            made = nodes.call(i, "POST", "/api/v1/deployments/", pipeline, key=f"two-nodes-{i}", json=body)
            assert made.status_code in (200, 201), made.text
            pk = made.json()["id"]
            submitted = nodes.call(i, "POST", f"/api/v1/deployments/{pk}/submit/", pipeline, json={})
            assert submitted.status_code in (200, 409), submitted.text  # 409: a retry after the node died
            decision = "reject" if i % 5 == 0 else "approve"
            decided = nodes.call(
                i + 1, "POST", f"/api/v1/deployments/{pk}/{decision}/", manager, json={"comment": "ok"}
            )
            assert decided.status_code in (200, 409), decided.text
            if i % 4 == 0:
                assert nodes.call(i, "GET", "/exports/deployments.csv", manager).status_code == 200
            if i % 3 == 0:
                assert nodes.call(i + 1, "GET", "/api/v1/kpis/", manager).status_code == 200
            finished.append(i)

        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(plan, i) for i in range(PLANS)]
            assert _wait(lambda: len(finished) >= KILL_AFTER, 300), "the load did not get going"
            _kill(server_a)
            _kill(cluster_a)
            for future in futures:
                future.result()

        # node B sees what node A did before it died, and its KPI figures move with the approvals at once
        kpis_after = nodes.call(1, "GET", "/api/v1/kpis/", manager).json()
        assert kpis_after["backlog"] > kpis_b["backlog"]
        assert _export_rows(url_b, manager, ids["environment"]) == rows_b + PLANS

        # --- the surviving cluster finishes the work, the lost part included (the outbox sweep) -------------
        def settled() -> bool:
            report = json.loads(_manage(env, "shell", "-v", "0", "-c", REPORT).splitlines()[-1])
            delivered = report["deliveries_by_state"].get("delivered", 0)
            return (
                report["outbox"] == 0
                and report["mail_waiting"] == 0
                and report["notified_events"] == report["transition_events"]
                and (delivered == report["deliveries"] == DELIVERIES)
            )

        assert _wait(settled, 240), "background work was lost: " + _manage(env, "shell", "-v", "0", "-c", REPORT)
        time.sleep(6)  # a duplicate would show now
        report = json.loads(_manage(env, "shell", "-v", "0", "-c", REPORT).splitlines()[-1])
    except BaseException:
        for name in ("a.log", "b.log"):
            if (tmp_path / name).exists():
                print(f"--- server {name}:\n" + (tmp_path / name).read_text()[-6000:])
        raise
    finally:
        for process in processes:
            _stop(process)
        receiver.process.terminate()
        receiver.process.wait(timeout=10)

    # no lost or duplicated deployment, transition event or audit entry
    assert sorted(report["titles"]) == [f"two-nodes-{i:03d}" for i in range(PLANS)]
    assert set(report["titles"].values()) == {1}
    assert report["statuses"] == {"approved": PLANS - PLANS // 5, "rejected": PLANS // 5}
    assert set(report["transitions"].values()) == {1}  # each submit and each decision once
    assert len(report["transitions"]) == PLANS * 2
    assert report["audited_twice"] == 0 and report["audited_transitions"] >= PLANS * 2
    assert report["notified_twice"] == []  # each transition's e-mail recorded once
    # every webhook delivered; the receiver saw each delivery id (a delivery retried after a kill keeps its id)
    received = {r["delivery"] for r in receiver.received() if r["status"] == 200}
    assert set(report["delivery_guids"]) <= received and len(report["delivery_guids"]) == DELIVERIES
    # and the audit chain still verifies
    _manage(env, "verify_audit_trail")
    # every transition e-mailed: each message recorded with its communication is on disk (by its Message-ID), and
    # tells its own step (the subjects differ); a message may go out once more, with the same Message-ID, only when
    # the killed cluster's workers had it accepted by the mail server and not yet marked sent: one each at most
    on_disk = _mails(mails)
    expected = set(report["mail_ids"])
    assert len(expected) == PLANS * 2
    copies = Counter(message_id for message_id, _ in on_disk)
    assert set(copies) == expected, f"missing on disk: {sorted(expected - set(copies))}"
    assert len({subject for _, subject in on_disk if "two-nodes-" in subject}) == PLANS * 2
    resent = sum(count - 1 for count in copies.values())
    assert resent <= int(env["DEPLOYDESK_WORKERS"]), f"{resent} message(s) sent more than once"
