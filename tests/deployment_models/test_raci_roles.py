"""RACI roles come from the role list: the service, the page, the API and the admin take only its names, and the
data migration maps the free-text names of before onto it."""

import importlib

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from apps.deployment_models import services
from apps.roles.definitions import RACI_ROLES
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory, ResponsibilityFactory

pytestmark = pytest.mark.django_db
MIGRATION = importlib.import_module("apps.deployment_models.migrations.0005_raci_roles_from_the_role_list")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Deployment manager", "Deployment manager"),
        ("deployment PRACTITIONER", "Deployment practitioner"),
        ("CI/CD pipeline", "Deployment practitioner"),
        ("Vendor", "Supplier contact"),
        ("Installation partner", "Supplier contact"),
        ("Help desk", "Service desk"),
        ("Service desk", "Service desk"),
        ("Product manager", "Product owner"),
        ("Internal audit", "Auditor"),
        ("Platform engineer", "Deployment practitioner"),
        ("CIO", "Deployment manager"),  # no keyword: the role accountable for the practice
    ],
)
def test_the_migration_maps_free_text_onto_the_role_list(before, after):
    assert MIGRATION.role_for(before) == after
    assert after in RACI_ROLES


def test_the_migration_merges_two_names_that_meet_keeping_the_stronger_letter():
    from django.apps import apps

    # given a practitioner consulted and the pipeline responsible for the same activity (free text of before)
    model = DeploymentModelFactory()
    ResponsibilityFactory(model=model, activity="Verify", role="Deployment practitioner", raci="C")
    ResponsibilityFactory(model=model, activity="Verify", role="CI/CD pipeline", raci="R")
    # when the migration maps them
    MIGRATION.map_roles(apps, None)
    # then one row is left, the practitioner's, with the stronger letter
    assert list(model.responsibilities.values_list("activity", "role", "raci")) == [
        ("Verify", "Deployment practitioner", "R")
    ]


def test_the_service_refuses_a_role_outside_the_list():
    manager = UserFactory(roles=["manager"])
    model = DeploymentModelFactory()
    with pytest.raises(ValidationError) as caught:
        services.responsibility_add(model=model, actor=manager, activity="Plan", role="CIO", raci="A")
    assert "not on the role list" in str(caught.value)
    assert not model.responsibilities.exists()
    row = services.responsibility_add(model=model, actor=manager, activity="Plan", role="Service desk", raci="I")
    assert row.competency_profile == "C"


def test_the_api_and_the_page_refuse_free_text(api_client):
    manager = UserFactory(roles=["manager"])
    model = DeploymentModelFactory()
    api_client.force_authenticate(manager)
    body = {"model": model.pk, "activity": "Plan", "role": "CIO", "raci": "A"}
    assert api_client.post("/api/v1/responsibilities/", body, format="json").status_code == 400
    client = Client()
    client.force_login(manager)
    page = client.get(f"/models/{model.pk}/responsibilities/").content.decode()
    assert '<select name="role"' in page and "Supplier contact" in page
    assert (
        client.post(
            f"/models/{model.pk}/responsibilities/", {"activity": "Plan", "role": "CIO", "raci": "A"}
        ).status_code
        == 400
    )
    assert not model.responsibilities.exists()


def test_the_raci_table_shows_each_roles_competency_profile():
    model = DeploymentModelFactory()
    ResponsibilityFactory(model=model, activity="Plan", role="Deployment manager", raci="A")
    ResponsibilityFactory(model=model, activity="Plan", role="Deployment practitioner", raci="R")
    client = Client()
    client.force_login(UserFactory(roles=["manager"]))
    page = client.get(f"/models/{model.pk}/").content.decode()
    assert 'title="Competency profile">LCA<' in page and 'title="Competency profile">TA<' in page
