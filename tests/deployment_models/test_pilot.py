"""Model testing: a pilot of confirmed runs, its evaluation, and activation only after it (or with an override)."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from guardian.shortcuts import assign_perm

from apps.audit.models import AuditEntry
from apps.core.exceptions import ConflictError
from apps.deployment_models import services
from apps.deployment_models.models import DeploymentModel, ModelStatus
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import (
    DeploymentModelFactory,
    ModelStageFactory,
    ResponsibilityFactory,
    environment,
)

pytestmark = pytest.mark.django_db
EVALUATION = {"outcome": "successful", "findings": "Three clean runs; the smoke test needs a retry.", "decision": ""}


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


def _ready_model(**kwargs) -> DeploymentModel:
    model = DeploymentModelFactory(**kwargs)
    ModelStageFactory(model=model, environment=environment("test"), order=1, approvals_required=1)
    ResponsibilityFactory(model=model, activity="Approve", role="Deployment manager", raci="A")
    return model


def _piloted(manager, runs: int = 3, confirmed: int | None = None) -> DeploymentModel:
    model = services.model_pilot(model=_ready_model(pilot_runs_required=runs), actor=manager)
    for _ in range(runs if confirmed is None else confirmed):
        services.model_pilot_run_record(model=model, actor=manager)
    model.refresh_from_db()
    return model


def _state(model) -> tuple:
    model.refresh_from_db()
    return (model.status, model.pilot_runs_confirmed, model.evaluation_decision, model.pilot_overridden_at)


def test_a_new_model_asks_for_three_pilot_runs_by_default():
    assert DeploymentModelFactory().pilot_runs_required == 3


def test_pilot_starts_the_count_afresh(manager):
    # given a draft that was piloted, counted a run and was sent back to draft by its evaluation
    model = _piloted(manager, runs=1)
    services.model_evaluate(model=model, actor=manager, **{**EVALUATION, "decision": "revise"})
    # when it is piloted again
    model = services.model_pilot(model=model, actor=manager)
    # then the runs and the evaluation start again
    assert (model.status, model.pilot_runs_confirmed, model.evaluation_decision) == (ModelStatus.PILOT, 0, "")
    assert model.pilot_started_at is not None


def test_a_draft_is_not_activated_without_a_pilot(manager):
    model = _ready_model()
    before = _state(model)
    with pytest.raises(ConflictError, match="has not been piloted") as exc:
        services.model_activate(model=model, actor=manager)
    assert exc.value.code == "pilot_required"
    assert _state(model) == before


def test_a_new_version_of_an_active_model_is_piloted_afresh(manager):
    # given an active model that went through its pilot
    model = _piloted(manager, runs=1)
    services.model_evaluate(model=model, actor=manager, **{**EVALUATION, "decision": "activate"})
    model = services.model_activate(model=model, actor=manager)
    # when a new version is made, it starts as a draft without runs or evaluation of its own
    copy = services.model_new_version(model=model, actor=manager)
    assert (copy.status, copy.pilot_runs_confirmed, copy.evaluation_decision) == (ModelStatus.DRAFT, 0, "")
    # then it is not activated without its own pilot, and the version before it stays active
    with pytest.raises(ConflictError) as exc:
        services.model_activate(model=copy, actor=manager)
    assert exc.value.code == "pilot_required"
    model.refresh_from_db()
    assert (_state(copy)[0], model.status) == (ModelStatus.DRAFT, ModelStatus.ACTIVE)


def test_activation_names_the_missing_pilot_runs(manager):
    model = _piloted(manager, runs=3, confirmed=1)
    with pytest.raises(ConflictError, match="missing 2 of its 3 confirmed deployments"):
        services.model_activate(model=model, actor=manager)
    assert _state(model)[0] == ModelStatus.PILOT


def test_activation_needs_the_evaluation(manager):
    model = _piloted(manager, runs=2)
    with pytest.raises(ConflictError, match="no evaluation yet"):
        services.model_activate(model=model, actor=manager)


def test_evaluation_needs_every_run(manager):
    model = _piloted(manager, runs=3, confirmed=2)
    before = _state(model)
    with pytest.raises(ConflictError, match="1 more before it can be evaluated"):
        services.model_evaluate(model=model, actor=manager, **{**EVALUATION, "decision": "activate"})
    assert _state(model) == before


def test_evaluated_to_activate_then_activated(manager):
    # given a pilot with its runs
    model = _piloted(manager, runs=2)
    # when it is evaluated and activated
    evaluated = services.model_evaluate(model=model, actor=manager, **{**EVALUATION, "decision": "activate"})
    active = services.model_activate(model=model, actor=manager)
    # then the evaluation is on the model, and no override was needed
    assert (evaluated.evaluation_outcome, evaluated.evaluation_decision, evaluated.evaluated_by) == (
        "successful",
        "activate",
        manager,
    )
    assert active.status == ModelStatus.ACTIVE and active.pilot_overridden_at is None
    # and every step is in the audit trail
    changes = AuditEntry.objects.filter(object_type="deployment_models.deploymentmodel", object_id=str(model.pk))
    assert changes.filter(changes__has_key="evaluation_decision").exists()


@pytest.mark.parametrize(("decision", "status"), [("revise", ModelStatus.DRAFT), ("abandon", ModelStatus.RETIRED)])
def test_evaluation_that_does_not_activate(manager, decision, status):
    model = _piloted(manager, runs=1)
    result = services.model_evaluate(model=model, actor=manager, **{**EVALUATION, "decision": decision})
    assert result.status == status
    if status == ModelStatus.DRAFT:  # revised: the pilot starts again before activation
        with pytest.raises(ConflictError, match="has not been piloted"):
            services.model_activate(model=result, actor=manager)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"outcome": "great", "decision": "activate"}, "outcome"),
        ({"decision": "deploy"}, "decision"),
        ({"findings": "  ", "decision": "activate"}, "findings"),
        ({"outcome": "unsuccessful", "decision": "activate"}, "decision"),
    ],
)
def test_evaluation_input_is_validated(manager, data, field):
    model = _piloted(manager, runs=1)
    before = _state(model)
    with pytest.raises(ValidationError) as exc:
        services.model_evaluate(model=model, actor=manager, **{**EVALUATION, **data})
    assert field in exc.value.message_dict
    assert _state(model) == before


def test_only_a_model_in_pilot_is_evaluated_once(manager):
    model = _piloted(manager, runs=1)
    services.model_evaluate(model=model, actor=manager, **{**EVALUATION, "decision": "activate"})
    with pytest.raises(ConflictError, match="evaluated already"):
        services.model_evaluate(model=model, actor=manager, **{**EVALUATION, "decision": "abandon"})
    with pytest.raises(ConflictError, match="only a model in pilot"):
        services.model_evaluate(model=_ready_model(), actor=manager, **{**EVALUATION, "decision": "activate"})


def test_a_manager_overrides_the_pilot_with_a_reason(manager):
    # given a pilot one run short
    model = _piloted(manager, runs=3, confirmed=2)
    # when a deployment manager activates it with a reason
    active = services.model_activate(model=model, actor=manager, override_reason="  Security fix, cannot wait  ")
    # then it is active and the override is recorded on it
    assert active.status == ModelStatus.ACTIVE
    assert (active.pilot_override_reason, active.pilot_overridden_by) == ("Security fix, cannot wait", manager)
    assert active.pilot_overridden_at is not None


def test_a_finished_pilot_records_no_override(manager):
    model = _piloted(manager, runs=1)
    services.model_evaluate(model=model, actor=manager, **{**EVALUATION, "decision": "activate"})
    active = services.model_activate(model=model, actor=manager, override_reason="Not needed")
    assert active.pilot_overridden_at is None and active.pilot_override_reason == ""


def test_only_deployment_managers_override(manager):
    # given someone who may change models but is no deployment manager
    editor = UserFactory()
    assign_perm("deployment_models.change_deploymentmodel", editor)
    model = _ready_model()
    before = _state(model)
    with pytest.raises(PermissionDenied, match="Only a deployment manager may skip"):
        services.model_activate(model=model, actor=editor, override_reason="Because")
    assert _state(model) == before


def test_only_deployment_managers_count_pilot_runs(manager):
    model = _piloted(manager, runs=3, confirmed=0)
    with pytest.raises(PermissionDenied):
        services.model_pilot_run_record(model=model, actor=UserFactory(roles=["practitioner"]))
    with pytest.raises(ConflictError, match="not in pilot"):
        services.model_pilot_run_record(model=_ready_model(), actor=manager)
    assert _state(model)[1] == 0


def test_pilot_runs_required_is_bounded(manager):
    with pytest.raises(ValidationError, match="1 to 50"):
        services.model_create(actor=manager, name="Kiosks", pilot_runs_required=0)


# --- API and pages ---------------------------------------------------------------------------------------------


def _api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_api_refuses_activation_naming_what_is_missing(manager):
    model = _piloted(manager, runs=3, confirmed=1)
    response = _post(_api(manager), f"/api/v1/deployment-models/{model.pk}/activate/")
    assert response.status_code == 409
    assert "missing 2 of its 3 confirmed deployments" in response.json()["detail"]


def test_api_evaluates_then_activates_and_shows_the_pilot(manager):
    client = _api(manager)
    model = _piloted(manager, runs=1)
    url = f"/api/v1/deployment-models/{model.pk}/"
    body = _post(client, url + "evaluate/", {**EVALUATION, "decision": "activate"}).json()
    assert (body["evaluation_decision"], body["pilot_runs_confirmed"], body["pilot_runs_required"]) == (
        "activate",
        1,
        1,
    )
    assert body["evaluated_by"] == manager.pk and body["evaluation_findings"] == EVALUATION["findings"]
    assert _post(client, url + "activate/").json()["status"] == "active"


def test_api_evaluation_bad_input_is_400(manager):
    model = _piloted(manager, runs=1)
    response = _post(_api(manager), f"/api/v1/deployment-models/{model.pk}/evaluate/", {"outcome": "x"})
    assert response.status_code == 400
    assert {"outcome", "findings", "decision"} <= set(response.json()["errors"])


def test_api_override_records_the_reason(manager):
    model = _ready_model()
    body = _post(
        _api(manager), f"/api/v1/deployment-models/{model.pk}/activate/", {"override_reason": "Vendor deadline"}
    ).json()
    assert (body["status"], body["pilot_override_reason"], body["pilot_overridden_by"]) == (
        "active",
        "Vendor deadline",
        manager.pk,
    )


def test_model_page_shows_progress_evaluation_and_the_gate(manager):
    client = _api(manager)
    model = _piloted(manager, runs=3, confirmed=1)
    page = client.get(f"/models/{model.pk}/").content.decode()
    assert 'data-testid="pilot-progress"' in page and "1 of 3" in page
    assert "missing 2 of its 3" in page and 'data-testid="model-activate-override"' in page
    assert 'data-testid="model-evaluate-form"' not in page  # not before every run is confirmed
    services.model_pilot_run_record(model=model, actor=manager)
    services.model_pilot_run_record(model=model, actor=manager)
    assert 'data-testid="model-evaluate-form"' in client.get(f"/models/{model.pk}/").content.decode()
    # when the evaluation is posted through the page
    response = client.post(f"/models/{model.pk}/evaluate/", {**EVALUATION, "decision": "activate"}, follow=True)
    page = response.content.decode()
    assert 'data-testid="pilot-evaluation"' in page and EVALUATION["findings"] in page
    assert 'data-testid="model-activate"' in page  # now a plain activation


def test_page_refusals_are_messages(manager):
    client = _api(manager)
    model = _piloted(manager, runs=3, confirmed=0)
    before = _state(model)
    page = client.post(f"/models/{model.pk}/evaluate/", {**EVALUATION, "decision": "activate"}, follow=True)
    assert "3 more before it can be evaluated" in page.content.decode()
    page = client.post(f"/models/{model.pk}/activate/", follow=True)
    assert "missing 3 of its 3" in page.content.decode()
    assert _state(model) == before
    # and with an override reason the page activates it
    client.post(f"/models/{model.pk}/activate/", {"override_reason": "Proven at a sister site"})
    assert _state(model)[0] == ModelStatus.ACTIVE
