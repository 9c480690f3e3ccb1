"""`manage.py risk_refresh`: rescore every open deployment on today's records (also run nightly by the worker)."""

from django.core.management.base import BaseCommand

from apps.deployments.risk.services import risk_refresh_open


class Command(BaseCommand):
    help = "Recompute the risk score of every open deployment (planning or under way)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="Rescore at most N (oldest plan first).")

    def handle(self, *args, **options):
        counts = risk_refresh_open(limit=options["limit"], out=self.stderr)
        self.stdout.write(f"{counts['scored']} open deployments rescored, {counts['changed']} changed score.")
