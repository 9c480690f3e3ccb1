"""The profile and home pages show the roles a user holds, drawn by the roles app's template tag."""

import pytest
from django.test import Client

from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "marker"),
    [("/accounts/profile/", 'data-testid="role-card"'), ("/", "Competency profile: Leader")],
)
def test_a_page_lists_the_roles_the_user_holds_with_their_profile(url, marker):
    # given a manager who is also an auditor
    user = UserFactory(roles=["manager", "auditor"])
    client = Client()
    client.force_login(user)
    # when they open the page
    response = client.get(url)
    # then both roles are there, by name and with their competency profile, and no other role
    body = response.content.decode()
    assert response.status_code == 200
    assert marker in body
    assert "Deployment manager" in body and "Auditor" in body
    assert "Technical expert" not in body


def test_a_user_without_a_role_is_told_so_on_the_profile_page():
    # given a user with no role
    client = Client()
    client.force_login(UserFactory())
    # when they open their profile
    response = client.get("/accounts/profile/")
    # then the page says they hold none
    assert "You hold no role yet" in response.content.decode()
