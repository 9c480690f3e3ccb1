"""The demo seed: five active models with their flows, idempotent, and graceful without environments."""

import pytest

from apps.bench.demo import seed_users
from apps.deployment_models import demo
from apps.deployment_models.models import DeploymentModel
from tests.factories.deployment_models import environment

pytestmark = pytest.mark.django_db


def test_seed_makes_five_active_models_and_is_idempotent():
    # given
    for kind in ("development", "integration", "test", "staging", "production"):
        environment(kind)
    users = seed_users()
    # when run twice
    demo.seed(users)
    demo.seed(users)
    # then
    assert DeploymentModel.objects.count() == 5
    assert set(DeploymentModel.objects.values_list("status", flat=True)) == {"active"}
    in_house = DeploymentModel.objects.get(name="Software developed in house")
    flow = [
        (s.environment.slug, s.pre_approved, s.approvals_required, s.requires_service_owner_approval)
        for s in in_house.stages.all()
    ]
    assert flow == [
        ("integration", False, 1, False),
        ("test", True, 0, False),
        ("staging", False, 1, False),
        ("production", False, 2, True),
    ]
    pipeline = DeploymentModel.objects.get(name="Automated microservice pipeline")
    assert all(s.pre_approved for s in pipeline.stages.all())
    assert in_house.responsibilities.filter(raci="A").count() == 7


def test_seed_without_environments_leaves_drafts():
    demo.seed(seed_users())
    assert set(DeploymentModel.objects.values_list("status", flat=True)) == {"draft"}
