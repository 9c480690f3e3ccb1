"""Tests of the catalog's writes: services and owners (object permissions), components, versions, suppliers."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from guardian.shortcuts import get_perms

from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier
from apps.catalog.services import (
    component_create,
    component_delete,
    component_update,
    component_version_create,
    component_version_get_or_create,
    component_version_update,
    service_create,
    service_set_owners,
    service_update,
    supplier_create,
    supplier_delete,
    supplier_set_components,
    supplier_update,
)
from tests.factories.accounts import UserFactory
from tests.factories.catalog import sha256_of

pytestmark = pytest.mark.django_db

OWNER = {"manage_service_components", "request_service_deployment", "signoff_service_deployment"}
PRODUCT_OWNER = {"request_service_deployment"}


# --- services and owners ---------------------------------------------------------------------------------------


def test_service_create_sets_slug_owners_and_their_object_permissions(world):
    # given a manager and two future owners
    owner, po = UserFactory(roles=["service_owner"]), UserFactory(roles=["product_owner"])
    # when the manager creates a service
    service = service_create(
        name="HR portal", criticality="low", owners=[owner], product_owners=[po], actor=world.users["manager"]
    )
    # then it exists with a slug and the owners hold exactly their object permissions
    assert service.slug == "hr-portal"
    assert list(service.owners.all()) == [owner]
    assert set(get_perms(owner, service)) == OWNER
    assert set(get_perms(po, service)) == PRODUCT_OWNER


def test_world_service_owner_and_product_owner_hold_their_permissions(world):
    assert set(get_perms(world.users["service_owner"], world.service)) == OWNER
    assert set(get_perms(world.users["product_owner"], world.service)) == PRODUCT_OWNER
    assert get_perms(world.users["service_owner"], world.other_service) == []


@pytest.mark.parametrize("name", ["Online shop", "online SHOP", "  Online shop "])
def test_service_create_refuses_a_duplicate_name(world, name):
    # when a manager adds a service whose name exists already (any case)
    with pytest.raises(ValidationError) as exc:
        service_create(name=name, actor=world.users["manager"])
    # then it is refused with a clear message on the name and nothing is written
    assert "already exists" in exc.value.message_dict["name"][0]
    assert Service.objects.count() == 2


@pytest.mark.parametrize("role", ["practitioner", "service_owner", "product_owner", "auditor", "norole"])
def test_only_managers_create_services(world, role):
    with pytest.raises(PermissionDenied):
        service_create(name="New one", actor=world.users[role])
    assert not Service.objects.filter(name="New one").exists()


def test_service_update_keeps_the_slug(world):
    service_update(service=world.service, name="Web shop", criticality="critical", actor=world.users["manager"])
    world.service.refresh_from_db()
    assert (world.service.name, world.service.slug, world.service.criticality) == (
        "Web shop",
        "online-shop",
        "critical",
    )


def test_service_update_refused_for_the_service_owner(world):
    with pytest.raises(PermissionDenied):
        service_update(service=world.service, name="Mine now", actor=world.users["service_owner"])
    world.service.refresh_from_db()
    assert world.service.name == "Online shop"


def test_service_update_refuses_a_bad_criticality(world):
    with pytest.raises(ValidationError) as exc:
        service_update(service=world.service, criticality="extreme", actor=world.users["manager"])
    assert "criticality" in exc.value.message_dict
    assert Service.objects.get(pk=world.service.pk).criticality == "high"


def test_removing_an_owner_revokes_their_object_permissions(world):
    # given the world's service with its owner and product owner
    owner, po = world.users["service_owner"], world.users["product_owner"]
    # when the owner is removed
    service_set_owners(service=world.service, owners=[], product_owners=[po], actor=world.users["manager"])
    # then the owner has lost every object permission and the product owner kept theirs
    assert get_perms(owner, world.service) == []
    assert set(get_perms(po, world.service)) == PRODUCT_OWNER
    assert list(world.service.owners.all()) == []


def test_demoting_an_owner_to_product_owner_keeps_only_request(world):
    owner = world.users["service_owner"]
    service_set_owners(service=world.service, owners=[], product_owners=[owner], actor=world.users["manager"])
    assert set(get_perms(owner, world.service)) == PRODUCT_OWNER


def test_promoting_a_product_owner_grants_owner_permissions(world):
    po = world.users["product_owner"]
    service_set_owners(service=world.service, owners=[po], product_owners=[], actor=world.users["manager"])
    assert set(get_perms(po, world.service)) == OWNER
    assert get_perms(world.users["service_owner"], world.service) == []


def test_set_owners_refused_for_non_managers_and_nothing_changes(world):
    with pytest.raises(PermissionDenied):
        service_set_owners(
            service=world.service,
            owners=[world.users["auditor"]],
            product_owners=[],
            actor=world.users["service_owner"],
        )
    assert list(world.service.owners.all()) == [world.users["service_owner"]]
    assert get_perms(world.users["auditor"], world.service) == []


def test_set_owners_refuses_unknown_user_ids(world):
    with pytest.raises(ValidationError):
        service_set_owners(service=world.service, owners=[999999], product_owners=[], actor=world.users["manager"])
    assert list(world.service.owners.all()) == [world.users["service_owner"]]


# --- components ------------------------------------------------------------------------------------------------


def test_service_owner_adds_a_component_to_their_service(world):
    component = component_create(
        service=world.service, name="shop-db", type="data", source="in_house", actor=world.users["service_owner"]
    )
    assert component.service == world.service


def test_service_owner_cannot_add_to_another_service(world):
    with pytest.raises(PermissionDenied):
        component_create(
            service=world.other_service, name="x", type="data", source="in_house", actor=world.users["service_owner"]
        )
    assert world.other_service.components.count() == 1


def test_service_owner_cannot_edit_another_owners_component(world):
    # given a component of a service the service owner does not own
    # when they try to rename it
    with pytest.raises(PermissionDenied):
        component_update(component=world.other_component, name="hacked", actor=world.users["service_owner"])
    # then nothing changed
    assert ServiceComponent.objects.get(pk=world.other_component.pk).name == "payroll-batch"


@pytest.mark.parametrize("role", ["auditor", "practitioner", "product_owner", "norole"])
def test_readers_cannot_change_components(world, role):
    with pytest.raises(PermissionDenied):
        component_update(component=world.component, name="changed", actor=world.users[role])
    with pytest.raises(PermissionDenied):
        component_delete(component=world.component, actor=world.users[role])
    assert ServiceComponent.objects.get(pk=world.component.pk).name == "shop-web"


def test_component_update_links_suppliers_and_refuses_duplicate_names(world):
    other = supplier_create(name="Parcel Co", kind="shipping", actor=world.users["manager"])
    component_update(component=world.component, suppliers=[other], actor=world.users["service_owner"])
    assert list(world.component.suppliers.all()) == [other]
    component_create(
        service=world.service, name="shop-db", type="data", source="in_house", actor=world.users["manager"]
    )
    with pytest.raises(ValidationError) as exc:
        component_update(component=world.component, name="SHOP-DB", actor=world.users["manager"])
    assert "already has a component" in exc.value.message_dict["name"][0]


def test_component_delete_by_owner(world):
    # given a component of the owner's service with a version no deployment refers to
    component = component_create(
        service=world.service, name="shop-docs", type="documentation", source="in_house", actor=world.users["manager"]
    )
    version = component_version_create(
        component=component, version="1", repository_ref="dml://documentation/shop/1", actor=world.users["manager"]
    )
    # when the service owner removes it
    component_delete(component=component, actor=world.users["service_owner"])
    # then it and its versions are gone
    assert not ServiceComponent.objects.filter(pk=component.pk).exists()
    assert not ComponentVersion.objects.filter(pk=version.pk).exists()


# --- versions --------------------------------------------------------------------------------------------------


def test_version_create_lowercases_an_uppercase_checksum(world):
    digest = sha256_of("shop-web-2.0.0")
    version = component_version_create(
        component=world.component,
        version="2.0.0",
        repository_ref="dml://software/shop-web/2.0.0",
        checksum=digest.upper(),
        actor=world.users["service_owner"],
    )
    assert version.checksum == digest


@pytest.mark.parametrize("checksum", ["abc", "g" * 64, "a" * 63, "a" * 65, "sha256:" + "a" * 64])
def test_version_create_refuses_a_malformed_checksum(world, checksum):
    with pytest.raises(ValidationError) as exc:
        component_version_create(
            component=world.component,
            version="9.9.9",
            repository_ref="dml://x",
            checksum=checksum,
            actor=world.users["manager"],
        )
    assert "64 lowercase hexadecimal" in exc.value.message_dict["checksum"][0]
    assert not ComponentVersion.objects.filter(version="9.9.9").exists()


def test_version_create_without_checksum_is_allowed(world):
    version = component_version_create(
        component=world.component, version="2.0.0", repository_ref="dml://docs/x", actor=world.users["manager"]
    )
    assert version.checksum == ""


def test_version_create_refuses_a_duplicate_version(world):
    with pytest.raises(ValidationError) as exc:
        component_version_create(
            component=world.component, version="1.0.0", repository_ref="dml://x", actor=world.users["manager"]
        )
    assert exc.value.message_dict["version"] == ["Version 1.0.0 of “shop-web” already exists."]
    assert world.component.versions.count() == 2


def test_the_same_version_string_is_fine_on_another_component(world):
    version = component_version_create(
        component=world.other_component, version="1.0.0", repository_ref="dml://x", actor=world.users["manager"]
    )
    assert version.pk


def test_version_create_refused_on_another_owners_service(world):
    with pytest.raises(PermissionDenied):
        component_version_create(
            component=world.other_component,
            version="4.0.0",
            repository_ref="dml://x",
            actor=world.users["service_owner"],
        )
    assert world.other_component.versions.count() == 1


def test_version_update_validates_checksum_and_permission(world):
    with pytest.raises(ValidationError):
        component_version_update(component_version=world.version_1, checksum="nope", actor=world.users["manager"])
    with pytest.raises(ValidationError):
        component_version_update(component_version=world.version_1, version="1.1.0", actor=world.users["manager"])
    with pytest.raises(PermissionDenied):
        component_version_update(component_version=world.other_version, notes="x", actor=world.users["service_owner"])
    world.version_1.refresh_from_db()
    assert (world.version_1.version, world.version_1.checksum) == ("1.0.0", sha256_of("shop-web-1.0.0"))
    component_version_update(component_version=world.version_1, notes="Hotfix", actor=world.users["service_owner"])
    assert ComponentVersion.objects.get(pk=world.version_1.pk).notes == "Hotfix"


def test_get_or_create_returns_the_existing_version_when_checksum_matches(world):
    version, created = component_version_get_or_create(
        component=world.component,
        version="1.0.0",
        repository_ref="dml://software/shop-web/1.0.0",
        checksum=sha256_of("shop-web-1.0.0").upper(),
        actor=world.users["manager"],
    )
    assert (version, created) == (world.version_1, False)


def test_get_or_create_creates_a_new_version(world):
    version, created = component_version_get_or_create(
        component=world.component,
        version="1.2.0",
        repository_ref="dml://software/shop-web/1.2.0",
        checksum=sha256_of("x"),
        actor=world.users["service_owner"],
    )
    assert created and version.version == "1.2.0"


def test_get_or_create_refuses_a_different_checksum(world):
    with pytest.raises(ValidationError) as exc:
        component_version_get_or_create(
            component=world.component,
            version="1.0.0",
            repository_ref="dml://software/shop-web/1.0.0",
            checksum=sha256_of("tampered"),
            actor=world.users["manager"],
        )
    assert "registered with checksum" in exc.value.message_dict["checksum"][0]
    world.version_1.refresh_from_db()
    assert world.version_1.checksum == sha256_of("shop-web-1.0.0")


# --- suppliers -------------------------------------------------------------------------------------------------


def test_supplier_create_update_link_delete(world):
    manager = world.users["manager"]
    supplier = supplier_create(name="Install Ltd", kind="installation", contacts="Jo", actor=manager)
    supplier_update(supplier=supplier, contract_ref="CTR-9", actor=manager)
    supplier_set_components(supplier=supplier, components=[world.component, world.other_component], actor=manager)
    assert set(supplier.components.all()) == {world.component, world.other_component}
    supplier_delete(supplier=supplier, actor=manager)
    assert not Supplier.objects.filter(name="Install Ltd").exists()


def test_supplier_create_refuses_duplicates_and_bad_kind(world):
    with pytest.raises(ValidationError):
        supplier_create(name="acme hosting", kind="vendor", actor=world.users["manager"])
    with pytest.raises(ValidationError):
        supplier_create(name="Other", kind="pirate", actor=world.users["manager"])
    assert Supplier.objects.count() == 1


@pytest.mark.parametrize("role", ["service_owner", "auditor", "practitioner"])
def test_only_managers_write_suppliers(world, role):
    with pytest.raises(PermissionDenied):
        supplier_create(name="Nope", kind="vendor", actor=world.users[role])
    with pytest.raises(PermissionDenied):
        supplier_update(supplier=world.supplier, name="Changed", actor=world.users[role])
    with pytest.raises(PermissionDenied):
        supplier_delete(supplier=world.supplier, actor=world.users[role])
    assert list(Supplier.objects.values_list("name", flat=True)) == ["Acme Hosting"]
