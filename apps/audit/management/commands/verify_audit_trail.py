"""`manage.py verify_audit_trail`: exit 0 when the hash chain verifies, otherwise 1 naming the first broken entry."""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.chain import audit_verify
from apps.audit.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the audit trail's SHA-256 hash chain; exit 1 and name the first broken entry if it does not hold."

    def handle(self, *args, **options):
        result = audit_verify()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"OK: {result.checked} entries verified"))
            return
        entry = AuditEntry.objects.filter(pk=result.first_broken_id).first()
        where = f"entry #{result.first_broken_id}"
        if entry is not None:
            where += (
                f" at {entry.at.isoformat()} ({entry.action} {entry.object_type} {entry.object_id} "
                f"“{entry.object_repr}”)"
            )
        raise CommandError(
            f"BROKEN: the audit chain breaks at {where}: {result.reason}. {result.checked} entries before it verified.",
            returncode=1,
        )
