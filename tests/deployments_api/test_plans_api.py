"""The API of the plan beside the status: `release/`, `steps/`, `back_out_plan`, the `released` filter and the
model's applicability refused with a 400 naming the rule."""

import datetime as dt

import pytest

from apps.deployment_models.models import ModelStatus
from apps.deployments.models import Deployment, DeploymentStep
from apps.deployments.workflow import Status
from apps.environments.services import environment_clear_practitioner
from tests.deployments_api.conftest import token_client
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory, ServiceFactory
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory
from tests.factories.deployments import DeploymentFactory, soon
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/deployments/"


@pytest.fixture
def people():
    return {
        "manager": UserFactory(roles=["manager"]),
        "practitioner": UserFactory(roles=["practitioner"]),
        "owner": UserFactory(roles=["service_owner"]),
    }


def _deployment(people, status, **extra) -> Deployment:
    service = ServiceFactory()
    service.owners.add(people["owner"])
    d = DeploymentFactory(status=status, service=service, practitioners=[people["practitioner"]], **extra)
    # the practitioner carries it out: cleared for its (controlled) environment
    environment_clear_practitioner(
        environment=d.environment, user=people["practitioner"], actor=people["manager"], reason="On the rota"
    )
    return d


def test_release_records_it_and_the_deployment_shows_it(people):
    d = _deployment(people, Status.COMPLETED)
    client = token_client(people["practitioner"])
    response = client.post(f"{BASE}{d.pk}/release/", {"release_ref": "REL-9", "comment": "Dark launch opened"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["release_ref"], body["released_by"]) == (
        "completed",
        "REL-9",
        people["practitioner"].pk,
    )
    assert body["released_at"] is not None
    assert client.get(f"{BASE}{d.pk}/").json()["released_at"] == body["released_at"]
    # a second release is a conflict
    again = client.post(f"{BASE}{d.pk}/release/", {"release_ref": "REL-10"})
    assert again.status_code == 409
    d.refresh_from_db()
    assert d.release_ref == "REL-9"


@pytest.mark.parametrize(
    ("status", "who", "code"), [(Status.EXECUTING, "manager", 409), (Status.COMPLETED, "owner", 403)]
)
def test_release_refusals(people, status, who, code):
    d = _deployment(people, status)
    response = token_client(people[who]).post(f"{BASE}{d.pk}/release/", {"release_ref": "REL-1"})
    assert response.status_code == code
    d.refresh_from_db()
    assert d.released_at is None


def test_release_without_a_reference_is_bad_input(people):
    d = _deployment(people, Status.COMPLETED)
    response = token_client(people["manager"]).post(f"{BASE}{d.pk}/release/", {})
    assert response.status_code == 400
    assert "release_ref" in response.json()["errors"]


def test_released_at_is_read_only_on_the_resource(people):
    d = _deployment(people, Status.DRAFT, requester=people["manager"])
    response = token_client(people["manager"]).patch(
        f"{BASE}{d.pk}/", {"released_at": "2020-01-01T00:00:00Z", "back_out_plan": "Undo it.", "version": d.version}
    )
    assert response.status_code == 200
    assert (response.json()["released_at"], response.json()["back_out_plan"]) == (None, "Undo it.")


@pytest.mark.parametrize(("value", "expected"), [("true", {"released"}), ("false", {"unreleased"})])
def test_the_register_filters_released(people, value, expected):
    rows = {
        "released": _deployment(people, Status.COMPLETED, released_at=soon(-1)),
        "unreleased": _deployment(people, Status.COMPLETED),
        "running": _deployment(people, Status.EXECUTING),
    }
    body = token_client(people["manager"]).get(BASE, {"released": value}).json()
    names = {name for name, d in rows.items() if d.pk in {r["id"] for r in body["results"]}}
    assert names == expected


def test_the_step_plan_through_the_api(people, django_assert_max_num_queries):
    # given an approved deployment
    d = _deployment(people, Status.APPROVED)
    client = token_client(people["practitioner"])
    url = f"{BASE}{d.pk}/steps/"
    # when the practitioner adds three steps, renames one and reorders them
    ids = [
        client.post(
            url, {"title": t, "expected_minutes": 10, "owner": people["practitioner"].pk}, format="json"
        ).json()["id"]
        for t in ("Ship", "Install", "Verify")
    ]
    assert client.patch(f"{url}{ids[2]}/", {"title": "Verify health"}, format="json").status_code == 200
    reordered = client.post(f"{url}reorder/", {"steps": [ids[1], ids[0], ids[2]]}, format="json")
    assert [s["id"] for s in reordered.json()] == [ids[1], ids[0], ids[2]]
    # then the list shows them in order with the contract fields, in a bounded number of queries
    with django_assert_max_num_queries(8):
        steps = client.get(url).json()
    assert [(s["order"], s["title"]) for s in steps] == [(1, "Install"), (2, "Ship"), (3, "Verify health")]
    assert {"id", "order", "title", "owner", "expected_minutes", "status", "done_at"} <= set(steps[0])
    # and ticking off before the start is a conflict
    assert client.patch(f"{url}{ids[0]}/", {"status": "done"}, format="json").status_code == 409


def test_steps_are_ticked_off_while_running(people):
    d = _deployment(people, Status.EXECUTING)
    step = DeploymentStep.objects.create(deployment=d, order=1, title="Install")
    client = token_client(people["practitioner"])
    url = f"{BASE}{d.pk}/steps/{step.pk}/"
    assert client.patch(url, {"status": "skipped"}, format="json").status_code == 400  # a skip says why
    body = client.patch(url, {"status": "skipped", "note": "Pre-installed"}, format="json").json()
    assert (body["status"], body["note"], body["done_by"]) == ("skipped", "Pre-installed", people["practitioner"].pk)
    assert client.patch(url, {"status": "done", "title": "x"}, format="json").status_code == 400  # not both
    assert client.delete(url).status_code == 409  # the plan is locked once started
    assert token_client(people["owner"]).patch(url, {"status": "done"}, format="json").status_code == 403


def test_a_pipeline_planning_a_model_that_does_not_apply_gets_a_400_naming_the_rule(people):
    env = EnvironmentFactory(allows_parallel_deployments=True)
    model = DeploymentModelFactory(
        name="Model X", status=ModelStatus.ACTIVE, component_types=[], component_sources=["in_house", "partner"]
    )
    ModelStageFactory(model=model, environment=env, step_template="Install | 5\nVerify")
    service = ServiceFactory()
    vendor = ComponentVersionFactory(component__service=service, component__source="vendor")
    start = soon(5)
    data = {
        "title": "Vendor build",
        "service": service.pk,
        "environment": env.pk,
        "model": model.pk,
        "component_versions": [vendor.pk],
        "planned_start": start.isoformat(),
        "planned_end": (start + dt.timedelta(hours=1)).isoformat(),
    }
    client = token_client(people["manager"])
    response = client.post(BASE, data, format="json")
    assert response.status_code == 400
    rule = "Model X v1 does not apply to component source vendor (it covers in_house, partner)."
    assert response.json()["errors"]["model"] == [rule]
    # the same plan with an in-house build is planned, with the stage's steps and the model's back-out plan
    in_house = ComponentVersionFactory(component__service=service)
    created = client.post(BASE, {**data, "component_versions": [in_house.pk]}, format="json")
    assert created.status_code == 201
    assert created.json()["back_out_plan"] == model.rollback_procedure
    steps = client.get(f"{BASE}{created.json()['id']}/steps/").json()
    assert [(s["title"], s["expected_minutes"]) for s in steps] == [("Install", 5), ("Verify", None)]
