"""`manage.py bench_growth RUN.json RUN.json [...]`: the growth table of benchmark runs at different sizes."""

import json

from django.core.management.base import BaseCommand, CommandError

from apps.bench import compare, growth


class Command(BaseCommand):
    help = (
        "Print, as Markdown, each figure's milliseconds and ratio to its floor at every size, and the growth of its "
        "ratio from the second-largest run to the largest (issue 18: at most 1.25×)."
    )

    def add_arguments(self, parser):
        parser.add_argument("runs", nargs="+", metavar="JSON", help="results written by `manage.py bench`")
        parser.add_argument("--limit", type=float, default=growth.LIMIT)
        parser.add_argument("--check", action="store_true", help="exit with an error if a figure grew past --limit")

    def handle(self, *args, **options):
        runs = []
        for path in options["runs"]:
            try:
                run = compare.load(path)
            except (OSError, json.JSONDecodeError) as e:
                raise CommandError(f"{path}: not a benchmark result ({e})") from e
            if not isinstance(run, dict) or "deployments" not in run or "figures" not in run:
                raise CommandError(f"{path}: not a benchmark result (no deployments or figures)")
            runs.append(run)
        self.stdout.write(growth.markdown(runs, limit=options["limit"]))
        grown = growth.over(runs, limit=options["limit"]) if len(runs) >= 2 else []
        if grown:
            message = f"grew past {options['limit']:g}× its ratio: " + ", ".join(grown)
            if options["check"]:
                raise CommandError(message)
            self.stderr.write(message)
