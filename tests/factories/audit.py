"""Audit chain data for tests: entries appended through the chain's own service, and chain rewrites an attacker would
make with database access (recomputing every hash after an edit)."""

from apps.audit.chain import GENESIS, audit_append, entry_hash
from apps.audit.models import AuditEntry


def append_entries(n: int, *, start: int = 0, service_id: int | None = None, at=None) -> list[AuditEntry]:
    """`n` entries appended one by one (each its own chain step), as a background job would write them."""
    return [
        audit_append(
            actor=None,
            channel="system",
            action="changed",
            object_type="deployments.deployment",
            object_id=start + i,
            object_repr=f"DEP-{start + i:05d}",
            changes={"status": ["draft", "approved"]},
            service_id=service_id,
            at=at,
        )
        for i in range(n)
    ]


def rewrite_chain_from(entry_id: int, **changes) -> None:
    """Edit entry `entry_id` and recompute every hash from it to the end: the chain verifies again in itself."""
    AuditEntry.objects.filter(pk=entry_id).update(**changes)
    prev = AuditEntry.objects.filter(id__lt=entry_id).order_by("-id").values_list("hash", flat=True).first() or GENESIS
    for entry in AuditEntry.objects.filter(id__gte=entry_id).order_by("id"):
        new = entry_hash(prev, entry)
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=prev, hash=new)
        prev = new
