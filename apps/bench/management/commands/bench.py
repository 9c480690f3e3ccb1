"""`manage.py bench`: run the DESIGN.md §7 benchmark against the current (PostgreSQL) database."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.bench import compare, runner
from apps.deployments.models import Deployment


class Command(BaseCommand):
    help = (
        "Benchmark pages, API, KPIs and exports over HTTP (gunicorn) against the bench_seed data set, each figure "
        "also as a ratio of its floor measured in the same run; with --compare, fail if a ratio grew."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeats", type=int, default=15)
        parser.add_argument("--writers", type=int, default=4)
        parser.add_argument("--writes", type=int, default=200)
        parser.add_argument("--skip-full-export", action="store_true")
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "bench" / "results"))
        parser.add_argument(
            "--compare",
            metavar="JSON",
            help="a committed result (e.g. bench/results/ci-10k.json): exit non-zero if a ratio to the floor "
            "grew by more than --tolerance",
        )
        parser.add_argument("--tolerance", type=float, default=compare.TOLERANCE, help="0.5: 50%% worse at most")

    def handle(self, *args, **options):
        if not Deployment.objects.exists():
            raise CommandError("No deployments: run `manage.py bench_seed --deployments N` first.")
        if connection.vendor != "postgresql":
            self.stderr.write("Warning: the targets of DESIGN.md §7 are for PostgreSQL.")
        baseline = compare.load(options["compare"]) if options["compare"] else None
        self.stdout.write(runner.HEADER)
        result = runner.run(
            repeats=options["repeats"],
            writers=options["writers"],
            writes_=options["writes"],
            export_full=not options["skip_full_export"],
            baseline=baseline,
            tolerance=options["tolerance"],
            out=self.stdout,
        )
        self.stdout.write("\n" + runner.ratio_table(result))
        path = runner.write_json(result, Path(options["out"]))
        self.stdout.write(self.style.SUCCESS(f"Results written to {path}"))
        if baseline is not None:
            found = compare.regressions(baseline, result, tolerance=options["tolerance"])
            if found:
                raise CommandError(
                    f"ratios to the floor regressed against {options['compare']}:\n  " + "\n  ".join(found)
                )
            self.stdout.write(self.style.SUCCESS(f"No ratio grew by more than {options['tolerance']:.0%}."))
