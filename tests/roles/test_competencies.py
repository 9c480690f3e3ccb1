"""Competency profiles of the ITIL 4 practice guides: the roles' and the activities' letters, their rules and
the page and admin that show them."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from apps.roles import competencies
from apps.roles.definitions import PROFILES, RACI_ROLES, ROLES, competency_of
from apps.roles.models import ActivityProfile, RoleProfile
from apps.roles.services import roles_sync
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_the_deployment_manager_and_practitioner_carry_the_guides_letters():
    profiles = dict(RoleProfile.objects.values_list("group__name", "competency_profile"))
    assert profiles["Deployment manager"] == "LCA"
    assert profiles["Deployment practitioner"] == "TA"
    assert RoleProfile.objects.get(group__name="Deployment manager").competency_names == [
        "Leader",
        "Coordinator / communicator",
        "Administrator",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_profile_is_valid(role):
    competencies.profile_validate(PROFILES[role][0])


@pytest.mark.parametrize(("value", "message"), [("", "at least one"), ("LX", "Unknown"), ("LL", "once")])
def test_a_malformed_profile_is_refused(value, message):
    with pytest.raises(ValidationError, match=message):
        competencies.profile_validate(value)


def test_the_activities_of_both_processes_carry_their_profiles_after_migrate():
    rows = list(ActivityProfile.objects.values_list("process", "activity", "competency_profile"))
    assert rows == [(p, a, letters) for p, a, letters, _ in sorted(competencies.ACTIVITIES, key=lambda r: r[0])] or (
        sorted(rows) == sorted((p, a, letters) for p, a, letters, _ in competencies.ACTIVITIES)
    )
    assert {p for p, _, _ in rows} == {competencies.MODELS_PROCESS, competencies.DEPLOYMENT_PROCESS}
    for _, _, letters in rows:
        competencies.profile_validate(letters)


def test_the_activity_sync_drops_an_activity_no_longer_listed_and_restores_a_changed_profile():
    ActivityProfile.objects.create(process="deployment", order=99, activity="Gone", competency_profile="L")
    ActivityProfile.objects.filter(activity="Execute the deployment").update(competency_profile="LA")
    roles_sync()
    assert not ActivityProfile.objects.filter(activity="Gone").exists()
    assert ActivityProfile.objects.get(activity="Execute the deployment").competency_profile == "T"


def test_the_raci_role_list_is_the_roles_plus_the_parties_each_with_a_profile():
    assert RACI_ROLES[: len(ROLES)] == ROLES
    assert {"Supplier contact", "Service desk"} <= set(RACI_ROLES)
    assert all(competency_of(role) for role in RACI_ROLES)
    assert competency_of("Someone else") == ""


def test_the_roles_page_shows_roles_parties_and_activities_with_their_letters():
    client = Client()
    client.force_login(UserFactory())
    body = client.get("/roles/").content.decode()
    assert 'data-testid="role-profiles"' in body and "LCA" in body and "Deployment practitioner" in body
    assert "Service desk" in body
    assert "Deployment models development and review" in body and "Verify the service components" in body


def test_the_roles_page_needs_a_sign_in():
    assert Client().get("/roles/").status_code == 302


def test_the_admin_lists_the_profiles_and_the_activities_read_only():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert "LCA" in client.get("/admin/roles/roleprofile/").content.decode()
    listing = client.get("/admin/roles/activityprofile/")
    assert listing.status_code == 200 and "Execute the deployment" in listing.content.decode()
    assert client.get("/admin/roles/activityprofile/add/").status_code == 403
