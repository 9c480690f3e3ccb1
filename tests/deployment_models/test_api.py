"""API of deployment models, stages and responsibilities: shapes, lifecycle actions, 400/403/409, query counts."""

import json

import pytest

from apps.deployment_models.models import DeploymentModel, ModelStage, ModelStatus, Responsibility
from tests.factories.accounts import token_for
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(DeploymentModel.objects.order_by("pk").values()),
        list(ModelStage.objects.order_by("pk").values()),
        list(Responsibility.objects.order_by("pk").values()),
    )


@pytest.fixture
def manager_client(world, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world.users['manager'])}")
    return api_client


def _post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def test_model_detail_shape(world, manager_client):
    body = manager_client.get(f"/api/v1/deployment-models/{world.model.pk}/").json()
    for key in ["id", "name", "version", "status", "automation_level", "component_types", "next_review_due", "stages"]:
        assert key in body
    assert [(s["environment"], s["order"], s["approvals_required"], s["pre_approved"]) for s in body["stages"]] == [
        (world.env_test.pk, 1, 0, True),
        (world.env_staging.pk, 2, 1, False),
        (world.env_prod.pk, 3, 2, False),
    ]
    assert body["stages"][2]["requires_service_owner_approval"] is True


def test_list_filters(world, manager_client):
    names = [m["name"] for m in manager_client.get("/api/v1/deployment-models/?status=draft").json()["results"]]
    assert names == ["Draft model (world)"]
    response = manager_client.get("/api/v1/deployment-models/?status=bogus")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_list_query_count_is_constant(world, manager_client, django_assert_max_num_queries):
    for _ in range(20):
        model = DeploymentModelFactory(status=ModelStatus.ACTIVE)
        ModelStageFactory(model=model, environment=world.env_test, order=1)
        ModelStageFactory(model=model, environment=world.env_prod, order=2)
    with django_assert_max_num_queries(12):
        response = manager_client.get("/api/v1/deployment-models/")
    assert response.json()["count"] == 22
    with django_assert_max_num_queries(10):
        assert manager_client.get("/api/v1/model-stages/").json()["count"] == 44
    with django_assert_max_num_queries(10):
        assert manager_client.get("/api/v1/responsibilities/").status_code == 200


def test_create_and_update_a_draft(world, manager_client):
    response = _post(
        manager_client,
        "/api/v1/deployment-models/",
        {
            "name": "Data migration",
            "automation_level": "partly_automated",
            "component_types": ["data"],
            "triggers": ["technical_change"],
            "selection_factors": {"cost": "Low"},
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["version"], body["selection_factors"]) == ("draft", 1, {"cost": "Low"})
    response = _patch(manager_client, f"/api/v1/deployment-models/{body['id']}/", {"review_interval_months": 6})
    assert response.status_code == 200 and response.json()["review_interval_months"] == 6


def test_an_active_model_is_immutable_409(world, manager_client):
    before = _snapshot()
    response = _patch(manager_client, f"/api/v1/deployment-models/{world.model.pk}/", {"description": "x"})
    assert response.status_code == 409 and response.json()["code"] == "model_immutable"
    response = _patch(manager_client, f"/api/v1/model-stages/{world.stage_prod.pk}/", {"approvals_required": 1})
    assert response.status_code == 409
    assert manager_client.delete(f"/api/v1/model-stages/{world.stage_prod.pk}/").status_code == 409
    assert _snapshot() == before


def test_lifecycle_actions(world, manager_client):
    response = _post(manager_client, f"/api/v1/deployment-models/{world.model.pk}/new-version/")
    assert response.status_code == 201
    copy = response.json()
    assert (copy["version"], copy["status"], copy["previous_version"], len(copy["stages"])) == (
        2,
        "draft",
        world.model.pk,
        3,
    )
    assert _post(manager_client, f"/api/v1/deployment-models/{world.model.pk}/new-version/").status_code == 409
    assert _post(manager_client, f"/api/v1/deployment-models/{copy['id']}/pilot/").json()["status"] == "pilot"
    body = _post(
        manager_client, f"/api/v1/deployment-models/{copy['id']}/activate/", {"override_reason": "Piloted on paper"}
    ).json()
    assert body["status"] == "active" and body["next_review_due"]
    world.model.refresh_from_db()
    assert world.model.status == "retired"
    assert _post(manager_client, f"/api/v1/deployment-models/{world.model.pk}/retire/").status_code == 409
    assert _post(manager_client, f"/api/v1/deployment-models/{copy['id']}/retire/").json()["status"] == "retired"


def test_activate_without_stages_is_400(world, manager_client):
    model = DeploymentModelFactory()
    response = _post(manager_client, f"/api/v1/deployment-models/{model.pk}/activate/")
    assert response.status_code == 400 and "at least one stage" in response.json()["detail"]


@pytest.mark.parametrize(
    "data",
    [
        {"env": "test", "approvals_required": 1},  # the same environment twice
        {"env": "prod", "order": 1},  # duplicate order
        {"env": "prod", "approvals_required": -1},
        {"env": "prod", "approvals_required": 11},
        {"env": "prod", "approvals_required": "many"},
        {"env": "prod", "order": 10**20},
        {"env": "prod", "pre_approved": True, "approvals_required": 2},
        {"env": "prod", "requires_service_owner_approval": True, "approvals_required": 0},
        {"env": "missing"},
        {"env": "prod", "model": "abc"},
        {"env": "prod", "model": 999999},
    ],
)
def test_stage_bad_input_is_400_and_writes_nothing(world, manager_client, data):
    env = {"test": world.env_test.pk, "prod": world.env_prod.pk, "missing": 999999}[data.pop("env")]
    payload = {"model": world.draft_model.pk, "environment": env, **data}
    before = _snapshot()
    response = _post(manager_client, "/api/v1/model-stages/", payload)
    assert response.status_code == 400, response.json()
    assert response.json()["detail"]
    assert _snapshot() == before


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"name": ""},
        {"name": "X", "component_types": ["ufo"]},
        {"name": "X", "component_types": "software"},
        {"name": "X", "selection_factors": {"colour": "blue"}},
        {"name": "X", "selection_factors": ["cost"]},
        {"name": "X", "triggers": [None]},
        {"name": "X", "review_interval_months": 0},
        {"name": "Draft model (world)"},
        {"name": "X" * 500},
        {"name": "X", "rollback_rehearsed_on": "yesterday"},
    ],
)
def test_model_bad_input_is_400(world, manager_client, data):
    before = _snapshot()
    response = _post(manager_client, "/api/v1/deployment-models/", data)
    assert response.status_code == 400, response.content
    assert _snapshot() == before


def test_a_pre_approved_stage_defaults_to_no_approvals(world, manager_client):
    payload = {"model": world.draft_model.pk, "environment": world.env_prod.pk, "pre_approved": True}
    response = _post(manager_client, "/api/v1/model-stages/", payload)
    assert response.status_code == 201, response.json()
    assert (response.json()["approvals_required"], response.json()["order"]) == (0, 2)


def test_malformed_json_is_400(world, manager_client):
    response = manager_client.post("/api/v1/model-stages/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_responsibility_second_accountable_is_400(world, manager_client):
    before = _snapshot()
    response = _post(
        manager_client,
        "/api/v1/responsibilities/",
        {"model": world.draft_model.pk, "activity": "Deploy", "role": "Product owner", "raci": "A"},
    )
    assert response.status_code == 400 and "already has an Accountable" in response.json()["detail"]
    assert _snapshot() == before


@pytest.mark.parametrize("role", ["practitioner", "service_owner", "product_owner", "auditor"])
def test_non_managers_write_nothing(world, api_client, role):
    api_client.force_authenticate(world.users[role])
    before = _snapshot()
    assert _post(api_client, "/api/v1/deployment-models/", {"name": "X"}).status_code == 403
    assert _post(api_client, "/api/v1/deployment-models/", {"bad": ["input"]}).status_code == 403
    assert _post(api_client, f"/api/v1/deployment-models/{world.draft_model.pk}/activate/").status_code == 403
    assert _post(api_client, f"/api/v1/deployment-models/{world.model.pk}/new-version/").status_code == 403
    assert _patch(api_client, f"/api/v1/model-stages/{world.draft_stage.pk}/", {"order": 2}).status_code == 403
    assert api_client.delete(f"/api/v1/responsibilities/{world.draft_responsibility.pk}/").status_code == 403
    assert _snapshot() == before
