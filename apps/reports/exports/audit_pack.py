"""The audit pack: a ZIP of the register, the audit trail, approvals, overrides and audit findings of a period, with a
signed manifest, the audit chain's segment, its signed checkpoints, the public key and the offline verifier
(apps.audit.pack)."""

import hashlib
import zipfile
from collections.abc import Iterable

from django.http import QueryDict

from apps.audit import pack
from apps.audit.filters import as_querydict, period_bounds
from apps.audit.models import AuditCheckpoint
from apps.audit.selectors import audit_entry_list
from apps.reports.exports.findings import (
    FINDING_EVENT_HEADER,
    FINDING_HEADER,
    finding_event_rows,
    finding_rows,
    pack_findings,
)
from apps.reports.exports.registers import (
    APPROVAL_HEADER,
    AUDIT_HEADER,
    DEPLOYMENT_HEADER,
    DEPLOYMENT_TEXT,
    OVERRIDE_HEADER,
    Progress,
    approval_rows,
    audit_rows,
    deployment_rows,
    export_deployments,
    override_rows,
)
from apps.reports.exports.writers import csv_chunks


def _pack_params(params) -> QueryDict:
    """The pack's period `from`–`to` also bounds the register (deployments planned in it)."""
    params = as_querydict(params).copy()
    start, end = period_bounds(params)
    if start and not params.get("planned_from"):
        params["planned_from"] = start.isoformat()
    if end and not params.get("planned_to"):
        params["planned_to"] = end.isoformat()
    return params


def _pack_audit(*, user, params, head: AuditCheckpoint | None):
    audit = audit_entry_list(user=user, params=params)
    return audit if head is None else audit.filter(id__lte=head.last_entry or 0)  # what the pack's checkpoint signed


def audit_pack_parts(
    *, user, params, head: AuditCheckpoint | None = None
) -> list[tuple[str, list[str], Iterable[tuple], list[int] | None]]:
    """The CSV files of an audit pack for the period `from`–`to` (and the register filters); with `head`, the audit
    trail stops at the checkpoint's entry."""
    params = _pack_params(params)
    deployments = export_deployments(user=user, params=params)
    audit = _pack_audit(user=user, params=params, head=head)
    findings = pack_findings(user=user, params=params)
    return [
        ("deployments.csv", DEPLOYMENT_HEADER, deployment_rows(deployments), DEPLOYMENT_TEXT),
        ("audit-trail.csv", AUDIT_HEADER, audit_rows(audit), None),
        ("approvals.csv", APPROVAL_HEADER, approval_rows(deployments), None),
        ("overrides.csv", OVERRIDE_HEADER, override_rows(deployments), None),
        ("audit-findings.csv", FINDING_HEADER, finding_rows(findings), None),
        ("audit-finding-history.csv", FINDING_EVENT_HEADER, finding_event_rows(findings), None),
    ]


def _write_member(archive: zipfile.ZipFile, name: str, chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    with archive.open(name, "w", force_zip64=True) as member:
        for data in chunks:
            digest.update(data)
            member.write(data)
    return f"{digest.hexdigest()}  {name}\n"


def write_audit_pack(path: str, *, user, params, progress: Progress = None) -> None:
    """A ZIP of the register, audit trail, approvals, overrides and findings; the chain segment, its signed checkpoints
    (one made for this pack), the public key and `verify_pack.py`; `MANIFEST.sha256` of the files and its signature."""
    head = pack.pack_checkpoint()
    parts = audit_pack_parts(user=user, params=params, head=head)
    manifest = []
    written = [0]  # rows of the files already in the archive, for the progress bar

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, header, rows, text_columns in parts:
            digest = hashlib.sha256()
            last = [0]

            def step(n, last=last):
                last[0] = n
                if progress:
                    progress(written[0] + n)

            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in csv_chunks(header, rows, step, text_columns=text_columns):
                    data = chunk.encode()
                    digest.update(data)
                    member.write(data)
            written[0] += last[0]
            manifest.append(f"{digest.hexdigest()}  {name}\n")
        lines, checkpoints = pack.chain_segment(
            exported=_pack_audit(user=user, params=_pack_params(params), head=head), head=head
        )
        trust = [
            (pack.CHAIN_FILE, (line.encode() for line in lines)),
            (pack.CHECKPOINTS_FILE, [pack.checkpoints_json(checkpoints or [head]).encode()]),
            (pack.PUBLIC_KEY_FILE, [pack.public_key_pem()]),
            (pack.VERIFIER_FILE, [pack.verifier_source()]),
        ]
        for name, chunks in trust:
            manifest.append(_write_member(archive, name, chunks))
        text = "".join(manifest).encode()
        archive.writestr(pack.MANIFEST_FILE, text)
        archive.writestr(pack.MANIFEST_SIGNATURE_FILE, pack.manifest_signature(text))


def audit_pack_size(*, user, params) -> int:
    """Rows an audit pack will hold (deployments and audit entries), to decide whether to go to the background."""
    params = _pack_params(params)
    return export_deployments(user=user, params=params).count() + audit_entry_list(user=user, params=params).count()
