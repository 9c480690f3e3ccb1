"""`manage.py bench_profile PATH`: where one request's time goes, by cProfile over a warm in-process worker.

The request is served by Django's test client in this process (the same middleware and settings as gunicorn's
workers), first `--warmup` times untimed, then `--requests` times under cProfile; it prints the milliseconds per
request, the SQL share, and the top entries by own time and by cumulative time.
"""

import cProfile
import io
import pstats
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.bench.measure import bench_user


class Command(BaseCommand):
    help = "Profile one URL (page or API) with cProfile over a warm in-process worker."

    def add_arguments(self, parser):
        parser.add_argument("path", help="e.g. /deployments/123/ or /api/v1/deployments/?status=completed")
        parser.add_argument("--requests", type=int, default=50)
        parser.add_argument("--warmup", type=int, default=5)
        parser.add_argument("--top", type=int, default=25)
        parser.add_argument("--api", action="store_true", help="send the API token instead of a session")
        parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])

    def handle(self, *args, path, **options):
        user, key = bench_user()
        client = Client(HTTP_HOST="127.0.0.1")
        headers = {}
        if options["api"]:
            headers = {"HTTP_AUTHORIZATION": f"Token {key}", "HTTP_ACCEPT": "application/json"}
        else:
            client.force_login(user)
        for _ in range(options["warmup"]):
            status = client.get(path, **headers).status_code
            if status >= 400:
                raise CommandError(f"{path} answered {status}")
        with CaptureQueriesContext(connection) as ctx:
            client.get(path, **headers)
        sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        n = options["requests"]
        profiler = cProfile.Profile()
        t = time.perf_counter()
        profiler.enable()
        for _ in range(n):
            client.get(path, **headers)
        profiler.disable()
        per_request = (time.perf_counter() - t) * 1000 / n
        self.stdout.write(
            f"{path}: {per_request:.1f} ms per request under the profiler, {len(ctx.captured_queries)} queries "
            f"taking {sql_ms:.1f} ms (measured once, outside the profiler)\n"
        )
        for q in ctx.captured_queries:
            self.stdout.write(f"  {float(q['time']) * 1000:6.1f} ms  {q['sql'][:160]}\n")
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer)
        stats.sort_stats(options["sort"]).print_stats(options["top"])
        self.stdout.write(buffer.getvalue())
