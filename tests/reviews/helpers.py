"""Helpers for review tests: deployments of a model in a given outcome at a given time."""

import datetime as dt

from django.utils import timezone

from apps.deployments.workflow import Status
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory


def days_ago(n: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) - dt.timedelta(days=n)


def deployed(model, status=Status.COMPLETED, *, when=None, env=None, late=False, service=None, **extra):
    """A deployment of `model` that ran at `when` (default 10 days ago) for 1 hour of a 2-hour window."""
    start = when or days_ago(10)
    fields = {
        "model": model,
        "status": status,
        "environment": env or EnvironmentFactory(),
        "planned_start": start,
        "planned_end": start + dt.timedelta(hours=2),
        "submitted_at": start - dt.timedelta(hours=24),
        "actual_start": start + (dt.timedelta(minutes=-30) if late else dt.timedelta(0)),
        "actual_end": start + dt.timedelta(hours=1),
        **extra,
    }
    if service is not None:
        fields["service"] = service
    return DeploymentFactory(**fields)


def production():
    return EnvironmentFactory(production=True, slug="production", name="Production")
