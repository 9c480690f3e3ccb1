"""Writes on environments, checks, clearances and windows: happy paths, bad input and missing permission."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.environments import services
from apps.environments.models import Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow, Recurrence
from apps.environments.selectors import practitioner_is_cleared
from tests.factories.accounts import UserFactory
from tests.factories.environments import (
    EnvironmentCheckFactory,
    EnvironmentFactory,
    FreezeWindowFactory,
    MaintenanceWindowFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC
START = dt.datetime(2030, 3, 1, 8, tzinfo=UTC)


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


def freeze_input(**overrides):
    data = {
        "environment": None,
        "name": "Year end",
        "reason": "Year-end close",
        "recurrence": Recurrence.ONE_OFF,
        "start": START,
        "end": START + dt.timedelta(days=1),
        "time_zone": "Europe/London",
    }
    data.update(overrides)
    return data


def test_environment_create_defaults_slug_from_name(manager):
    env = services.environment_create(actor=manager, name="Pre Production", kind="staging", order=45)
    assert env.slug == "pre-production"
    assert env.history.first().history_user == manager


def test_environment_create_duplicate_slug_is_refused(manager):
    # given an environment with slug "prod"
    EnvironmentFactory(slug="prod", name="Prod")
    # when another is created with the same slug
    with pytest.raises(ValidationError) as exc:
        services.environment_create(actor=manager, name="Production 2", slug="prod", kind="production")
    # then the error names the slug and nothing is written
    assert "slug" in exc.value.message_dict
    assert "already exists" in exc.value.message_dict["slug"][0]
    assert Environment.objects.count() == 1


def test_environment_create_bad_kind_is_refused(manager):
    with pytest.raises(ValidationError) as exc:
        services.environment_create(actor=manager, name="X", kind="moon")
    assert "kind" in exc.value.message_dict
    assert not Environment.objects.exists()


@pytest.mark.parametrize("role", ["practitioner", "service_owner", "product_owner", "auditor", None])
def test_environment_create_needs_manager(role):
    user = UserFactory(roles=[role] if role else [])
    with pytest.raises(PermissionDenied):
        services.environment_create(actor=user, name="X", kind="test")
    assert not Environment.objects.exists()


def test_environment_update(manager):
    env = EnvironmentFactory()
    env = services.environment_update(environment=env, actor=manager, purpose="Rehearsals", controlled=False)
    env.refresh_from_db()
    assert (env.purpose, env.controlled) == ("Rehearsals", False)


def test_environment_update_refused_for_auditor_changes_nothing():
    env = EnvironmentFactory(purpose="Before")
    with pytest.raises(PermissionDenied):
        services.environment_update(environment=env, actor=UserFactory(roles=["auditor"]), purpose="After")
    env.refresh_from_db()
    assert env.purpose == "Before"


def test_environment_update_unknown_field_is_refused(manager):
    env = EnvironmentFactory()
    with pytest.raises(ValidationError):
        services.environment_update(environment=env, actor=manager, id=99)


def test_checks_add_update_remove(manager):
    env = EnvironmentFactory()
    first = services.environment_check_add(environment=env, description="Back-up power tested", actor=manager)
    second = services.environment_check_add(environment=env, description="Cooling in range", actor=manager)
    assert (first.order, second.order) == (0, 1)
    services.environment_check_update(check=first, actor=manager, is_active=False)
    first.refresh_from_db()
    assert first.is_active is False
    services.environment_check_remove(check=second, actor=manager)
    assert list(env.standing_checks.values_list("description", flat=True)) == ["Back-up power tested"]


def test_check_duplicate_description_is_refused(manager):
    check = EnvironmentCheckFactory(description="Drift check")
    with pytest.raises(ValidationError):
        services.environment_check_add(environment=check.environment, description=" drift check ", actor=manager)
    assert EnvironmentCheck.objects.count() == 1


def test_check_blank_description_is_refused(manager):
    env = EnvironmentFactory()
    with pytest.raises(ValidationError):
        services.environment_check_add(environment=env, description="  ", actor=manager)
    assert not EnvironmentCheck.objects.exists()


def test_check_remove_refused_for_practitioner():
    check = EnvironmentCheckFactory()
    with pytest.raises(PermissionDenied):
        services.environment_check_remove(check=check, actor=UserFactory(roles=["practitioner"]))
    assert EnvironmentCheck.objects.filter(pk=check.pk).exists()


def test_clear_and_unclear_practitioner(manager):
    env = EnvironmentFactory(production=True)
    practitioner = UserFactory(roles=["practitioner"])
    assert not practitioner_is_cleared(user=practitioner, environment=env)
    services.environment_clear_practitioner(environment=env, user=practitioner, actor=manager)
    practitioner = type(practitioner).objects.get(pk=practitioner.pk)  # fresh permission cache
    assert practitioner_is_cleared(user=practitioner, environment=env)
    services.environment_unclear_practitioner(environment=env, user=practitioner, actor=manager)
    practitioner = type(practitioner).objects.get(pk=practitioner.pk)
    assert not practitioner_is_cleared(user=practitioner, environment=env)


def test_clear_practitioner_refused_for_practitioner_changes_nothing():
    env = EnvironmentFactory()
    practitioner = UserFactory(roles=["practitioner"])
    with pytest.raises(PermissionDenied):
        services.environment_clear_practitioner(environment=env, user=practitioner, actor=practitioner)
    practitioner = type(practitioner).objects.get(pk=practitioner.pk)
    assert not practitioner_is_cleared(user=practitioner, environment=env)


def test_clear_inactive_user_is_refused(manager):
    with pytest.raises(ValidationError):
        services.environment_clear_practitioner(
            environment=EnvironmentFactory(), user=UserFactory(is_active=False), actor=manager
        )


def test_freeze_window_create_one_off_all_environments(manager):
    window = services.freeze_window_create(actor=manager, **freeze_input())
    assert window.environment is None
    assert window.time_zone == "Europe/London"


def test_freeze_window_create_weekly_clears_unused_fields(manager):
    window = services.freeze_window_create(
        actor=manager,
        **freeze_input(
            recurrence=Recurrence.WEEKLY,
            end=None,
            weekly_start_day=4,
            start_time=dt.time(18),
            weekly_end_day=0,
            end_time=dt.time(6),
            month_end_days=3,
            holidays=["2030-12-25"],
        ),
    )
    assert (window.month_end_days, window.holidays) == (None, [])


def test_freeze_window_holidays_are_normalised(manager):
    window = services.freeze_window_create(
        actor=manager,
        **freeze_input(recurrence=Recurrence.HOLIDAYS, end=None, holidays=["2030-12-26", "2030-12-25", "2030-12-25"]),
    )
    assert window.holidays == ["2030-12-25", "2030-12-26"]


BAD_WINDOWS = {
    "end before start": ({"end": START - dt.timedelta(hours=1)}, "end"),
    "zero-length": ({"end": START}, "end"),
    "one-off without end": ({"end": None}, "end"),
    "unknown time zone": ({"time_zone": "Mars/Olympus"}, "time_zone"),
    "bad weekday": (
        {
            "recurrence": Recurrence.WEEKLY,
            "weekly_start_day": 9,
            "weekly_end_day": 0,
            "start_time": dt.time(18),
            "end_time": dt.time(6),
        },
        "weekly_start_day",
    ),
    "weekly without times": ({"recurrence": Recurrence.WEEKLY, "weekly_start_day": 4, "weekly_end_day": 0}, "end_time"),
    "weekly zero-length": (
        {
            "recurrence": Recurrence.WEEKLY,
            "weekly_start_day": 4,
            "weekly_end_day": 4,
            "start_time": dt.time(18),
            "end_time": dt.time(18),
        },
        "end_time",
    ),
    "month-end too many days": ({"recurrence": Recurrence.MONTH_END, "month_end_days": 11}, "month_end_days"),
    "month-end missing days": ({"recurrence": Recurrence.MONTH_END}, "month_end_days"),
    "holidays empty": ({"recurrence": Recurrence.HOLIDAYS, "holidays": []}, "holidays"),
    "holidays not dates": ({"recurrence": Recurrence.HOLIDAYS, "holidays": ["2030-02-30"]}, "holidays"),
    "holidays not a list": ({"recurrence": Recurrence.HOLIDAYS, "holidays": {"a": 1}}, "holidays"),
}


@pytest.mark.parametrize(("overrides", "field"), BAD_WINDOWS.values(), ids=BAD_WINDOWS.keys())
def test_freeze_window_bad_input_is_refused_and_nothing_written(manager, overrides, field):
    with pytest.raises(ValidationError) as exc:
        services.freeze_window_create(actor=manager, **freeze_input(**overrides))
    assert field in exc.value.message_dict
    assert not FreezeWindow.objects.exists()


def test_freeze_window_update_bad_input_changes_nothing(manager):
    window = FreezeWindowFactory()
    before = (window.start, window.end)
    with pytest.raises(ValidationError):
        services.freeze_window_update(window=window, actor=manager, end=window.start)
    window.refresh_from_db()
    assert (window.start, window.end) == before


def test_freeze_window_update_and_delete(manager):
    window = FreezeWindowFactory()
    services.freeze_window_update(window=window, actor=manager, reason="Peak trading")
    window.refresh_from_db()
    assert window.reason == "Peak trading"
    services.freeze_window_delete(window=window, actor=manager)
    assert not FreezeWindow.objects.exists()


@pytest.mark.parametrize("role", ["practitioner", "auditor"])
def test_freeze_window_writes_need_manager(role):
    user = UserFactory(roles=[role])
    window = FreezeWindowFactory(reason="Before")
    with pytest.raises(PermissionDenied):
        services.freeze_window_create(actor=user, **freeze_input())
    with pytest.raises(PermissionDenied):
        services.freeze_window_update(window=window, actor=user, reason="After")
    with pytest.raises(PermissionDenied):
        services.freeze_window_delete(window=window, actor=user)
    window.refresh_from_db()
    assert FreezeWindow.objects.count() == 1 and window.reason == "Before"


def test_maintenance_window_create_update_delete(manager):
    env = EnvironmentFactory()
    window = services.maintenance_window_create(
        actor=manager,
        environment=env,
        name="Saturday night",
        recurrence=Recurrence.WEEKLY,
        start=START,
        time_zone="Europe/London",
        weekly_start_day=5,
        start_time=dt.time(22),
        weekly_end_day=6,
        end_time=dt.time(4),
    )
    services.maintenance_window_update(window=window, actor=manager, end_time=dt.time(5))
    window.refresh_from_db()
    assert window.end_time == dt.time(5)
    services.maintenance_window_delete(window=window, actor=manager)
    assert not MaintenanceWindow.objects.exists()


def test_maintenance_window_needs_environment(manager):
    with pytest.raises(ValidationError) as exc:
        services.maintenance_window_create(
            actor=manager, name="x", start=START, end=START + dt.timedelta(hours=2), environment=None
        )
    assert "environment" in exc.value.message_dict


def test_maintenance_window_refused_for_service_owner_changes_nothing():
    window = MaintenanceWindowFactory(name="Before")
    with pytest.raises(PermissionDenied):
        services.maintenance_window_update(window=window, actor=UserFactory(roles=["service_owner"]), name="After")
    window.refresh_from_db()
    assert window.name == "Before"
