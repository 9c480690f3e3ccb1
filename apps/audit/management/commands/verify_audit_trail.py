"""`manage.py verify_audit_trail`: exit 0 when the hash chain verifies and still reaches every signed checkpoint,
otherwise 1 naming the first entry that disagrees (an edited row, a truncated tail, a rewritten chain)."""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.models import AuditEntry
from apps.audit.verify import audit_trail_verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail's SHA-256 hash chain and the signed checkpoints; exit 1 and name the first entry "
        "that disagrees if it does not hold."
    )

    def handle(self, *args, **options):
        result = audit_trail_verify()
        if result.ok:
            signed = f", {result.checkpoints} signed checkpoints hold" if result.checkpoints else ""
            self.stdout.write(self.style.SUCCESS(f"OK: {result.checked} entries verified{signed}"))
            return
        entry = AuditEntry.objects.filter(pk=result.first_broken_id).first()
        where = f"entry #{result.first_broken_id}"
        if entry is not None:
            where += (
                f" at {entry.at.isoformat()} ({entry.action} {entry.object_type} {entry.object_id} "
                f"“{entry.object_repr}”)"
            )
        raise CommandError(
            f"BROKEN: the audit chain breaks at {where}: {result.summary}",
            returncode=1,
        )
