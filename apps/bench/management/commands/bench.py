"""`manage.py bench`: run the DESIGN.md §7 benchmark against the current (PostgreSQL) database."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.bench import runner
from apps.deployments.models import Deployment


class Command(BaseCommand):
    help = "Benchmark pages, API, KPIs and exports over HTTP (gunicorn) against the bench_seed data set."

    def add_arguments(self, parser):
        parser.add_argument("--repeats", type=int, default=15)
        parser.add_argument("--writers", type=int, default=4)
        parser.add_argument("--writes", type=int, default=200)
        parser.add_argument("--skip-full-export", action="store_true")
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "bench" / "results"))

    def handle(self, *args, **options):
        if not Deployment.objects.exists():
            raise CommandError("No deployments: run `manage.py bench_seed --deployments N` first.")
        if connection.vendor != "postgresql":
            self.stderr.write("Warning: the targets of DESIGN.md §7 are for PostgreSQL.")
        self.stdout.write(runner.HEADER)
        result = runner.run(
            repeats=options["repeats"],
            writers=options["writers"],
            writes=options["writes"],
            export_full=not options["skip_full_export"],
            out=self.stdout,
        )
        path = runner.write_json(result, Path(options["out"]))
        self.stdout.write(self.style.SUCCESS(f"Results written to {path}"))
