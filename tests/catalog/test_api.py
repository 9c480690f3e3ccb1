"""Tests of the catalog API: fields, filters, writes per permission, 400 on bad input, bounded queries."""

import pytest
from guardian.shortcuts import get_perms

from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier
from tests.factories.accounts import token_for
from tests.factories.catalog import ComponentFactory, ComponentVersionFactory, ServiceFactory, sha256_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(api_client, world):
    def login(role):
        api_client.force_authenticate(world.users[role])
        return api_client

    return login


def test_services_list_fields(as_user, world):
    body = as_user("auditor").get("/api/v1/services/").json()
    assert body["count"] == 2
    shop = body["results"][0]
    assert shop == {
        "id": world.service.pk,
        "name": "Online shop",
        "slug": "online-shop",
        "description": "The public web shop.",
        "criticality": "high",
        "is_active": True,
        "owners": [world.users["service_owner"].pk],
        "product_owners": [world.users["product_owner"].pk],
        "stakeholders": {"service_desk_email": "", "consumer_contacts": [], "supplier_contacts": []},
    }


def test_token_authentication_and_anonymous_401(api_client, world):
    assert api_client.get("/api/v1/services/").status_code == 401
    key = token_for(world.users["manager"])
    response = api_client.get("/api/v1/components/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/api/v1/services/?criticality=high", ["Online shop"]),
        ("/api/v1/services/?ordering=-name", ["Payroll", "Online shop"]),
        ("/api/v1/services/?q=web", ["Online shop"]),
        ("/api/v1/components/?type=software&source=vendor", ["payroll-batch"]),
        ("/api/v1/suppliers/?kind=vendor", ["Acme Hosting"]),
    ],
)
def test_list_filters(as_user, url, expected):
    body = as_user("practitioner").get(url).json()
    assert [r["name"] for r in body["results"]] == expected


def test_filters_by_owner_service_and_component(as_user, world):
    client = as_user("practitioner")
    owner = world.users["service_owner"].pk
    assert [r["id"] for r in client.get(f"/api/v1/services/?owner={owner}").json()["results"]] == [world.service.pk]
    assert [r["id"] for r in client.get(f"/api/v1/components/?service={world.service.pk}").json()["results"]] == [
        world.component.pk
    ]
    body = client.get(f"/api/v1/component-versions/?component={world.component.pk}&version=1.0.0").json()
    assert body["results"] == [
        {
            "id": world.version_1.pk,
            "component": world.component.pk,
            "version": "1.0.0",
            "repository_ref": "dml://software/shop-web/1.0.0",
            "checksum": sha256_of("shop-web-1.0.0"),
            "notes": "",
            "created_at": body["results"][0]["created_at"],
        }
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/services/?criticality=extreme",
        "/api/v1/services/?owner=abc",
        "/api/v1/components/?service=999999",
        "/api/v1/component-versions/?component=xyz",
        "/api/v1/suppliers/?ordering=nonsense",
    ],
)
def test_malformed_filters_are_400_json(as_user, url):
    response = as_user("auditor").get(url)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_manager_creates_a_service_with_owners_and_permissions_follow(as_user, world):
    owner = world.users["practitioner"]
    response = as_user("manager").post(
        "/api/v1/services/", {"name": "HR portal", "criticality": "low", "owners": [owner.pk]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["slug"] == "hr-portal" and response.json()["owners"] == [owner.pk]
    service = Service.objects.get(name="HR portal")
    assert "manage_service_components" in get_perms(owner, service)


def test_patching_owners_revokes_the_old_owner(as_user, world):
    response = as_user("manager").patch(f"/api/v1/services/{world.service.pk}/", {"owners": []}, format="json")
    assert response.status_code == 200 and response.json()["owners"] == []
    assert get_perms(world.users["service_owner"], world.service) == []
    assert response.json()["product_owners"] == [world.users["product_owner"].pk]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "Online Shop", "criticality": "low"}, "name"),
        ({"name": "New", "criticality": "extreme"}, "criticality"),
        ({"name": "New", "owners": ["abc"]}, "owners"),
        ({"name": "New", "owners": [999999]}, "owners"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_service_input_is_400_and_nothing_written(as_user, data, field):
    response = as_user("manager").post("/api/v1/services/", data, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Service.objects.count() == 2


def test_malformed_json_is_400(as_user):
    response = as_user("manager").generic("POST", "/api/v1/services/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_version_create_lowercases_and_refuses_bad_checksum_and_duplicates(as_user, world):
    client = as_user("service_owner")
    digest = sha256_of("2.0.0")
    response = client.post(
        "/api/v1/component-versions/",
        {
            "component": world.component.pk,
            "version": "2.0.0",
            "repository_ref": "dml://s/2",
            "checksum": digest.upper(),
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["checksum"] == digest
    response = client.post(
        "/api/v1/component-versions/",
        {"component": world.component.pk, "version": "2.0.1", "repository_ref": "dml://s/2", "checksum": "z" * 64},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["checksum"] == ["A SHA-256 checksum is 64 lowercase hexadecimal characters."]
    response = client.post(
        "/api/v1/component-versions/",
        {"component": world.component.pk, "version": "1.0.0", "repository_ref": "dml://s/1"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["version"] == ["Version 1.0.0 of “shop-web” already exists."]
    assert world.component.versions.count() == 3


def test_register_creates_then_finds_then_refuses_another_checksum(as_user, world):
    client = as_user("manager")
    data = {"component": world.component.pk, "version": "3.0.0", "repository_ref": "dml://software/shop-web/3.0.0"}
    first = client.post("/api/v1/component-versions/register/", {**data, "checksum": sha256_of("a")}, format="json")
    again = client.post("/api/v1/component-versions/register/", {**data, "checksum": sha256_of("a")}, format="json")
    clash = client.post("/api/v1/component-versions/register/", {**data, "checksum": sha256_of("b")}, format="json")
    assert (first.status_code, again.status_code, clash.status_code) == (201, 200, 400)
    assert first.json()["id"] == again.json()["id"]
    assert ComponentVersion.objects.get(pk=first.json()["id"]).checksum == sha256_of("a")


def test_service_owner_cannot_write_another_services_components(as_user, world):
    client = as_user("service_owner")
    response = client.post(
        "/api/v1/components/",
        {"service": world.other_service.pk, "name": "x", "type": "data", "source": "in_house"},
        format="json",
    )
    assert response.status_code == 403
    assert (
        client.patch(f"/api/v1/components/{world.other_component.pk}/", {"name": "y"}, format="json").status_code == 403
    )
    assert client.delete(f"/api/v1/components/{world.other_component.pk}/").status_code == 403
    assert (
        client.post(
            "/api/v1/component-versions/",
            {"component": world.other_component.pk, "version": "9", "repository_ref": "dml://x"},
            format="json",
        ).status_code
        == 403
    )
    assert ServiceComponent.objects.get(pk=world.other_component.pk).name == "payroll-batch"
    assert world.other_component.versions.count() == 1


def test_component_cannot_move_to_another_service(as_user, world):
    response = as_user("manager").patch(
        f"/api/v1/components/{world.component.pk}/", {"service": world.other_service.pk}, format="json"
    )
    assert response.status_code == 400
    assert ServiceComponent.objects.get(pk=world.component.pk).service == world.service


def test_component_update_links_suppliers(as_user, world):
    other = Supplier.objects.create(name="Parcel", kind="shipping")
    response = as_user("service_owner").patch(
        f"/api/v1/components/{world.component.pk}/", {"suppliers": [other.pk]}, format="json"
    )
    assert response.status_code == 200 and response.json()["suppliers"] == [other.pk]


def test_auditor_writes_nothing(as_user, world):
    client = as_user("auditor")
    assert client.post("/api/v1/suppliers/", {"name": "A", "kind": "vendor"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/services/{world.service.pk}/", {"name": "B"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/suppliers/{world.supplier.pk}/").status_code == 403
    assert Supplier.objects.count() == 1 and Service.objects.get(pk=world.service.pk).name == "Online shop"


def test_supplier_write_with_components(as_user, world):
    client = as_user("manager")
    response = client.post(
        "/api/v1/suppliers/",
        {"name": "NearOps", "kind": "outsourced_team", "components": [world.component.pk, world.other_component.pk]},
        format="json",
    )
    assert response.status_code == 201
    assert sorted(response.json()["components"]) == sorted([world.component.pk, world.other_component.pk])
    assert client.post("/api/v1/suppliers/", {"name": "nearops", "kind": "vendor"}, format="json").status_code == 400


def test_services_cannot_be_deleted_through_the_api(as_user, world):
    assert as_user("manager").delete(f"/api/v1/services/{world.service.pk}/").status_code == 405


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/api/v1/services/", 8),
        ("/api/v1/components/", 7),
        ("/api/v1/component-versions/", 6),
        ("/api/v1/suppliers/", 7),
    ],
)
def test_api_lists_keep_a_constant_number_of_queries(as_user, world, django_assert_max_num_queries, url, limit):
    for n in range(15):
        service = ServiceFactory()
        service.owners.add(world.users["service_owner"])
        component = ComponentFactory(service=service)
        component.suppliers.add(world.supplier, Supplier.objects.create(name=f"Sup {n}", kind="vendor"))
        ComponentVersionFactory(component=component)
    client = as_user("auditor")
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200 and response.json()["count"] > 2


def test_schema_documents_the_catalog(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in ["/api/v1/services/", "/api/v1/components/", "/api/v1/component-versions/register/"]:
        assert path in schema["paths"]
