"""Suppliers and deployments: the supplier's deployments page, the register's `supplier` filter, and the Supplier
contact role (sees and records checks on its supplier's deployments only, on every channel)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from apps.catalog.services import supplier_create, supplier_update
from apps.deployments.models import CheckKind, CheckResult
from apps.deployments.permissions import may_execute, may_record_check
from apps.deployments.selectors.visibility import deployment_list
from apps.deployments.services import Context, check_record, deployment_transition
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ServiceFactory
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


@pytest.fixture
def scene(manager):
    """Two suppliers, a contact of the first, and a deployment of each plus one of none."""
    contact = UserFactory(roles=["supplier_contact"])
    acme = supplier_create(name="Acme", kind="vendor", contact_users=[contact], actor=manager)
    other = supplier_create(name="Globex", kind="partner", actor=manager)
    service = ServiceFactory()
    return {
        "contact": contact,
        "acme": acme,
        "other": other,
        "ours": DeploymentFactory(service=service, supplier=acme, status="approved", title="Acme install"),
        "theirs": DeploymentFactory(service=service, supplier=other, title="Globex install"),
        "none": DeploymentFactory(service=service, title="In-house"),
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the Supplier contact role ---------------------------------------------------------------------------------


def test_a_supplier_contact_sees_only_its_suppliers_deployments(scene):
    assert list(deployment_list(user=scene["contact"])) == [scene["ours"]]


def test_without_the_link_a_supplier_contact_sees_nothing():
    assert not deployment_list(user=UserFactory(roles=["supplier_contact"])).exists()


def test_contact_users_must_hold_the_role(manager, scene):
    with pytest.raises(ValidationError, match="Supplier contact role"):
        supplier_update(supplier=scene["other"], contact_users=[UserFactory(roles=["auditor"])], actor=manager)
    assert not scene["other"].contact_users.exists()


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        (CheckKind.COMPONENT, True),
        (CheckKind.ENVIRONMENT, True),
        (CheckKind.ACCEPTANCE, True),
        (CheckKind.ENTRY, False),
        (CheckKind.EXIT, False),
    ],
)
def test_a_supplier_contact_records_component_environment_and_acceptance_checks(scene, kind, allowed):
    assert may_record_check(scene["contact"], scene["ours"], kind) is allowed
    assert may_record_check(scene["contact"], scene["theirs"], kind) is False
    assert may_execute(scene["contact"], scene["ours"]) is False


def test_a_supplier_contact_records_a_check_through_the_service(scene):
    # given an approved deployment of its supplier with a component check
    check = scene["ours"].checks.create(kind=CheckKind.COMPONENT, description="Firmware 2.1 on the box")
    # when the contact records it
    recorded = check_record(
        ctx=Context(actor=scene["contact"]), check=check, result=CheckResult.PASS, evidence="Label photo"
    )
    # then it is recorded by them
    assert (recorded.result, recorded.recorded_by) == (CheckResult.PASS, scene["contact"])


def test_a_supplier_contact_is_refused_entry_checks_and_transitions(scene):
    check = scene["ours"].checks.create(kind=CheckKind.ENTRY, description="Change approved")
    with pytest.raises(PermissionDenied):
        check_record(ctx=Context(actor=scene["contact"]), check=check, result=CheckResult.PASS, evidence="x")
    with pytest.raises(PermissionDenied):
        deployment_transition(ctx=Context(actor=scene["contact"]), deployment=scene["ours"], transition="start")
    check.refresh_from_db()
    scene["ours"].refresh_from_db()
    assert (check.result, scene["ours"].status) == (CheckResult.PENDING, "approved")


def test_every_channel_is_scoped_the_same(scene):
    client = _client(scene["contact"])
    ours, theirs = scene["ours"], scene["theirs"]
    # pages
    assert client.get(f"/deployments/{ours.pk}/").status_code == 200
    assert client.get(f"/deployments/{theirs.pk}/").status_code == 404
    register = client.get("/deployments/").content.decode()
    assert ours.reference in register and theirs.reference not in register
    # API
    assert [d["id"] for d in client.get("/api/v1/deployments/").json()["results"]] == [ours.pk]
    assert client.get(f"/api/v1/deployments/{theirs.pk}/").status_code == 404
    # the calendar feed
    feed = b"".join(client.get("/calendar.ics").streaming_content).decode()
    assert ours.reference in feed and theirs.reference not in feed
    # exports and KPIs are not the role's
    assert client.get("/exports/deployments.csv").status_code == 403
    assert client.get("/api/v1/kpis/").status_code == 403


def test_the_check_form_is_drawn_for_the_kinds_the_contact_records(scene):
    scene["ours"].checks.create(kind=CheckKind.COMPONENT, description="Firmware")
    scene["ours"].checks.create(kind=CheckKind.ENTRY, description="Change approved")
    page = _client(scene["contact"]).get(f"/deployments/{scene['ours'].pk}/").content.decode()
    assert page.count('data-testid="check-form"') == 1


# --- supplier pages and the register filter --------------------------------------------------------------------


def test_the_register_filters_by_supplier(manager, scene):
    client = _client(manager)
    page = client.get(f"/deployments/?supplier={scene['acme'].pk}").content.decode()
    assert scene["ours"].reference in page and scene["theirs"].reference not in page
    body = client.get(f"/api/v1/deployments/?supplier={scene['other'].pk}").json()
    assert [d["id"] for d in body["results"]] == [scene["theirs"].pk]
    assert client.get("/api/v1/deployments/?supplier=999999").status_code == 400


def test_the_supplier_page_lists_its_deployments(manager, scene, django_assert_max_num_queries):
    # given many deployments of the supplier
    for _ in range(12):
        DeploymentFactory(supplier=scene["acme"], versions=[])
    client = _client(manager)
    # when its page of deployments is read, then the queries do not grow with the rows
    with django_assert_max_num_queries(12):
        response = client.get(f"/suppliers/{scene['acme'].pk}/deployments/")
    page = response.content.decode()
    assert page.count('data-testid="deployment-row"') == 13
    assert scene["theirs"].reference not in page
    assert f"/deployments/?supplier={scene['acme'].pk}" in page
    # and the supplier's own page links to it
    assert (
        f"/suppliers/{scene['acme'].pk}/deployments/" in client.get(f"/suppliers/{scene['acme'].pk}/").content.decode()
    )


def test_the_supplier_page_shows_only_what_the_user_may_see(scene):
    owner = UserFactory(roles=["service_owner"])
    page = _client(owner).get(f"/suppliers/{scene['acme'].pk}/deployments/").content.decode()
    assert scene["ours"].reference not in page
    assert _client(owner).get("/suppliers/999999/deployments/").status_code == 404
