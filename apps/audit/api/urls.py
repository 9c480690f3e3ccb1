"""Registers the audit trail's API resource on the v1 router (`audit-entries`, read-only)."""

from apps.audit.api.views import AuditEntryViewSet


def register(router) -> None:
    router.register("audit-entries", AuditEntryViewSet, basename="audit-entry")
