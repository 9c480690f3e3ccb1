"""Tests of the catalog admin: lists and searches load, and owner changes carry their object permissions."""

import pytest
from guardian.shortcuts import get_perms

from apps.catalog.models import ComponentVersion
from tests.factories.catalog import sha256_of

pytestmark = pytest.mark.django_db

OWNER = {"manage_service_components", "request_service_deployment", "signoff_service_deployment"}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/catalog/service/",
        "/admin/catalog/service/?criticality__exact=high&q=shop",
        "/admin/catalog/servicecomponent/?type__exact=software&q=shop",
        "/admin/catalog/componentversion/?q=1.0",
        "/admin/catalog/supplier/?kind__exact=vendor",
        "/admin/catalog/service/add/",
    ],
)
def test_admin_pages_load(client, world, url):
    client.force_login(world.users["admin"])
    assert client.get(url).status_code == 200


def test_admin_pages_load_for_objects(client, world):
    client.force_login(world.users["admin"])
    for url in [
        f"/admin/catalog/service/{world.service.pk}/change/",
        f"/admin/catalog/service/{world.service.pk}/history/",
        f"/admin/catalog/servicecomponent/{world.component.pk}/change/",
        f"/admin/catalog/componentversion/{world.version_1.pk}/change/",
        f"/admin/catalog/supplier/{world.supplier.pk}/change/",
    ]:
        assert client.get(url).status_code == 200, url


def _service_post(world, **overrides):
    data = {
        "name": world.service.name,
        "slug": world.service.slug,
        "description": world.service.description,
        "criticality": world.service.criticality,
        "is_active": "on",
        "owners": [world.users["service_owner"].pk],
        "product_owners": [world.users["product_owner"].pk],
        "components-TOTAL_FORMS": "0",
        "components-INITIAL_FORMS": "0",
        "components-MIN_NUM_FORMS": "0",
        "components-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_changing_owners_in_the_admin_grants_and_revokes_object_permissions(client, world):
    # given the admin signed in, and the world's service owned by service_owner
    client.force_login(world.users["admin"])
    auditor = world.users["auditor"]
    # when the admin replaces the owner by the auditor
    response = client.post(
        f"/admin/catalog/service/{world.service.pk}/change/", _service_post(world, owners=[auditor.pk])
    )
    # then the owners changed and the permissions followed
    assert response.status_code == 302
    assert list(world.service.owners.all()) == [auditor]
    assert set(get_perms(auditor, world.service)) == OWNER
    assert get_perms(world.users["service_owner"], world.service) == []
    assert set(get_perms(world.users["product_owner"], world.service)) == {"request_service_deployment"}


def test_adding_a_service_in_the_admin_grants_owner_permissions(client, world):
    client.force_login(world.users["admin"])
    owner = world.users["practitioner"]
    data = _service_post(world, name="Branch network", slug="branch-network", owners=[owner.pk], product_owners=[])
    response = client.post("/admin/catalog/service/add/", data)
    assert response.status_code == 302
    service = owner.owned_services.get()
    assert service.name == "Branch network"
    assert set(get_perms(owner, service)) == OWNER


def test_admin_version_form_lowercases_and_refuses_malformed_checksums(client, world):
    client.force_login(world.users["admin"])
    url = f"/admin/catalog/componentversion/{world.version_2.pk}/change/"  # on a draft only: not frozen
    digest = sha256_of("new")
    base = {"component": world.component.pk, "version": "1.1.0", "repository_ref": "dml://x", "notes": ""}
    assert client.post(url, {**base, "checksum": "nothex"}).status_code == 200  # form shown again with the error
    assert ComponentVersion.objects.get(pk=world.version_2.pk).checksum == sha256_of("shop-web-1.1.0")
    assert client.post(url, {**base, "checksum": digest.upper()}).status_code == 302
    assert ComponentVersion.objects.get(pk=world.version_2.pk).checksum == digest
