"""The record of a model's activation or retirement announced to the owners of the services that use it."""

from django.db import models

from apps.deployment_models.models.deployment_model import DeploymentModel


class ModelAnnouncement(models.Model):
    """A model's activation or retirement announced to the owners of the services that use it: sent once per model
    and event (the worker's record of who was told)."""

    class Kind(models.TextChoices):
        ACTIVATED = "activated", "Activated"
        RETIRED = "retired", "Retired"

    model = models.ForeignKey(DeploymentModel, on_delete=models.CASCADE, related_name="announcements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list, blank=True)
    services = models.JSONField(default=list, blank=True, help_text="Names of the services whose owners were told.")

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["model", "kind"], name="one_announcement_per_model_event")]

    def __str__(self) -> str:
        return f"{self.model} {self.get_kind_display().lower()}: {len(self.recipients)} told"
