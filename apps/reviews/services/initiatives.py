"""Improvement initiatives: recorded from a started review, changed by managers, updated (not reassigned) by
their owner, closed as done or dropped."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.context import audited
from apps.core.exceptions import ConflictError
from apps.core.permissions import require, user_can
from apps.core.services import reject_unknown
from apps.reviews.models import ImprovementInitiative, InitiativeStatus, ModelReview, ReviewStatus
from apps.reviews.permissions import INITIATIVE_REFUSAL, initiative_may_change, initiative_may_reassign
from apps.reviews.services.reviews import VIEW, _lock

ADD_INITIATIVE = "reviews.add_improvementinitiative"
INITIATIVE_FIELDS = {"title", "description", "owner", "status", "change_request_ref"}


def _initiative_lock(initiative: ImprovementInitiative) -> ImprovementInitiative:
    return ImprovementInitiative.objects.select_for_update().select_related("review").get(pk=initiative.pk)


def _closed_at(initiative: ImprovementInitiative) -> None:
    if initiative.is_closed and initiative.closed_at is None:
        initiative.closed_at = timezone.now()
    elif not initiative.is_closed:
        initiative.closed_at = None


@audited
@transaction.atomic
def initiative_create(
    *,
    review: ModelReview,
    actor,
    title: str,
    owner=None,
    description: str = "",
    change_request_ref: str = "",
    status: str = InitiativeStatus.PROPOSED,
) -> ImprovementInitiative:
    """Record an improvement initiative that came out of a started review."""
    require(actor, ADD_INITIATIVE)
    locked = _lock(review)
    if locked.status == ReviewStatus.PLANNED:
        raise ConflictError("Start the review before recording its initiatives.", code="not_started")
    if owner is not None and not user_can(owner, VIEW):
        raise ValidationError({"owner": f"{owner} holds no role that takes part in reviews."})
    initiative = ImprovementInitiative(
        review=locked,
        title=(title or "").strip(),
        owner=owner,
        description=description or "",
        change_request_ref=(change_request_ref or "").strip(),
        status=status,
    )
    _closed_at(initiative)
    initiative.full_clean()
    initiative.save()
    return initiative


@audited
@transaction.atomic
def initiative_update(*, initiative: ImprovementInitiative, actor, **fields) -> ImprovementInitiative:
    """Change an initiative: managers change anything; its owner updates it but cannot hand it to someone else."""
    reject_unknown(fields, INITIATIVE_FIELDS)
    locked = _initiative_lock(initiative)
    if not initiative_may_change(initiative=locked, user=actor):
        raise PermissionDenied(INITIATIVE_REFUSAL)
    if "owner" in fields and fields["owner"] != locked.owner and not initiative_may_reassign(user=actor):
        raise PermissionDenied("Only deployment managers may hand an initiative to someone else.")
    if fields.get("owner") is not None and not user_can(fields["owner"], VIEW):
        raise ValidationError({"owner": f"{fields['owner']} holds no role that takes part in reviews."})
    for key, value in fields.items():
        setattr(locked, key, (value or "").strip() if key in ("title", "change_request_ref") else value)
    if locked.description is None:
        locked.description = ""
    _closed_at(locked)
    locked.full_clean()
    locked.save()
    return locked


@audited
def initiative_close(
    *, initiative: ImprovementInitiative, actor, status: str = InitiativeStatus.DONE
) -> ImprovementInitiative:
    """Close an initiative as done (or dropped)."""
    if status not in (InitiativeStatus.DONE, InitiativeStatus.DROPPED):
        raise ValidationError({"status": "An initiative is closed as done or dropped."})
    return initiative_update(initiative=initiative, actor=actor, status=status)
