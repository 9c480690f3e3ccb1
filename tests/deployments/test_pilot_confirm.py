"""Model testing on deployments: a deployment manager confirms each completed run under a model in pilot."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from apps.audit.models import AuditEntry
from apps.core.exceptions import ConflictError
from apps.deployments.models import Deployment, EventKind
from apps.deployments.services import Context, deployment_pilot_confirm
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


@pytest.fixture
def pilot_model():
    return DeploymentModelFactory(pilot=True, pilot_runs_required=2)


def _run(model, status=Status.COMPLETED) -> Deployment:
    return DeploymentFactory(model=model, status=status)


def _state(deployment) -> tuple:
    deployment.refresh_from_db()
    deployment.model.refresh_from_db()
    return (
        deployment.pilot_confirmed_at,
        deployment.version,
        deployment.events.count(),
        deployment.model.pilot_runs_confirmed,
    )


def test_a_manager_confirms_a_completed_pilot_run(manager, pilot_model):
    # given a completed deployment under a model in pilot
    deployment = _run(pilot_model)
    # when a deployment manager confirms it
    confirmed = deployment_pilot_confirm(ctx=Context(actor=manager), deployment=deployment, comment="Watched it all")
    # then who, when and the comment are on the deployment, in its timeline and in the audit trail
    assert (confirmed.pilot_confirmed_by, confirmed.pilot_comment) == (manager, "Watched it all")
    assert confirmed.pilot_confirmed_at is not None
    event = confirmed.events.get(kind=EventKind.PILOT)
    assert event.actor == manager and "1 of 2" in event.comment and "Watched it all" in event.comment
    assert AuditEntry.objects.filter(action=EventKind.PILOT, object_id=str(deployment.pk)).exists()
    # and the model counts the run
    pilot_model.refresh_from_db()
    assert pilot_model.pilot_runs_confirmed == 1


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda m: _run(m, status=Status.EXECUTING), "confirmed once it is completed"),
        (lambda m: _run(m, status=Status.FAILED), "confirmed once it is completed"),
        (lambda m: _run(DeploymentModelFactory(active=True)), "not under a model in pilot"),
        (lambda m: DeploymentFactory(model=None, status=Status.COMPLETED), "not under a model in pilot"),
    ],
)
def test_refused_runs_change_nothing(manager, pilot_model, setup, message):
    deployment = setup(pilot_model)
    before = (deployment.version, deployment.events.count(), pilot_model.pilot_runs_confirmed)
    with pytest.raises(ConflictError, match=message):
        deployment_pilot_confirm(ctx=Context(actor=manager), deployment=deployment)
    deployment.refresh_from_db()
    pilot_model.refresh_from_db()
    assert deployment.pilot_confirmed_at is None
    assert (deployment.version, deployment.events.count(), pilot_model.pilot_runs_confirmed) == before


def test_a_run_is_confirmed_once(manager, pilot_model):
    deployment = _run(pilot_model)
    deployment_pilot_confirm(ctx=Context(actor=manager), deployment=deployment)
    before = _state(deployment)
    with pytest.raises(ConflictError, match="confirmed as a pilot run already"):
        deployment_pilot_confirm(ctx=Context(actor=manager), deployment=deployment)
    assert _state(deployment) == before


@pytest.mark.parametrize("role", ["practitioner", "service_owner", "product_owner", "auditor", "supplier_contact"])
def test_only_deployment_managers_confirm(pilot_model, role):
    deployment = _run(pilot_model)
    before = _state(deployment)
    with pytest.raises(PermissionDenied, match="Only a deployment manager"):
        deployment_pilot_confirm(ctx=Context(actor=UserFactory(roles=[role])), deployment=deployment)
    assert _state(deployment) == before


def test_pilot_runs_lead_to_the_evaluation(manager, pilot_model):
    # given two confirmed runs of a pilot of two
    for _ in range(2):
        deployment_pilot_confirm(ctx=Context(actor=manager), deployment=_run(pilot_model))
    pilot_model.refresh_from_db()
    assert pilot_model.pilot_runs_missing == 0 and pilot_model.pilot_percent == 100


# --- API and page ----------------------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_api_confirms_and_shows_the_fields(manager, pilot_model):
    deployment = _run(pilot_model)
    response = _client(manager).post(
        f"/api/v1/deployments/{deployment.pk}/pilot-confirm/",
        json.dumps({"comment": "Fine"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["pilot_confirmed_by"], body["pilot_comment"]) == (manager.pk, "Fine")
    assert body["pilot_confirmed_at"]


def test_api_refusal_is_409_with_the_reason(manager, pilot_model):
    deployment = _run(pilot_model, status=Status.VERIFYING)
    response = _client(manager).post(f"/api/v1/deployments/{deployment.pk}/pilot-confirm/")
    assert response.status_code == 409
    assert "once it is completed" in response.json()["detail"]


def test_page_offers_the_confirmation_to_managers_only(manager, pilot_model):
    deployment = _run(pilot_model)
    page = _client(manager).get(f"/deployments/{deployment.pk}/").content.decode()
    assert 'data-testid="pilot-confirm"' in page and "0 of 2 confirmed" in page
    auditor_page = _client(UserFactory(roles=["auditor"])).get(f"/deployments/{deployment.pk}/").content.decode()
    assert 'data-testid="pilot"' in auditor_page and 'data-testid="pilot-confirm"' not in auditor_page
    # when the manager confirms through the page
    response = _client(manager).post(f"/deployments/{deployment.pk}/pilot-confirm/", {"comment": "Clean"}, follow=True)
    assert 'data-testid="pilot-confirmed"' in response.content.decode()
    deployment.refresh_from_db()
    assert deployment.pilot_comment == "Clean"
