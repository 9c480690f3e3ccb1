"""`manage.py seed_demo`: load the demo users and reference data (idempotent); `--list` prints the logins."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.core import demo


class Command(BaseCommand):
    help = "Create the demo users (one per role) and demo reference data. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="Only print the demo logins.")

    def handle(self, *args, **options):
        if options["list"]:
            for username, _first, _last, role in demo.DEMO_USERS:
                label = role or "Administrator (Django admin)"
                self.stdout.write(f"    {username:<14} {demo.demo_password(username):<20} {label}")
            return
        with transaction.atomic():
            users = demo.seed_users()
            for seeder in demo.seeders():
                seeder(users)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({len(users)} demo users)."))
