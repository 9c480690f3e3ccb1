"""The append-only timeline of a deployment."""

from django.conf import settings
from django.db import models

from apps.deployments.models.deployment import Channel, Deployment


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    TRANSITION = "transition", "Transition"
    APPROVAL = "approval", "Approval"
    CHECK = "check", "Check"
    COMMENT = "comment", "Comment"
    OVERRIDE = "override", "Override"
    COMMUNICATION = "communication", "Communication"
    ASSIGNMENT = "assignment", "Assignment"
    INCIDENT = "incident", "Incident"
    PROBLEM = "problem", "Problem"
    FEEDBACK = "feedback", "Feedback"
    RELEASE = "release", "Release"
    STEP = "step", "Step"
    PILOT = "pilot", "Pilot run confirmed"


class AppendOnlyError(Exception):
    pass


class DeploymentEvent(models.Model):
    """The append-only timeline of a deployment: transitions, comments, checks, approvals, communications."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    token_name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    comment = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["deployment", "at", "id"], name="event_dep_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.from_status}→{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("force_append_only_bypass", False):
            raise AppendOnlyError("Deployment events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Deployment events are append-only.")
