"""What inbound calls leave behind so that a retry or a replay is recognised: the API's idempotency keys and the
hook deliveries."""

from django.conf import settings
from django.db import models

from apps.deployments.models.deployment import Deployment


class IdempotencyKey(models.Model):
    """Remembers an API client's `Idempotency-Key` so a retried create returns the first result."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")]

    def __str__(self) -> str:
        return self.key


class HookSource(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"


class HookDelivery(models.Model):
    """An inbound deployment event whose signature or token verified: kept so a replayed delivery id is refused,
    with what became of it (applied, or refused and why)."""

    source = models.CharField(max_length=10, choices=HookSource.choices)
    delivery_id = models.CharField(max_length=100)
    event = models.CharField(max_length=50, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    deployment = models.ForeignKey(Deployment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status_code = models.PositiveSmallIntegerField(default=0)
    outcome = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "delivery_id"], name="unique_hook_delivery")]
        verbose_name_plural = "hook deliveries"
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.delivery_id}"
