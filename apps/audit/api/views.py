"""API of the audit trail: `audit-entries`, read-only, scoped like the audit-trail export."""

from django.core.exceptions import ValidationError
from rest_framework import permissions, serializers, viewsets

from apps.audit.models import AUDIT_ENTRY_COLUMNS, AuditEntry
from apps.audit.selectors import audit_entry_list, audit_entry_may_read
from apps.core.api.pagination import NewestFirstCursorPagination


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [*AUDIT_ENTRY_COLUMNS[:2], "actor", *AUDIT_ENTRY_COLUMNS[2:]]
        read_only_fields = fields


class AuditEntryPagination(NewestFirstCursorPagination):
    """Keyset paging by id: constant cost on the ten-thousandth page of millions of entries."""

    max_page_size = 500


class CanReadAuditTrail(permissions.BasePermission):
    message = "Only deployment managers, auditors and service or product owners may read the audit trail."

    def has_permission(self, request, view) -> bool:
        return audit_entry_may_read(request.user)


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """Audit entries (newest first); filters object_type, object_id, actor, channel, action, service, from, to."""

    queryset = AuditEntry.objects.none()
    serializer_class = AuditEntrySerializer
    permission_classes = [permissions.IsAuthenticated, CanReadAuditTrail]
    pagination_class = AuditEntryPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditEntry.objects.none()
        params = self.request.query_params.copy()
        for key in ("cursor", "page_size"):
            params.pop(key, None)
        try:
            return audit_entry_list(user=self.request.user, params=params)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
