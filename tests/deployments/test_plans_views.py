"""The deployment page's plan beside the status: the release form, the step plan, the back-out plan and the model's
applicability on the plan form."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.deployment_models.models import ModelStatus
from apps.deployments.models import Deployment, DeploymentStep
from apps.deployments.workflow import Status
from apps.environments.services import environment_clear_practitioner
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory, ServiceFactory
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory
from tests.factories.deployments import DeploymentFactory, soon
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db
FMT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def people():
    return {"manager": UserFactory(roles=["manager"]), "practitioner": UserFactory(roles=["practitioner"])}


def _deployment(people, status, **extra) -> Deployment:
    d = DeploymentFactory(status=status, practitioners=[people["practitioner"]], **extra)
    # the practitioner carries it out: cleared for its (controlled) environment
    environment_clear_practitioner(
        environment=d.environment, user=people["practitioner"], actor=people["manager"], reason="On the rota"
    )
    return d


def _page(client, d) -> str:
    return client.get(reverse("deployments:deployment_detail", args=[d.pk])).content.decode()


def test_a_completed_deployment_is_released_from_its_page(client, people):
    d = _deployment(people, Status.COMPLETED, release_ref="REL-PLANNED")
    client.force_login(people["practitioner"])
    html = _page(client, d)
    assert 'data-testid="not-released"' in html and 'data-testid="release-form"' in html
    response = client.post(reverse("deployments:deployment_release", args=[d.pk]), {"release_ref": "", "comment": ""})
    assert response.status_code == 302
    d.refresh_from_db()
    assert (d.release_ref, d.released_by) == ("REL-PLANNED", people["practitioner"])
    html = _page(client, d)
    assert 'data-testid="released"' in html and 'data-testid="release-form"' not in html
    again = client.post(reverse("deployments:deployment_release", args=[d.pk]), {"release_ref": "REL-2"})
    assert again.status_code == 409


def test_steps_are_ticked_off_on_the_page(client, people):
    d = _deployment(people, Status.EXECUTING)
    step = DeploymentStep.objects.create(deployment=d, order=1, title="Install", expected_minutes=30)
    client.force_login(people["practitioner"])
    assert f'data-testid="step-form-{step.pk}"' in _page(client, d)
    url = reverse("deployments:step_record", args=[d.pk, step.pk])
    refused = client.post(url, {"status": "skipped", "note": ""})
    assert refused.status_code == 400 and "Say why the step is skipped." in refused.content.decode()
    assert client.post(url, {"status": "done"}).status_code == 302
    step.refresh_from_db()
    assert (step.status, step.done_by) == ("done", people["practitioner"])


def test_steps_are_planned_on_the_page_before_the_start(client, people):
    d = _deployment(people, Status.APPROVED)
    client.force_login(people["manager"])
    assert 'data-testid="step-add-form"' in _page(client, d)
    url = reverse("deployments:step_add", args=[d.pk])
    response = client.post(url, {"title": "Warm caches", "owner": people["practitioner"].pk, "expected_minutes": 5})
    assert response.status_code == 302
    step = d.steps.get()
    assert (step.title, step.owner, step.expected_minutes) == ("Warm caches", people["practitioner"], 5)
    assert client.post(reverse("deployments:step_remove", args=[d.pk, step.pk])).status_code == 302
    assert not d.steps.exists()


def test_the_roll_back_shows_the_back_out_plan_and_it_is_edited_on_the_page(client, people):
    d = _deployment(people, Status.FAILED, back_out_plan="Restore snapshot S1.")
    client.force_login(people["practitioner"])
    html = _page(client, d)
    assert 'data-testid="roll-back-plan"' in html and "Restore snapshot S1." in html
    response = client.post(
        reverse("deployments:back_out_plan", args=[d.pk]),
        {"back_out_plan": "Restore snapshot S2.", "version": d.version},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.back_out_plan == "Restore snapshot S2."


def test_the_plan_form_names_the_applicability_rule(client, people):
    env = EnvironmentFactory()
    model = DeploymentModelFactory(name="Model X", status=ModelStatus.ACTIVE, component_sources=["in_house", "partner"])
    ModelStageFactory(model=model, environment=env)
    service = ServiceFactory()
    vendor = ComponentVersionFactory(component__service=service, component__source="vendor")
    start = soon(5)
    client.force_login(people["manager"])
    response = client.post(
        reverse("deployments:deployment_create"),
        {
            "title": "Vendor build",
            "action": "deploy",
            "trigger": "release",
            "service": service.pk,
            "model": model.pk,
            "environment": env.pk,
            "component_versions": [vendor.pk],
            "planned_start": start.strftime(FMT),
            "planned_end": (start + dt.timedelta(hours=1)).strftime(FMT),
        },
    )
    assert response.status_code == 400
    assert "does not apply to component source vendor (it covers in_house, partner)" in response.content.decode()
    assert not Deployment.objects.filter(title="Vendor build").exists()
