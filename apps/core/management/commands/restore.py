"""`manage.py restore FILE`: replace the database's contents with a backup made by `manage.py backup`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.backup import restore


class Command(BaseCommand):
    help = "Restore the database from a backup file (a .dump for PostgreSQL, a .sqlite3 for SQLite)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No backup at {path}.")
        if not options["yes"] and input(f"Replace the database with {path}? [y/N] ").strip().lower() != "y":
            raise CommandError("Restore cancelled.")
        restore(path)
        self.stdout.write(self.style.SUCCESS(f"Restored from {path}. Run `manage.py verify_audit_trail` to check it."))
