"""The benchmark of DESIGN.md §7: gunicorn on PostgreSQL against the bench data set, measured over HTTP.

Each figure is measured after warm-up, repeated, and reported as median and 95th percentile; SQL queries per
request come from the same request replayed in-process with the queries captured. Results are printed as a
table and written as JSON with a description of the machine.
"""

import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import api_token_create
from apps.deployments.models import Deployment
from apps.roles import definitions as roles

TARGETS_MS = {"register": 50, "api_list": 50, "detail": 30, "dashboard": 300, "kpis": 300}


@dataclass
class Figure:
    name: str
    path: str
    median_ms: float = 0.0
    p95_ms: float = 0.0
    runs: int = 0
    queries: int | None = None
    rows_per_s: float | None = None
    peak_mb: float | None = None
    target_ms: float | None = None
    status: int = 0
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def meets(self) -> bool | None:
        return None if self.target_ms is None else self.median_ms <= self.target_ms


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout  # noqa: S603, S607
    except FileNotFoundError:
        return []
    return [int(p) for p in out.split()]


class Server:
    """gunicorn serving config.wsgi with the bench settings on a free loopback port."""

    def __init__(self, workers: int = 3):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
        self.proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=settings.BASE_DIR,
        )
        for _ in range(100):
            try:
                requests.get(self.url + "/health/", timeout=10)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def workers(self) -> list[int]:
        return _children(self.proc.pid)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def _timed(session: requests.Session, url: str, *, repeats: int, warmup: int = 2, **kwargs) -> tuple[list[float], int]:
    status = 0
    cold = None
    for _ in range(warmup):
        t = time.perf_counter()
        status = session.get(url, timeout=300, **kwargs).status_code
        cold = cold if cold is not None else (time.perf_counter() - t) * 1000
    _timed.cold = cold
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        r = session.get(url, timeout=300, **kwargs)
        times.append((time.perf_counter() - t) * 1000)
        status = r.status_code
    return times, status


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _queries(user: User, path: str, headers: dict | None = None) -> int:
    """The same request replayed in-process, counting its SQL queries."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **(headers or {}))
    if response.status_code >= 400:
        raise RuntimeError(f"{path} answered {response.status_code} in-process")
    return len(ctx.captured_queries)


def _bench_user() -> tuple[User, str]:
    from django.contrib.auth.models import Group

    user, _ = User.objects.get_or_create(username="bench-runner", defaults={"email": "bench-runner@bench.example"})
    user.set_password("bench-runner-password")
    user.is_service_account = True
    user.save()
    user.groups.add(Group.objects.get(name=roles.MANAGER))
    name = f"bench {timezone.now():%Y%m%d%H%M%S%f}"
    return user, api_token_create(user=user, name=name)[1]


def _login(base: str) -> requests.Session:
    s = requests.Session()
    r = s.get(base + "/accounts/login/", timeout=30)
    token = s.cookies.get("csrftoken") or ""
    r = s.post(
        base + "/accounts/login/",
        data={"username": "bench-runner", "password": "bench-runner-password", "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/"},
        timeout=30,
    )
    if "sessionid" not in s.cookies:
        raise RuntimeError(f"could not sign in to the benchmark server ({r.status_code})")
    return s


def _deep_keyset(offset_rows: int) -> str:
    """The register page's `after` position `offset_rows` deep (the link its Next button carries)."""
    from apps.core.pagination import _encode

    row = Deployment.objects.order_by(F("planned_start").desc(nulls_first=True), "-id").values_list(
        "planned_start", "id"
    )[offset_rows]
    return _encode(row[0], row[1])


def _deep_cursor(offset_rows: int) -> str:
    """A DRF cursor `offset_rows` into the API list, which is ordered by -id (keyset on the primary key)."""
    from base64 import b64encode

    pk = Deployment.objects.order_by("-id").values_list("id", flat=True)[offset_rows]
    return b64encode(urllib.parse.urlencode({"p": str(pk)}).encode()).decode()


def run(*, repeats: int = 15, writers: int = 4, writes: int = 200, export_full: bool = True, out=sys.stdout) -> dict:
    user, key = _bench_user()
    total = Deployment.objects.count()
    some = Deployment.objects.order_by("-id").values("pk", "environment_id", "service_id").first()
    env_id = some["environment_id"]
    server = Server()
    figures: list[Figure] = []
    try:
        web = _login(server.url)
        api = requests.Session()
        api.headers["Authorization"] = f"Token {key}"
        deep_page = max(2, min(10_000, total // 50))
        today = timezone.now().date()
        years_ago, next_year = (today.replace(year=today.year - 11)).isoformat(), today.replace(year=today.year + 1)
        page_cases = [
            ("register: first page", "/deployments/", "register"),
            (
                "register: filtered + sorted",
                f"/deployments/?status=completed&environment={env_id}&ordering=-planned_start",
                "register",
            ),
            ("register: text search", "/deployments/?q=service+0042", "register"),
            (
                f"register: page {deep_page:,}",
                f"/deployments/?after={_deep_keyset((deep_page - 1) * 50 - 1)}",
                "register",
            ),
            ("deployment page", f"/deployments/{some['pk']}/", "detail"),
            ("dashboard", "/", "dashboard"),
            ("KPI report (all 10 years)", f"/reports/kpis/?from={years_ago}&to={next_year}", "kpis"),
            ("calendar month", "/calendar/", None),
            ("what is where", "/matrix/", None),
        ]
        for name, path, target in page_cases:
            times, status = _timed(web, server.url + path, repeats=repeats)
            figures.append(
                Figure(
                    name,
                    path,
                    statistics.median(times),
                    _p95(times),
                    len(times),
                    _queries(user, path),
                    target_ms=TARGETS_MS.get(target),
                    status=status,
                    extra={"first_request_ms": round(_timed.cold or 0, 1)},
                )
            )
            _print_row(figures[-1], out)
        cursor = _deep_cursor(min(total - 1, (deep_page - 1) * 50))
        api_cases = [
            ("API list: first page", "/api/v1/deployments/"),
            ("API list: filtered", f"/api/v1/deployments/?status=completed&environment={env_id}"),
            (f"API list: page {deep_page:,} (cursor)", f"/api/v1/deployments/?cursor={urllib.parse.quote(cursor)}"),
            ("API KPIs (all 10 years)", f"/api/v1/kpis/?from={years_ago}&to={next_year}"),
        ]
        for name, path in api_cases:
            times, status = _timed(api, server.url + path, repeats=repeats)
            target = TARGETS_MS["kpis"] if "KPI" in name else TARGETS_MS["api_list"]
            figures.append(
                Figure(
                    name,
                    path,
                    statistics.median(times),
                    _p95(times),
                    len(times),
                    _queries(user, path, {"HTTP_ACCEPT": "application/json"}),
                    target_ms=target,
                    status=status,
                    extra={"first_request_ms": round(_timed.cold or 0, 1)},
                )
            )
            _print_row(figures[-1], out)
        month_ago = (timezone.now() - timezone.timedelta(days=30)).date().isoformat()
        # a month is written while the client waits; over 50,000 rows (a year here) go to a background job
        exports = [
            ("Excel export: last 30 days", f"/exports/deployments.xlsx?planned_from={month_ago}T00:00:00Z", None)
        ]
        if export_full:
            exports.insert(0, ("CSV export: everything", "/exports/deployments.csv", 20_000))
        for name, path, target in exports:
            figures.append(_export(server, web, name, path, target))
            _print_row(figures[-1], out)
        _writes(server, key, writers=writers, writes=writers * 10)  # warm-up: every worker has served a write
        figures.append(_writes(server, key, writers=writers, writes=writes))
        _print_row(figures[-1], out)
        figures.append(_writes(server, key, writers=writers, writes=writes * 10, per_call=50))
        _print_row(figures[-1], out)
    finally:
        server.stop()
    return {
        "when": timezone.now().isoformat(),
        "deployments": total,
        "machine": machine(),
        "figures": [dict(asdict(f), meets=f.meets) for f in figures],
    }


def _export(server: Server, session: requests.Session, name: str, path: str, target_ms) -> Figure:
    baseline = {pid: _rss_mb(pid) for pid in server.workers()}
    peak = dict(baseline)
    done = threading.Event()

    def watch():
        while not done.is_set():
            for pid in server.workers():
                peak[pid] = max(peak.get(pid, 0.0), _rss_mb(pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    t = time.perf_counter()
    rows = 0
    body = bytearray()
    with session.get(server.url + path, stream=True, timeout=600) as r:
        status = r.status_code
        workbook = "spreadsheetml" in r.headers.get("Content-Type", "")
        for chunk in r.iter_content(chunk_size=1 << 16):
            if workbook:
                body += chunk
            else:
                rows += chunk.count(b"\n")
    elapsed = (time.perf_counter() - t) * 1000
    done.set()
    watcher.join()
    if workbook:  # rows as a spreadsheet reads them
        import io

        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(bytes(body)), read_only=True).worksheets[0]
        rows = sum(1 for _ in sheet.iter_rows(values_only=True))
    elif status != 200 or "csv" not in r.headers.get("Content-Type", ""):
        raise RuntimeError(f"{path} answered {status} {r.headers.get('Content-Type')}, not a file")
    rows = max(rows - 1, 0)  # the header
    growth = max((peak[p] - baseline.get(p, peak[p])) for p in peak) if peak else 0.0
    return Figure(
        name,
        path,
        elapsed,
        elapsed,
        1,
        None,
        rows_per_s=rows / (elapsed / 1000) if rows else None,
        peak_mb=round(max(peak.values(), default=0.0), 1),
        target_ms=target_ms,
        status=status,
        extra={"rows": rows, "worker_rss_growth_mb": round(growth, 1)},
    )


def _writes(server: Server, key: str, *, writers: int, writes: int, per_call: int = 1) -> Figure:
    """Concurrent pipeline clients planning `writes` deployments: one per POST, or `per_call` per bulk POST."""
    from apps.catalog.models import ComponentVersion

    versions = list(
        ComponentVersion.objects.select_related("component").values_list("pk", "component__service_id")[:writers]
    )
    env = Deployment.objects.values_list("environment_id", flat=True).first()
    calls = max(writes // writers // per_call, 1)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    offset = 400 + 10 * per_call  # each run plans its own windows

    def item(i: int, n: int) -> dict:
        start = timezone.now() + timezone.timedelta(days=offset + i, minutes=30 * n)
        version_pk, service_pk = versions[i % len(versions)]
        return {
            "title": f"Bench write {i}-{n}",
            "service": service_pk,
            "environment": env,
            "component_versions": [version_pk],
            "planned_start": start.isoformat(),
            "planned_end": (start + timezone.timedelta(minutes=30)).isoformat(),
        }

    def client(i: int) -> None:
        s = requests.Session()
        s.headers["Authorization"] = f"Token {key}"
        for c in range(calls):
            if per_call == 1:
                url, body = server.url + "/api/v1/deployments/", item(i, c)
            else:
                url = server.url + "/api/v1/deployments/bulk/"
                body = {"deployments": [item(i, c * per_call + k) for k in range(per_call)]}
            t = time.perf_counter()
            r = s.post(url, json=body, timeout=60)
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)
                if r.status_code != 201:
                    errors.append(f"{r.status_code} {r.text[:200]}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    planned = (len(latencies) - len(errors)) * per_call
    bulk = f", {per_call} per bulk call" if per_call > 1 else ""
    return Figure(
        f"API writes ({writers} concurrent clients{bulk})",
        "POST /api/v1/deployments/" + ("bulk/" if per_call > 1 else ""),
        statistics.median(latencies) if latencies else 0,
        _p95(latencies) if latencies else 0,
        len(latencies),
        None,
        rows_per_s=planned / elapsed,
        status=201 if not errors else 0,
        note=f"{len(errors)} errors" + (f": {errors[0]}" if errors else ""),
        extra={"target_per_s": 200, "deployments": planned, "per_call": per_call},
    )


def machine() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        db = cursor.fetchone()[0] if connection.vendor == "postgresql" else f"SQLite {cursor.fetchone()}"
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(
                line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
            ).split()[1]
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "database": db,
    }


def _print_row(f: Figure, out) -> None:
    meets = {True: "yes", False: "NO", None: ""}[f.meets]
    rate = f"{f.rows_per_s:,.0f}/s" if f.rows_per_s else ""
    peak = f"{f.peak_mb:.0f} MB" if f.peak_mb else ""
    target = f"{f.target_ms:,.0f}" if f.target_ms else ""
    q = "" if f.queries is None else str(f.queries)
    out.write(
        f"{f.name:<52} {f.median_ms:>9.1f} {f.p95_ms:>9.1f} {q:>4} {rate:>10} {peak:>8} {target:>7} {meets:>4}"
        f"  {f.status} {f.note}\n"
    )
    out.flush()


HEADER = (
    f"{'figure':<52} {'median':>9} {'p95 ms':>9} {'SQL':>4} {'rate':>10} {'peak':>8} {'target':>7} {'ok':>4}  status\n"
)


def write_json(result: dict, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bench-{result['deployments']}-{timezone.now():%Y%m%d-%H%M}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    return path
