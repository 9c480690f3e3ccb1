"""`manage.py kpi_rollup_rebuild`: recompute the KPI rollups — daily, then week, month and year — from the deployments
(after bulk loads, or a change of the server's time zone, which moves the days)."""

import time

from django.core.management.base import BaseCommand

from apps.deployments.models import DeploymentPeriodRollup
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the KPI rollups (daily, weekly, monthly, yearly) from the deployments, incidents and ratings."

    def handle(self, *args, **options):
        started = time.monotonic()
        made = kpi_rollup_rebuild()
        periods = DeploymentPeriodRollup.objects.count()
        self.stdout.write(f"{made} daily and {periods} period rollup rows in {time.monotonic() - started:.1f} s")
