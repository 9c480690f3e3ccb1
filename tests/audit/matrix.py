"""Permission-matrix rows of the audit trail: its page (read, verify), the audit-entries and audit-checkpoints API."""

from tests.matrix import api, page

AUDITORS = {"manager": 200, "auditor": 200, "admin": 200}
EXPORTERS = {"practitioner": 403, "norole": 403}  # owners read the entries of their services


def _audit_entry(w):
    from apps.audit.models import AuditEntry

    return AuditEntry.objects.filter(service_id=w.service.pk).order_by("id").first()


def _checkpoint(w):
    from apps.audit.checkpoints import checkpoint_create
    from apps.audit.models import AuditCheckpoint

    return AuditCheckpoint.objects.order_by("id").first() or checkpoint_create(ship=False)


ROWS = [
    page("/audit/", default=403, **AUDITORS),
    page("/audit/", method="post", default=403, manager=302, auditor=302, admin=302, name="POST /audit/ verify"),
    api("/api/v1/audit-entries/", **EXPORTERS),
    api(lambda w: f"/api/v1/audit-entries/{_audit_entry(w).pk}/", name="GET audit entry", **EXPORTERS),
    # checkpoints describe the whole chain: for readers of all of it (managers, auditors), not service owners
    api("/api/v1/audit-checkpoints/", default=403, **AUDITORS),
    api(
        lambda w: f"/api/v1/audit-checkpoints/{_checkpoint(w).pk}/",
        name="GET audit checkpoint",
        default=403,
        **AUDITORS,
    ),
]
