"""Feedback's third question, satisfaction with the rate of change: optional 1–5 in the service, the form and the
API (clients that send only the first two ratings keep working)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from apps.deployments.forms import FeedbackForm
from apps.deployments.models import DeploymentEvent, Feedback
from apps.deployments.services import Context, feedback_submit
from apps.deployments.workflow import Status
from tests.factories.deployments import advance

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(world):
    return advance(
        world.deployment, to=Status.COMPLETED, manager=world.users["manager"], practitioner=world.users["practitioner"]
    )


def test_the_service_keeps_the_third_rating_and_says_it_in_the_timeline(world, done):
    feedback_submit(
        ctx=Context(actor=world.users["product_owner"]),
        deployment=done,
        rating_lead_time=4,
        rating_quality=5,
        rating_rate_of_change="3",
    )
    assert Feedback.objects.values_list("rating_lead_time", "rating_quality", "rating_rate_of_change").get() == (
        4,
        5,
        3,
    )
    event = DeploymentEvent.objects.filter(deployment=done, kind="feedback").get()
    assert event.comment == "Rated lead time 4/5, quality 5/5, rate of change 3/5."


@pytest.mark.parametrize("value", [None, ""])
def test_the_third_rating_is_optional(world, done, value):
    feedback_submit(
        ctx=Context(actor=world.users["product_owner"]),
        deployment=done,
        rating_lead_time=4,
        rating_quality=5,
        rating_rate_of_change=value,
    )
    assert Feedback.objects.get().rating_rate_of_change is None


@pytest.mark.parametrize("value", [0, 6, "x", 2.5j])
def test_a_bad_third_rating_is_refused_and_nothing_is_written(world, done, value):
    with pytest.raises(ValidationError) as exc:
        feedback_submit(
            ctx=Context(actor=world.users["product_owner"]),
            deployment=done,
            rating_lead_time=4,
            rating_quality=5,
            rating_rate_of_change=value,
        )
    assert "rating_rate_of_change" in exc.value.message_dict
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("data", "valid", "rate"),
    [
        ({"rating_lead_time": 3, "rating_quality": 4, "rating_rate_of_change": 5}, True, 5),
        ({"rating_lead_time": 3, "rating_quality": 4, "rating_rate_of_change": ""}, True, None),
        ({"rating_lead_time": 3, "rating_quality": 4}, True, None),
        ({"rating_lead_time": 3, "rating_quality": 4, "rating_rate_of_change": 9}, False, None),
    ],
)
def test_the_form_asks_the_third_question(data, valid, rate):
    form = FeedbackForm(data)
    assert form.is_valid() is valid
    if valid:
        assert form.cleaned_data["rating_rate_of_change"] == rate


def test_the_page_records_and_shows_the_third_rating(client, world, done):
    client.force_login(world.users["product_owner"])
    page = client.get(reverse("deployments:deployment_detail", args=[done.pk])).content.decode()
    assert 'name="rating_rate_of_change"' in page
    url = reverse("deployments:feedback_submit", args=[done.pk])
    data = {"rating_lead_time": 4, "rating_quality": 4, "rating_rate_of_change": 2}
    assert client.post(url, data).status_code == 302
    assert Feedback.objects.get().rating_rate_of_change == 2
    page = client.get(reverse("deployments:deployment_detail", args=[done.pk])).content.decode()
    assert "rate of change 2/5" in page


def test_the_api_accepts_it_and_old_clients_still_rate_with_two_fields(world, done):
    url = f"/api/v1/deployments/{done.pk}/feedback/"
    owner, product_owner = APIClient(), APIClient()
    owner.force_authenticate(world.users["service_owner"])
    product_owner.force_authenticate(world.users["product_owner"])
    bad = product_owner.post(
        url, {"rating_lead_time": 4, "rating_quality": 5, "rating_rate_of_change": 6}, format="json"
    )
    assert bad.status_code == 400 and "rating_rate_of_change" in bad.json()["errors"]
    new = product_owner.post(
        url, {"rating_lead_time": 4, "rating_quality": 5, "rating_rate_of_change": 4}, format="json"
    )
    old = owner.post(url, {"rating_lead_time": 2, "rating_quality": 3}, format="json")
    assert (new.status_code, old.status_code) == (201, 201)
    assert (new.json()["rating_rate_of_change"], old.json()["rating_rate_of_change"]) == (4, None)
    listed = product_owner.get(url).json()["results"]
    assert sorted((f["rating_rate_of_change"] or 0) for f in listed) == [0, 4]
