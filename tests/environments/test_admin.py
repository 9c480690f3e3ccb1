"""The admin pages of environments, checks and windows open for administrators, with history."""

import pytest
from django.test import Client

from tests.factories.accounts import UserFactory
from tests.factories.environments import (
    EnvironmentCheckFactory,
    EnvironmentFactory,
    FreezeWindowFactory,
    MaintenanceWindowFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["environment", "environmentcheck", "freezewindow", "maintenancewindow"])
def test_changelist_with_search_and_filter(admin_client_, model):
    env = EnvironmentFactory(name="Prod")
    EnvironmentCheckFactory(environment=env)
    FreezeWindowFactory(environment=env)
    MaintenanceWindowFactory(environment=env)
    assert admin_client_.get(f"/admin/environments/{model}/", {"q": "Prod"}).status_code == 200


@pytest.mark.parametrize(
    ("model", "factory"),
    [
        ("environment", EnvironmentFactory),
        ("environmentcheck", EnvironmentCheckFactory),
        ("freezewindow", FreezeWindowFactory),
        ("maintenancewindow", MaintenanceWindowFactory),
    ],
)
def test_change_and_history_pages(admin_client_, model, factory):
    obj = factory()
    assert admin_client_.get(f"/admin/environments/{model}/{obj.pk}/change/").status_code == 200
    assert admin_client_.get(f"/admin/environments/{model}/{obj.pk}/history/").status_code == 200


def test_admin_is_closed_to_managers():
    client = Client()
    client.force_login(UserFactory(roles=["manager"]))
    assert client.get("/admin/environments/environment/").status_code == 302
