"""Storing the risk score on the deployment: the planning and transition services score a plan as they write it
(create, edit, submit, replan); `risk_refresh_open` rescores the open deployments as the records move on (the
nightly schedule and `manage.py risk_refresh`).

The score is derived from the records, never typed in, so rescoring writes no audit entry or history row of its
own: the plan change that caused it is audited, and the factors stored with the score say what it rests on."""

import datetime as dt

from django.db import connection
from django.utils import timezone

from apps.deployments import workflow
from apps.deployments.models import Deployment
from apps.deployments.risk.score import Assessment, risk_assess
from apps.deployments.risk.selectors import risk_inputs

RISK_FIELDS = ["risk_score", "risk_factors", "risk_scored_at"]


def deployment_risk_assess(
    *, deployment: Deployment, as_of: dt.datetime | None = None, versions=None, practitioners=None
) -> Assessment:
    """The deployment's score as of `as_of` (now by default), computed and not stored."""
    inputs = risk_inputs(
        deployment=deployment, as_of=as_of or timezone.now(), versions=versions, practitioners=practitioners
    )
    return risk_assess(inputs)


def deployment_risk_apply(
    *, deployment: Deployment, versions=None, practitioners=None, next_id: bool = False
) -> Assessment:
    """Score the deployment now and set the score on the instance (the caller saves it with the plan). With
    `next_id`, a new deployment not yet written: its id is taken from the sequence in the counts' round trip and set on
    the instance too (PostgreSQL; elsewhere the id is left to the insert)."""
    now = timezone.now()
    next_id = next_id and deployment.pk is None and connection.vendor == "postgresql"
    inputs = risk_inputs(
        deployment=deployment, as_of=now, versions=versions, practitioners=practitioners, next_id=next_id
    )
    assessment = risk_assess(inputs)
    if next_id:
        deployment.pk = inputs.next_id
    deployment.risk_score = assessment.score
    deployment.risk_factors = assessment.factors_data()
    deployment.risk_scored_at = now
    return assessment


def deployment_risk_refresh(*, deployment: Deployment) -> int:
    """Rescore one deployment and store it (one UPDATE of the risk columns only); returns the score."""
    assessment = deployment_risk_apply(deployment=deployment)
    Deployment.objects.filter(pk=deployment.pk).update(**{f: getattr(deployment, f) for f in RISK_FIELDS})
    return assessment.score


def risk_score_ids(deployment_ids: list[int]) -> int:
    """Score the given deployments (those planned in one bulk call) and store their scores."""
    qs = Deployment.objects.filter(pk__in=deployment_ids).select_related("model", "service", "environment", "stage")
    scored = 0
    for deployment in qs.prefetch_related("component_versions", "practitioners"):
        deployment_risk_refresh(deployment=deployment)
        scored += 1
    return scored


def risk_refresh_open(*, limit: int | None = None, out=None) -> dict:
    """Rescore every open deployment (planning or under way), oldest plan first; returns how many were scored and
    how many changed score. Safe to run at any time, as often as wanted."""
    qs = (
        Deployment.objects.filter(status__in=workflow.OPEN)
        .select_related("model", "service", "environment", "stage")
        .prefetch_related("component_versions", "practitioners")
        .order_by("planned_start", "id")
    )
    if limit:
        qs = qs[:limit]
    scored = changed = 0
    for deployment in qs.iterator(chunk_size=200):
        before = deployment.risk_score
        after = deployment_risk_refresh(deployment=deployment)
        scored += 1
        changed += after != before
        if out is not None and scored % 500 == 0:
            out.write(f"{scored} scored…\n")
    return {"scored": scored, "changed": changed}
