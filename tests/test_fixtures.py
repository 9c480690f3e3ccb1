"""fixtures/: the reference data a new organisation starts from loads into an empty database and stays usable."""

import pytest
from django.core.management import call_command

from apps.deployment_models import services
from apps.deployment_models.models import DeploymentModel, ModelStage, ModelStatus, Responsibility
from apps.environments.models import Environment, EnvironmentCheck
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db
# the templates are the practice guide's own models, adopted rather than piloted: skipping the pilot is an override
TEMPLATE_OVERRIDE = "Adopted from the practice guide's example models, proven in use: no pilot here."

GUIDE_MODELS = [
    "Automated microservice pipeline",
    "Hardware for external consumers",
    "Hardware from a vendor",
    "Software developed in house",
    "Software for external consumers",
]


def test_the_reference_data_loads_into_an_empty_database_and_again_without_doubling():
    # given an empty database
    assert not Environment.objects.exists() and not DeploymentModel.objects.exists()
    # when the fixtures are loaded, twice
    call_command("loaddata", "environments", "deployment_models", verbosity=0)
    call_command("loaddata", "environments", "deployment_models", verbosity=0)
    # then the five standard environments are there in flow order, with their standing checks
    assert list(Environment.objects.values_list("slug", "kind", "owner")) == [
        ("development", "development", None),
        ("integration", "integration", None),
        ("test", "test", None),
        ("staging", "staging", None),
        ("production", "production", None),
    ]
    checks = dict.fromkeys(Environment.objects.values_list("slug", flat=True), 0)
    for slug in EnvironmentCheck.objects.values_list("environment__slug", flat=True):
        checks[slug] += 1
    assert checks == {"development": 0, "integration": 1, "test": 3, "staging": 4, "production": 8}
    # and the model templates are drafts, nobody's yet, each flowing through the environments to production
    assert list(DeploymentModel.objects.order_by("name").values_list("name", "version", "status", "owner")) == [
        (name, 1, ModelStatus.DRAFT, None) for name in GUIDE_MODELS
    ]
    for model in DeploymentModel.objects.all():
        flow = list(model.stages.order_by("order").values_list("environment__slug", flat=True))
        assert flow[-1] == "production", model.name
    assert ModelStage.objects.count() == 15
    assert Responsibility.objects.filter(model__name="Software developed in house", raci="A").count() == 7


def test_every_model_template_passes_its_own_checks_and_can_be_activated():
    # given the reference data loaded and a deployment manager
    call_command("loaddata", "environments", "deployment_models", verbosity=0)
    manager = UserFactory(roles=["manager"])
    # when each template is validated and activated through the service
    for model in DeploymentModel.objects.order_by("pk"):
        model.full_clean()
        for stage in model.stages.all():
            stage.full_clean()
        services.model_activate(model=model, actor=manager, override_reason=TEMPLATE_OVERRIDE)
    # then every one is active
    assert set(DeploymentModel.objects.values_list("status", flat=True)) == {ModelStatus.ACTIVE}
