"""`manage.py api_token_for USERNAME [--name NAME]`: make an API token for a user and print its key (for scripts)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create a named API token for USERNAME and print only its key (e.g. for a pipeline or a fuzzing run)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="The token's name (default: 'script <timestamp>').")

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        name = options["name"] or f"script {timezone.now():%Y-%m-%d %H:%M:%S}"
        try:
            _token, key = api_token_create(user=user, name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(key)
