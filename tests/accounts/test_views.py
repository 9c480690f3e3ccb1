"""Tests of the profile page: roles and API tokens."""

import pytest

from apps.accounts.models import ApiToken
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_profile_shows_roles_with_their_competency_profile(client):
    user = UserFactory(roles=["manager", "auditor"])
    client.force_login(user)
    html = client.get("/accounts/profile/").content.decode()
    assert "Deployment manager" in html and "Leader" in html
    assert "Auditor" in html and "Administrator" in html


def test_creating_a_token_shows_the_key_once(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/accounts/tokens/", {"name": "laptop"}, follow=True)
    token = ApiToken.objects.get(user=user)
    html = response.content.decode()
    assert 'data-testid="new-token-key"' in html
    assert token.prefix in html
    again = client.get("/accounts/profile/").content.decode()
    assert 'data-testid="new-token-key"' not in again


def test_a_duplicate_token_name_is_a_form_error_and_nothing_is_created(client):
    user = UserFactory()
    client.force_login(user)
    client.post("/accounts/tokens/", {"name": "ci"})
    response = client.post("/accounts/tokens/", {"name": "ci"})
    assert response.status_code == 400
    assert "already have an active token" in response.content.decode()
    assert ApiToken.objects.filter(user=user).count() == 1


def test_revoking_someone_elses_token_is_404_and_changes_nothing(client):
    owner, other = UserFactory(), UserFactory()
    client.force_login(owner)
    client.post("/accounts/tokens/", {"name": "ci"})
    token = ApiToken.objects.get(user=owner)
    client.force_login(other)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_login_form_signs_in_and_logout_signs_out(client):
    UserFactory(username="maria", password="a-long-demo-pw")
    response = client.post("/accounts/login/", {"username": "maria", "password": "a-long-demo-pw"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_wrong_password_is_a_form_error(client):
    UserFactory(username="maria", password="a-long-demo-pw")
    response = client.post("/accounts/login/", {"username": "maria", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_repeated_failed_logins_lock_the_account_out(client, settings):
    UserFactory(username="maria", password="a-long-demo-pw")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "maria", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "maria", "password": "a-long-demo-pw"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
