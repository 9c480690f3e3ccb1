"""Clearances and standing checks through the API, clearance expiry, and windows named from the contract's fields."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.environments.models import Clearance, EnvironmentCheck, FreezeWindow, MaintenanceWindow
from apps.environments.selectors import practitioner_is_cleared
from apps.environments.services import environment_clear_practitioner
from tests.factories.accounts import UserFactory
from tests.factories.environments import EnvironmentCheckFactory, EnvironmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(username="mgr", roles=["manager"])


@pytest.fixture
def practitioner():
    return UserFactory(username="prac", roles=["practitioner"])


@pytest.fixture
def production():
    return EnvironmentFactory(name="Production", slug="production", production=True)


def _client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_manager_clears_a_practitioner_with_reason_and_expiry(manager, practitioner, production):
    # given a practitioner not cleared for production
    assert not practitioner_is_cleared(user=practitioner, environment=production)
    expires = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    # when a manager clears them through the API
    response = _client(manager).post(
        f"/api/v1/environments/{production.pk}/clearances/",
        {"user": practitioner.pk, "reason": "Runbook training done", "expires_at": expires.isoformat()},
        format="json",
    )
    # then the clearance is recorded with who granted it, and the practitioner is cleared
    assert response.status_code == 201
    body = response.json()
    assert (body["user"], body["granted_by"], body["reason"]) == (practitioner.pk, manager.pk, "Runbook training done")
    assert dt.datetime.fromisoformat(body["expires_at"]) == expires
    assert practitioner_is_cleared(user=practitioner, environment=production)
    listed = _client(practitioner).get(f"/api/v1/environments/{production.pk}/clearances/").json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]


def test_removing_a_clearance_withdraws_it(manager, practitioner, production):
    # given a cleared practitioner
    clearance = environment_clear_practitioner(environment=production, user=practitioner, actor=manager, reason="x")
    # when a manager removes the clearance
    response = _client(manager).delete(f"/api/v1/environments/{production.pk}/clearances/{clearance.pk}/")
    # then it is gone and the practitioner is no longer cleared
    assert response.status_code == 204
    assert not Clearance.objects.filter(pk=clearance.pk).exists()
    assert not practitioner_is_cleared(user=practitioner, environment=production)


def test_an_expired_clearance_no_longer_counts(manager, practitioner, production):
    # given a clearance that has run out
    clearance = environment_clear_practitioner(environment=production, user=practitioner, actor=manager)
    Clearance.objects.filter(pk=clearance.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    # when clearance is asked / then it is refused
    assert not practitioner_is_cleared(user=practitioner, environment=production)


def test_a_clearance_in_the_past_is_a_400_and_nothing_is_written(manager, practitioner, production):
    # when a manager sends an expiry in the past
    response = _client(manager).post(
        f"/api/v1/environments/{production.pk}/clearances/",
        {"user": practitioner.pk, "expires_at": "2001-01-01T00:00:00Z"},
        format="json",
    )
    # then it is refused, nothing written
    assert response.status_code == 400
    assert "expires_at" in response.json()["errors"]
    assert Clearance.objects.count() == 0


def test_a_practitioner_cannot_clear_themselves(practitioner, production):
    # when a practitioner tries to clear themselves
    response = _client(practitioner).post(
        f"/api/v1/environments/{production.pk}/clearances/", {"user": practitioner.pk}, format="json"
    )
    # then 403, nothing written
    assert response.status_code == 403
    assert Clearance.objects.count() == 0


def test_clearances_of_an_unknown_environment_are_404(manager):
    assert _client(manager).get("/api/v1/environments/999999/clearances/").status_code == 404
    assert _client(manager).get("/api/v1/environments/²/clearances/").status_code == 404


def test_standing_checks_are_added_changed_and_removed(manager, production):
    client = _client(manager)
    base = f"/api/v1/environments/{production.pk}/standing-checks/"
    # when a manager adds a standing check switched off, switches it on, then removes it
    created = client.post(base, {"description": "Back-up power tested", "is_active": False}, format="json")
    assert created.status_code == 201
    check_id = created.json()["id"]
    assert EnvironmentCheck.objects.get(pk=check_id).is_active is False
    changed = client.patch(f"{base}{check_id}/", {"is_active": True}, format="json")
    # then each step is answered and recorded
    assert changed.status_code == 200
    assert changed.json() == {"id": check_id, "description": "Back-up power tested", "order": 0, "is_active": True}
    assert client.delete(f"{base}{check_id}/").status_code == 204
    assert not EnvironmentCheck.objects.filter(pk=check_id).exists()


def test_a_standing_check_of_another_environment_is_404(manager, production):
    other = EnvironmentCheckFactory()
    response = _client(manager).patch(
        f"/api/v1/environments/{production.pk}/standing-checks/{other.pk}/", {"is_active": False}, format="json"
    )
    assert response.status_code == 404


def test_a_freeze_window_with_the_contract_fields_alone_gets_a_readable_name(manager, production):
    # when a client sends only environment, start, end and reason (DESIGN.md §5)
    response = _client(manager).post(
        "/api/v1/freeze-windows/",
        {
            "environment": production.pk,
            "start": "2031-03-28T18:00:00Z",
            "end": "2031-03-31T06:00:00Z",
            "reason": "Quarter close.\nNo changes to production.",
        },
        format="json",
    )
    # then the window is created with a name made from the reason and the dates
    assert response.status_code == 201
    assert response.json()["name"] == "Quarter close (28 Mar 2031 18:00 – 31 Mar 2031 06:00 UTC)"
    assert FreezeWindow.objects.get().name == "Quarter close (28 Mar 2031 18:00 – 31 Mar 2031 06:00 UTC)"


def test_a_maintenance_window_with_the_contract_fields_alone_gets_a_readable_name(manager, production):
    response = _client(manager).post(
        "/api/v1/maintenance-windows/",
        {"environment": production.pk, "start": "2031-04-05T22:00:00Z", "end": "2031-04-06T02:00:00Z"},
        format="json",
    )
    assert response.status_code == 201
    assert MaintenanceWindow.objects.get().name == "Production maintenance (5 Apr 2031 22:00 – 6 Apr 2031 02:00 UTC)"


def test_a_given_name_is_kept(manager, production):
    response = _client(manager).post(
        "/api/v1/freeze-windows/",
        {"name": "Year end", "start": "2031-12-24T00:00:00Z", "end": "2032-01-02T00:00:00Z", "reason": "Holidays"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["name"] == "Year end"
