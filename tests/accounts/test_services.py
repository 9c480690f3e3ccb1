"""Tests of apps/accounts/services.py: API tokens."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create, api_token_revoke
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_token_create_stores_only_a_hash_and_returns_the_key_once():
    # given
    user = UserFactory()
    # when
    token, key = api_token_create(user=user, name="billing pipeline")
    # then
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.name == "billing pipeline"
    assert key not in (stored.key_hash, stored.prefix)
    assert stored.prefix == key[:8]
    assert stored.matches(key) and not stored.matches(key + "x")
    assert len(key) == 40


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_token_create_refuses_a_bad_name_and_creates_nothing(name):
    user = UserFactory()
    with pytest.raises(ValidationError):
        api_token_create(user=user, name=name)
    assert ApiToken.objects.count() == 0


def test_token_create_refuses_a_duplicate_active_name_but_allows_it_after_revoke():
    user = UserFactory()
    token, _ = api_token_create(user=user, name="ci")
    with pytest.raises(ValidationError):
        api_token_create(user=user, name="ci")
    assert ApiToken.objects.count() == 1
    api_token_revoke(token=token, actor=user)
    api_token_create(user=user, name="ci")
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_token_revoke_by_its_owner():
    user = UserFactory()
    token, _ = api_token_create(user=user, name="ci")
    api_token_revoke(token=token, actor=user)
    token.refresh_from_db()
    assert token.revoked_at is not None and not token.is_active


def test_token_revoke_by_someone_else_is_refused_and_changes_nothing():
    owner, other = UserFactory(), UserFactory()
    token, _ = api_token_create(user=owner, name="ci")
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, actor=other)
    token.refresh_from_db()
    assert token.revoked_at is None
