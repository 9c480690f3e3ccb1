"""Retention: move the oldest entries into signed archive files, and verify the chain across the cut.

An archive holds a prefix of the chain as JSON lines (the same lines as an audit pack's `audit-chain.jsonl`), is
signed (Ed25519, over its range, its end hashes and the file's SHA-256) and is recorded by an `AuditArchive` row.
The entries left in the table link to the last archived hash, so the whole chain — archives then table — verifies
as one, and the checkpoints that signed an archived entry are checked against the archive.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit import signing
from apps.audit.chain import GENESIS, _lock_chain, entry_fields
from apps.audit.checkpoints import checkpoint_create
from apps.audit.models import AuditArchive, AuditCheckpoint, AuditEntry, AuditStreamCursor
from apps.audit.offline.verify_pack import canonical_json, entry_hash
from apps.audit.streaming import destination_key, stream_destination

ARCHIVE_PREFIX = b"deploydesk-audit-archive-v1\n"


class ArchiveRefused(Exception):
    """The entries cannot be archived yet (the message says why)."""


def _stream_gap(last_id: int) -> str:
    """Why entries up to `last_id` cannot leave the table yet ("" when they can): with a stream configured, the
    collector must have received them first (the stream reads the table; an archived entry would never reach it)."""
    url = stream_destination()
    if not url:
        return ""
    cursor = AuditStreamCursor.objects.filter(destination=destination_key(url)).first()
    streamed = cursor.last_entry if cursor else 0
    if streamed >= last_id:
        return ""
    return (
        f"entry #{streamed + 1} onwards has not reached the audit stream's collector ({destination_key(url)}) yet, "
        f"and archiving up to entry #{last_id} would keep it from ever getting there: archive once the stream has "
        "caught up, or choose an earlier date"
    )


def archive_dir() -> Path:
    return Path(getattr(settings, "AUDIT_ARCHIVE_DIR", "") or Path(settings.MEDIA_ROOT) / "audit-archives")


def _message(archive: AuditArchive) -> bytes:
    body = {
        "first_entry": archive.first_entry,
        "last_entry": archive.last_entry,
        "start_count": archive.start_count,
        "entry_count": archive.entry_count,
        "first_prev_hash": archive.first_prev_hash,
        "last_hash": archive.last_hash,
        "file_sha256": archive.file_sha256,
    }
    return ARCHIVE_PREFIX + canonical_json(body).encode()


@transaction.atomic
def audit_archive(*, before, batch: int = 5000) -> AuditArchive | None:
    """Archive every entry written before `before` (the oldest ones: a prefix of the chain) into a signed file and
    delete them from the table. Signs a checkpoint of the head first. None when nothing is that old; ArchiveRefused
    while a configured audit stream has not yet delivered them."""
    key = signing.signing_key()
    _lock_chain()
    last_id = AuditEntry.objects.filter(at__lt=before).order_by("-id").values_list("id", flat=True).first()
    if last_id is None:
        return None
    if gap := _stream_gap(last_id):
        raise ArchiveRefused(gap)
    checkpoint_create(reason="archive")
    start_count, _, _prev = AuditArchive.totals()
    first = AuditEntry.objects.order_by("id").first()
    directory = archive_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"audit-archive-{first.pk:012d}-{last_id:012d}.jsonl"
    digest = hashlib.sha256()
    count = 0
    first_prev = first.prev_hash
    with open(directory / name, "xb") as out:
        for entry in AuditEntry.objects.filter(id__lte=last_id).order_by("id").iterator(chunk_size=batch):
            line = {"id": entry.pk, "prev_hash": entry.prev_hash, "hash": entry.hash, "fields": entry_fields(entry)}
            data = (json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
            digest.update(data)
            out.write(data)
            count += 1
            last_hash = entry.hash
    archive = AuditArchive(
        created_at=timezone.now(),
        before=before,
        first_entry=first.pk,
        last_entry=last_id,
        start_count=start_count,
        entry_count=count,
        first_prev_hash=first_prev,
        last_hash=last_hash,
        file_name=name,
        file_sha256=digest.hexdigest(),
        key_id=signing.key_fingerprint(key.public_key()),
    )
    archive.signature = key.sign(_message(archive)).hex()
    archive.save()
    AuditEntry.objects.filter(id__lte=last_id).delete()
    return archive


@dataclass
class ArchiveProblem:
    entry_id: int | None
    reason: str


def archives_verify(
    *, public_key=None, also: set[int] = frozenset()
) -> tuple[ArchiveProblem | None, dict[int, tuple[int, str]]]:
    """Check every archive (file present, SHA-256, signature, each entry's hash, the link to the archive before).
    Returns the first problem, and the (position, hash) of archived entries named by checkpoints (the table's, and
    the entry ids in `also`: those of checkpoints received off the server)."""
    public_key = public_key or signing.public_key()
    wanted = set(AuditCheckpoint.objects.exclude(last_entry=None).values_list("last_entry", flat=True)) | set(also)
    found: dict[int, tuple[int, str]] = {}
    prev = GENESIS
    for archive in AuditArchive.objects.order_by("first_entry"):
        valid = signing.signature_valid(public_key, archive.signature, _message(archive))
        if archive.key_id != signing.key_fingerprint(public_key) or not valid:
            return ArchiveProblem(archive.first_entry, f"the signature of {archive.file_name} is not valid"), found
        path = archive_dir() / archive.file_name
        if not path.exists():
            return ArchiveProblem(archive.first_entry, f"the archive file {archive.file_name} is missing"), found
        if hashlib.sha256(path.read_bytes()).hexdigest() != archive.file_sha256:
            return ArchiveProblem(archive.first_entry, f"{archive.file_name} does not match its signed SHA-256"), found
        if archive.first_prev_hash != prev:
            return ArchiveProblem(archive.first_entry, "its link to the archive before does not match"), found
        position = archive.start_count
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                entry = json.loads(line)
                if entry["prev_hash"] != prev:
                    return ArchiveProblem(entry["id"], "its link to the previous entry does not match"), found
                if entry_hash(prev, entry["fields"]) != entry["hash"]:
                    return ArchiveProblem(entry["id"], "its content does not match its hash"), found
                prev = entry["hash"]
                position += 1
                if entry["id"] in wanted:
                    found[entry["id"]] = (position, entry["hash"])
    return None, found
