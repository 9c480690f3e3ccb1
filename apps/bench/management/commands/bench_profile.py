"""`manage.py bench_profile PATH`: where one request's time goes, by cProfile over a warm in-process worker.

The request is served by Django's test client in this process (the same middleware and settings as gunicorn's
workers), first `--warmup` times untimed, then `--requests` times under cProfile; it prints the milliseconds per
request, the SQL share, and the top entries by own time and by cumulative time.

With `--post` the request is a JSON POST with the API token, as the benchmark's writes send it: to the bare create
(`/bench/floor/api/create/`) a floor row, to any other path the pipeline's deployment body (`pipeline_body`), each
request with its own title, window and component version. `--beside` then times `--requests` requests without the
profiler, each followed by its floor's bare endpoint, and prints both medians and their ratio, in wall time and in
this process's CPU time (in-process: no HTTP or gunicorn cost on either side).
"""

import cProfile
import io
import json
import pstats
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.bench.floor import FLOOR_PATHS
from apps.bench.measure import bench_user, pipeline_body

# `bench_profile --post` plans its deployments this many days ahead, apart from the benchmark's own windows, as the
# pipelines of this many services (one component version each, taken in turn), so that profiling again and again does
# not pile thousands of deployments onto one version, which a fresh benchmark database never has
PROFILE_OFFSET_DAYS = 900
PROFILE_CLIENTS = 100


class Command(BaseCommand):
    help = "Profile one URL (page or API, GET or POST) with cProfile over a warm in-process worker."

    def add_arguments(self, parser):
        parser.add_argument("path", help="e.g. /deployments/123/ or /api/v1/deployments/?status=completed")
        parser.add_argument("--requests", type=int, default=50)
        parser.add_argument("--warmup", type=int, default=5)
        parser.add_argument("--top", type=int, default=25)
        parser.add_argument("--api", action="store_true", help="send the API token instead of a session")
        parser.add_argument("--post", action="store_true", help="POST as the benchmark's writes do (implies --api)")
        parser.add_argument(
            "--beside", action="store_true", help="also time the requests each beside its floor (no profiler)"
        )
        parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])

    def handle(self, *args, path, **options):
        user, key = bench_user()
        client = Client(HTTP_HOST="127.0.0.1")
        headers = {}
        post = options["post"]
        if options["api"] or post:
            headers = {"HTTP_AUTHORIZATION": f"Token {key}", "HTTP_ACCEPT": "application/json"}
        else:
            client.force_login(user)
        send = self._sender(client, headers, path, post=post)
        for _ in range(options["warmup"]):
            status = send().status_code
            if status >= 400:
                raise CommandError(f"{path} answered {status}")
        with CaptureQueriesContext(connection) as ctx:
            send()
        queries = list(ctx.captured_queries)  # a copy: the next request's start empties the connection's log
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        n = options["requests"]
        profiler = cProfile.Profile()
        t = time.perf_counter()
        profiler.enable()
        for _ in range(n):
            send()
        profiler.disable()
        per_request = (time.perf_counter() - t) * 1000 / n
        self.stdout.write(
            f"{'POST ' if post else ''}{path}: {per_request:.1f} ms per request under the profiler, "
            f"{len(queries)} queries taking {sql_ms:.1f} ms (measured once, outside the profiler)\n"
        )
        for q in queries:
            self.stdout.write(f"  {float(q['time']) * 1000:6.1f} ms  {q['sql'][:160]}\n")
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.sort_stats(options["sort"]).print_stats(options["top"])
        self.stdout.write(buffer.getvalue())
        if options["beside"]:
            self._beside(client, headers, path, send, post=post, n=n)

    def _sender(self, client: Client, headers: dict, path: str, *, post: bool):
        """A function sending one request to `path`: a GET, or a POST with the next body."""
        if not post:
            return lambda: client.get(path, **headers)
        if path.split("?")[0] == FLOOR_PATHS["write"]:
            body = lambda i, n: {"name": f"profile {n}", "number": n}  # noqa: E731
        else:
            body = pipeline_body(clients=PROFILE_CLIENTS, offset=PROFILE_OFFSET_DAYS)
        count = iter(range(10**9))

        def send():
            n = next(count)
            data = json.dumps(body(n % PROFILE_CLIENTS, n))
            return client.post(path, data=data, content_type="application/json", **headers)

        return send

    def _beside(self, client: Client, headers: dict, path: str, send, *, post: bool, n: int) -> None:
        kind = "write" if post else ("api" if headers else "page")
        floor = self._sender(client, headers, FLOOR_PATHS[kind], post=post)
        times, floor_times, cpu, floor_cpu = [], [], [], []
        for _ in range(n):
            c, t = time.process_time(), time.perf_counter()
            send()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            c, t = time.process_time(), time.perf_counter()
            floor()
            floor_times.append((time.perf_counter() - t) * 1000)
            floor_cpu.append((time.process_time() - c) * 1000)
        median, floor_median = statistics.median(times), statistics.median(floor_times)
        cpu_median, floor_cpu_median = statistics.median(cpu), statistics.median(floor_cpu)
        self.stdout.write(
            f"beside its floor ({FLOOR_PATHS[kind]}), {n} each, no profiler: median {median:.2f} ms, floor "
            f"{floor_median:.2f} ms, ratio {median / floor_median:.2f}×; this process's CPU: median "
            f"{cpu_median:.2f} ms, floor {floor_cpu_median:.2f} ms, ratio {cpu_median / floor_cpu_median:.2f}×\n"
        )
