"""How each figure is measured over HTTP: timed GETs after warm-up (median and 95th percentile), the same request
replayed in-process to count its SQL queries, a streamed export watched for worker memory, and concurrent
pipeline clients POSTing."""

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import api_token_create
from apps.bench.server import Server, rss_mb
from apps.deployments.models import Deployment
from apps.roles import definitions as roles


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
    floor: str | None = None  # "page", "api" or "write": the bare endpoint this figure is a ratio of
    ratio: float | None = None  # median ÷ the floor's median, measured in the same run
    target_ratio: float | None = None

    @property
    def meets(self) -> bool | None:
        return None if self.target_ms is None else self.median_ms <= self.target_ms

    @property
    def meets_ratio(self) -> bool | None:
        return None if self.target_ratio is None or self.ratio is None else self.ratio <= self.target_ratio


def timed(session: requests.Session, url: str, *, repeats: int, warmup: int = 2) -> tuple[list[float], int, float]:
    """`repeats` timed GETs after `warmup` untimed ones: (times in ms, last status, the first request's ms)."""
    status = 0
    cold = None
    for _ in range(warmup):
        t = time.perf_counter()
        status = session.get(url, timeout=300).status_code
        cold = cold if cold is not None else (time.perf_counter() - t) * 1000
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        r = session.get(url, timeout=300)
        times.append((time.perf_counter() - t) * 1000)
        status = r.status_code
    return times, status, cold or 0.0


def timed_beside(
    session: requests.Session, url: str, floor_url: str, *, repeats: int, warmup: int = 2
) -> tuple[list[float], list[float], int, float]:
    """As `timed`, each timed GET followed by one of its floor's bare endpoint on the same session, so the figure
    and its floor see the same load (a shared machine's speed changes within a run): (times, floor times, last
    status, the first request's ms)."""
    times, status, cold = timed(session, url, repeats=0, warmup=warmup)
    floor_times = []
    for _ in range(repeats):
        t = time.perf_counter()
        status = session.get(url, timeout=300).status_code
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        session.get(floor_url, timeout=300)
        floor_times.append((time.perf_counter() - t) * 1000)
    return times, floor_times, status, cold


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def count_queries(user: User, path: str, headers: dict | None = None) -> int:
    """The same request replayed in-process, counting its SQL queries."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **(headers or {}))
    if response.status_code >= 400:
        raise RuntimeError(f"{path} answered {response.status_code} in-process")
    return len(ctx.captured_queries)


# the benchmark's own user, made by `bench_user` and signed in by `login` (a bench database only)
BENCH_USER, BENCH_PASSWORD = "bench-runner", "bench-runner-password"  # noqa: S105


def bench_user() -> tuple[User, str]:
    from django.contrib.auth.models import Group

    user, _ = User.objects.get_or_create(username=BENCH_USER, defaults={"email": "bench-runner@bench.example"})
    user.set_password(BENCH_PASSWORD)
    user.is_service_account = True
    user.save()
    user.groups.add(Group.objects.get(name=roles.MANAGER))
    name = f"bench {timezone.now():%Y%m%d%H%M%S%f}"
    return user, api_token_create(user=user, name=name)[1]


def login(base: str, username: str = BENCH_USER, password: str = BENCH_PASSWORD) -> requests.Session:
    """A browser's session on the server at `base`, signed in through the login form (the benchmark's user unless
    told)."""
    s = requests.Session()
    r = s.get(base + "/accounts/login/", timeout=30)
    token = s.cookies.get("csrftoken") or ""
    r = s.post(
        base + "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/"},
        timeout=30,
    )
    if "sessionid" not in s.cookies:
        raise RuntimeError(f"could not sign in to {base} as {username} ({r.status_code})")
    return s


def export(server: Server, session: requests.Session, name: str, path: str, target_ms) -> Figure:
    baseline = {pid: rss_mb(pid) for pid in server.workers()}
    peak = dict(baseline)
    done = threading.Event()

    def watch():
        while not done.is_set():
            for pid in server.workers():
                peak[pid] = max(peak.get(pid, 0.0), rss_mb(pid))
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


def concurrent_posts(
    url: str, key: str, body: Callable[[int, int], dict], *, writers: int, calls: int
) -> tuple[list[float], list[str], float]:
    """`writers` clients, each POSTing `calls` times `body(client, call)` with the API token: (latencies in ms,
    errors, elapsed seconds)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        s = requests.Session()
        s.headers["Authorization"] = f"Token {key}"
        for c in range(calls):
            t = time.perf_counter()
            r = s.post(url, json=body(i, c), timeout=60)
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
    return latencies, errors, time.perf_counter() - t0


def pipeline_body(*, clients: int, offset: int) -> Callable[[int, int], dict]:
    """The body a pipeline client `i` POSTs to plan its `n`-th deployment: a title, a service, an environment, one
    component version of the service and a 30-minute window `offset` days ahead (the bench's writes and
    `bench_profile --post` alike)."""
    from apps.catalog.models import ComponentVersion

    versions = list(
        ComponentVersion.objects.select_related("component").values_list("pk", "component__service_id")[:clients]
    )
    env = Deployment.objects.values_list("environment_id", flat=True).first()

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

    return item


def writes(server: Server, key: str, *, writers: int, writes: int, per_call: int = 1) -> Figure:
    """Concurrent pipeline clients planning `writes` deployments: one per POST, or `per_call` per bulk POST."""
    calls = max(writes // writers // per_call, 1)
    item = pipeline_body(clients=writers, offset=400 + 10 * per_call)  # each run plans its own windows

    if per_call == 1:
        url, body = server.url + "/api/v1/deployments/", item
    else:
        url = server.url + "/api/v1/deployments/bulk/"

        def body(i: int, c: int) -> dict:
            return {"deployments": [item(i, c * per_call + k) for k in range(per_call)]}

    latencies, errors, elapsed = concurrent_posts(url, key, body, writers=writers, calls=calls)
    planned = (len(latencies) - len(errors)) * per_call
    bulk = f", {per_call} per bulk call" if per_call > 1 else ""
    return Figure(
        f"API writes ({writers} concurrent clients{bulk})",
        "POST /api/v1/deployments/" + ("bulk/" if per_call > 1 else ""),
        statistics.median(latencies) if latencies else 0,
        p95(latencies) if latencies else 0,
        len(latencies),
        None,
        rows_per_s=planned / elapsed,
        status=201 if not errors else 0,
        note=f"{len(errors)} errors" + (f": {errors[0]}" if errors else ""),
        extra={"target_per_s": 200, "deployments": planned, "per_call": per_call},
    )
