"""The demo seed: the five model templates of fixtures/ activated with their flows, idempotent, graceful without."""

import pytest

from apps.bench.demo import reference_data_load, seed_users
from apps.deployment_models import demo
from apps.deployment_models.models import DeploymentModel

pytestmark = pytest.mark.django_db


def test_seed_makes_five_active_models_and_is_idempotent():
    # given the reference data
    users = seed_users()
    reference_data_load()
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


def test_seed_without_the_reference_data_makes_nothing():
    # when the seed runs on a database without the templates
    demo.seed(seed_users())
    # then there is no model, and no error
    assert not DeploymentModel.objects.exists()


def test_seed_leaves_a_model_of_the_same_name_made_by_hand_alone():
    # given the reference data, and a manager's own draft "Software developed in house" v2
    users = seed_users()
    reference_data_load()
    template = DeploymentModel.objects.get(name="Software developed in house")
    DeploymentModel.objects.create(name=template.name, version=2, description="Our own")
    # when the demo seed runs
    demo.seed(users)
    # then the template (v1) is active and the hand-made v2 untouched
    assert list(DeploymentModel.objects.filter(name=template.name).values_list("version", "status")) == [
        (2, "draft"),
        (1, "active"),
    ]
