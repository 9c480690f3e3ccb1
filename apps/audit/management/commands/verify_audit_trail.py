"""`manage.py verify_audit_trail`: exit 0 when the hash chain verifies and still reaches every signed checkpoint,
otherwise 1 naming the first entry that disagrees (an edited row, a truncated tail, a rewritten chain).

`--checkpoints FILE` (repeatable) checks the chain against checkpoints received off the server too (the syslog's
lines, the collector's JSON, saved e-mails, an audit pack's checkpoints.json): whoever rewrites the database and
deletes its checkpoints cannot delete those."""

from django.core.management.base import BaseCommand, CommandError

from apps.audit.models import AuditEntry
from apps.audit.offline.verify_pack import received_checkpoints
from apps.audit.verify import audit_trail_verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail's SHA-256 hash chain and the signed checkpoints; exit 1 and name the first entry "
        "that disagrees if it does not hold."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            action="append",
            default=[],
            metavar="FILE",
            help="a file of checkpoints received off the server (syslog lines, JSON, saved e-mails); repeatable",
        )

    def handle(self, *args, **options):
        received = []
        for name in options["checkpoints"]:
            try:
                with open(name, encoding="utf-8", errors="replace") as handle:
                    found = received_checkpoints(handle.read())
            except OSError as exc:
                raise CommandError(f"cannot read {name}: {exc}", returncode=2) from exc
            if not found:
                raise CommandError(f"{name} holds no checkpoint", returncode=2)
            received.extend(found)
        result = audit_trail_verify(received=received)
        if result.ok:
            signed = f", {result.checkpoints} signed checkpoints hold" if result.checkpoints else ""
            if result.received:
                signed += f", {result.received} received checkpoints hold"
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
