"""A deployment's step plan: ordered steps (ship, store, install, configure, verify …) that practitioners tick off."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

MAX_STEP_MINUTES = 7 * 24 * 60  # a week: longer is a plan of its own


class StepStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class DeploymentStep(models.Model):
    """One step of a deployment's plan, copied from its stage's step template or added by hand; a skipped step
    says why (in `note`)."""

    deployment = models.ForeignKey("deployments.Deployment", on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expected_minutes = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=StepStatus.choices, default=StepStatus.PENDING)
    note = models.TextField(blank=True, help_text="What was done, or why the step was skipped.")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "deployments"
        ordering = ["deployment", "order", "id"]
        indexes = [models.Index(fields=["deployment", "order"], name="step_dep_order")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="skipped") | ~models.Q(note=""), name="step_skipped_with_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title} — {self.get_status_display()}"

    def clean(self):
        if self.expected_minutes is not None and not 1 <= self.expected_minutes <= MAX_STEP_MINUTES:
            raise ValidationError({"expected_minutes": f"Expected minutes are 1 to {MAX_STEP_MINUTES}."})
        if not (self.title or "").strip():
            raise ValidationError({"title": "Give the step a title."})
