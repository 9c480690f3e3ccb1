"""Tests of the catalog's reads: lists for every signed-in user, owned services, requestable services."""

import pytest
from django.contrib.auth.models import AnonymousUser

from apps.catalog.selectors import (
    component_list,
    component_version_list,
    service_list,
    services_for_requester,
    services_owned_by,
    supplier_list,
    user_manages_service,
)
from apps.catalog.services import service_create, service_update
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["manager", "practitioner", "service_owner", "product_owner", "auditor", "norole", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_every_signed_in_user_reads_the_whole_catalog(world, role):
    user = world.users[role]
    assert list(service_list(user=user)) == [world.service, world.other_service]
    assert component_list(user=user).count() == 2
    assert component_version_list(user=user).count() == 3
    assert list(supplier_list(user=user)) == [world.supplier]


def test_anonymous_reads_nothing(world):
    anon = AnonymousUser()
    assert not service_list(user=anon).exists()
    assert not component_list(user=anon).exists()
    assert not services_for_requester(user=anon).exists()
    assert not user_manages_service(user=anon, service=world.service)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"criticality": ["high"]}, ["Online shop"]),
        ({"criticality": ["medium", "high"]}, ["Online shop", "Payroll"]),
        ({"q": "public web"}, ["Online shop"]),
        ({"q": "PAY"}, ["Payroll"]),
        ({"ordering": "-criticality"}, ["Online shop", "Payroll"]),
        ({"ordering": "criticality"}, ["Payroll", "Online shop"]),
        ({"ordering": "-name"}, ["Payroll", "Online shop"]),
        ({"criticality": ["nonsense"]}, ["Online shop", "Payroll"]),
    ],
)
def test_service_list_filters(world, filters, expected):
    names = [s.name for s in service_list(user=world.users["auditor"], filters=filters)]
    assert names == expected


def test_service_list_filters_by_owner_and_mine(world):
    owner = world.users["service_owner"]
    assert list(service_list(user=world.users["manager"], filters={"owner": owner.pk})) == [world.service]
    assert list(service_list(user=owner, filters={"mine": "true"})) == [world.service]
    assert list(service_list(user=world.users["product_owner"], filters={"mine": "true"})) == [world.service]


def test_services_owned_by(world):
    assert list(services_owned_by(user=world.users["service_owner"])) == [world.service]
    assert list(services_owned_by(user=world.users["product_owner"])) == []
    assert list(services_owned_by(user=world.users["manager"])) == []


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("manager", ["Online shop", "Payroll"]),
        ("practitioner", ["Online shop", "Payroll"]),
        ("admin", ["Online shop", "Payroll"]),
        ("service_owner", ["Online shop"]),
        ("product_owner", ["Online shop"]),
        ("auditor", []),
        ("norole", []),
    ],
)
def test_services_for_requester(world, role, expected):
    assert [s.name for s in services_for_requester(user=world.users[role])] == expected


def test_services_for_requester_follows_owner_changes_and_skips_inactive(world):
    # given a second service owned by the product owner
    po = world.users["product_owner"]
    hr = service_create(name="HR portal", owners=[po], actor=world.users["manager"])
    assert [s.name for s in services_for_requester(user=po)] == ["HR portal", "Online shop"]
    # when it is made inactive
    service_update(service=hr, is_active=False, actor=world.users["manager"])
    # then it is no longer requestable
    assert [s.name for s in services_for_requester(user=po)] == ["Online shop"]


@pytest.mark.parametrize(
    ("role", "own", "other"),
    [
        ("manager", True, True),
        ("admin", True, True),
        ("service_owner", True, False),
        ("product_owner", False, False),
        ("practitioner", False, False),
        ("auditor", False, False),
    ],
)
def test_user_manages_service(world, role, own, other):
    user = world.users[role]
    assert user_manages_service(user=user, service=world.service) is own
    assert user_manages_service(user=user, service=world.other_service) is other


def test_owner_without_the_service_owner_role_still_manages_their_service(world):
    # ownership (object permission) is what scopes the work, whatever the role
    user = UserFactory()
    service = service_create(name="Data warehouse", owners=[user], actor=world.users["manager"])
    assert user_manages_service(user=user, service=service)


def test_component_and_version_filters(world):
    user = world.users["auditor"]
    assert list(component_list(user=user, filters={"service": world.service.pk})) == [world.component]
    assert list(component_list(user=user, filters={"source": ["vendor"]})) == [world.other_component]
    assert list(component_list(user=user, filters={"supplier": world.supplier.pk})) == [world.component]
    assert list(component_version_list(user=user, filters={"component": world.component.pk, "version": "1.1.0"})) == [
        world.version_2
    ]
    assert list(component_version_list(user=user, filters={"checksum": world.version_1.checksum.upper()})) == [
        world.version_1
    ]
    assert list(supplier_list(user=user, filters={"kind": ["shipping"]})) == []
