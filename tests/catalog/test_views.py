"""Tests of the catalog pages: lists with filters and bounded queries, forms with clear errors, refusals."""

import pytest
from guardian.shortcuts import get_perms

from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier
from apps.catalog.services import service_set_owners
from tests.factories.catalog import ComponentFactory, ComponentVersionFactory, ServiceFactory, sha256_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, world):
    client.force_login(world.users["manager"])
    return client


def test_service_list_shows_services_filters_and_sorting(client, world):
    # given an auditor (reads everything)
    client.force_login(world.users["auditor"])
    # when they filter by criticality and sort
    response = client.get("/services/?criticality=high&ordering=-name")
    # then only the matching service is listed, with its owner and no "new" button
    html = response.content.decode()
    assert response.status_code == 200
    assert "Online shop" in html and "Payroll" not in html
    assert 'data-testid="service-create"' not in html
    assert world.users["service_owner"].get_full_name() in html


def test_service_list_text_and_owner_filters(client, world):
    client.force_login(world.users["practitioner"])
    assert "Online shop" not in client.get("/services/?q=payroll").content.decode()
    html = client.get(f"/services/?owner={world.users['service_owner'].pk}").content.decode()
    assert "Online shop" in html and "Payroll" not in html


def test_service_list_ignores_malformed_filters(client, world):
    client.force_login(world.users["practitioner"])
    response = client.get("/services/?criticality=zzz&owner=abc&ordering=evil&page=-4&is_active=maybe")
    assert response.status_code == 200


def test_service_list_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    # given many services, each with owners and components
    for n in range(30):
        service = ServiceFactory()
        service.owners.add(world.users["service_owner"])
        ComponentFactory(service=service)
    client.force_login(world.users["manager"])
    # then the list is served in a bounded number of queries
    with django_assert_max_num_queries(10):
        assert client.get("/services/").status_code == 200


def test_service_detail_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    for n in range(10):
        ComponentVersionFactory(component=ComponentFactory(service=world.service))
    client.force_login(world.users["auditor"])
    with django_assert_max_num_queries(14):
        response = client.get(f"/services/{world.service.slug}/")
    html = response.content.decode()
    assert "shop-web" in html and "1.1.0" in html and "Acme Hosting" in html


def test_supplier_list_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    for n in range(20):
        Supplier.objects.create(name=f"S{n}", kind="vendor")
    client.force_login(world.users["auditor"])
    with django_assert_max_num_queries(8):
        assert client.get("/suppliers/?kind=vendor&ordering=-components").status_code == 200


def test_manager_creates_a_service_with_owners(manager_client, world):
    owner = world.users["practitioner"]
    response = manager_client.post(
        "/services/new/", {"name": "Data warehouse", "criticality": "medium", "owners": [owner.pk], "is_active": "on"}
    )
    service = Service.objects.get(name="Data warehouse")
    assert response.status_code == 302 and response["Location"] == f"/services/{service.slug}/"
    assert "manage_service_components" in get_perms(owner, service)


def test_duplicate_service_name_is_a_form_error(manager_client, world):
    response = manager_client.post("/services/new/", {"name": "online shop", "criticality": "low"})
    assert response.status_code == 400
    assert "A service named “online shop” already exists." in response.content.decode()
    assert Service.objects.count() == 2


def test_service_edit_changes_owners(manager_client, world):
    po = world.users["product_owner"]
    response = manager_client.post(
        f"/services/{world.service.slug}/edit/",
        {"name": "Online shop", "criticality": "critical", "owners": [po.pk], "product_owners": [], "is_active": "on"},
    )
    assert response.status_code == 302
    assert list(world.service.owners.all()) == [po]
    assert get_perms(world.users["service_owner"], world.service) == []


def test_service_owner_adds_component_and_version(client, world):
    client.force_login(world.users["service_owner"])
    response = client.post(
        f"/services/{world.service.slug}/components/new/",
        {"name": "shop-db", "type": "data", "source": "in_house", "suppliers": [world.supplier.pk]},
    )
    component = ServiceComponent.objects.get(name="shop-db")
    assert response.status_code == 302 and response["Location"] == f"/components/{component.pk}/"
    digest = sha256_of("db")
    response = client.post(
        f"/components/{component.pk}/versions/new/",
        {"version": "2024-07", "repository_ref": "asset://data/shop-db/2024-07", "checksum": digest.upper()},
    )
    assert response.status_code == 302
    assert component.versions.get().checksum == digest
    html = client.get(f"/components/{component.pk}/").content.decode()
    assert "2024-07" in html and digest in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": "1.0.0", "checksum": ""}, "Version 1.0.0 of “shop-web” already exists."),
        ({"version": "3.0.0", "checksum": "xyz"}, "A SHA-256 checksum is 64 lowercase hexadecimal characters."),
        ({"version": "", "checksum": ""}, "This field is required."),
    ],
)
def test_bad_version_input_is_a_form_error_and_nothing_is_written(client, world, data, message):
    client.force_login(world.users["service_owner"])
    response = client.post(
        f"/components/{world.component.pk}/versions/new/", {"repository_ref": "dml://software/shop-web/x", **data}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert world.component.versions.count() == 2


def test_version_edit(client, world):
    client.force_login(world.users["service_owner"])
    response = client.post(
        f"/versions/{world.version_2.pk}/edit/",
        {"version": "1.1.0", "repository_ref": "dml://software/shop-web/1.1.0", "checksum": "", "notes": "Rebuilt"},
    )
    assert response.status_code == 302
    assert ComponentVersion.objects.get(pk=world.version_2.pk).notes == "Rebuilt"


def test_service_owner_cannot_edit_another_owners_component_and_nothing_changes(client, world):
    client.force_login(world.users["service_owner"])
    response = client.post(
        f"/components/{world.other_component.pk}/edit/", {"name": "hijacked", "type": "software", "source": "vendor"}
    )
    assert response.status_code == 403
    assert ServiceComponent.objects.get(pk=world.other_component.pk).name == "payroll-batch"


def test_auditor_cannot_write_and_nothing_changes(client, world):
    client.force_login(world.users["auditor"])
    assert client.post("/services/new/", {"name": "X", "criticality": "low"}).status_code == 403
    assert client.post(f"/suppliers/{world.supplier.pk}/edit/", {"name": "Y", "kind": "vendor"}).status_code == 403
    assert (
        client.post(
            f"/components/{world.component.pk}/versions/new/", {"version": "5", "repository_ref": "dml://x"}
        ).status_code
        == 403
    )
    assert Service.objects.count() == 2
    assert Supplier.objects.get().name == "Acme Hosting"
    assert world.component.versions.count() == 2


def test_a_former_owner_loses_access_to_the_forms(client, world):
    service_set_owners(service=world.service, owners=[], product_owners=[], actor=world.users["manager"])
    client.force_login(world.users["service_owner"])
    assert client.get(f"/components/{world.component.pk}/edit/").status_code == 403


def test_supplier_create_and_detail_lists_its_components(manager_client, world):
    response = manager_client.post(
        "/suppliers/new/",
        {"name": "FieldFit", "kind": "installation", "contract_ref": "C-1", "components": [world.component.pk]},
    )
    supplier = Supplier.objects.get(name="FieldFit")
    assert response.status_code == 302
    html = manager_client.get(f"/suppliers/{supplier.pk}/").content.decode()
    assert "shop-web" in html and "Online shop" in html


def test_duplicate_supplier_and_bad_kind_are_form_errors(manager_client, world):
    response = manager_client.post("/suppliers/new/", {"name": "ACME hosting", "kind": "vendor"})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    response = manager_client.post("/suppliers/new/", {"name": "New", "kind": "pirate"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert Supplier.objects.count() == 1


def test_unknown_objects_are_404(manager_client, world):
    for url in ["/services/nope/", "/components/999999/", "/versions/999999/edit/", "/suppliers/999999/"]:
        assert manager_client.get(url).status_code == 404, url


def test_home_lists_components_of_my_services_without_versions(client, world):
    # given a component of the owner's service with no version
    ComponentFactory(service=world.service, name="shop-cdn")
    client.force_login(world.users["service_owner"])
    # when the owner opens the home page
    html = client.get("/").content.decode()
    # then it asks them to register its versions
    assert "Register versions of your components" in html and "shop-cdn" in html
