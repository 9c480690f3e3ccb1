"""The partners' and consumers' alignment rating: a public form behind a signed, expiring, one-answer link."""

import pytest
from django.test import Client

from apps.deployments.models import AlignmentRating
from apps.deployments.services import alignment
from apps.deployments.services.alignment import alignment_token
from apps.deployments.workflow import Status
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(world):
    d = DeploymentFactory(service=world.service, environment=world.env_test, status=Status.COMPLETED)
    return AlignmentRating.objects.create(deployment=d, email="vendor@example.com", role="supplier")


def url(rating) -> str:
    return f"/alignment/{alignment_token(rating)}/"


def test_the_contact_rates_once_without_signing_in(request_):
    client = Client()
    page = client.get(url(request_))
    assert page.status_code == 200 and request_.deployment.reference in page.content.decode()
    answer = client.post(url(request_), {"rating": "4", "comment": "Well coordinated"})
    assert answer.status_code == 200 and "Thank you" in answer.content.decode()
    request_.refresh_from_db()
    assert (request_.rating, request_.comment) == (4, "Well coordinated") and request_.answered
    event = request_.deployment.events.get(kind="feedback")
    assert event.data == {"alignment_rating": 4, "role": "supplier"} and event.actor is None
    # a second answer through the same link is refused, with a clear page
    again = client.post(url(request_), {"rating": "1"})
    assert again.status_code == 409 and "already been answered" in again.content.decode()
    request_.refresh_from_db()
    assert request_.rating == 4


@pytest.mark.parametrize("rating", ["0", "6", "x", ""])
def test_a_rating_outside_1_to_5_is_a_form_error(request_, rating):
    response = Client().post(url(request_), {"rating": rating})
    assert response.status_code == 400
    request_.refresh_from_db()
    assert not request_.answered


@pytest.mark.parametrize(
    "token",
    ["x", "a" * 600, "eyJyIjoxfQ:1abc:def", "%00", "..%2F..%2Fetc"],
)
def test_an_altered_link_gets_a_clear_page(request_, token):
    for method in ("get", "post"):
        response = getattr(Client(), method)(f"/alignment/{token}/", {"rating": "3"} if method == "post" else None)
        assert response.status_code in (400, 404)
    request_.refresh_from_db()
    assert not request_.answered


def test_a_link_for_another_address_or_a_tampered_one_is_invalid(request_):
    token = alignment_token(request_)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    response = Client().get(f"/alignment/{tampered}/")
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_an_expired_link_gets_a_clear_page(request_, monkeypatch):
    link = url(request_)
    monkeypatch.setattr(alignment, "LINK_DAYS", -1)
    response = Client().post(link, {"rating": "5"})
    assert response.status_code == 410 and "expired" in response.content.decode()
    request_.refresh_from_db()
    assert not request_.answered
