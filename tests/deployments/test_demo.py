"""The demo deployments: every status, reached through the services, and idempotent."""

import pytest

from apps.bench.demo import seed_users, seeders
from apps.deployments.models import Deployment, Feedback, IncidentLink
from apps.deployments.workflow import Status

pytestmark = pytest.mark.django_db


def test_demo_seed_covers_every_status_and_runs_twice_without_change():
    # given the demo users and the seeds of every app
    users = seed_users()
    # when every seed runs, twice
    for seed in seeders():
        seed(users)
    count = Deployment.objects.count()
    for seed in seeders():
        seed(users)
    # then every status is there once, with real timelines, feedback and incidents, and nothing doubled
    assert Deployment.objects.count() == count
    assert set(Deployment.objects.values_list("status", flat=True)) == set(Status.values)
    assert Deployment.objects.filter(action="remove").exists()
    assert Deployment.objects.filter(status=Status.APPROVED, practitioners=users["practitioner"]).exists()
    assert Feedback.objects.exists() and IncidentLink.objects.exists()
    completed = Deployment.objects.filter(status=Status.COMPLETED).first()
    assert completed.events.filter(channel="system", kind="transition").count() >= 4
    assert not completed.checks.filter(result="pending").exists()
    assert completed.actual_end < completed.planned_end
    # production stages require an authorised change, and every production deployment carries one in the
    # configured format, so it can be approved
    from apps.deployment_models.models import ModelStage
    from apps.deployments.rules import change_ref_gap

    production = ModelStage.objects.filter(environment__kind="production", model__status="active")
    assert production.exists() and not production.filter(requires_change_ref=False).exists()
    to_production = Deployment.objects.filter(environment__kind="production").select_related("stage__model")
    assert to_production.exists()
    assert [(d.reference, change_ref_gap(d)) for d in to_production] == [(d.reference, None) for d in to_production]
