"""No input gives a 500: malformed bodies on every write endpoint of the deployments API are JSON 400s."""

import pytest

from apps.deployments import workflow

pytestmark = pytest.mark.django_db

BASE = "/api/v1/deployments/"


def _check_url(w) -> str:
    return f"{BASE}{w.deployment.pk}/checks/{w.deployment.checks.filter(kind='component').first().pk}/"


WRITE_ENDPOINTS = [
    ("post", lambda w: BASE),
    ("patch", lambda w: f"{BASE}{w.draft.pk}/"),
    ("put", lambda w: f"{BASE}{w.draft.pk}/"),
    *[("post", lambda w, n=t.name: f"{BASE}{w.deployment.pk}/{n}/") for t in workflow.people_transitions()],
    ("patch", _check_url),
    ("post", lambda w: f"{BASE}{w.deployment.pk}/feedback/"),
    ("post", lambda w: f"{BASE}{w.deployment.pk}/incidents/"),
    ("post", lambda w: f"{BASE}{w.deployment.pk}/problems/"),
]
ENDPOINT_IDS = [
    "create",
    "patch",
    "put",
    *[t.name for t in workflow.people_transitions()],
    "check",
    "feedback",
    "incidents",
    "problems",
]

MALFORMED = {
    "truncated json": (b'{"title": "x', "application/json"),
    "not json": (b"title=x&service=1", "application/json"),
    "invalid utf-8": (b'{"title": "\xff\xfe"}', "application/json"),
    "a list": (b"[1, 2, 3]", "application/json"),
    "a string": (b'"hello"', "application/json"),
    "a number": (b"12", "application/json"),
    "null": (b"null", "application/json"),
    "nested garbage": (
        b'{"title": {"a": [1]}, "version": "one", "comment": ["x"], "result": {}, "rating_lead_time": "five",'
        b' "incident_ref": [], "description": {}, "override_reason": 5e400}',
        "application/json",
    ),
    "huge strings": (
        b'{"title": "' + b"x" * 300_000 + b'", "comment": "' + b"y" * 30_000 + b'", "version": 1,'
        b' "result": "pass", "evidence": "' + b"z" * 30_000 + b'", "rating_lead_time": 1, "rating_quality": 1,'
        b' "incident_ref": "' + b"i" * 500 + b'", "description": "' + b"d" * 30_000 + b'"}',
        "application/json",
    ),
    "huge numbers": (
        b'{"version": 1e400, "service": 99999999999999999999999999, "rating_lead_time": -99999999999999999999,'
        b' "rating_quality": 1e308, "result": "pass", "incident_ref": "", "description": ""}',
        "application/json",
    ),
    "unicode digits as ids": (
        '{"manager": "²", "service": "١٢", "component_versions": ["³"], "comment": ["²"], "result": "²",'
        ' "rating_lead_time": "²", "rating_quality": "²", "incident_ref": ["²"], "description": ["²"]}'.encode(),
        "application/json",
    ),
    "unknown content type": (b"<deployment/>", "application/xml"),
}


@pytest.mark.parametrize(("method", "url"), WRITE_ENDPOINTS, ids=ENDPOINT_IDS)
def test_malformed_bodies_are_json_errors_never_500(world, client_for, method, url):
    # given a token of someone who may write there (one world per endpoint: every malformed body is refused):
    # a deployment manager, or for ratings the requester (permission is answered before the body is read)
    client = client_for("product_owner" if url(world).endswith("/feedback/") else "manager")
    wrong = []
    for body, (payload, content_type) in MALFORMED.items():
        # when a malformed body is sent
        response = getattr(client, method)(url(world), payload, content_type=content_type)
        # then the answer is a JSON 400 (or 415 for a content type the API does not read)
        expected = 415 if content_type != "application/json" else 400
        is_json = response["Content-Type"].startswith("application/json")
        if response.status_code != expected or not is_json or not response.json().get("detail"):
            wrong.append((body, response.status_code, response.content[:200]))
    assert wrong == []


def test_multipart_with_odd_values_is_a_400_not_a_500(world, client_for):
    # given the body schemathesis found: multipart, a superscript digit as an id, a negative id in a list
    client = client_for("manager")
    data = {"manager": "²", "component_versions": "-8563271", "handover_note": ["[]", "{}"], "version": "1"}
    # when it is sent to the edit endpoint
    response = client.patch(f"{BASE}{world.draft.pk}/", data, format="multipart")
    # then it is a JSON 400
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"manager", "component_versions"}


@pytest.mark.parametrize("odd", ["%C2%B2", "%D9%A1", "1e3"])
def test_unicode_digits_in_paths_are_404(world, client_for, odd):
    client = client_for("manager")
    for url in (f"{BASE}{odd}/", f"{BASE}{odd}/events/", f"{BASE}{world.deployment.pk}/checks/{odd}/"):
        assert client.get(url).status_code == 404, url
