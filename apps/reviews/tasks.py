"""Background work of reviews (django-q2): plan scheduled reviews, open failure reviews, remind, communicate.

Every task is idempotent: run twice, it does its work once (the database constraints back that up)."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from apps.core import outbound
from apps.core.mail_outbox import mail_queue
from apps.deployment_models.models import DeploymentModel, ModelStatus
from apps.deployments.models import Deployment
from apps.deployments.workflow import UNSUCCESSFUL
from apps.environments.models import EnvironmentKind
from apps.reviews import services
from apps.reviews.analysis import failure_rate
from apps.reviews.models import ModelReview, ReviewDecision, ReviewKind, ReviewStatus

log = logging.getLogger(__name__)

LOOKBACK_DAYS = 90


def failure_threshold() -> float:
    return float(getattr(settings, "DEPLOYDESK_FAILURE_REVIEW_THRESHOLD", 0.2))


def review_url(review: ModelReview) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/reviews/{review.pk}/"


def schedule_quarterly_reviews() -> int:
    """Daily: plan the scheduled review each active model needs (by its review interval); never two per period."""
    created = services.review_schedule_due()
    for review in created:
        log.info("Planned %s", review)
    return len(created)


def _covered_until(model_id: int) -> dt.datetime | None:
    """When the model's latest failure review was opened: failures before that were already reviewed."""
    return (
        ModelReview.objects.filter(model_id=model_id, kind=ReviewKind.FAILURE).aggregate(at=Max("created_at")).get("at")
    )


def _rate_exceeded(model: DeploymentModel, today: dt.date) -> tuple[bool, float | None]:
    _, _, rate = failure_rate(model=model, start=today - dt.timedelta(days=LOOKBACK_DAYS), end=today)
    return rate is not None and rate > failure_threshold(), rate


def _consider(model: DeploymentModel, deployment: Deployment, failed_at: dt.datetime) -> ModelReview | None:
    """Open a failure review for this failure unless it is already covered; the model's open failure review (None
    when there is none and none is warranted)."""
    covered = _covered_until(model.pk)
    if covered is not None and failed_at <= covered:
        return model.reviews.filter(kind=ReviewKind.FAILURE).exclude(status=ReviewStatus.COMPLETED).first()
    today = timezone.localdate()
    if deployment.environment.kind == EnvironmentKind.PRODUCTION:
        reason = f"{deployment.reference} {deployment.get_status_display().lower()} in production."
    else:
        exceeded, rate = _rate_exceeded(model, today)
        if not exceeded:
            return None
        reason = (
            f"Failure rate {rate:.0%} over the last {LOOKBACK_DAYS} days exceeds {failure_threshold():.0%} "
            f"(latest: {deployment.reference} in {deployment.environment})."
        )
    review, opened = services.review_open_for_failure(model=model, deployment=deployment, reason=reason, today=today)
    if opened:
        log.info("Opened %s: %s", review, reason)
    return review


def on_deployment_failed(deployment_id: int) -> int | None:
    """Called after a deployment fails or is rolled back: opens the model's failure review when the deployment
    was in production or the model's 90-day failure rate exceeds DEPLOYDESK_FAILURE_REVIEW_THRESHOLD.
    Returns the id of the model's open failure review, if any."""
    failed = Deployment.objects.filter(pk=deployment_id, status__in=UNSUCCESSFUL)
    deployment = failed.select_related("model", "environment").first()
    if deployment is None or deployment.model is None or deployment.model.status == ModelStatus.RETIRED:
        return None
    review = _consider(deployment.model, deployment, deployment.actual_end or deployment.updated_at)
    return review.pk if review else None


def open_failure_reviews() -> int:
    """Hourly sweep (catches failures whose hook did not run): for each model with failures in the last 90 days
    not yet covered by a failure review, open one when a failure was in production or the rate is over the
    threshold. Returns how many were opened."""
    since = timezone.now() - dt.timedelta(days=LOOKBACK_DAYS)
    latest = (
        Deployment.objects.filter(status__in=UNSUCCESSFUL, model__status__in=[ModelStatus.ACTIVE, ModelStatus.PILOT])
        .filter(Q(actual_end__gte=since) | Q(actual_end__isnull=True, updated_at__gte=since))
        .values("model_id")
        .annotate(last_prod=Max("actual_end", filter=Q(environment__kind=EnvironmentKind.PRODUCTION)), last=Max("pk"))
    )
    opened = 0
    for row in latest:
        before = ModelReview.objects.filter(model_id=row["model_id"], kind=ReviewKind.FAILURE).count()
        base = Deployment.objects.select_related("model", "environment").filter(
            model_id=row["model_id"], status__in=UNSUCCESSFUL
        )
        prod = (
            base.filter(environment__kind=EnvironmentKind.PRODUCTION, actual_end=row["last_prod"]).first()
            if row["last_prod"]
            else None
        )
        deployment = prod or base.get(pk=row["last"])
        _consider(deployment.model, deployment, deployment.actual_end or deployment.updated_at)
        opened += ModelReview.objects.filter(model_id=row["model_id"], kind=ReviewKind.FAILURE).count() - before
    return opened


def remind_overdue_reviews() -> int:
    """Daily (or more often): e-mail the facilitator of each overdue review, at most once per day per review (the
    reminder is claimed and its message queued in the mail outbox in one transaction)."""
    now = timezone.now()
    today = timezone.localdate()
    start_of_day = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    not_today = Q(reminded_at__isnull=True) | Q(reminded_at__lt=start_of_day)
    overdue = (
        ModelReview.objects.exclude(status=ReviewStatus.COMPLETED)
        .filter(due_date__lt=today, facilitator__isnull=False, facilitator__is_active=True)
        .exclude(facilitator__email="")
        .filter(not_today)
        .select_related("model", "facilitator")
    )
    sent = 0
    for review in overdue:
        with transaction.atomic():
            # claim the reminder first: a second worker (or a second run) finds it taken and sends nothing
            if not ModelReview.objects.filter(pk=review.pk).filter(not_today).update(reminded_at=now):
                continue
            days = (today - review.due_date).days
            mail_queue(
                subject=f"Overdue review: {review.model} (due {review.due_date:%Y-%m-%d})",
                body=f"The {review.get_kind_display().lower()} review of {review.model} that you facilitate was due "
                f"{days} day(s) ago and is {review.get_status_display().lower()}.\n\n{review_url(review)}\n",
                to=[review.facilitator.email],
                key=f"review-overdue-{review.pk}-{today:%Y%m%d}",
            )
            due_key = f"review.due:{review.pk}:{review.due_date}"  # announced once per due date
            outbound.publish_on_commit("review.due", object_id=review.pk, key=due_key)
            sent += 1
    return sent


def notify_review_outcome(review_id: int) -> list[str]:
    """Tell the owners and product owners of the services that deployed under the model that it was updated or
    retired. Sent once: the review records when and to whom, in the transaction that queues the message."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    with transaction.atomic():
        review = (
            ModelReview.objects.select_for_update(of=("self",))
            .select_related("model", "new_model_version")
            .filter(pk=review_id, status=ReviewStatus.COMPLETED, outcome_notified_at__isnull=True)
            .first()
        )
        if review is None or review.decision not in (ReviewDecision.UPDATE, ReviewDecision.RETIRE):
            return []
        model = review.model
        used = Q(owned_services__deployments__model=model) | Q(product_services__deployments__model=model)
        recipients = sorted(
            set(User.objects.filter(used, is_active=True).exclude(email="").values_list("email", flat=True))
        )
        if review.decision == ReviewDecision.UPDATE:
            new = review.new_model_version
            what = f"will be updated: a new version ({new}) is being prepared" if new else "will be updated"
        else:
            what = "is retired: new deployments can no longer use it"
        if recipients:
            mail_queue(
                subject=f"Deployment model {model}: {review.get_decision_display().lower()}",
                body=f"After its {review.get_kind_display().lower()} review, the deployment model {model} {what}.\n\n"
                f"Your services have been deployed under this model.\n\nFindings:\n{review.findings}\n\n"
                f"{review_url(review)}\n",
                to=recipients,
                key=f"review-outcome-{review.pk}",
            )
        review.outcome_notified_at, review.outcome_recipients = timezone.now(), recipients
        review.save(update_fields=["outcome_notified_at", "outcome_recipients"])
    return recipients
