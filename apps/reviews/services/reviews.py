"""Every write to model reviews, with the rules of the review process (initiatives: services/initiatives.py).

Rules kept here (DESIGN.md §1, §2 "Reviews"):
- Deployment managers run reviews: create, start, record findings, lessons and the decision, complete, and create
  and change initiatives. Service owners, product owners and practitioners take part: they read every review and,
  when listed as participants, add notes to the findings of a review in progress (`review_add_note`). Auditors
  read. The owner of an initiative may update it (status, change request, description), not reassign it.
- planned → in_progress (start: the records analysis is computed and stored) → completed (a decision and findings
  are required). A completed review is frozen; its initiatives stay open until they are done or dropped.
- Completing with "update" makes a new draft version of the model (or links the draft already pending); "retire"
  retires the model. Either way the stakeholders of the services that used the model are told, after commit,
  by a background task.
- Never two scheduled reviews of a model for the same period; one open failure review per model at a time.
"""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from apps.audit.context import audited
from apps.core.exceptions import ConflictError
from apps.core.permissions import require, user_can
from apps.core.services import model_save, reject_unknown
from apps.deployment_models.models import DeploymentModel, ModelStatus
from apps.deployment_models.services import model_new_version, model_retire
from apps.reviews.analysis import compute_analysis
from apps.reviews.models import (
    ModelReview,
    ReviewDecision,
    ReviewKind,
    ReviewStatus,
)

ADD = "reviews.add_modelreview"
RUN = "reviews.change_modelreview"
VIEW = "reviews.view_modelreview"

REVIEWABLE = (ModelStatus.ACTIVE, ModelStatus.PILOT)
SCHEDULED_LEAD_DAYS = 14  # a scheduled review appears this long before it is due
FAILURE_PERIOD_DAYS = 90  # a failure review analyses the last 90 days
FAILURE_DUE_DAYS = 14
MAX_NOTE = 5000

REVIEW_FIELDS = {
    "findings",
    "lessons_learnt",
    "decision",
    "facilitator",
    "participants",
    "due_date",
    "period_start",
    "period_end",
    "reason",
}
RECORD_FIELDS = {"findings", "lessons_learnt", "decision"}  # what the meeting records: only while in progress
PLAN_FIELDS = {"period_start", "period_end"}  # the analysed period: only before the analysis is computed


def _lock(review: ModelReview) -> ModelReview:
    return ModelReview.objects.select_for_update().select_related("model").get(pk=review.pk)


def _clash() -> ConflictError:  # a concurrent write won the race for a unique review
    return ConflictError("An equivalent review was saved at the same time.", code="duplicate_review")


def _save(obj) -> None:
    model_save(obj, clash=_clash)


def _check_people(*, facilitator, participants) -> None:
    errors = {}
    if facilitator is not None and not user_can(facilitator, RUN):
        errors["facilitator"] = f"{facilitator} cannot run reviews: the facilitator must be a deployment manager."
    if bad := [str(p) for p in participants or [] if not user_can(p, VIEW)]:
        errors["participants"] = f"No role that takes part in reviews: {', '.join(bad)}."
    if errors:
        raise ValidationError(errors)


def _check_unique(review: ModelReview) -> None:
    others = ModelReview.objects.filter(model_id=review.model_id).exclude(pk=review.pk)
    if (
        review.kind == ReviewKind.SCHEDULED
        and others.filter(
            kind=ReviewKind.SCHEDULED, period_start=review.period_start, period_end=review.period_end
        ).exists()
    ):
        raise ConflictError(
            f"{review.model} already has a scheduled review of {review.period_start}–{review.period_end}.",
            code="duplicate_review",
        )
    if (
        review.kind == ReviewKind.FAILURE
        and review.status != ReviewStatus.COMPLETED
        and others.filter(kind=ReviewKind.FAILURE).exclude(status=ReviewStatus.COMPLETED).exists()
    ):
        raise ConflictError(f"{review.model} already has an open failure review.", code="duplicate_review")


# --- reviews --------------------------------------------------------------------------------------------------


@audited
@transaction.atomic
def review_create(
    *,
    actor,
    model: DeploymentModel,
    kind: str = ReviewKind.AD_HOC,
    period_start: dt.date,
    period_end: dt.date,
    due_date: dt.date,
    facilitator=None,
    participants=(),
    reason: str = "",
) -> ModelReview:
    """Plan a review of an active or pilot model; the facilitator defaults to the actor."""
    require(actor, ADD)
    if not isinstance(model, DeploymentModel):
        raise ValidationError({"model": "Choose a deployment model."})
    if model.status not in REVIEWABLE:
        raise ValidationError(
            {"model": f"{model} is {model.get_status_display().lower()}: only active or pilot models are reviewed."}
        )
    facilitator = facilitator or actor
    _check_people(facilitator=facilitator, participants=participants)
    review = ModelReview(
        model=model,
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        due_date=due_date,
        facilitator=facilitator,
        reason=reason or "",
    )
    review.full_clean(validate_constraints=False)
    _check_unique(review)
    _save(review)
    review.participants.set(participants or [])
    return review


@audited
@transaction.atomic
def review_update(*, review: ModelReview, actor, **fields) -> ModelReview:
    """Change a review that is not completed: its plan while planned, what it records while in progress."""
    require(actor, RUN)
    reject_unknown(fields, REVIEW_FIELDS)
    locked = _lock(review)
    if locked.status == ReviewStatus.COMPLETED:
        raise ConflictError("The review is completed: it cannot be changed.", code="review_completed")
    changed = {k for k, v in fields.items() if k != "participants" and getattr(locked, k) != v}
    if changed & RECORD_FIELDS and locked.status != ReviewStatus.IN_PROGRESS:
        raise ConflictError("Start the review before recording findings, lessons or a decision.", code="not_started")
    if changed & PLAN_FIELDS and locked.status != ReviewStatus.PLANNED:
        raise ConflictError("The period was analysed when the review started: it cannot change.", code="started")
    participants = fields.pop("participants", None)
    _check_people(facilitator=fields.get("facilitator"), participants=participants)
    for key, value in fields.items():
        setattr(locked, key, "" if value is None and key in RECORD_FIELDS | {"reason"} else value)
    locked.full_clean(validate_constraints=False)
    _check_unique(locked)
    _save(locked)
    if participants is not None:
        locked.participants.set(participants)
    return locked


@audited
@transaction.atomic
def review_start(*, review: ModelReview, actor) -> ModelReview:
    """Planned → in progress: compute and store the records analysis of the model over the period."""
    require(actor, RUN)
    locked = _lock(review)
    if locked.status != ReviewStatus.PLANNED:
        raise ConflictError(f"The review is {locked.get_status_display().lower()}: it cannot start.", code="started")
    locked.analysis = compute_analysis(model=locked.model, start=locked.period_start, end=locked.period_end)
    locked.status, locked.started_at = ReviewStatus.IN_PROGRESS, timezone.now()
    locked.save(update_fields=["analysis", "status", "started_at"])
    return locked


def review_note_allowed(*, actor, review: ModelReview) -> bool:
    """Managers, the facilitator and the participants add notes (asked by the page before it reads the form)."""
    if user_can(actor, RUN):
        return True
    takes_part = review.facilitator_id == getattr(actor, "pk", None) or review.participants.filter(pk=actor.pk).exists()
    return takes_part and user_can(actor, VIEW)


@audited
@transaction.atomic
def review_add_note(*, review: ModelReview, actor, text: str) -> ModelReview:
    """A participant's (or the facilitator's, or a manager's) note, appended to the findings with who and when."""
    locked = _lock(review)
    if not review_note_allowed(actor=actor, review=locked):
        raise PermissionDenied("Only the participants of this review and deployment managers add notes to it.")
    if locked.status != ReviewStatus.IN_PROGRESS:
        raise ConflictError("Notes are added while the review is in progress.", code="not_in_progress")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the note."})
    if len(text) > MAX_NOTE:
        raise ValidationError({"text": f"A note has at most {MAX_NOTE} characters."})
    who = actor.get_full_name() or actor.username
    line = f"— {who}, {timezone.localtime():%Y-%m-%d %H:%M}: {text}"
    locked.findings = f"{locked.findings.rstrip()}\n{line}" if locked.findings.strip() else line
    locked.save(update_fields=["findings"])
    return locked


def _new_version(review: ModelReview, actor) -> DeploymentModel:

    try:
        return model_new_version(model=review.model, actor=actor)
    except ConflictError as exc:
        if exc.code != "newer_draft_exists":
            raise
        # a draft of the next version is already being written: the review's output is that draft
        return (
            DeploymentModel.objects.filter(name=review.model.name, status__in=[ModelStatus.DRAFT, ModelStatus.PILOT])
            .order_by("-version")
            .first()
        )


@audited
@transaction.atomic
def review_complete(*, review: ModelReview, actor, decision: str | None = None, **fields) -> ModelReview:
    """In progress → completed with a decision: "update" makes a new draft model version, "retire" retires the
    model; for either the stakeholders of the services using the model are e-mailed after commit."""
    require(actor, RUN)
    reject_unknown(fields, {"findings", "lessons_learnt"})
    locked = _lock(review)
    if locked.status != ReviewStatus.IN_PROGRESS:
        raise ConflictError(
            f"The review is {locked.get_status_display().lower()}: only a review in progress can be completed.",
            code="not_in_progress",
        )
    for key, value in fields.items():
        setattr(locked, key, value or "")
    if decision:
        locked.decision = decision
    errors = {}
    if locked.decision not in ReviewDecision.values:
        errors["decision"] = "Decide: keep, update or retire the model."
    if not locked.findings.strip():
        errors["findings"] = "Record the findings before completing the review."
    if errors:
        raise ValidationError(errors)
    if locked.decision == ReviewDecision.UPDATE:
        locked.new_model_version = _new_version(locked, actor)
    elif locked.decision == ReviewDecision.RETIRE and locked.model.status != ModelStatus.RETIRED:
        model_retire(model=locked.model, actor=actor)
    locked.status, locked.completed_at = ReviewStatus.COMPLETED, timezone.now()
    locked.full_clean(validate_constraints=False)
    locked.save()
    if locked.decision in (ReviewDecision.UPDATE, ReviewDecision.RETIRE):
        review_id = locked.pk
        transaction.on_commit(lambda: _enqueue_outcome(review_id))
    return locked


def _enqueue_outcome(review_id: int) -> None:

    async_task("apps.reviews.tasks.notify_review_outcome", review_id, task_name=f"review-outcome-{review_id}")


# --- system services (background tasks; no actor) -------------------------------------------------------------


def scheduled_period(*, model: DeploymentModel, today: dt.date) -> tuple[dt.date, dt.date, dt.date] | None:
    """(start, end, due) of the scheduled review the model needs now, or None when none is due yet.

    Periods follow the review interval from the model's `next_review_due` (or activation); a review is due the
    day after its period ends and is planned SCHEDULED_LEAD_DAYS ahead. Missed periods are skipped: only the
    latest is reviewed."""
    step = relativedelta(months=model.review_interval_months or 3)
    last = model.reviews.filter(kind=ReviewKind.SCHEDULED).order_by("-period_end").first()
    if last is not None:
        start = last.period_end + dt.timedelta(days=1)
    else:
        activated = timezone.localdate(model.activated_at) if model.activated_at else today
        start = (model.next_review_due or activated + step) - step
    horizon = today + dt.timedelta(days=SCHEDULED_LEAD_DAYS)
    if start + step > horizon:
        return None
    while start + step + step <= horizon:
        start += step
    return start, start + step - dt.timedelta(days=1), start + step


def _stakeholder_owners(model: DeploymentModel):
    User = get_user_model()
    return User.objects.filter(owned_services__deployments__model=model, is_active=True).distinct()


def review_schedule_due(*, today: dt.date | None = None) -> list[ModelReview]:
    """Plan the scheduled review each active model needs now; run twice, it plans nothing the second time."""
    today = today or timezone.localdate()
    created = []
    for model in DeploymentModel.objects.filter(status=ModelStatus.ACTIVE).select_related("owner"):
        period = scheduled_period(model=model, today=today)
        if period is None:
            continue
        start, end, due = period
        with transaction.atomic():
            facilitator = model.owner if model.owner and user_can(model.owner, RUN) else None
            review, made = ModelReview.objects.get_or_create(
                model=model,
                kind=ReviewKind.SCHEDULED,
                period_start=start,
                period_end=end,
                defaults={"due_date": due, "facilitator": facilitator, "reason": "Quarterly review by schedule."},
            )
            if made:
                review.participants.set(_stakeholder_owners(model))
                created.append(review)
    return created


def review_open_for_failure(
    *, model: DeploymentModel, reason: str, deployment=None, today: dt.date | None = None
) -> tuple[ModelReview, bool]:
    """The model's open failure review, opened now if there is none: (review, opened)."""
    today = today or timezone.localdate()
    existing = model.reviews.filter(kind=ReviewKind.FAILURE).exclude(status=ReviewStatus.COMPLETED).first()
    if existing is not None:
        return existing, False
    facilitator = next(
        (u for u in (model.owner, getattr(deployment, "manager", None)) if u is not None and user_can(u, RUN)), None
    )
    review = ModelReview(
        model=model,
        kind=ReviewKind.FAILURE,
        period_start=today - dt.timedelta(days=FAILURE_PERIOD_DAYS),
        period_end=today,
        due_date=today + dt.timedelta(days=FAILURE_DUE_DAYS),
        facilitator=facilitator,
        trigger_deployment=deployment,
        reason=reason,
    )
    try:
        with transaction.atomic():
            review.save()
            review.participants.set(_stakeholder_owners(model))
    except IntegrityError:  # another worker opened it in the meantime
        return model.reviews.filter(kind=ReviewKind.FAILURE).exclude(status=ReviewStatus.COMPLETED).get(), False
    return review, True
