"""`manage.py kpi_rollup_rebuild`: recompute the KPI rollups — daily, then day, week, month and year, and the rows
per service and supplier — from the deployments (after bulk loads, or a change of the server's time zone, which moves
the days); with `--periods`, only the period rows from the daily rows (after a model's automation level changed, to
file it under its new level)."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.deployments.models import DeploymentCutRollup, DeploymentDailyRollup, DeploymentPeriodRollup
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild, period_rebuild


class Command(BaseCommand):
    help = "Rebuild the KPI rollups (daily, then day, week, month and year rows) from the deployments."

    def add_arguments(self, parser):
        parser.add_argument(
            "--periods",
            action="store_true",
            help="rebuild only the period rows from the daily rows (files every model under its current level)",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        if options["periods"]:
            with transaction.atomic():
                period_rebuild()
            made = DeploymentDailyRollup.objects.count()
        else:
            made = kpi_rollup_rebuild()
        periods, cuts = DeploymentPeriodRollup.objects.count(), DeploymentCutRollup.objects.count()
        self.stdout.write(
            f"{made} daily, {periods} period and {cuts} service and supplier rollup rows"
            f" in {time.monotonic() - started:.1f} s"
        )
