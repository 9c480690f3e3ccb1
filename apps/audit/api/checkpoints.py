"""API of the signed checkpoints: `audit-checkpoints`, read-only, for those who read the whole audit trail."""

from rest_framework import permissions, serializers, viewsets

from apps.audit.models import AuditCheckpoint
from apps.audit.selectors import audit_checkpoint_list, audit_checkpoint_may_read


class AuditCheckpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditCheckpoint
        fields = ["id", "at", "last_entry", "entry_count", "head_hash", "signature", "key_id"]
        read_only_fields = fields


class CanReadCheckpoints(permissions.BasePermission):
    message = "Only deployment managers and auditors may read the audit checkpoints."

    def has_permission(self, request, view) -> bool:
        return audit_checkpoint_may_read(request.user)


class AuditCheckpointViewSet(viewsets.ReadOnlyModelViewSet):
    """Signed checkpoints of the audit chain, newest first (verify them with the public key of the audit pack)."""

    queryset = AuditCheckpoint.objects.none()
    serializer_class = AuditCheckpointSerializer
    permission_classes = [permissions.IsAuthenticated, CanReadCheckpoints]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditCheckpoint.objects.none()
        return audit_checkpoint_list(user=self.request.user)
