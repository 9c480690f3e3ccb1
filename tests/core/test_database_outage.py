"""Fault test: the database becomes unreachable under a running gunicorn, then comes back.

A TCP relay sits between the server and PostgreSQL; closing it is the outage. Pages and API answer 503 with a
clear message and no stack trace, /health/ names the part that is down, and service resumes by itself."""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


class Relay:
    """Forwards 127.0.0.1:<port> to PostgreSQL until stopped; stopping also cuts every open connection."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.running = False

    def start(self):
        if self.listener.fileno() == -1:
            self.listener = socket.socket()
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(50)
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def stop(self):
        self.running = False
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.sockets = []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.postgres
def test_database_outage_gives_503_and_service_resumes(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the outage is staged in front of PostgreSQL (DATABASE_URL, as in .ci/run)")
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "deploydesk_outage_test"')
        conn.execute('CREATE DATABASE "deploydesk_outage_test"')
    relay = Relay(5432)
    relay.start()
    db_url = f"postgres://postgres@127.0.0.1:{relay.port}/deploydesk_outage_test"
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "REDIS_URL": "",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    key = (
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-v",
                "0",
                "-c",
                "from apps.accounts.models import User; from apps.accounts.services import api_token_create; "
                "u = User.objects.create_user('ops', password='ops-password-1'); "
                "print(api_token_create(user=u, name='outage')[1])",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    api = {"Authorization": f"Token {key}"}
    try:
        for _ in range(100):
            try:
                if requests.get(base_url + "/health/", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        web = requests.Session()
        login = web.get(base_url + "/accounts/login/", timeout=10)
        web.post(
            base_url + "/accounts/login/",
            data={"username": "ops", "password": "ops-password-1", "csrfmiddlewaretoken": web.cookies["csrftoken"]},
            headers={"Referer": base_url},
            timeout=10,
        )
        assert login.status_code == 200 and web.get(base_url + "/", timeout=10).status_code == 200
        assert requests.get(base_url + "/api/v1/me/", headers=api, timeout=10).status_code == 200

        # when the database becomes unreachable
        relay.stop()
        health = requests.get(base_url + "/health/", timeout=30)
        assert health.status_code == 503
        assert health.json()["parts"]["database"]["status"] == "down"
        api_down = requests.get(base_url + "/api/v1/me/", headers=api, timeout=30)
        assert api_down.status_code == 503
        assert api_down.json()["code"] == "database_unavailable" and "database" in api_down.json()["detail"]
        page_down = web.get(base_url + "/", timeout=30)
        assert page_down.status_code == 503
        assert "cannot reach its database" in page_down.text and "Traceback" not in page_down.text

        # then, when it returns, service resumes by itself
        relay.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if requests.get(base_url + "/health/", timeout=10).status_code == 200:
                break
            time.sleep(0.5)
        assert requests.get(base_url + "/health/", timeout=10).json()["status"] == "ok"
        assert requests.get(base_url + "/api/v1/me/", headers=api, timeout=10).status_code == 200
        assert web.get(base_url + "/", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        relay.stop()
