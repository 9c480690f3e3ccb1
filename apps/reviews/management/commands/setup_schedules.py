"""`manage.py setup_schedules`: register the background schedules (django-q2); safe to run at every start."""

from django.core.management.base import BaseCommand

from apps.reviews.schedules import schedules_ensure


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules of Deploydesk (by name; idempotent)."

    def handle(self, *args, **options):
        for name, outcome in schedules_ensure():
            self.stdout.write(f"{outcome:9} {name}")
