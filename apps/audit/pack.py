"""The audit pack's trust files: the chain segment, the signed checkpoints, the public key and the offline verifier.

An audit pack (apps.reports.exports.audit_pack) covers a period and what its exporter may read. Its chain segment
`audit-chain.jsonl` runs from the first exported entry to the first signed checkpoint at or after the last one:
exported entries in full (every field their hash covers), the others by their hashes only, so the auditor can
recompute every link up to a signature without seeing entries they may not read. The manifest is signed too.
"""

import json
from importlib import resources

from django.db.models import Max, Min, QuerySet

from apps.audit import signing
from apps.audit.chain import entry_fields
from apps.audit.checkpoints import checkpoint_create
from apps.audit.models import AuditCheckpoint, AuditEntry
from apps.audit.offline import verify_pack as offline

CHAIN_FILE = offline.CHAIN_FILE
CHECKPOINTS_FILE = offline.CHECKPOINTS_FILE
PUBLIC_KEY_FILE = offline.PUBLIC_KEY_FILE
VERIFIER_FILE = "verify_pack.py"
MANIFEST_FILE = offline.MANIFEST_FILE
MANIFEST_SIGNATURE_FILE = offline.MANIFEST_SIGNATURE_FILE


def pack_checkpoint() -> AuditCheckpoint:
    """Every audit pack signs the head first, so the pack's entries reach a checkpoint made for it."""
    return checkpoint_create(reason="audit-pack")


def chain_segment(*, exported: QuerySet[AuditEntry], head: AuditCheckpoint):
    """(lines of audit-chain.jsonl, the checkpoints inside the segment) for the exported entries up to `head`."""
    bounds = exported.filter(id__lte=head.last_entry or 0).aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return iter(()), []
    signed = AuditCheckpoint.objects.filter(key_id=head.key_id)  # a pack carries one public key
    anchor = signed.filter(last_entry__gte=bounds["hi"]).order_by("last_entry", "id").first() or head
    checkpoints = list(signed.filter(last_entry__gte=bounds["lo"], last_entry__lte=anchor.last_entry).order_by("id"))

    def lines():
        visible = (
            exported.filter(id__gte=bounds["lo"], id__lte=bounds["hi"]).order_by("id").values_list("id", flat=True)
        )
        visible_ids = iter(visible.iterator(chunk_size=2000))
        next_visible = next(visible_ids, None)
        rows = AuditEntry.objects.filter(id__gte=bounds["lo"], id__lte=anchor.last_entry).order_by("id")
        for entry in rows.iterator(chunk_size=2000):
            while next_visible is not None and next_visible < entry.pk:
                next_visible = next(visible_ids, None)
            line = {"id": entry.pk, "prev_hash": entry.prev_hash, "hash": entry.hash}
            if entry.pk == next_visible:
                line["fields"] = entry_fields(entry)
            yield json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"

    return lines(), checkpoints


def checkpoints_json(checkpoints: list[AuditCheckpoint]) -> str:
    return json.dumps([c.signed_dict() for c in checkpoints], indent=1) + "\n"


def verifier_source() -> bytes:
    return resources.files("apps.audit.offline").joinpath("verify_pack.py").read_bytes()


def public_key_pem() -> bytes:
    return signing.public_key_pem()


def manifest_signature(manifest: bytes) -> str:
    """The JSON of MANIFEST.sha256.sig: the key id and the Ed25519 signature of the manifest."""
    return json.dumps(
        {"key_id": signing.public_key_id(), "signature": signing.sign(signing.manifest_message(manifest))}
    )
