"""Admin of deployment models: pages open, active models are read-only, actions call the services."""

import pytest
from django.test import Client

from apps.deployment_models.models import DeploymentModel

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(world):
    client = Client()
    client.force_login(world.users["admin"])
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/deployment_models/deploymentmodel/",
        "/admin/deployment_models/deploymentmodel/?status__exact=active&q=world",
        "/admin/deployment_models/deploymentmodel/add/",
        "/admin/deployment_models/modelstage/",
        "/admin/deployment_models/modelstage/add/",
        "/admin/deployment_models/responsibility/",
        "/admin/deployment_models/responsibility/?raci__exact=A",
    ],
)
def test_admin_pages_open(admin_client_, url):
    assert admin_client_.get(url).status_code == 200


def test_active_model_page_is_read_only(world, admin_client_):
    html = admin_client_.get(f"/admin/deployment_models/deploymentmodel/{world.model.pk}/change/").content.decode()
    assert 'name="_save"' not in html
    html = admin_client_.get(f"/admin/deployment_models/deploymentmodel/{world.draft_model.pk}/change/").content
    assert b'name="_save"' in html
    assert admin_client_.get(f"/admin/deployment_models/deploymentmodel/{world.model.pk}/history/").status_code == 200


def _action(client, action, *models):
    return client.post(
        "/admin/deployment_models/deploymentmodel/",
        {"action": action, "_selected_action": [m.pk for m in models]},
        follow=True,
    )


def test_admin_actions_call_the_services(world, admin_client_):
    response = _action(admin_client_, "new_version", world.model)
    copy = DeploymentModel.objects.get(name=world.model.name, version=2)
    assert "drafted" in response.content.decode()
    # a new version is piloted before it becomes active: the admin obeys the service's rule
    response = _action(admin_client_, "activate", copy)
    copy.refresh_from_db()
    world.model.refresh_from_db()
    assert (copy.status, world.model.status) == ("draft", "active")
    assert "piloted" in response.content.decode()
    _action(admin_client_, "pilot", copy)
    copy.refresh_from_db()
    assert copy.status == "pilot"
    _action(admin_client_, "retire", copy)
    copy.refresh_from_db()
    assert copy.status == "retired"


def test_admin_refuses_two_accountables_in_the_inline(world, admin_client_):
    model = world.draft_model
    url = f"/admin/deployment_models/deploymentmodel/{model.pk}/change/"
    data = {
        "name": model.name,
        "automation_level": "manual",
        "review_interval_months": "3",
        "selection_factors": "{}",
        "stages-TOTAL_FORMS": "0",
        "stages-INITIAL_FORMS": "0",
        "responsibilities-TOTAL_FORMS": "2",
        "responsibilities-INITIAL_FORMS": "0",
        "responsibilities-0-activity": "Plan",
        "responsibilities-0-role": "Deployment manager",
        "responsibilities-0-raci": "A",
        "responsibilities-1-activity": "Plan",
        "responsibilities-1-role": "Product owner",
        "responsibilities-1-raci": "A",
    }
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    assert "more than one Accountable" in response.content.decode()
    assert model.responsibilities.count() == 1
