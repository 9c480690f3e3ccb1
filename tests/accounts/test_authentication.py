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
    ["Token nope", "Token", "Token a b", "Token " + "0" * 40, "Token \u00e9\u00e9", "Token abc\x00def" + "0" * 32],
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


@pytest.mark.parametrize("superuser", [False, True])
def test_a_tokens_user_has_the_permissions_of_their_roles_and_their_own_read_with_the_token(superuser):
    from django.contrib.auth.models import Permission
    from rest_framework.test import APIRequestFactory

    from apps.accounts.authentication import ApiTokenAuthentication
    from apps.accounts.backends import RoleModelBackend

    # given a practitioner who also holds a permission of their own, and their token
    user = UserFactory(roles=["practitioner"], is_superuser=superuser)
    user.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    _, key = api_token_create(user=user, name="ci")
    request = APIRequestFactory().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    # when the token is authenticated
    authenticated, _token = ApiTokenAuthentication().authenticate(request)
    # then the user's permissions are known without another query, and are what the backend reads for them
    expected = RoleModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
    if superuser:  # the backend answers a superuser with every permission: nothing is kept from the token's row
        assert not hasattr(authenticated, "_perm_cache")
    else:
        assert "audit.view_auditentry" in expected and "deployments.add_deployment" in expected
        assert authenticated._perm_cache == expected


def test_a_tokens_user_without_permissions_holds_none(django_assert_num_queries):
    from rest_framework.test import APIRequestFactory

    from apps.accounts.authentication import ApiTokenAuthentication

    # given a user with no role and no permission of their own
    user = UserFactory()
    _, key = api_token_create(user=user, name="ci")
    request = APIRequestFactory().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    authenticated, _token = ApiTokenAuthentication().authenticate(request)
    # then asking what they may do costs no query and answers nothing
    with django_assert_num_queries(0):
        assert not authenticated.has_perm("deployments.view_deployment")
    assert authenticated._perm_cache == set()


def test_a_permission_taken_away_is_seen_by_the_tokens_next_call(api_client, world):
    from django.contrib.auth.models import Group

    from apps.deployments.models import Deployment
    from tests.deployments_api.conftest import window

    # given a manager's token that plans a deployment
    user = UserFactory(roles=["manager"], is_service_account=True)
    _, key = api_token_create(user=user, name="ci")
    body = {
        "title": "Shop 1.1.0 to test",
        "service": world.service.pk,
        "environment": world.env_test.pk,
        "component_versions": [world.version_2.pk],
        **window(24 * 30),
    }
    post = lambda: api_client.post("/api/v1/deployments/", body, format="json", HTTP_AUTHORIZATION=f"Token {key}")  # noqa: E731
    assert post().status_code == 201
    planned = Deployment.objects.count()
    # when their role is taken away
    user.groups.remove(*Group.objects.filter(user=user))
    # then the next call is refused and plans nothing: the permissions are read with the token on every call, not
    # kept between them
    assert post().status_code == 403
    assert Deployment.objects.count() == planned
