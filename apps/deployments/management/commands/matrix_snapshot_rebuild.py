"""`manage.py matrix_snapshot_rebuild`: rebuild the "what is where" snapshot from the deployments."""

import time

from django.core.management.base import BaseCommand

from apps.deployments.services.matrix_snapshot import matrix_snapshot_rebuild


class Command(BaseCommand):
    help = "Rebuild the what-is-where snapshot (MatrixEntry) from the deployments."

    def handle(self, *args, **options):
        started = time.monotonic()
        made = matrix_snapshot_rebuild()
        self.stdout.write(f"{made} matrix entries in {time.monotonic() - started:.1f} s")
