"""A user's work lists (what awaits their approval, their assignments, their open requests), what their earlier
calls planned under an `Idempotency-Key`, and the planned deployments a freeze or maintenance window meets (its
preview)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from apps.catalog.models import Service
from apps.core.permissions import user_can
from apps.deployment_models.models import ModelStage
from apps.deployments import workflow
from apps.deployments.models import ALL, Deployment, DeploymentPendingCount, IdempotencyKey
from apps.deployments.selectors.visibility import deployment_list, sees_all_deployments
from apps.environments.windows import window_occurrences
from apps.people.selectors import delegations_in_force

APPROVE = "deployments.approve_deployment"


def awaiting_approval(*, user, delegations: list | None = None) -> QuerySet[Deployment]:
    """Pending deployments this user could decide on (managers: all but their own; owners: their sign-offs; deputies:
    those in the scope of a delegation in force, but the delegating manager's own requests). `delegations`: the
    user's delegations in force, when the caller has read them."""
    qs = deployment_list(user=user).filter(status=workflow.Status.PENDING_APPROVAL).exclude(requester=user)
    if user_can(user, APPROVE):
        return qs.order_by("planned_start", "id")
    if delegations is None:
        delegations = delegations_in_force(deputy=user)
    scope = Q(stage__requires_service_owner_approval=True, service__owners=user) | _delegated_q(delegations)
    return qs.filter(scope).distinct().order_by("planned_start", "id")


def _delegated_q(delegations) -> Q:
    """What a deputy may decide on under these delegations in force: each delegation's environments and services
    (all where it names none), but the delegating manager's own requests. Its fields (environment_id, service_id,
    requester_id) are both the deployments' and the pending counts' (DeploymentPendingCount)."""
    scope = Q()  # none: an empty Q, which `|` leaves out
    for delegation in delegations:
        delegated = ~Q(requester_id=delegation.manager_id)
        if environments := [e.pk for e in delegation.environments.all()]:
            delegated &= Q(environment_id__in=environments)
        if services := [s.pk for s in delegation.services.all()]:
            delegated &= Q(service_id__in=services)
        scope |= delegated
    return scope


def awaiting_approval_count(*, user) -> int:
    """How many deployments `awaiting_approval` lists for `user`, read from the pending counts the services keep
    (DeploymentPendingCount) rather than counted: a manager's is the count over everything less their own requests'
    (two rows); an owner's or a deputy's, the rows their sign-offs and delegations select by service, environment,
    stage (its sign-off flag read now) and requester, less their own requests — rows bounded by the catalog and the
    requesters. A user who sees only part of the deployments and decides beyond their own services' sign-offs (a
    manager or a deputy without the global view) is counted from the deployments: the rows do not know which
    deployments they are assigned to."""
    if not getattr(user, "is_authenticated", False):
        return 0
    sees_all = sees_all_deployments(user=user)
    if user_can(user, APPROVE):
        if not sees_all:
            return awaiting_approval(user=user).count()
        mine = Q(requester_id=user.pk)
        totals = DeploymentPendingCount.objects.filter(
            Q(requester_id=ALL) | mine, environment_id=ALL, service_id=ALL, stage_id=ALL
        ).aggregate(every=Sum("deployments", filter=Q(requester_id=ALL)), mine=Sum("deployments", filter=mine))
        return (totals["every"] or 0) - (totals["mine"] or 0)
    delegations = delegations_in_force(deputy=user)
    if delegations and not sees_all:
        return awaiting_approval(user=user, delegations=delegations).count()
    signoff = ModelStage.objects.filter(requires_service_owner_approval=True).values("pk")
    owned = Q(stage_id__in=signoff, service_id__in=Service.objects.filter(owners=user).values("pk"))
    scope = owned | _delegated_q(delegations)
    rows = DeploymentPendingCount.objects.filter(scope, service_id__gte=0).exclude(requester_id=user.pk)
    return rows.aggregate(n=Sum("deployments"))["n"] or 0


def my_work(*, user) -> QuerySet[Deployment]:
    """Open deployments assigned to the user as practitioner, soonest first."""
    return (
        deployment_list(user=user)
        .filter(practitioners=user, status__in=workflow.BOOKED)
        .order_by("planned_start", "id")
    )


def my_requests(*, user) -> QuerySet[Deployment]:
    return deployment_list(user=user).filter(requester=user).exclude(status__in=workflow.FINAL).order_by("-id")


def remembered_deployments(*, user, keys: list[str]) -> list[Deployment]:
    """What the user's earlier calls planned under these `Idempotency-Key`s, in the keys' order (retries answer
    with it); empty when none of the keys is known."""
    known = IdempotencyKey.objects.filter(user=user, key__in=keys).select_related("deployment")
    by_key = {k.key: k.deployment for k in known}
    return [by_key[k] for k in keys if k in by_key]


@dataclass
class PreviewRow:
    """One upcoming occurrence of a window and the visible planned deployments that overlap it."""

    start: dt.datetime
    end: dt.datetime
    deployments: list


PREVIEW_WEEKS = 8


def window_preview(*, window, user, weeks: int = PREVIEW_WEEKS, now: dt.datetime | None = None) -> dict:
    """The window's occurrences over the coming weeks and the planned deployments each overlaps.

    For a freeze window those deployments are blocked by it; for a maintenance window they fall inside it.
    Only deployments the user may see are listed; `hidden` counts the others.
    """
    now = now or timezone.now()
    until = now + dt.timedelta(weeks=weeks)
    occurrences = window_occurrences(window, now, until)
    rows = [PreviewRow(start=b, end=e, deployments=[]) for b, e in occurrences]
    hidden = 0
    if occurrences:
        deployments = Deployment.objects.filter(
            status__in=workflow.PLANNED, planned_start__lt=occurrences[-1][1], planned_end__gt=occurrences[0][0]
        )
        if window.environment_id is not None:
            deployments = deployments.filter(environment_id=window.environment_id)
        deployments = deployments.select_related("environment", "service").order_by("planned_start", "id")
        visible = set(deployment_list(user=user, base=deployments, join=False).values_list("pk", flat=True))
        counted = set()
        for deployment in deployments:
            for row in rows:
                if deployment.planned_start < row.end and row.start < deployment.planned_end:
                    if deployment.pk in visible:
                        row.deployments.append(deployment)
                    else:
                        counted.add(deployment.pk)
        hidden = len(counted)
    return {"rows": rows, "hidden": hidden, "until": until, "now": now}
