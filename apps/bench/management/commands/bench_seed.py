"""`manage.py bench_seed --deployments N`: generate the DESIGN.md §7 benchmark data set."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.bench.dataset import generate
from apps.bench.dataset_sql import in_thread
from apps.bench.reference import Sizes
from apps.bench.rollups_sql import cuts_make
from apps.deployments.models import Deployment
from apps.deployments.services.calendar_days import counts_rebuild
from apps.deployments.services.practitioner_counts import practitioner_counts_rebuild


class Command(BaseCommand):
    help = "Generate benchmark data: N deployments over ten years with reference data, events, checks and more."

    def add_arguments(self, parser):
        parser.add_argument("--deployments", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--chunk", type=int, default=20_000)
        parser.add_argument(
            "--engine",
            choices=("sql", "python"),
            default="sql",
            help="On PostgreSQL, make the rows in the database (sql, the default) or in Python chunks.",
        )
        parser.add_argument("--force", action="store_true", help="Add to a database that already has deployments.")

    def handle(self, *args, **options):
        n = options["deployments"]
        if n < 1 or n > 20_000_000:
            raise CommandError("--deployments must be between 1 and 20,000,000.")
        if Deployment.objects.exists() and not options["force"]:
            raise CommandError("The database already has deployments; use an empty one (or --force to add).")
        counts = generate(
            Sizes.scaled(n),
            seed=options["seed"],
            chunk=options["chunk"],
            out=self.stderr,
            engine=options["engine"],
            beside=self._counts,
        )
        # the KPI rows per service and supplier, from the daily rows
        counts["kpi_cut_rows"] = cuts_make(in_thread, out=self.stderr)
        self.stdout.write(self.style.SUCCESS(", ".join(f"{k}: {v:,}" for k, v in counts.items())))

    def _counts(self) -> dict:
        """The calendar's and the practitioners' counts of the loaded deployments (the generator loads deployments,
        not their days nor the practitioners' finished ones), beside the generator's statistics and snapshot."""
        started = time.monotonic()
        if connection.vendor == "postgresql":  # the links' table, freshly loaded, may not be analyzed yet
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(Deployment.practitioners.through._meta.db_table)}")
        counts = {"calendar_day_rows": counts_rebuild(), "practitioner_count_rows": practitioner_counts_rebuild()}
        self.stderr.write(f"calendar and practitioner counts: {time.monotonic() - started:.1f} s\n")
        return counts
