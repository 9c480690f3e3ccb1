"""Every permission-aware read of reviews and initiatives, and the review facts other apps show."""

import datetime as dt

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from apps.core.permissions import objects_for_user, user_can
from apps.deployment_models.models import DeploymentModel
from apps.reviews.analysis import chart_bars
from apps.reviews.filters import OPEN, ImprovementInitiativeFilterSet, ModelReviewFilterSet, state_q
from apps.reviews.models import ImprovementInitiative, InitiativeStatus, ModelReview, ReviewStatus

VIEW = "reviews.view_modelreview"
VIEW_INITIATIVE = "reviews.view_improvementinitiative"
RUN = "reviews.change_modelreview"


def _reviews(user) -> QuerySet[ModelReview]:
    return objects_for_user(user, VIEW, ModelReview.objects.all())


def review_list(*, user, filters=None, request=None) -> QuerySet[ModelReview]:
    """The reviews the user may see (every role reads them), with what a row shows joined in."""
    closed = Q(initiatives__status__in=[InitiativeStatus.DONE, InitiativeStatus.DROPPED])
    queryset = (
        _reviews(user)
        .select_related("model", "facilitator")
        .annotate(
            initiative_count=Count("initiatives", distinct=True),
            open_initiative_count=Count("initiatives", filter=~closed, distinct=True),
        )
        .order_by("due_date", "id")
    )
    if filters is not None:
        queryset = ModelReviewFilterSet(filters, queryset=queryset, request=request).qs
    return queryset


def _pk(pk) -> int:
    if not str(pk).isdigit():
        raise Http404("No such review.")
    return int(pk)


def review_get(*, user, pk) -> ModelReview:
    """One review the user may see, with its people and initiatives; 404 otherwise."""
    pk = _pk(pk)
    queryset = (
        _reviews(user)
        .select_related("model", "facilitator", "new_model_version", "trigger_deployment")
        .prefetch_related("participants")
    )
    return get_object_or_404(queryset, pk=pk)


def review_initiatives(*, review: ModelReview) -> QuerySet[ImprovementInitiative]:
    return review.initiatives.select_related("owner").order_by("created_at", "id")


def review_counts(*, user, today: dt.date | None = None) -> dict[str, int]:
    """How many reviews are due, overdue, in progress and open: the list's tabs."""
    states = ("due", "overdue", "in_progress", "open")
    return _reviews(user).aggregate(**{s: Count("pk", filter=state_q(s, today)) for s in states})


def review_available_actions(*, review: ModelReview, user) -> dict[str, bool]:
    """Which buttons to draw for this user; the services check again."""
    runs = user_can(user, RUN)
    takes_part = review.facilitator_id == user.pk or any(p.pk == user.pk for p in review.participants.all())
    in_progress = review.status == ReviewStatus.IN_PROGRESS
    return {
        "start": runs and review.status == ReviewStatus.PLANNED,
        "edit": runs and review.status != ReviewStatus.COMPLETED,
        "complete": runs and in_progress,
        "add_initiative": user_can(user, "reviews.add_improvementinitiative") and review.status != ReviewStatus.PLANNED,
        "add_note": in_progress and (runs or takes_part),
    }


def review_chart(*, review: ModelReview) -> dict:
    return chart_bars(review.analysis or {})


def reviews_waiting_for(*, user) -> QuerySet[ModelReview]:
    """Open reviews the user facilitates or takes part in, soonest due first."""
    if not user.is_authenticated:
        return ModelReview.objects.none()
    mine = Q(facilitator=user) | Q(
        pk__in=ModelReview.participants.through.objects.filter(user=user).values("modelreview_id")
    )
    return _reviews(user).filter(OPEN & mine).select_related("model").order_by("due_date", "id")


def reviews_overdue(*, user, today: dt.date | None = None) -> QuerySet[ModelReview]:
    return _reviews(user).filter(state_q("overdue", today)).select_related("model").order_by("due_date", "id")


def initiative_list(*, user, filters=None, request=None) -> QuerySet[ImprovementInitiative]:
    """The initiatives the user may see, with their review and model joined in."""
    queryset = objects_for_user(user, VIEW_INITIATIVE, ImprovementInitiative.objects.all())
    queryset = queryset.select_related("review__model", "owner").order_by("status", "created_at", "id")
    if filters is not None:
        queryset = ImprovementInitiativeFilterSet(filters, queryset=queryset, request=request).qs
    return queryset


def initiative_get(*, user, pk) -> ImprovementInitiative:
    return get_object_or_404(initiative_list(user=user), pk=_pk(pk))


# --- facts for the deployment-model pages ---------------------------------------------------------------------


def last_review_outcomes(model_ids) -> dict[int, tuple[str, dt.datetime]]:
    """{model id: (decision, completed_at)} of each model's latest completed review; models without one are absent.
    One query, whatever the number of models."""

    latest = ModelReview.objects.filter(model_id=OuterRef("pk"), status=ReviewStatus.COMPLETED).order_by(
        "-completed_at", "-pk"
    )
    rows = (
        DeploymentModel.objects.filter(pk__in=list(model_ids))
        .annotate(decision=Subquery(latest.values("decision")[:1]), at=Subquery(latest.values("completed_at")[:1]))
        .filter(at__isnull=False)
        .values_list("pk", "decision", "at")
    )
    return {pk: (decision, at) for pk, decision, at in rows}


def next_review_dates(model_ids) -> dict[int, dt.date]:
    """{model id: due date} of each model's earliest open review; one query."""

    upcoming = ModelReview.objects.filter(OPEN, model_id=OuterRef("pk")).order_by("due_date", "pk")
    rows = (
        DeploymentModel.objects.filter(pk__in=list(model_ids))
        .annotate(due=Subquery(upcoming.values("due_date")[:1]))
        .filter(due__isnull=False)
        .values_list("pk", "due")
    )
    return dict(rows)
