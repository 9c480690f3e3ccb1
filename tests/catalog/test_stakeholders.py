"""A service's stakeholders: set by managers and the service's owners (page, API, service), validated, audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from rest_framework.test import APIClient

from apps.audit.models import AuditEntry
from apps.catalog.services import service_stakeholders_set
from tests.factories.accounts import token_for

pytestmark = pytest.mark.django_db


def test_an_owner_sets_the_stakeholders_and_it_is_audited(world):
    before = AuditEntry.objects.count()
    service_stakeholders_set(
        service=world.service,
        actor=world.users["service_owner"],
        service_desk_email=" desk@example.com ",
        consumer_contacts="a@example.com\nb@example.com, a@example.com",
        supplier_contacts=["v@example.com"],
    )
    world.service.refresh_from_db()
    assert world.service.service_desk_email == "desk@example.com"
    assert world.service.consumer_contacts == ["a@example.com", "b@example.com"]
    assert world.service.supplier_contacts == ["v@example.com"]
    assert AuditEntry.objects.count() > before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("consumer_contacts", ["not-an-address"]),
        ("supplier_contacts", [1, 2]),
        ("consumer_contacts", {"a": "b"}),
        ("service_desk_email", 5),
        ("consumer_contacts", [f"c{n}@example.com" for n in range(101)]),
    ],
)
def test_bad_contacts_are_refused_naming_the_field(world, field, value):
    with pytest.raises(ValidationError) as exc:
        service_stakeholders_set(service=world.service, actor=world.users["manager"], **{field: value})
    assert field in exc.value.message_dict
    world.service.refresh_from_db()
    assert world.service.consumer_contacts == [] and world.service.supplier_contacts == []


@pytest.mark.parametrize("role", ["product_owner", "practitioner", "auditor"])
def test_others_may_not_set_them(world, role):
    with pytest.raises(PermissionDenied):
        service_stakeholders_set(service=world.service, actor=world.users[role], service_desk_email="x@example.com")


def test_the_api_shows_and_validates_the_nested_stakeholders(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world.users['manager'])}")
    url = f"/api/v1/services/{world.service.pk}/"
    bad = client.patch(url, {"stakeholders": {"consumer_contacts": ["nope"]}}, format="json")
    assert bad.status_code == 400 and "consumer_contacts" in str(bad.json())
    ok = client.patch(
        url,
        {"stakeholders": {"service_desk_email": "desk@example.com", "supplier_contacts": ["v@example.com"]}},
        format="json",
    )
    assert ok.status_code == 200
    assert ok.json()["stakeholders"] == {
        "service_desk_email": "desk@example.com",
        "consumer_contacts": [],
        "supplier_contacts": ["v@example.com"],
    }


def test_the_page_form_saves_and_shows_them(world):
    client = Client()
    client.force_login(world.users["service_owner"])
    url = f"/services/{world.service.slug}/stakeholders/"
    bad = client.post(url, {"consumer_contacts": "nope"})
    assert bad.status_code == 400 and "not an e-mail address" in bad.content.decode()
    response = client.post(url, {"service_desk_email": "desk@example.com", "consumer_contacts": "a@example.com"})
    assert response.status_code == 302
    page = client.get(f"/services/{world.service.slug}/").content.decode()
    assert "desk@example.com" in page and "a@example.com" in page
