"""Tests of apps/core/permissions.py: the one global-or-object permission helper."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm

from apps.accounts.models import User
from apps.core.permissions import objects_for_user, refusal, require, user_can
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


# --- require: the one guard, one refusal per rule -------------------------------------------------------------


@pytest.mark.parametrize(
    ("perm", "message"),
    [
        ("catalog.add_service", "Only deployment managers may add services."),
        ("catalog.change_service", "Only deployment managers may change services."),
        ("catalog.delete_supplier", "Only deployment managers may remove suppliers."),
        ("environments.change_environmentcheck", "Only deployment managers may change environment checks."),
        ("deployment_models.add_responsibility", "Only deployment managers may add responsibilities."),
        ("deployment_models.change_modelstage", "Only deployment managers may change model stages."),
        ("reviews.add_improvementinitiative", "Only deployment managers may add improvement initiatives."),
        ("reviews.view_modelreview", "Only deployment managers may see model reviews."),
        ("deployments.approve_deployment", "You may not do this."),
        ("nosuchapp.add_thing", "You may not do this."),
    ],
)
def test_require_refuses_with_the_rule_s_one_message(perm, message):
    # given a user without any role
    user = UserFactory()
    # when the guard is asked, then it refuses with the message of that permission, wherever it is asked
    assert refusal(perm) == message
    with pytest.raises(PermissionDenied) as refused:
        require(user, perm)
    assert str(refused.value) == message


def test_require_lets_a_holder_through_and_takes_an_object_permission():
    # given a manager, and a user holding one object permission
    person, target = UserFactory(), UserFactory()
    assign_perm("accounts.view_user", person, target)
    # then neither is refused
    assert require(UserFactory(roles=["manager"]), "catalog.add_service") is None
    assert require(person, "accounts.view_user", target) is None
    with pytest.raises(PermissionDenied):
        require(person, "accounts.view_user")


def test_require_says_who_may_when_the_rule_is_not_a_model_permission():
    with pytest.raises(PermissionDenied) as refused:
        require(AnonymousUser(), "deployments.approve_deployment", message="Only deployment managers approve.")
    assert str(refused.value) == "Only deployment managers approve."


@pytest.mark.parametrize(
    ("url", "perm"),
    [
        ("/api/v1/suppliers/", "catalog.add_supplier"),
        ("/api/v1/environments/", "environments.add_environment"),
        ("/api/v1/model-stages/", "deployment_models.add_modelstage"),
    ],
)
def test_the_api_and_the_service_refuse_a_rule_with_the_same_message(api_client, url, perm):
    # given a practitioner, who holds none of these manager permissions
    practitioner = UserFactory(roles=["practitioner"])
    api_client.force_authenticate(practitioner)
    # when they write through the API (an empty body: refused before it is read)
    response = api_client.post(url, {}, format="json")
    # then the API's 403 reads as the service's refusal of the same permission
    assert response.status_code == 403
    assert response.json()["detail"] == refusal(perm)
    with pytest.raises(PermissionDenied) as refused:
        require(practitioner, perm)
    assert str(refused.value) == response.json()["detail"]
