"""Signed checkpoints of the audit chain: make one, check the chain against them.

A checkpoint signs (head entry id, its hash, the number of entries, the time) with the audit signing key. The chain
alone proves only that nobody changed it without recomputing the hashes; the checkpoints, copies of which leave the
server (apps.audit.shipping), prove that the chain still reaches each head it once had: a truncated tail or a chain
rewritten with recomputed hashes no longer does.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.audit import signing
from apps.audit.chain import GENESIS, _lock_chain
from apps.audit.models import AuditArchive, AuditCheckpoint, AuditEntry
from apps.audit.shipping import checkpoint_ship_later


def _message(checkpoint: AuditCheckpoint) -> bytes:
    return signing.checkpoint_message(
        at=getattr(checkpoint, "signed_at", None) or checkpoint.at.isoformat(),  # a received one: its time as sent
        last_entry=checkpoint.last_entry,
        entry_count=checkpoint.entry_count,
        head_hash=checkpoint.head_hash,
    )


@transaction.atomic
def checkpoint_create(*, reason: str = "scheduled", ship: bool = True) -> AuditCheckpoint:
    """Sign the chain's current head. Takes the chain's lock so no entry is appended between reading the head and
    counting. Ships the checkpoint off the server after commit (when `ship`). ImproperlyConfigured without a key."""
    key = signing.signing_key()  # fail before writing anything when no key is configured
    _lock_chain()
    head = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
    last_entry, head_hash = head if head else (None, GENESIS)
    previous = AuditCheckpoint.objects.order_by("-id").first()
    if previous and previous.last_entry and last_entry and previous.last_entry <= last_entry:
        # count only the entries since the last checkpoint (constant cost on a long chain)
        count = previous.entry_count + AuditEntry.objects.filter(id__gt=previous.last_entry, id__lte=last_entry).count()
    else:
        count = AuditEntry.objects.count() + AuditArchive.totals()[0]
    checkpoint = AuditCheckpoint(
        at=timezone.now().replace(microsecond=0),
        last_entry=last_entry,
        entry_count=count,
        head_hash=head_hash,
        key_id=signing.key_fingerprint(key.public_key()),
        reason=reason[:20],
    )
    checkpoint.signature = key.sign(_message(checkpoint)).hex()
    checkpoint.save(force_insert=True)
    if ship:
        checkpoint_ship_later(checkpoint=checkpoint)
    return checkpoint


def received_as_checkpoints(received: list[dict]) -> list[AuditCheckpoint]:
    """Checkpoints received off the server (apps.audit.offline.verify_pack.received_checkpoints) as unsaved rows, to
    check the live chain against them as against the table's (marked `received`)."""
    rows = []
    for data in received:
        try:
            row = AuditCheckpoint(
                id=data.get("id"),
                at=dt.datetime.fromisoformat(str(data["at"]).replace("Z", "+00:00")),
                last_entry=data["last_entry"],
                entry_count=data["entry_count"],
                head_hash=data["head_hash"],
                signature=data["signature"],
                key_id=data.get("key_id") or "",
            )
        except (KeyError, TypeError, ValueError):
            continue
        row.received, row.signed_at = True, str(data["at"])
        rows.append(row)
    return rows


def _name(checkpoint: AuditCheckpoint) -> str:
    return f"checkpoint #{checkpoint.pk}" + (" (as received)" if getattr(checkpoint, "received", False) else "")


@dataclass
class CheckpointProblem:
    entry_id: int | None
    reason: str


def _archived_problem(checkpoint, archived, confirmed) -> CheckpointProblem | None:
    found = archived.get(checkpoint.last_entry)
    if found is None:
        return CheckpointProblem(checkpoint.last_entry, f"{_name(checkpoint)} signed it, but no archive has it")
    position, hash_ = found
    if hash_ != checkpoint.head_hash:
        after = f" after entry #{confirmed}, the last one a checkpoint confirms" if confirmed else ""
        return CheckpointProblem(
            checkpoint.last_entry,
            f"its archived hash is not the one {_name(checkpoint)} signed: the chain was rewritten{after}",
        )
    if position != checkpoint.entry_count:
        return CheckpointProblem(
            checkpoint.last_entry,
            f"{_name(checkpoint)} counted {checkpoint.entry_count} entries up to it, the archives {position}",
        )
    return None


def checkpoint_verify(
    *,
    public_key=None,
    archived: dict[int, tuple[int, str]] | None = None,
    checkpoints: Iterable[AuditCheckpoint] | None = None,
) -> CheckpointProblem | None:
    """The first checkpoint the chain no longer agrees with, named by its entry; None when all hold.

    Checks each signature (with the configured key, or `public_key`), that each checkpoint's entry is still there
    with the signed hash, and that the entries up to it still number the signed count. An entry moved to an archive
    is looked up in `archived` (id → (position in the chain, hash), from apps.audit.archive.archives_verify).
    `checkpoints`: check against these (e.g. received_as_checkpoints) instead of the table's."""
    archived = archived or {}
    archived_count, archived_last, _ = AuditArchive.totals()
    public_key = public_key or signing.public_key()
    key_id = signing.key_fingerprint(public_key)
    confirmed = None
    counted_to, count = archived_last, archived_count  # entries up to id `counted_to`, walking in chain order
    if checkpoints is None:
        checkpoints = AuditCheckpoint.objects.order_by("last_entry", "id").iterator()
    else:
        checkpoints = sorted(checkpoints, key=lambda c: (c.last_entry or 0, c.at))
    for checkpoint in checkpoints:
        if checkpoint.key_id != key_id or not signing.signature_valid(
            public_key, checkpoint.signature, _message(checkpoint)
        ):
            return CheckpointProblem(checkpoint.last_entry, f"{_name(checkpoint)}'s signature is not valid")
        if checkpoint.last_entry is None:
            continue
        if checkpoint.last_entry <= archived_last:
            problem = _archived_problem(checkpoint, archived, confirmed)
            if problem:
                return problem
            confirmed = checkpoint.last_entry
            continue
        row = AuditEntry.objects.filter(pk=checkpoint.last_entry).values_list("hash", flat=True).first()
        if row is None:
            tail = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
            return CheckpointProblem(
                checkpoint.last_entry,
                f"it is missing, though {_name(checkpoint)} signed it: the chain was truncated "
                f"(it now ends at entry #{tail})"
                if tail
                else "it is missing: the chain was truncated (it is empty)",
            )
        if row != checkpoint.head_hash:
            after = f" after entry #{confirmed}, the last one a checkpoint confirms" if confirmed else ""
            return CheckpointProblem(
                checkpoint.last_entry,
                f"its hash is not the one {_name(checkpoint)} signed: the chain was rewritten{after}",
            )
        count += AuditEntry.objects.filter(id__gt=counted_to, id__lte=checkpoint.last_entry).count()
        counted_to = checkpoint.last_entry
        if count != checkpoint.entry_count:
            return CheckpointProblem(
                checkpoint.last_entry,
                f"{_name(checkpoint)} counted {checkpoint.entry_count} entries up to it, the chain has {count}",
            )
        confirmed = checkpoint.last_entry
    return None
