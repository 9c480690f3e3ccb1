"""The webhooks API and pages: the secret is write-only, bad input is a 400, the delivery log and redelivery."""

import pytest
from rest_framework.test import APIClient

from apps.integrations.models import WebhookSubscription
from tests.factories.accounts import UserFactory
from tests.factories.integrations import WebhookDeliveryFactory, WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


@pytest.fixture
def client(manager):
    client = APIClient()
    client.force_login(manager)
    return client


def test_a_manager_creates_a_webhook_and_never_reads_its_secret_back(client, manager):
    # when a manager creates a webhook
    response = client.post(
        "/api/v1/webhooks/",
        {"name": "Chat", "url": "https://hooks.example.test/x", "secret": "s3cret", "events": ["review.due"]},
        format="json",
    )
    # then it is theirs, stored with the secret, and no answer shows the secret
    assert response.status_code == 201, response.content
    hook = WebhookSubscription.objects.get()
    assert (hook.owner, hook.secret, hook.format, hook.active) == (manager, "s3cret", "json", True)
    assert "secret" not in response.json()
    assert "secret" not in client.get(f"/api/v1/webhooks/{hook.pk}/").json()
    assert b"s3cret" not in client.get("/api/v1/webhooks/").content


def test_an_update_without_a_secret_keeps_it(client, manager):
    hook = WebhookSubscriptionFactory(owner=manager, secret="kept")
    response = client.patch(f"/api/v1/webhooks/{hook.pk}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    hook.refresh_from_db()
    assert (hook.name, hook.secret) == ("Renamed", "kept")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "url": "https://h.example.test/", "events": ["review.due"]}, "secret"),
        ({"name": "x", "url": "https://h.example.test/", "secret": "s", "events": []}, "events"),
        ({"name": "x", "url": "https://h.example.test/", "secret": "s", "events": ["nope"]}, "events"),
        ({"name": "x", "url": "ftp://h.example.test/", "secret": "s", "events": ["review.due"]}, "url"),
        ({"name": "x", "url": "https://h.example.test/", "secret": "s", "events": "review.due"}, "events"),
        (
            {"name": "x", "url": "https://h.example.test/", "secret": "s", "events": ["review.due"], "format": 1},
            "format",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, body, field):
    response = client.post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert WebhookSubscription.objects.count() == 0


def test_the_delivery_log_and_a_redelivery(client, manager, django_capture_on_commit_callbacks):
    # given a failed delivery of a webhook to a closed address
    hook = WebhookSubscriptionFactory(owner=manager, url="http://127.0.0.1:9/")
    delivery = WebhookDeliveryFactory(subscription=hook)
    # when the log is read and the delivery redelivered
    log = client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/webhooks/{hook.pk}/deliveries/{delivery.pk}/redeliver/")
    # then the log has the contract's fields, and the redelivery is a new row with the same delivery id
    row = log["results"][0]
    assert {k: row[k] for k in ("id", "event", "attempt", "status_code", "duration_ms", "state")} == {
        "id": delivery.pk,
        "event": "deployment.submit",
        "attempt": 6,
        "status_code": 500,
        "duration_ms": 12,
        "state": "failed",
    }
    assert "delivered_at" in row
    assert response.status_code == 202
    assert response.json()["redelivery_of"] == delivery.pk
    assert response.json()["delivery_id"] == str(delivery.guid)
    assert client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/{delivery.pk + 999}/").status_code == 404
    assert client.get(f"/api/v1/webhooks/{hook.pk}/deliveries/x/").status_code == 404


def test_the_pages_create_and_edit_a_webhook(manager):
    # given a manager on the webhook pages
    client = APIClient()
    client.force_login(manager)
    form = {
        "name": "Releases",
        "url": "https://hooks.example.test/r",
        "secret": "first",
        "format": "slack",
        "events": ["deployment.complete", "approval.needed"],
        "active": "on",
    }
    # when they create one, then edit it leaving the secret empty
    created = client.post("/webhooks/new/", form)
    hook = WebhookSubscription.objects.get()
    edited = client.post(f"/webhooks/{hook.pk}/edit/", {**form, "secret": "", "name": "Releases (chat)"})
    page = client.get(f"/webhooks/{hook.pk}/deliveries/")
    # then it is saved with its owner, keeps its secret, and the pages never show it
    assert (created.status_code, edited.status_code, page.status_code) == (302, 302, 200)
    hook.refresh_from_db()
    assert (hook.name, hook.secret, hook.owner, hook.events) == (
        "Releases (chat)",
        "first",
        manager,
        ["deployment.complete", "approval.needed"],
    )
    assert b"first" not in client.get(f"/webhooks/{hook.pk}/edit/").content
    assert b"Releases (chat)" in client.get("/webhooks/").content


def test_a_bad_form_is_a_400_not_a_500(manager):
    client = APIClient()
    client.force_login(manager)
    response = client.post("/webhooks/new/", {"name": "", "url": "javascript:alert(1)", "events": ["nope"]})
    assert response.status_code == 400
    assert WebhookSubscription.objects.count() == 0


def _queries(client, url, django_assert_max_num_queries, budget: int) -> None:
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("base", ["/api/v1/webhooks/", "/webhooks/"])
def test_the_webhook_lists_read_a_fixed_number_of_queries(client, manager, base, django_assert_max_num_queries):
    # given one webhook, read once to learn the page's query count
    WebhookSubscriptionFactory(owner=manager)
    with django_assert_max_num_queries(100) as one:
        assert client.get(base).status_code == 200
    # when ten more, with services and environments, are listed
    WebhookSubscriptionFactory.create_batch(10, owner=manager)
    # then the list reads no more queries than it did for one
    _queries(client, base, django_assert_max_num_queries, len(one.captured_queries))


@pytest.mark.parametrize("base", ["/api/v1/webhooks/{pk}/deliveries/", "/webhooks/{pk}/deliveries/"])
def test_the_delivery_log_reads_a_fixed_number_of_queries(client, manager, base, django_assert_max_num_queries):
    # given a webhook with one delivery, read once
    hook = WebhookSubscriptionFactory(owner=manager)
    WebhookDeliveryFactory(subscription=hook)
    url = base.format(pk=hook.pk)
    with django_assert_max_num_queries(100) as one:
        assert client.get(url).status_code == 200
    # when it has fifteen more deliveries
    WebhookDeliveryFactory.create_batch(15, subscription=hook)
    # then the log reads no more queries than it did for one
    _queries(client, url, django_assert_max_num_queries, len(one.captured_queries))
