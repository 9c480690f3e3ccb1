"""Verify the whole audit trail: the archives, the chain in the table, and both against the signed checkpoints."""

from dataclasses import dataclass

from apps.audit.archive import archives_verify
from apps.audit.chain import audit_verify
from apps.audit.checkpoints import checkpoint_verify, received_as_checkpoints
from apps.audit.models import AuditArchive, AuditCheckpoint


@dataclass
class TrailResult:
    ok: bool
    checked: int
    checkpoints: int
    first_broken_id: int | None = None
    reason: str = ""
    by_checkpoint: bool = False  # the chain holds in itself but no longer reaches a signed checkpoint
    received: int = 0  # checkpoints received off the server that hold too

    @property
    def summary(self) -> str:
        """What broke, for the command and the page (after "the audit chain breaks at entry #N …: ")."""
        if self.by_checkpoint:
            return f"{self.reason}."
        return f"{self.reason}. {self.checked} entries before it verified."


def audit_trail_verify(*, received: list[dict] | None = None) -> TrailResult:
    """The archives (apps.audit.archive), the chain in the table linked to them (apps.audit.chain.audit_verify), then
    the whole chain against the signed checkpoints: the table's, and those `received` off the server (dicts, as
    apps.audit.offline.verify_pack.received_checkpoints reads them), which whoever holds the database cannot delete."""
    checkpoints = AuditCheckpoint.objects.count()
    archived_count, _, last_hash = AuditArchive.totals()
    archived = {}
    if archived_count:
        also = {c.get("last_entry") for c in received or ()} - {None}
        problem, archived = archives_verify(also=also)
        if problem:
            return TrailResult(False, 0, checkpoints, problem.entry_id, problem.reason, by_checkpoint=True)
    chain = audit_verify(start=last_hash)
    if not chain.ok:
        return TrailResult(False, chain.checked, checkpoints, chain.first_broken_id, chain.reason)
    problem = checkpoint_verify(archived=archived) if checkpoints else None
    if problem is None and received:
        problem = checkpoint_verify(archived=archived, checkpoints=received_as_checkpoints(received))
    if problem:
        return TrailResult(False, chain.checked, checkpoints, problem.entry_id, problem.reason, by_checkpoint=True)
    return TrailResult(True, chain.checked + archived_count, checkpoints, received=len(received or []))
