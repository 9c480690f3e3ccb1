"""Factories for users with roles, and API tokens."""

import factory
from django.contrib.auth.models import Group

from apps.accounts.models import User
from apps.accounts.services import api_token_create
from apps.roles import definitions as roles
from apps.roles.services import roles_sync

ROLE_BY_KEY = {
    "manager": roles.MANAGER,
    "practitioner": roles.PRACTITIONER,
    "service_owner": roles.SERVICE_OWNER,
    "product_owner": roles.PRODUCT_OWNER,
    "auditor": roles.AUDITOR,
    "supplier_contact": roles.SUPPLIER_CONTACT,
}


def ensure_roles() -> None:
    """Role groups come from a data migration, which a transactional test's flush removes; put them back."""
    if Group.objects.filter(name__in=roles.ROLES).count() != len(roles.ROLES):
        roles_sync()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Tester"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.django.Password("pw-secret-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        ensure_roles()
        for key in extracted:
            self.groups.add(Group.objects.get(name=ROLE_BY_KEY.get(key, key)))


def token_for(user: User, name: str = "test token") -> str:
    return api_token_create(user=user, name=name)[1]
