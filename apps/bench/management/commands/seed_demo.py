"""`manage.py seed_demo`: load the demo users, reference data, showcase deployments and a year of history behind
them (idempotent); `--list` prints the logins."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.bench import demo
from apps.bench.demo_history import DEPLOYMENTS, seed_history
from apps.deployments.risk.backtest import risk_backtest_record
from apps.deployments.risk.services import risk_refresh_open

DEMO_BACKTEST = 300  # finished deployments the demo's first back-test scores (about 25 ms each)


class Command(BaseCommand):
    help = "Create the demo users (one per role), reference data and a year of deployment history. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="Only print the demo logins.")
        parser.add_argument(
            "--history", type=int, default=DEPLOYMENTS, help="Deployments of history behind the showcase (0: none)."
        )

    def handle(self, *args, **options):
        if options["list"]:
            for username, _first, _last, role in demo.DEMO_USERS:
                label = role or "Administrator (Django admin)"
                self.stdout.write(f"    {username:<14} {demo.demo_password(username):<20} {label}")
            return
        t0 = time.monotonic()
        with transaction.atomic():
            users = demo.seed_users()
            for seeder in demo.seeders():
                seeder(users)
        counts = seed_history(deployments=options["history"]) if options["history"] > 0 else {}
        history = f", a year of history: {counts['deployments']:,} deployments" if counts else ""
        # the open deployments scored on the history behind them, and the score back-tested on its latest part for
        # the KPI page (the worker's nightly back-test covers more)
        rescored = risk_refresh_open()["scored"]
        backtest = risk_backtest_record(limit=DEMO_BACKTEST)
        auc = "n/a" if backtest.auc is None else f"{backtest.auc:.3f}"
        history += f"; {rescored} open deployments scored, risk back-test AUC {auc} over {backtest.scored}"
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready ({len(users)} demo users{history}) in {time.monotonic() - t0:.1f} s.")
        )
