"""The reviews API: create, start, complete, initiatives; filters; errors as JSON 400/403/404/409; bounded queries."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.reviews.models import ModelReview
from tests.factories.accounts import UserFactory, token_for
from tests.factories.deployment_models import DeploymentModelFactory
from tests.factories.reviews import ImprovementInitiativeFactory, ModelReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


@pytest.fixture
def client(api_client, manager):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(manager)}")
    return api_client


def test_review_lifecycle_through_the_api(client):
    model = DeploymentModelFactory(active=True)
    today = timezone.localdate()
    body = {
        "model": model.pk,
        "kind": "ad_hoc",
        "period_start": str(today - dt.timedelta(days=30)),
        "period_end": str(today),
        "due_date": str(today + dt.timedelta(days=5)),
    }
    created = client.post("/api/v1/reviews/", body, format="json")
    assert created.status_code == 201, created.json()
    rid = created.json()["id"]
    assert created.json()["status"] == "planned" and created.json()["analysis"] == {}
    early = client.post(f"/api/v1/reviews/{rid}/complete/", {"decision": "keep", "findings": "x"}, format="json")
    assert early.status_code == 409 and early.json()["code"] == "not_in_progress"
    started = client.post(f"/api/v1/reviews/{rid}/start/")
    assert started.status_code == 200 and started.json()["analysis"]["deployments"] == 0
    assert client.post(f"/api/v1/reviews/{rid}/start/").status_code == 409
    patched = client.patch(f"/api/v1/reviews/{rid}/", {"findings": "Manual steps"}, format="json")
    assert patched.status_code == 200 and patched.json()["findings"] == "Manual steps"
    assert client.patch(f"/api/v1/reviews/{rid}/", {"kind": "failure"}, format="json").status_code == 400
    made = client.post("/api/v1/improvements/", {"review": rid, "title": "Script it"}, format="json")
    assert made.status_code == 201 and made.json()["status"] == "proposed"
    missing = client.post(f"/api/v1/reviews/{rid}/complete/", {}, format="json")
    assert missing.status_code == 400 and "decision" in missing.json()["errors"]
    done = client.post(f"/api/v1/reviews/{rid}/complete/", {"decision": "update"}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed" and done.json()["new_model_version"] is not None


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("post", "/api/v1/reviews/", {"model": 999999}, 400),
        ("post", "/api/v1/reviews/", {"model": "x", "due_date": "soon"}, 400),
        ("post", "/api/v1/reviews/", [], 400),
        ("get", "/api/v1/reviews/?state=sometimes", None, 400),
        ("get", "/api/v1/reviews/?model=abc", None, 400),
        ("get", "/api/v1/reviews/abc/", None, 404),
        ("post", "/api/v1/reviews/999999/start/", None, 404),
        ("post", "/api/v1/improvements/", {"review": 999999, "title": "x"}, 400),
        ("patch", "/api/v1/improvements/999999/", {"status": "done"}, 404),
        ("get", "/api/v1/improvements/?status=bogus", None, 400),
    ],
)
def test_bad_input_is_json_never_500(client, method, url, body, status):
    response = getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
    assert response.status_code == status
    assert "detail" in response.json()


def test_starting_a_review_is_403_for_a_participant_and_changes_nothing(api_client):
    participant = UserFactory(roles=["service_owner"])
    review = ModelReviewFactory(participants=[participant])
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(participant)}")
    assert api_client.get(f"/api/v1/reviews/{review.pk}/").status_code == 200
    response = api_client.post(f"/api/v1/reviews/{review.pk}/start/")
    assert response.status_code == 403 and response.json()["detail"]
    assert ModelReview.objects.get(pk=review.pk).status == "planned"


@pytest.mark.parametrize("rows", [1, 10])
def test_lists_keep_a_constant_number_of_queries(client, manager, django_assert_max_num_queries, rows):
    for _ in range(rows):
        ImprovementInitiativeFactory(review=ModelReviewFactory(facilitator=manager, participants=[manager]))
    with django_assert_max_num_queries(8):
        reviews = client.get("/api/v1/reviews/?state=open&ordering=-due_date")
    with django_assert_max_num_queries(8):
        improvements = client.get("/api/v1/improvements/?open=true")
    assert reviews.json()["count"] == rows and improvements.json()["count"] == rows


def test_filters_mine_and_kind(client, manager):
    mine = ModelReviewFactory(facilitator=manager, failure=True)
    ModelReviewFactory()
    ids = [r["id"] for r in client.get("/api/v1/reviews/?mine=true").json()["results"]]
    assert ids == [mine.pk]
    ids = [r["id"] for r in client.get("/api/v1/reviews/?kind=failure").json()["results"]]
    assert ids == [mine.pk]
