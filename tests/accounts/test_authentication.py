"""Tests of apps/accounts/authentication.py: `Authorization: Token <key>`."""

import pytest

from apps.accounts.services import api_token_create, api_token_revoke
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_a_valid_token_authenticates_and_records_its_last_use(api_client):
    user = UserFactory(roles=["manager"], is_service_account=True)
    token, key = api_token_create(user=user, name="deploy pipeline")
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == user.username
    assert body["roles"] == ["Deployment manager"]
    assert body["token_name"] == "deploy pipeline"
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "header",
    ["Token nope", "Token", "Token a b", "Token " + "0" * 40, "Token \u00e9\u00e9"],
)
def test_bad_token_headers_get_401_json(api_client, header):
    from django.core.cache import cache

    cache.clear()
    UserFactory()
    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_revoked_token_no_longer_authenticates(api_client):
    user = UserFactory()
    token, key = api_token_create(user=user, name="old")
    api_token_revoke(token=token, actor=user)
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_an_inactive_users_token_is_refused(api_client):
    user = UserFactory(is_active=False)
    _, key = api_token_create(user=user, name="ci")
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_repeated_bad_tokens_lock_the_address_out(api_client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_AUTH_FAILURE_LIMIT = 3
    user = UserFactory()
    _, key = api_token_create(user=user, name="ci")
    for _ in range(3):
        assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token " + "f" * 40).status_code == 401
    locked = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert locked.status_code == 429
    assert "Too many failed token attempts" in locked.json()["detail"]
    cache.clear()
    assert api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
