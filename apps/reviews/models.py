"""Reviews of deployment models (the practice's "models development and review" process) and their outputs."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from apps.deployment_models.models import DeploymentModel


class ReviewKind(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    FAILURE = "failure", "After a failure"
    AD_HOC = "ad_hoc", "Ad hoc"


class ReviewStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class ReviewDecision(models.TextChoices):
    KEEP = "keep", "Keep"
    UPDATE = "update", "Update"
    RETIRE = "retire", "Retire"


class ModelReview(models.Model):
    """A review of one deployment model over a period, meeting on a stored analysis of its records."""

    model = models.ForeignKey(DeploymentModel, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(max_length=10, choices=ReviewKind.choices, default=ReviewKind.SCHEDULED)
    status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.PLANNED, db_index=True)
    period_start = models.DateField()
    period_end = models.DateField()
    due_date = models.DateField(db_index=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="facilitated_reviews"
    )
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="reviews", blank=True)
    trigger_deployment = models.ForeignKey(
        "deployments.Deployment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    analysis = models.JSONField(default=dict, blank=True)
    findings = models.TextField(blank=True)
    lessons_learnt = models.TextField(blank=True)
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices, blank=True)
    new_model_version = models.ForeignKey(
        DeploymentModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="created_by_reviews"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # the communication to the stakeholders of the services using the model, sent once after an update or retire
    outcome_notified_at = models.DateTimeField(null=True, blank=True)
    outcome_recipients = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            # never two scheduled reviews for the same model and period, however often the task runs
            models.UniqueConstraint(
                fields=["model", "period_start", "period_end"],
                condition=models.Q(kind="scheduled"),
                name="one_scheduled_review_per_period",
            ),
            # one open failure review per model at a time
            models.UniqueConstraint(
                fields=["model"],
                condition=models.Q(kind="failure") & ~models.Q(status="completed"),
                name="one_open_failure_review",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} review of {self.model} ({self.period_start}–{self.period_end})"

    def clean(self):
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The period must end on or after its start."})

    @property
    def is_open(self) -> bool:
        return self.status != ReviewStatus.COMPLETED

    def is_overdue(self, today=None) -> bool:
        from django.utils import timezone

        return self.is_open and self.due_date < (today or timezone.localdate())


class InitiativeStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


class ImprovementInitiative(models.Model):
    """An improvement that came out of a review, tracked to closure."""

    review = models.ForeignKey(ModelReview, on_delete=models.CASCADE, related_name="initiatives")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="initiatives"
    )
    status = models.CharField(max_length=12, choices=InitiativeStatus.choices, default=InitiativeStatus.PROPOSED)
    change_request_ref = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in (InitiativeStatus.DONE, InitiativeStatus.DROPPED)
