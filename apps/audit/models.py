"""The tamper-evident audit log: every change to every record, each entry hashed and chained to the previous."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One change to one record: who, when, through which channel, what changed; `hash` chains to the previous."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=10)
    action = models.CharField(max_length=20)  # created, changed, deleted, transition, ...
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    service_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, help_text="Scopes the entry to a service."
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        db_table = "reports_auditentry"  # created by the reports app, where the chain began; never copied
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        permissions = [("view_audit", "Can view and verify the audit trail")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_repr}"
