"""`manage.py kpi_rollup_rebuild`: recompute the KPI daily rollup from the deployments (after bulk loads, or a change
of the server's time zone, which moves the days)."""

import time

from django.core.management.base import BaseCommand

from apps.deployments.services.kpi_rollup import kpi_rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the KPI daily rollup (DeploymentDailyRollup) from the deployments, incidents and ratings."

    def handle(self, *args, **options):
        started = time.monotonic()
        made = kpi_rollup_rebuild()
        self.stdout.write(f"{made} rollup rows in {time.monotonic() - started:.1f} s")
