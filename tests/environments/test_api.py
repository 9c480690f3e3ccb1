"""The environments, freeze-windows and maintenance-windows API: fields, filters, writes, errors, query counts."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from apps.environments.models import Environment, FreezeWindow, MaintenanceWindow
from tests.factories.accounts import UserFactory, token_for
from tests.factories.environments import (
    EnvironmentCheckFactory,
    EnvironmentFactory,
    FreezeWindowFactory,
    MaintenanceWindowFactory,
)

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.fixture
def manager_api():
    return api_for(UserFactory(roles=["manager"]))


def freeze_body(**overrides):
    body = {
        "name": "Peak",
        "environment": None,
        "reason": "Peak trading",
        "start": "2031-11-20T00:00:00Z",
        "end": "2031-11-30T00:00:00Z",
    }
    body.update(overrides)
    return body


def test_environment_list_fields_and_filters(manager_api):
    env = EnvironmentFactory(slug="prod", name="Prod", kind="production", requires_maintenance_window=True)
    EnvironmentCheckFactory(environment=env, description="Cooling ok")
    EnvironmentFactory(slug="dev", name="Dev", kind="development")
    response = manager_api.get("/api/v1/environments/", {"kind": "production"})
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert {
        "id",
        "name",
        "slug",
        "kind",
        "order",
        "controlled",
        "allows_parallel_deployments",
        "purpose",
        "owner",
        "requires_maintenance_window",
        "standing_checks",
    } <= set(item)
    assert item["slug"] == "prod" and item["standing_checks"][0]["description"] == "Cooling ok"


def test_environment_list_bad_filter_is_400(manager_api):
    response = manager_api.get("/api/v1/environments/", {"kind": "moon"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_environment_list_query_count(manager_api, django_assert_max_num_queries):
    for _ in range(20):
        EnvironmentCheckFactory(environment=EnvironmentFactory(owner=UserFactory()))
    with django_assert_max_num_queries(8):
        assert manager_api.get("/api/v1/environments/").status_code == 200


def test_environment_create_and_duplicate_slug(manager_api):
    response = manager_api.post("/api/v1/environments/", {"name": "UAT", "kind": "test"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["slug"] == "uat"
    response = manager_api.post(
        "/api/v1/environments/", {"name": "UAT 2", "slug": "uat", "kind": "test"}, format="json"
    )
    assert response.status_code == 400
    assert "slug" in response.json()["errors"]
    assert Environment.objects.count() == 1


def test_environment_delete(manager_api):
    env = EnvironmentFactory()
    assert manager_api.delete(f"/api/v1/environments/{env.pk}/").status_code == 204


def test_environment_delete_in_use_is_409(manager_api):
    from tests.factories.deployments import DeploymentFactory

    deployment = DeploymentFactory()
    response = manager_api.delete(f"/api/v1/environments/{deployment.environment_id}/")
    assert response.status_code == 409
    assert response.json()["code"] == "environment_in_use"
    assert Environment.objects.filter(pk=deployment.environment_id).exists()


@pytest.mark.parametrize("role", ["practitioner", "auditor", "service_owner"])
def test_environment_writes_forbidden_and_nothing_changed(role):
    env = EnvironmentFactory(purpose="Before")
    client = api_for(UserFactory(roles=[role]))
    assert client.post("/api/v1/environments/", {"name": "X", "kind": "test"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/environments/{env.pk}/", {"purpose": "After"}, format="json").status_code == 403
    env.refresh_from_db()
    assert env.purpose == "Before" and Environment.objects.count() == 1


def test_anonymous_is_401():
    assert APIClient().get("/api/v1/freeze-windows/").status_code == 401


def test_freeze_window_create_all_environments(manager_api):
    response = manager_api.post("/api/v1/freeze-windows/", freeze_body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["environment"] is None
    assert FreezeWindow.objects.get().environment is None


def test_freeze_window_create_holidays(manager_api):
    body = freeze_body(recurrence="holidays", end=None, holidays=["2031-12-26", "2031-12-25"], time_zone="Europe/Paris")
    response = manager_api.post("/api/v1/freeze-windows/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["holidays"] == ["2031-12-25", "2031-12-26"]


BAD = {
    "end before start": {"end": "2031-11-19T00:00:00Z"},
    "zero-length": {"end": "2031-11-20T00:00:00Z"},
    "unknown time zone": {"time_zone": "Mars/Olympus"},
    "bad weekday": {"recurrence": "weekly", "weekly_start_day": 7, "weekly_end_day": 0, "start_time": "18:00"},
    "weekday not a number": {"recurrence": "weekly", "weekly_start_day": "friday"},
    "weekly missing times": {"recurrence": "weekly", "weekly_start_day": 4, "weekly_end_day": 0},
    "holidays not dates": {"recurrence": "holidays", "holidays": ["2031-02-30"]},
    "holidays not a list": {"recurrence": "holidays", "holidays": "2031-12-25"},
    "month-end zero": {"recurrence": "month_end", "month_end_days": 0},
    "bad recurrence": {"recurrence": "fortnightly"},
    "bad start": {"start": "not a date"},
    "unknown environment": {"environment": 999999},
    "environment not an id": {"environment": {"a": 1}},
}


@pytest.mark.parametrize("overrides", BAD.values(), ids=BAD.keys())
def test_freeze_window_bad_input_is_400_and_nothing_written(manager_api, overrides):
    response = manager_api.post("/api/v1/freeze-windows/", freeze_body(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not FreezeWindow.objects.exists()


def test_freeze_window_malformed_json_is_400(manager_api):
    response = manager_api.post("/api/v1/freeze-windows/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_freeze_window_update_bad_input_changes_nothing(manager_api):
    window = FreezeWindowFactory()
    response = manager_api.patch(f"/api/v1/freeze-windows/{window.pk}/", {"end": "2000-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 400
    before = window.end
    window.refresh_from_db()
    assert window.end == before


def test_freeze_window_filters(manager_api):
    env = EnvironmentFactory()
    FreezeWindowFactory(environment=env, name="Own")
    FreezeWindowFactory(environment=None, name="Everyone")
    FreezeWindowFactory(name="Elsewhere")

    def names(params):
        return sorted(i["name"] for i in manager_api.get("/api/v1/freeze-windows/", params).json()["results"])

    assert names({"applies_to": env.pk}) == ["Everyone", "Own"]
    assert names({"all_environments": "true"}) == ["Everyone"]
    assert names({"environment": env.pk}) == ["Own"]


def test_freeze_window_list_query_count(manager_api, django_assert_max_num_queries):
    for _ in range(20):
        FreezeWindowFactory()
    with django_assert_max_num_queries(6):
        assert manager_api.get("/api/v1/freeze-windows/").status_code == 200


def test_freeze_window_delete_forbidden_for_auditor():
    window = FreezeWindowFactory()
    assert api_for(UserFactory(roles=["auditor"])).delete(f"/api/v1/freeze-windows/{window.pk}/").status_code == 403
    assert FreezeWindow.objects.filter(pk=window.pk).exists()


def test_maintenance_window_create_and_list(manager_api, django_assert_max_num_queries):
    env = EnvironmentFactory()
    body = {
        "environment": env.pk,
        "name": "Sat night",
        "recurrence": "weekly",
        "start": "2030-01-01T00:00:00Z",
        "time_zone": "Europe/London",
        "weekly_start_day": 5,
        "start_time": "22:00",
        "weekly_end_day": 6,
        "end_time": "04:00",
    }
    response = manager_api.post("/api/v1/maintenance-windows/", body, format="json")
    assert response.status_code == 201, response.json()
    for _ in range(10):
        MaintenanceWindowFactory()
    with django_assert_max_num_queries(6):
        response = manager_api.get("/api/v1/maintenance-windows/", {"environment": env.pk})
    assert [i["name"] for i in response.json()["results"]] == ["Sat night"]


def test_maintenance_window_needs_environment(manager_api):
    response = manager_api.post(
        "/api/v1/maintenance-windows/",
        {"name": "x", "start": "2030-01-01T00:00:00Z", "end": "2030-01-01T02:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert not MaintenanceWindow.objects.exists()


def test_schema_documents_the_resources(client):
    body = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/environments/", "/api/v1/freeze-windows/", "/api/v1/maintenance-windows/"):
        assert path in body


def test_times_are_iso_utc(manager_api):
    window = FreezeWindowFactory(start=dt.datetime(2031, 1, 1, 12, tzinfo=dt.UTC))
    assert manager_api.get(f"/api/v1/freeze-windows/{window.pk}/").json()["start"].startswith("2031-01-01T12:00:00")
