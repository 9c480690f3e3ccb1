"""The handover through the API: `POST deployments/{id}/handover/`, and `complete` refused without a note in
production (409 handover_required) or taking the note in its body."""

import pytest
from rest_framework.test import APIClient

from apps.deployments.workflow import Status
from tests.factories.accounts import token_for
from tests.factories.deployments import advance, pass_checks, plan, soon

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.fixture
def verifying(world):
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=world.env_prod,
        versions=[world.version_1],
        start=soon(30),
        practitioners=[world.users["practitioner"]],
    )
    d = advance(d, to=Status.VERIFYING, manager=world.users["manager"], practitioner=world.users["practitioner"])
    pass_checks(d, world.users["practitioner"], "acceptance", "exit")
    return d


def test_complete_without_a_note_is_409_and_with_one_it_completes(world, verifying):
    client = client_for(world.users["practitioner"])
    refused = client.post(f"/api/v1/deployments/{verifying.pk}/complete/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "handover_required"
    done = client.post(
        f"/api/v1/deployments/{verifying.pk}/complete/",
        {"handover_note": "Desk briefed.", "knowledge_links": ["https://kb.example.com/x"]},
        format="json",
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["knowledge_links"]) == ("completed", ["https://kb.example.com/x"])


def test_the_handover_endpoint_writes_and_validates(world, verifying):
    client = client_for(world.users["practitioner"])
    url = f"/api/v1/deployments/{verifying.pk}/handover/"
    bad = client.post(url, {"knowledge_links": ["ftp://kb.example.com/x"]}, format="json")
    assert bad.status_code == 400 and "knowledge_links" in bad.json()["errors"]
    ok = client.post(
        url, {"handover_note": "FAQ updated.", "knowledge_links": ["https://kb.example.com/faq"]}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["handover_note"] == "FAQ updated."
    stale = client.post(url, {"handover_note": "again", "version": 1}, format="json")
    assert stale.status_code == 409
    other = client_for(world.users["service_owner"]).post(url, {"handover_note": "x"}, format="json")
    assert other.status_code == 403


def test_another_action_refuses_a_handover_in_its_body(world, verifying):
    response = client_for(world.users["practitioner"]).post(
        f"/api/v1/deployments/{verifying.pk}/fail/", {"comment": "broke", "handover_note": "x"}, format="json"
    )
    assert response.status_code == 400 and "handover_note" in str(response.json())
