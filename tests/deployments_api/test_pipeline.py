"""The automated-deployment story through the API: one token registers, submits, runs and completes a deployment."""

import pytest

from apps.deployments.models import DeploymentEvent
from tests.deployments_api.conftest import automated_setup, token_client, window
from tests.factories.accounts import UserFactory
from tests.factories.catalog import sha256_of

pytestmark = pytest.mark.django_db

BASE = "/api/v1/deployments/"


def _run(client, deployment_id: int, checksum: str) -> list[str]:
    """Start, record every check with evidence, walk the gates and complete; returns the statuses seen."""
    url = f"{BASE}{deployment_id}/"
    statuses = []

    def step(name, body=None):
        response = client.post(f"{url}{name}/", body or {}, format="json")
        assert response.status_code == 200, (name, response.json())
        statuses.append(response.json()["status"])

    def record(kind):
        for check in client.get(f"{url}checks/").json()["results"]:
            if check["kind"] == kind:
                body = {"result": "pass", "evidence": f"pipeline: {check['description']}"}
                if kind == "component":
                    body["observed_checksum"] = checksum
                response = client.patch(f"{url}checks/{check['id']}/", body, format="json")
                assert response.status_code == 200, response.json()
                assert response.json()["result"] == "pass"

    step("start")
    record("component")
    step("confirm-components")
    record("environment")
    step("confirm-environment")
    step("finish-execution")
    record("acceptance")
    step("complete", {"comment": "Pipeline run 42 green."})
    return statuses


@pytest.mark.parametrize("role", ["manager", "practitioner"])
def test_a_pipeline_runs_a_pre_approved_deployment_end_to_end_with_one_token(world, role):
    # given a service account with one token, and a fully automated model whose stage in `ci` is pre-approved
    setup = automated_setup()
    bot = UserFactory(username=f"ci-{role}", roles=[role], is_service_account=True)
    client = token_client(bot, "gitlab shop-web")
    checksum = sha256_of(f"shop-web-build-{role}")
    if role == "practitioner":  # a practitioner may name a registered build, not register one
        from apps.catalog.services import component_version_create

        component_version_create(
            component=world.component,
            version="2.0.0",
            repository_ref="oci://registry/shop-web:2.0.0",
            checksum=checksum,
            actor=world.users["manager"],
        )
    # when it creates the deployment naming its build, assigns itself, submits and runs it
    created = client.post(
        BASE,
        {
            "title": "shop-web 2.0.0 to CI",
            "service": world.service.pk,
            "environment": setup.env.pk,
            "model": setup.model.pk,
            "component": world.component.pk,
            "version": "2.0.0",
            "repository_ref": "oci://registry/shop-web:2.0.0",
            "checksum": checksum,
            "practitioners": [bot.pk],
            "external_id": "pipeline-42",
            **window(0.01),
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="pipeline-42",
    )
    assert created.status_code == 201, created.json()
    deployment_id = created.json()["id"]
    assert created.json()["practitioners"] == [bot.pk]
    submitted = client.post(f"{BASE}{deployment_id}/submit/", {}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == "approved"  # pre-approved: no approval needed, none by the requester
    statuses = _run(client, deployment_id, checksum)
    # then it completed, and every step is on the timeline on the API channel with the token's name
    assert statuses == ["verifying_components", "verifying_environment", "executing", "verifying", "completed"]
    events = DeploymentEvent.objects.filter(deployment_id=deployment_id)
    assert {(e.channel, e.token_name, e.actor_id) for e in events} == {("api", "gitlab shop-web", bot.pk)}
    transitions = list(events.filter(kind="transition").values_list("to_status", flat=True))
    assert transitions == [
        "approved",
        "verifying_components",
        "verifying_environment",
        "executing",
        "verifying",
        "completed",
    ]
    assert events.filter(kind="check").count() == 3
    assert "pre-approved" in events.get(to_status="approved").comment


def test_a_pipeline_polls_until_a_manager_approves_where_the_stage_is_not_pre_approved(world):
    # given a model stage that needs one approval
    setup = automated_setup(pre_approved=False)
    bot = UserFactory(username="ci-bot", roles=["practitioner"], is_service_account=True)
    client = token_client(bot, "jenkins")
    created = client.post(
        BASE,
        {
            "title": "shop-web 1.1.0 to CI",
            "service": world.service.pk,
            "environment": setup.env.pk,
            "model": setup.model.pk,
            "component_versions": [world.version_2.pk],
            "practitioners": [bot.pk],
            **window(0.01),
        },
        format="json",
    )
    deployment_id = created.json()["id"]
    # when it submits, it is pending; it may not approve its own request; it polls
    assert client.post(f"{BASE}{deployment_id}/submit/", {}, format="json").json()["status"] == "pending_approval"
    assert client.post(f"{BASE}{deployment_id}/approve/", {}, format="json").status_code == 403
    assert client.get(f"{BASE}{deployment_id}/").json()["status"] == "pending_approval"
    approved = token_client(world.users["manager"]).post(f"{BASE}{deployment_id}/approve/", {}, format="json")
    assert approved.status_code == 200
    # then the next poll sees it approved and the run goes on
    assert client.get(f"{BASE}{deployment_id}/").json()["status"] == "approved"
    assert _run(client, deployment_id, world.version_2.checksum)[-1] == "completed"


def test_a_pipeline_reports_a_failure_and_rolls_back(world):
    setup = automated_setup()
    bot = UserFactory(username="ci-bot", roles=["manager"], is_service_account=True)
    client = token_client(bot, "gitlab")
    created = client.post(
        BASE,
        {
            "title": "shop-web 1.1.0 to CI",
            "service": world.service.pk,
            "environment": setup.env.pk,
            "model": setup.model.pk,
            "component_versions": [world.version_2.pk],
            "practitioners": [bot.pk],
            **window(0.01),
        },
        format="json",
    )
    url = f"{BASE}{created.json()['id']}/"
    client.post(f"{url}submit/", {}, format="json")
    client.post(f"{url}start/", {}, format="json")
    failed = client.post(f"{url}fail/", {"comment": "Health check timed out."}, format="json")
    rolled_back = client.post(f"{url}roll-back/", {"comment": "Previous image restored."}, format="json")
    assert (failed.json()["status"], rolled_back.json()["status"]) == ("failed", "rolled_back")
    assert failed.json()["outcome"] == "Health check timed out."
