"""Environment and window pages: lists, forms with their error messages, checks, clearances and previews."""

import datetime as dt

import pytest
from django.test import Client

from apps.environments.models import Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow, Recurrence
from apps.environments.selectors import practitioner_is_cleared
from tests.factories.accounts import UserFactory
from tests.factories.environments import EnvironmentCheckFactory, EnvironmentFactory, FreezeWindowFactory

pytestmark = pytest.mark.django_db

YEAR = dt.datetime.now(dt.UTC).year + 1


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


def freeze_form(**overrides):
    data = {
        "name": "Release freeze",
        "environment": "",
        "reason": "Peak trading",
        "recurrence": "one_off",
        "time_zone": "Europe/London",
        "start": f"{YEAR}-07-01T09:00",
        "end": f"{YEAR}-07-01T17:00",
    }
    data.update(overrides)
    return data


def test_environment_list_filters_by_kind_and_sorts(manager):
    EnvironmentFactory(name="Live site", slug="prod", kind="production", order=50)
    EnvironmentFactory(name="Alpha test", slug="alpha", kind="test", order=30)
    EnvironmentFactory(name="Beta test", slug="beta", kind="test", order=20, controlled=False)
    client = client_for(manager)
    body = client.get("/environments/", {"kind": "test", "ordering": "-name"}).content.decode()
    assert "Live site" not in body
    assert body.index("Beta test") < body.index("Alpha test")
    body = client.get("/environments/", {"controlled": "false"}).content.decode()
    assert "Beta test" in body and "Alpha test" not in body


def test_environment_list_bad_filter_is_not_an_error(manager):
    assert client_for(manager).get("/environments/", {"kind": "moon", "controlled": "maybe"}).status_code == 200


def test_environment_list_query_count_is_constant(manager, django_assert_max_num_queries):
    for _ in range(15):
        env = EnvironmentFactory(owner=UserFactory())
        EnvironmentCheckFactory(environment=env)
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        assert client.get("/environments/").status_code == 200


def test_environment_create_page(manager):
    response = client_for(manager).post(
        "/environments/new/", {"name": "Pre-production", "slug": "", "kind": "staging", "order": 45, "controlled": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/environments/pre-production/"


def test_environment_create_duplicate_slug_shows_error(manager):
    EnvironmentFactory(slug="prod", name="Prod")
    response = client_for(manager).post(
        "/environments/new/", {"name": "Other", "slug": "prod", "kind": "production", "order": 1}
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Environment.objects.count() == 1


def test_environment_update_page(manager):
    env = EnvironmentFactory(slug="uat", name="UAT", kind="test")
    response = client_for(manager).post(
        "/environments/uat/edit/", {"name": "UAT", "slug": "uat", "kind": "staging", "order": 3}
    )
    assert response.status_code == 302
    env.refresh_from_db()
    assert env.kind == "staging"


def test_environment_detail_shows_checks_windows_and_cleared(manager):
    env = EnvironmentFactory(slug="prod", name="Prod", kind="production", purpose="Live services")
    EnvironmentCheckFactory(environment=env, description="Back-up power tested")
    FreezeWindowFactory(environment=None, name="Everyone freeze")
    practitioner = UserFactory(roles=["practitioner"], username="pat")
    client = client_for(manager)
    client.post("/environments/prod/clearances/", {"action": "clear", "user": practitioner.pk})
    body = client.get("/environments/prod/").content.decode()
    for text in ("Live services", "Back-up power tested", "Everyone freeze", "pat"):
        assert text in body


def test_checks_add_toggle_remove(manager):
    env = EnvironmentFactory(slug="prod")
    client = client_for(manager)
    assert client.post("/environments/prod/checks/", {"action": "add", "description": "Cooling ok"}).status_code == 302
    check = EnvironmentCheck.objects.get(environment=env)
    client.post("/environments/prod/checks/", {"action": "toggle", "check": check.pk})
    check.refresh_from_db()
    assert check.is_active is False
    client.post("/environments/prod/checks/", {"action": "remove", "check": check.pk})
    assert not EnvironmentCheck.objects.exists()


def test_checks_add_duplicate_shows_error(manager):
    check = EnvironmentCheckFactory(environment=EnvironmentFactory(slug="prod"), description="Cooling ok")
    response = client_for(manager).post("/environments/prod/checks/", {"action": "add", "description": "cooling ok"})
    assert response.status_code == 400
    assert "already a standing check" in response.content.decode()
    assert list(EnvironmentCheck.objects.all()) == [check]


def test_checks_refused_for_auditor_changes_nothing():
    EnvironmentFactory(slug="prod")
    response = client_for(UserFactory(roles=["auditor"])).post(
        "/environments/prod/checks/", {"action": "add", "description": "x"}
    )
    assert response.status_code == 403
    assert not EnvironmentCheck.objects.exists()


def test_clearance_clear_and_unclear(manager):
    env = EnvironmentFactory(slug="prod", kind="production")
    practitioner = UserFactory(roles=["practitioner"])
    client = client_for(manager)
    client.post("/environments/prod/clearances/", {"action": "clear", "user": practitioner.pk})
    assert practitioner_is_cleared(user=type(practitioner).objects.get(pk=practitioner.pk), environment=env)
    client.post("/environments/prod/clearances/", {"action": "unclear", "user": practitioner.pk})
    assert not practitioner_is_cleared(user=type(practitioner).objects.get(pk=practitioner.pk), environment=env)


def test_clearance_bad_user_is_a_form_error(manager):
    EnvironmentFactory(slug="prod")
    response = client_for(manager).post("/environments/prod/clearances/", {"action": "clear", "user": "abc"})
    assert response.status_code == 400


def test_freeze_window_create_reads_times_in_its_time_zone(manager):
    response = client_for(manager).post("/freeze-windows/new/", freeze_form())
    assert response.status_code == 302
    window = FreezeWindow.objects.get()
    # 09:00 in London in July is 08:00 UTC
    assert window.start == dt.datetime(YEAR, 7, 1, 8, tzinfo=dt.UTC)
    assert window.environment is None


BAD_FORMS = {
    "end before start": ({"end": f"{YEAR}-07-01T08:00"}, "The end must be after the start."),
    "zero-length": ({"end": f"{YEAR}-07-01T09:00"}, "zero length"),
    "unknown time zone": ({"time_zone": "Mars/Olympus"}, "not a known time zone"),
    "bad weekday": (
        {
            "recurrence": "weekly",
            "weekly_start_day": "9",
            "weekly_end_day": "0",
            "start_time": "18:00",
            "end_time": "06:00",
        },
        "Select a valid choice",
    ),
    "weekly without days": ({"recurrence": "weekly", "start_time": "18:00", "end_time": "06:00"}, "day of the week"),
    "bad holiday": ({"recurrence": "holidays", "holidays": "2030-13-40"}, "is not an ISO date"),
    "month-end out of range": ({"recurrence": "month_end", "month_end_days": "12"}, "1 to 10"),
    "bad start": ({"start": "yesterday"}, "Enter a valid date/time"),
}


@pytest.mark.parametrize(("overrides", "message"), BAD_FORMS.values(), ids=BAD_FORMS.keys())
def test_freeze_window_form_errors_write_nothing(manager, overrides, message):
    response = client_for(manager).post("/freeze-windows/new/", freeze_form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FreezeWindow.objects.exists()


def test_freeze_window_update_form_shows_local_times(manager):
    window = FreezeWindowFactory(
        time_zone="Europe/London", start=dt.datetime(YEAR, 7, 1, 8, tzinfo=dt.UTC), end=None, weekends=True
    )
    body = client_for(manager).get(f"/freeze-windows/{window.pk}/edit/").content.decode()
    assert f"{YEAR}-07-01T09:00" in body


def test_freeze_window_update_and_delete(manager):
    window = FreezeWindowFactory()
    client = client_for(manager)
    data = freeze_form(name="Renamed", environment=window.environment_id)
    assert client.post(f"/freeze-windows/{window.pk}/edit/", data).status_code == 302
    window.refresh_from_db()
    assert window.name == "Renamed"
    assert client.post(f"/freeze-windows/{window.pk}/delete/").status_code == 302
    assert not FreezeWindow.objects.exists()


def test_freeze_window_delete_refused_for_practitioner():
    window = FreezeWindowFactory()
    assert (
        client_for(UserFactory(roles=["practitioner"])).post(f"/freeze-windows/{window.pk}/delete/").status_code == 403
    )
    assert FreezeWindow.objects.filter(pk=window.pk).exists()


def test_freeze_window_list_includes_all_environment_windows(manager, django_assert_max_num_queries):
    FreezeWindowFactory(environment=None, name="Org-wide freeze")
    for _ in range(10):
        FreezeWindowFactory()
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        body = client.get("/freeze-windows/").content.decode()
    assert "Org-wide freeze" in body and "every environment" in body
    body = client.get("/freeze-windows/", {"all_environments": "true"}).content.decode()
    assert body.count('data-testid="window-row"') == 1


def test_freeze_window_preview_lists_blocked_planned_deployments(world):
    from apps.deployments.workflow import Status
    from tests.factories.deployments import DeploymentFactory

    # given a planned deployment inside the world's production freeze and a draft one
    inside = DeploymentFactory(
        environment=world.env_prod,
        status=Status.APPROVED,
        planned_start=world.freeze.start + dt.timedelta(hours=3),
        planned_end=world.freeze.start + dt.timedelta(hours=5),
        title="Blocked one",
    )
    DeploymentFactory(
        environment=world.env_prod,
        status=Status.DRAFT,
        planned_start=world.freeze.start + dt.timedelta(hours=3),
        planned_end=world.freeze.start + dt.timedelta(hours=5),
        title="Draft one",
    )
    # when the manager previews the freeze
    body = client_for(world.users["manager"]).get(f"/freeze-windows/{world.freeze.pk}/preview/").content.decode()
    # then the planned one is listed as blocked, the draft is not
    assert inside.title in body
    assert "Draft one" not in body


def test_maintenance_window_create_weekly(manager):
    env = EnvironmentFactory()
    data = {
        "name": "Saturday night",
        "environment": env.pk,
        "recurrence": "weekly",
        "time_zone": "Europe/London",
        "start": f"{YEAR - 3}-01-01T00:00",
        "weekly_start_day": "5",
        "start_time": "22:00",
        "weekly_end_day": "6",
        "end_time": "04:00",
        "month_end_days": "4",
    }
    response = client_for(manager).post("/maintenance-windows/new/", data)
    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert (window.recurrence, window.weekly_start_day, window.month_end_days) == (Recurrence.WEEKLY, 5, None)
    preview = client_for(manager).get(f"/maintenance-windows/{window.pk}/preview/")
    assert preview.content.decode().count('data-testid="occurrence"') >= 7


def test_window_form_loads_its_script(manager):
    body = client_for(manager).get("/freeze-windows/new/").content.decode()
    assert "js/environments.js" in body and 'data-rule="weekly"' in body
    assert "<script>" not in body
