"""Permission-matrix rows of the audit trail: its page (read, verify) and the audit-entries API."""

from tests.matrix import api, page

AUDITORS = {"manager": 200, "auditor": 200, "admin": 200}
EXPORTERS = {"practitioner": 403, "norole": 403}  # owners read the entries of their services


def _audit_entry(w):
    from apps.audit.models import AuditEntry

    return AuditEntry.objects.filter(service_id=w.service.pk).order_by("id").first()


ROWS = [
    page("/audit/", default=403, **AUDITORS),
    page("/audit/", method="post", default=403, manager=302, auditor=302, admin=302, name="POST /audit/ verify"),
    api("/api/v1/audit-entries/", **EXPORTERS),
    api(lambda w: f"/api/v1/audit-entries/{_audit_entry(w).pk}/", name="GET audit entry", **EXPORTERS),
]
