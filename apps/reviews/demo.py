"""Demo reviews for `make run`: a completed review with findings and initiatives, one due, one overdue."""

import datetime as dt

from django.utils import timezone

from apps.deployment_models.models import DeploymentModel, ModelStatus
from apps.reviews.analysis import compute_analysis
from apps.reviews.models import (
    ImprovementInitiative,
    InitiativeStatus,
    ModelReview,
    ReviewDecision,
    ReviewKind,
    ReviewStatus,
)

COMPLETED_REASON = "Demo: review after the first months of use."
OVERDUE_REASON = "Demo: ad hoc review asked for by the service owners."


def seed(users: dict) -> None:
    """Idempotent: each demo review is found by its model, kind and reason (or period) before it is made."""
    models = list(DeploymentModel.objects.filter(status=ModelStatus.ACTIVE).order_by("name", "pk")[:2])
    if not models:
        return
    manager = users.get("manager")
    people = [users[k] for k in ("serviceowner", "productowner", "practitioner") if k in users]
    today = timezone.localdate()
    model = models[0]

    start, end = today - dt.timedelta(days=180), today - dt.timedelta(days=91)
    done, made = ModelReview.objects.get_or_create(
        model=model,
        kind=ReviewKind.AD_HOC,
        reason=COMPLETED_REASON,
        defaults={
            "period_start": start,
            "period_end": end,
            "due_date": end + dt.timedelta(days=14),
            "facilitator": manager,
            "status": ReviewStatus.COMPLETED,
            "analysis": compute_analysis(model=model, start=start, end=end),
            "findings": "Most deployments finished on time. Two production deployments needed a manual database "
            "step that the model does not describe; one of them was rolled back.",
            "lessons_learnt": "Rehearse the rollback before each production window; put schema changes in the plan.",
            "decision": ReviewDecision.KEEP,
            "started_at": timezone.now() - dt.timedelta(days=75),
            "completed_at": timezone.now() - dt.timedelta(days=74),
        },
    )
    if made:
        done.participants.set(people)
        ImprovementInitiative.objects.create(
            review=done,
            title="Add the database migration step to the production stage's entry criteria",
            owner=manager,
            status=InitiativeStatus.DONE,
            change_request_ref="CHG-1042",
            closed_at=timezone.now() - dt.timedelta(days=40),
        )
        ImprovementInitiative.objects.create(
            review=done,
            title="Automate the rollback rehearsal in the staging pipeline",
            owner=users.get("practitioner"),
            status=InitiativeStatus.IN_PROGRESS,
            change_request_ref="CHG-1077",
        )

    due, made = ModelReview.objects.get_or_create(
        model=model,
        kind=ReviewKind.SCHEDULED,
        period_start=today - dt.timedelta(days=90),
        period_end=today - dt.timedelta(days=1),
        defaults={"due_date": today + dt.timedelta(days=10), "facilitator": manager, "reason": "Quarterly review."},
    )
    if made:
        due.participants.set(people)

    other = models[-1]
    overdue, made = ModelReview.objects.get_or_create(
        model=other,
        kind=ReviewKind.AD_HOC,
        reason=OVERDUE_REASON,
        defaults={
            "period_start": today - dt.timedelta(days=60),
            "period_end": today - dt.timedelta(days=8),
            "due_date": today - dt.timedelta(days=5),
            "facilitator": manager,
        },
    )
    if made:
        overdue.participants.set(people[:1])
