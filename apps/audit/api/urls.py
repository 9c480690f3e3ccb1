"""Registers the audit trail's API resources on the v1 router (`audit-entries`, `audit-checkpoints`; read-only)."""

from apps.audit.api.checkpoints import AuditCheckpointViewSet
from apps.audit.api.views import AuditEntryViewSet


def register(router) -> None:
    router.register("audit-entries", AuditEntryViewSet, basename="audit-entry")
    router.register("audit-checkpoints", AuditCheckpointViewSet, basename="audit-checkpoint")
