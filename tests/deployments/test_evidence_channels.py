"""The evidence rules (issue 15) through the API, the pages and the admin: each refusal is a 400 or 409 that says
what is missing, and nothing changes."""

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from apps.deployments.models import Approval, CheckKind, CheckResult
from apps.deployments.services import Context, deployment_transition
from apps.deployments.workflow import Status
from tests.factories.accounts import token_for
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory
from tests.factories.deployments import DeploymentFactory, advance, plan, soon
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/deployments/"


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, 'evidence')}")
    return client


def started(w):
    return deployment_transition(
        ctx=Context(actor=w.users["practitioner"]), deployment=w.deployment, transition="start"
    )


def bare_pending(w):
    """Pending approval in controlled staging with no acceptance criterion (planned before the rule)."""
    return DeploymentFactory(
        service=w.service, environment=w.env_staging, status=Status.PENDING_APPROVAL, acceptance_criteria=""
    )


def approved_with_entry_criteria(w):
    env = EnvironmentFactory(name="Pre-production", slug="preprod", kind="staging", allows_parallel_deployments=True)
    assign_perm("environments.deploy_to_environment", w.users["practitioner"], env)
    model = DeploymentModelFactory(active=True, component_types=["software"], component_sources=["in_house"])
    ModelStageFactory(model=model, environment=env, order=1, entry_criteria="Backup taken", exit_criteria="")
    d = plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=env,
        versions=[w.version_2],
        model=model,
        start=soon(20),
        practitioners=[w.users["practitioner"]],
    )
    return advance(d, to=Status.APPROVED, manager=w.users["manager"])


# --- API -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"result": "pass", "evidence": " "}, "A required check passes only with evidence"),
        ({"result": "n_a"}, "Say why this check does not apply"),
    ],
)
def test_api_refuses_a_check_without_evidence_with_400(world, body, message):
    # given a started deployment's component check
    d = started(world)
    check = d.checks.get(kind=CheckKind.COMPONENT)
    body = {**body, "observed_checksum": world.version_1.checksum}
    # when the practitioner records it without evidence
    response = api(world.users["practitioner"]).patch(f"{API}{d.pk}/checks/{check.pk}/", body, format="json")
    # then 400 naming the evidence, and the check is still pending
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["evidence"][0].startswith(message)
    check.refresh_from_db()
    assert (check.result, check.evidence, check.recorded_by_id) == (CheckResult.PENDING, "", None)


def test_api_records_a_pass_with_evidence(world):
    d = started(world)
    check = d.checks.get(kind=CheckKind.COMPONENT)
    body = {"result": "pass", "evidence": "sha256sum on app01", "observed_checksum": world.version_1.checksum}
    response = api(world.users["practitioner"]).patch(f"{API}{d.pk}/checks/{check.pk}/", body, format="json")
    assert response.status_code == 200
    assert (response.json()["result"], response.json()["evidence"]) == ("pass", "sha256sum on app01")


def test_api_refuses_to_submit_to_a_controlled_environment_without_acceptance_criteria(world):
    # given a draft to staging naming no acceptance criterion
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=world.env_staging,
        versions=[world.version_2],
        start=soon(30),
        acceptance_criteria="",
    )
    # when the requester submits it through the API
    response = api(world.users["product_owner"]).post(f"{API}{d.pk}/submit/", {}, format="json")
    # then 400 on the acceptance criteria and still a draft
    assert response.status_code == 400, response.content
    assert "controlled environment" in response.json()["errors"]["acceptance_criteria"][0]
    d.refresh_from_db()
    assert d.status == Status.DRAFT


def test_api_refuses_to_approve_without_an_acceptance_check_with_409(world):
    d = bare_pending(world)
    response = api(world.users["manager"]).post(f"{API}{d.pk}/approve/", {}, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "acceptance_check_missing"
    assert "at least one acceptance check" in response.json()["detail"]
    d.refresh_from_db()
    assert (d.status, Approval.objects.filter(deployment=d).count()) == (Status.PENDING_APPROVAL, 0)


def test_api_lists_entry_checks_and_refuses_start_until_they_pass(world):
    # given an approved deployment with an entry criterion
    d = approved_with_entry_criteria(world)
    client = api(world.users["practitioner"])
    # when the practitioner lists the checks and starts it
    kinds = [c["kind"] for c in client.get(f"{API}{d.pk}/checks/").json()["results"]]
    response = client.post(f"{API}{d.pk}/start/", {}, format="json")
    # then the entry check is listed, and the start is a 409 naming it
    assert "entry" in kinds
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["conflicts"]) == ("checks_not_passed", ["Backup taken"])
    d.refresh_from_db()
    assert d.status == Status.APPROVED


# --- pages ---------------------------------------------------------------------------------------------------------


def test_page_shows_the_evidence_error_on_the_check_and_records_nothing(client, world):
    # given a started deployment's component check
    d = started(world)
    check = d.checks.get(kind=CheckKind.COMPONENT)
    client.force_login(world.users["practitioner"])
    # when the practitioner passes it with no evidence
    response = client.post(
        reverse("deployments:check_record", args=[d.pk, check.pk]),
        {"result": "pass", "evidence": "", "observed_checksum": world.version_1.checksum},
    )
    # then 400 with the message on the page, and the check is still pending
    assert response.status_code == 400
    assert "A required check passes only with evidence" in response.content.decode()
    check.refresh_from_db()
    assert check.result == CheckResult.PENDING


def test_page_refuses_approval_without_an_acceptance_check_with_409(client, world):
    d = bare_pending(world)
    client.force_login(world.users["manager"])
    response = client.post(reverse("deployments:deployment_transition", args=[d.pk, "approve"]), {})
    assert response.status_code == 409
    assert "Staging is a controlled environment" in response.content.decode()
    d.refresh_from_db()
    assert d.status == Status.PENDING_APPROVAL


def test_page_shows_the_acceptance_and_entry_gates_in_the_readiness_panel(client, world):
    # given a pending deployment missing its acceptance check, and an approved one with an entry criterion open
    pending, staged = bare_pending(world), approved_with_entry_criteria(world)
    client.force_login(world.users["manager"])
    # when the manager opens both pages
    pending_html = client.get(reverse("deployments:deployment_detail", args=[pending.pk])).content.decode()
    staged_html = client.get(reverse("deployments:deployment_detail", args=[staged.pk])).content.decode()
    # then each panel shows the closed gate
    assert 'data-code="acceptance" data-ok="false"' in pending_html
    assert 'data-code="entry_checks" data-ok="false"' in staged_html
    assert "Backup taken" in staged_html


# --- admin ---------------------------------------------------------------------------------------------------------


def test_the_admin_approve_action_obeys_the_acceptance_rule(client, world):
    # given a pending deployment without an acceptance check, and an administrator
    d = bare_pending(world)
    client.force_login(world.users["admin"])
    # when the admin action approves it
    response = client.post(
        reverse("admin:deployments_deployment_changelist"),
        {"action": "transition_approve", "_selected_action": [d.pk]},
        follow=True,
    )
    # then the action is refused with the reason and nothing changed
    assert "at least one acceptance check" in response.content.decode()
    d.refresh_from_db()
    assert (d.status, Approval.objects.filter(deployment=d).count()) == (Status.PENDING_APPROVAL, 0)
