"""`manage.py backup [--dir DIR]`: a consistent copy of the database (pg_dump or SQLite backup)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.core.backup import backup


class Command(BaseCommand):
    help = "Back up the database into a directory (default: backups/)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "backups"))

    def handle(self, *args, **options):
        path = backup(Path(options["dir"]))
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
