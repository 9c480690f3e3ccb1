"""No input gives a 500 on the audit-findings API: malformed bodies on its write endpoints are JSON 400s, odd ids in
its paths are 404s."""

import pytest
from rest_framework.test import APIClient

from tests.deployments_api.test_api_errors import MALFORMED
from tests.factories.accounts import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(world):
    """`client_for("manager")`: an APIClient with a token of that world user."""

    def make(role):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world.users[role], name='errors')}")
        return client

    return make


BASE = "/api/v1/audit-findings/"
WRITES = [("auditor", lambda w: BASE), ("manager", lambda w: f"{BASE}{w.finding.pk}/change-status/")]


@pytest.mark.parametrize(("role", "url"), WRITES, ids=["create", "change-status"])
def test_malformed_bodies_are_json_errors_never_500(world, client_for, role, url):
    # given a token of someone who may write there
    client = client_for(role)
    wrong = []
    for body, (payload, content_type) in MALFORMED.items():
        # when a malformed body is sent
        response = client.post(url(world), payload, content_type=content_type)
        # then the answer is a JSON 400 (or 415 for a content type the API does not read), and nothing changed
        expected = 415 if content_type != "application/json" else 400
        is_json = response["Content-Type"].startswith("application/json")
        if response.status_code != expected or not is_json or not response.json().get("detail"):
            wrong.append((body, response.status_code, response.content[:200]))
    assert wrong == []
    world.finding.refresh_from_db()
    assert world.finding.status == "open"


@pytest.mark.parametrize("odd", ["%C2%B2", "%D9%A1", "1e3", "-1", "99999999999999999999999"])
def test_odd_ids_in_paths_are_404(world, client_for, odd):
    client = client_for("manager")
    assert client.get(f"{BASE}{odd}/").status_code == 404
    assert client.post(f"{BASE}{odd}/change-status/", {"status": "closed", "reason": "x"}).status_code == 404
