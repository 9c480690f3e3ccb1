"""Tests of apps/core/permissions.py: the one global-or-object permission helper."""

import pytest
from django.contrib.auth.models import AnonymousUser
from guardian.shortcuts import assign_perm

from apps.accounts.models import User
from apps.core.permissions import objects_for_user, user_can
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_global_permission_through_a_role_applies_to_every_object():
    manager, target = UserFactory(roles=["manager"]), UserFactory()
    assert user_can(manager, "accounts.view_user")
    assert user_can(manager, "accounts.view_user", target)
    assert objects_for_user(manager, "accounts.view_user", User.objects.all()).count() == User.objects.count()


def test_object_permission_applies_to_that_object_only():
    person, mine, other = UserFactory(), UserFactory(), UserFactory()
    assign_perm("accounts.view_user", person, mine)
    assert not user_can(person, "accounts.view_user")
    assert user_can(person, "accounts.view_user", mine)
    assert not user_can(person, "accounts.view_user", other)
    assert list(objects_for_user(person, "accounts.view_user", User.objects.all())) == [mine]


def test_anonymous_and_inactive_users_may_do_nothing():
    target = UserFactory()
    inactive = UserFactory(roles=["manager"], is_active=False)
    assert not user_can(AnonymousUser(), "accounts.view_user", target)
    assert not user_can(inactive, "accounts.view_user", target)
    assert objects_for_user(AnonymousUser(), "accounts.view_user", User.objects.all()).count() == 0
