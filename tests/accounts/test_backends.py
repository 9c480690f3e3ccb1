"""The permission backend answers exactly as Django's ModelBackend, in one query instead of two."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from apps.accounts.backends import RoleModelBackend
from apps.accounts.models import User
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def _fresh(user) -> User:
    return User.objects.get(pk=user.pk)  # no permission caches


@pytest.mark.parametrize(
    "roles", [[], ["manager"], ["practitioner"], ["service_owner"], ["auditor"], ["manager", "auditor"]]
)
def test_every_role_gets_the_permissions_modelbackend_gives(roles):
    user = UserFactory(roles=roles)
    user.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    assert RoleModelBackend().get_all_permissions(_fresh(user)) == ModelBackend().get_all_permissions(_fresh(user))


def test_superusers_hold_every_permission_and_inactive_users_none():
    boss = UserFactory(is_superuser=True)
    gone = UserFactory(roles=["manager"], is_active=False)
    assert RoleModelBackend().get_all_permissions(_fresh(boss)) == ModelBackend().get_all_permissions(_fresh(boss))
    assert len(RoleModelBackend().get_all_permissions(_fresh(boss))) == Permission.objects.count()
    assert RoleModelBackend().get_all_permissions(_fresh(gone)) == set()
    assert not _fresh(gone).has_perm("deployments.view_deployment")


def test_permissions_are_read_in_one_query_and_kept_for_the_request(django_assert_num_queries):
    user = _fresh(UserFactory(roles=["manager"]))
    with django_assert_num_queries(1):
        assert user.has_perm("deployments.add_deployment")
        assert user.has_perm("deployments.view_deployment")
        assert not user.has_perm("reports.no_such_permission")
