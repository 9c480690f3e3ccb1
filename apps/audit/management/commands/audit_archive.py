"""`manage.py audit_archive --before DATE`: move the entries written before DATE into a signed archive file."""

import datetime as dt

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from apps.audit.archive import ArchiveRefused, archive_dir, audit_archive


class Command(BaseCommand):
    help = (
        "Move the audit entries written before DATE (YYYY-MM-DD, UTC) out of the table into a signed archive file "
        "that keeps the chain verifiable across the cut (verify_audit_trail reads the archives and the table)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, metavar="DATE", help="archive entries before this day (UTC)")

    def handle(self, *args, before: str, **options):
        try:
            day = dt.date.fromisoformat(before)
        except ValueError as exc:
            raise CommandError(f"--before must be a date as YYYY-MM-DD, not {before!r}.") from exc
        cut = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        if cut > dt.datetime.now(dt.UTC):
            raise CommandError("--before must not be in the future: the chain's newest entries stay in the table.")
        try:
            archive = audit_archive(before=cut)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        except ArchiveRefused as exc:
            raise CommandError(f"Nothing archived: {exc}.") from exc
        if archive is None:
            self.stdout.write(f"Nothing to archive: no entry was written before {day.isoformat()}.")
            return
        self.stdout.write(
            f"Archived {archive.entry_count} entries (#{archive.first_entry}–#{archive.last_entry}) into "
            f"{archive_dir() / archive.file_name}, signed by key {archive.key_id}."
        )
