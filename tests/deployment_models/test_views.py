"""Pages of deployment models: the register, the drawn flow, forms with their errors, lifecycle buttons."""

import re

import pytest
from django.test import Client

from apps.deployment_models.models import DeploymentModel, ModelStage, ModelStatus, Responsibility
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _snapshot():
    return (
        list(DeploymentModel.objects.order_by("pk").values()),
        list(ModelStage.objects.order_by("pk").values()),
        list(Responsibility.objects.order_by("pk").values()),
    )


def test_list_shows_version_status_and_next_review(world):
    # when
    response = _client(world.users["auditor"]).get("/models/")
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Software developed in house (world)" in html
    assert "v1" in html and "Active" in html
    assert world.model.next_review_due.isoformat() in html
    assert 'data-testid="model-create"' not in html


def test_list_filters_and_sorts(world):
    client = _client(world.users["manager"])
    html = client.get("/models/?status=draft").content.decode()
    assert "Draft model (world)" in html and "Software developed in house (world)" not in html
    html = client.get("/models/?ordering=-name&q=world").content.decode()
    assert html.index("Software developed") < html.index("Draft model")
    assert client.get("/models/?status=bogus&ordering=bogus&page=abc").status_code in (200, 404)


def test_list_query_count_does_not_grow(world, django_assert_max_num_queries):
    # given many models with stages
    for i in range(15):
        model = DeploymentModelFactory(status=ModelStatus.ACTIVE)
        ModelStageFactory(model=model, environment=world.env_test, order=1)
        ModelStageFactory(model=model, environment=world.env_prod, order=2)
    client = _client(world.users["manager"])
    # when / then
    with django_assert_max_num_queries(12):
        response = client.get("/models/")
    assert response.content.decode().count('data-testid="model-row"') == 17


def test_detail_draws_the_flow_as_a_pipeline(world):
    # when
    html = _client(world.users["practitioner"]).get(f"/models/{world.model.pk}/").content.decode()
    # then three boxes in order with their approvals, sign-off and pre-approval badge
    pipeline = html[html.index('data-testid="pipeline"') :]
    names = re.findall(r'data-testid="pipeline-environment">([^<]+)<', pipeline)
    assert names == ["Test", "Staging", "Production"]
    assert pipeline.count("pipeline-arrow") == 2
    assert 'data-testid="pre-approved"' in pipeline
    assert "SO sign-off" in pipeline
    assert 'data-testid="raci-table"' in html
    # and no write buttons for a practitioner
    assert 'data-testid="model-new-version"' not in html and 'data-testid="model-retire"' not in html


def test_detail_buttons_follow_the_status(world):
    client = _client(world.users["manager"])
    active = client.get(f"/models/{world.model.pk}/").content.decode()
    draft = client.get(f"/models/{world.draft_model.pk}/").content.decode()
    assert 'data-testid="model-new-version"' in active and 'data-testid="model-edit"' not in active
    assert 'data-testid="model-activate"' not in active and "data-confirm=" in active
    # a draft is piloted first: activating it at once is the override, offered with its reason
    assert 'data-testid="model-activate-override"' in draft and 'data-testid="model-pilot"' in draft
    assert 'data-testid="model-activate"' not in draft
    assert 'data-testid="model-new-version"' not in draft


def test_create_model_through_the_form(world):
    # when
    response = _client(world.users["manager"]).post(
        "/models/new/",
        {
            "name": "Firmware",
            "automation_level": "manual",
            "component_types": ["hardware"],
            "triggers": ["release"],
            "factor_cost": "High: site visits",
            "review_interval_months": "6",
            "rollback_procedure": "Reflash the previous image.",
        },
    )
    # then
    model = DeploymentModel.objects.get(name="Firmware")
    assert response.status_code == 302 and response.url == f"/models/{model.pk}/stages/"
    assert (model.status, model.owner, model.selection_factors) == (
        "draft",
        world.users["manager"],
        {"cost": "High: site visits"},
    )


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "automation_level": "manual", "review_interval_months": "3"},
        {"name": "X", "automation_level": "magic", "review_interval_months": "3"},
        {"name": "X", "automation_level": "manual", "review_interval_months": "-1"},
        {"name": "X", "automation_level": "manual", "review_interval_months": "3", "component_types": ["ufo"]},
        {"name": "Draft model (world)", "automation_level": "manual", "review_interval_months": "3"},
    ],
)
def test_create_model_bad_input_is_a_form_error(world, data):
    before = _snapshot()
    response = _client(world.users["manager"]).post("/models/new/", data)
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode() or "alert" in response.content.decode()
    assert _snapshot() == before


def test_edit_an_active_model_sends_you_to_make_a_new_version(world):
    before = _snapshot()
    response = _client(world.users["manager"]).post(f"/models/{world.model.pk}/edit/", {"name": "Changed"})
    assert response.status_code == 302
    assert _snapshot() == before


def test_edit_a_draft(world):
    client = _client(world.users["manager"])
    response = client.post(
        f"/models/{world.draft_model.pk}/edit/",
        {"name": "Draft model (world)", "automation_level": "fully_automated", "review_interval_months": "3"},
    )
    assert response.status_code == 302
    world.draft_model.refresh_from_db()
    assert world.draft_model.automation_level == "fully_automated"


def test_add_stage_through_the_page(world):
    response = _client(world.users["manager"]).post(
        f"/models/{world.draft_model.pk}/stages/",
        {"environment": world.env_prod.pk, "approvals_required": "2", "requires_service_owner_approval": "on"},
    )
    assert response.status_code == 302
    stage = world.draft_model.stages.get(environment=world.env_prod)
    assert (stage.order, stage.approvals_required, stage.requires_service_owner_approval) == (2, 2, True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"env": "test", "approvals_required": "1"}, "already stage 1"),
        ({"env": "prod", "order": "1", "approvals_required": "1"}, "Order 1 is already"),
        ({"env": "prod", "approvals_required": "-1"}, "greater than or equal to 0"),
        ({"env": "prod", "approvals_required": "11"}, "less than or equal to 10"),
        ({"env": "prod", "approvals_required": "abc"}, "Enter a whole number"),
        ({"env": "prod", "approvals_required": "1", "pre_approved": "on"}, "needs 0 approvals"),
        ({"env": "prod", "approvals_required": "0", "requires_service_owner_approval": "on"}, "at least 1"),
        ({"env": None, "approvals_required": "1"}, "This field is required"),
    ],
)
def test_add_stage_bad_input_is_a_form_error(world, data, message):
    # given the draft has a stage into test at order 1
    env = {"test": world.env_test, "prod": world.env_prod, None: None}[data.pop("env")]
    data["environment"] = env.pk if env else ""
    before = _snapshot()
    # when
    response = _client(world.users["manager"]).post(f"/models/{world.draft_model.pk}/stages/", data)
    # then
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _snapshot() == before


def test_stage_edit_move_and_remove(world):
    client = _client(world.users["manager"])
    second = ModelStageFactory(model=world.draft_model, environment=world.env_staging, order=2)
    response = client.post(
        f"/models/{world.draft_model.pk}/stages/{second.pk}/edit/",
        {"environment": world.env_staging.pk, "order": "2", "approvals_required": "3"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.approvals_required == 3
    client.post(f"/models/{world.draft_model.pk}/stages/{second.pk}/move/", {"direction": "up"})
    assert [s.environment for s in world.draft_model.stages.all()] == [world.env_staging, world.env_test]
    client.post(f"/models/{world.draft_model.pk}/stages/{second.pk}/remove/")
    assert list(world.draft_model.stages.all()) == [world.draft_stage]


def test_stage_edit_refuses_an_environment_twice(world):
    second = ModelStageFactory(model=world.draft_model, environment=world.env_staging, order=2)
    before = _snapshot()
    response = _client(world.users["manager"]).post(
        f"/models/{world.draft_model.pk}/stages/{second.pk}/edit/",
        {"environment": world.env_test.pk, "order": "2", "approvals_required": "1"},
    )
    assert response.status_code == 400 and "already stage 1" in response.content.decode()
    assert _snapshot() == before


def test_responsibilities_page_refuses_a_second_accountable(world):
    client = _client(world.users["manager"])
    before = _snapshot()
    response = client.post(
        f"/models/{world.draft_model.pk}/responsibilities/",
        {"activity": "Deploy", "role": "Product owner", "raci": "A"},
    )
    assert response.status_code == 400 and "already has an Accountable" in response.content.decode()
    assert _snapshot() == before
    response = client.post(
        f"/models/{world.draft_model.pk}/responsibilities/",
        {"activity": "Deploy", "role": "Product owner", "raci": "I"},
    )
    assert response.status_code == 302
    assert world.draft_model.responsibilities.count() == 2


def test_lifecycle_buttons(world):
    client = _client(world.users["manager"])
    # new version of the active model
    response = client.post(f"/models/{world.model.pk}/new-version/")
    copy = DeploymentModel.objects.get(name=world.model.name, version=2)
    assert response.url == f"/models/{copy.pk}/"
    assert copy.stages.count() == 3
    # a second new version is refused with a message, nothing changes
    before = _snapshot()
    response = client.post(f"/models/{world.model.pk}/new-version/", follow=True)
    assert "already in draft" in response.content.decode()
    assert _snapshot() == before
    # pilot, then activate: the old version is retired
    client.post(f"/models/{copy.pk}/pilot/")
    client.post(f"/models/{copy.pk}/activate/", {"override_reason": "A hotfix that cannot wait for a pilot"})
    copy.refresh_from_db()
    world.model.refresh_from_db()
    assert (copy.status, world.model.status) == ("active", "retired")


def test_activate_without_stages_is_a_message(world):
    model = DeploymentModelFactory()
    response = _client(world.users["manager"]).post(f"/models/{model.pk}/activate/", follow=True)
    assert "at least one stage" in response.content.decode()
    model.refresh_from_db()
    assert model.status == "draft"


def test_non_manager_cannot_change_anything(world):
    before = _snapshot()
    client = _client(world.users["service_owner"])
    for url, data in [
        ("/models/new/", {"name": "X", "automation_level": "manual", "review_interval_months": "3"}),
        (f"/models/{world.draft_model.pk}/stages/", {"environment": world.env_prod.pk, "approvals_required": "1"}),
        (f"/models/{world.draft_model.pk}/activate/", {}),
        (f"/models/{world.model.pk}/retire/", {}),
    ]:
        assert client.post(url, data).status_code == 403
    assert _snapshot() == before
