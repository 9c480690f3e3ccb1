"""Demo data: the five reference environments get owners, windows and clearance; seeding twice changes nothing."""

import datetime as dt

import pytest

from apps.bench.demo import reference_data_load, seed_users
from apps.environments import demo
from apps.environments.models import Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow
from apps.environments.selectors import maintenance_window_covers, practitioner_is_cleared
from tests.factories.accounts import ensure_roles

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent():
    ensure_roles()
    users = seed_users()
    reference_data_load()
    demo.seed(users)
    counts = [m.objects.count() for m in (Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow)]
    demo.seed(users)
    assert [m.objects.count() for m in (Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow)] == counts
    prod = Environment.objects.get(slug="production")
    assert prod.owner == users["manager"] and prod.requires_maintenance_window
    assert practitioner_is_cleared(user=users["practitioner"], environment=prod)
    assert Environment.objects.get(slug="test").allows_parallel_deployments
    assert FreezeWindow.objects.filter(environment=None, recurrence="holidays").exists()
    assert not maintenance_window_covers(
        environment=prod, start=prod.created_at, end=prod.created_at + dt.timedelta(days=8)
    )
