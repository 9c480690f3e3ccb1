"""Review pages: the list and initiatives with bounded queries, the workspace, forms and their errors."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.deployments.workflow import Status
from apps.reviews.models import ImprovementInitiative, ModelReview
from tests.factories.accounts import UserFactory
from tests.factories.reviews import ImprovementInitiativeFactory, ModelReviewFactory
from tests.reviews.helpers import deployed

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


@pytest.mark.parametrize("rows", [1, 8])
def test_review_list_queries_do_not_grow_with_rows(signed_in, manager, django_assert_max_num_queries, rows):
    for _ in range(rows):
        ImprovementInitiativeFactory(review=ModelReviewFactory(facilitator=manager, in_progress=True))
    with django_assert_max_num_queries(12):
        response = signed_in.get("/reviews/?state=open")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="review-row"') == rows


@pytest.mark.parametrize("rows", [1, 8])
def test_initiative_list_queries_do_not_grow_with_rows(signed_in, django_assert_max_num_queries, rows):
    for _ in range(rows):
        ImprovementInitiativeFactory(owner=UserFactory(roles=["practitioner"]))
    with django_assert_max_num_queries(10):
        response = signed_in.get("/initiatives/")
    assert response.content.decode().count('data-testid="initiative-row"') == rows


def test_review_list_tabs_filter_due_overdue_and_in_progress(signed_in, manager):
    due = ModelReviewFactory(facilitator=manager)
    overdue = ModelReviewFactory(facilitator=manager, overdue=True)
    running = ModelReviewFactory(facilitator=manager, in_progress=True)
    done = ModelReviewFactory(facilitator=manager, status="completed", decision="keep")
    for state, expected in {"due": [due], "overdue": [overdue], "in_progress": [running], "completed": [done]}.items():
        page = signed_in.get(f"/reviews/?state={state}").content.decode()
        shown = [r for r in (due, overdue, running, done) if f"/reviews/{r.pk}/" in page]
        assert shown == expected, state
    assert all(f"/reviews/{r.pk}/" in signed_in.get("/reviews/").content.decode() for r in (due, overdue, running))


def test_workspace_shows_analysis_chart_and_failures(signed_in, manager):
    review = ModelReviewFactory(facilitator=manager)
    failed = deployed(review.model, Status.FAILED)
    deployed(review.model)
    assert 'data-testid="review-analysis-pending"' in signed_in.get(f"/reviews/{review.pk}/").content.decode()
    response = signed_in.post(f"/reviews/{review.pk}/start/")
    assert response.status_code == 302
    page = signed_in.get(f"/reviews/{review.pk}/").content.decode()
    assert 'data-testid="review-chart"' in page and "<svg" in page
    assert "Vertical axis: deployments (count) · horizontal axis: month" in page
    assert f"/deployments/{failed.pk}/" in page and failed.reference in page
    assert 'data-testid="kpi-success-rate">50 %' in page
    # starting again is refused with a message, not an error page
    response = signed_in.post(f"/reviews/{review.pk}/start/", follow=True)
    assert "cannot start" in response.content.decode()


def test_create_form_plans_a_review_and_shows_errors(signed_in, manager):
    review = ModelReviewFactory(facilitator=manager)
    today = timezone.localdate()
    data = {
        "model": review.model.pk,
        "kind": "ad_hoc",
        "period_start": str(today - dt.timedelta(days=10)),
        "period_end": str(today),
        "due_date": str(today + dt.timedelta(days=3)),
    }
    response = signed_in.post("/reviews/new/", data)
    assert response.status_code == 302
    assert ModelReview.objects.count() == 2
    bad = signed_in.post("/reviews/new/", {**data, "period_end": str(today - dt.timedelta(days=30))})
    assert bad.status_code == 400 and "The period must end" in bad.content.decode()
    garbage = signed_in.post("/reviews/new/", {"model": "x", "period_start": "yesterday"})
    assert garbage.status_code == 400


def test_edit_complete_and_initiative_forms(signed_in, manager):
    review = ModelReviewFactory(facilitator=manager, in_progress=True)
    response = signed_in.post(
        f"/reviews/{review.pk}/edit/",
        {"facilitator": manager.pk, "due_date": str(review.due_date), "findings": "Slow", "decision": ""},
    )
    assert response.status_code == 302
    response = signed_in.post(f"/reviews/{review.pk}/initiatives/new/", {"title": "Faster rollback", "status": "x"})
    assert response.status_code == 400
    response = signed_in.post(
        f"/reviews/{review.pk}/initiatives/new/", {"title": "Faster rollback", "status": "proposed"}
    )
    assert response.status_code == 302 and ImprovementInitiative.objects.get().title == "Faster rollback"
    response = signed_in.post(f"/reviews/{review.pk}/complete/", {"decision": "", "findings": "Slow"})
    assert response.status_code == 400
    response = signed_in.post(f"/reviews/{review.pk}/complete/", {"decision": "keep", "findings": "Slow"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.decision) == ("completed", "keep")
    assert signed_in.get(f"/reviews/{review.pk}/edit/").status_code == 302
    assert signed_in.get(f"/reviews/{review.pk}/complete/").status_code == 302


def test_participant_adds_a_note_from_the_workspace(client, manager):
    participant = UserFactory(roles=["practitioner"])
    review = ModelReviewFactory(facilitator=manager, in_progress=True, participants=[participant])
    client.force_login(participant)
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert 'data-testid="review-note-form"' in page and 'data-testid="review-start"' not in page
    assert client.post(f"/reviews/{review.pk}/notes/", {"text": "Monitoring lagged"}).status_code == 302
    assert client.post(f"/reviews/{review.pk}/notes/", {"text": ""}).status_code == 302
    review.refresh_from_db()
    assert "Monitoring lagged" in review.findings


def test_pages_render_without_facilitator_or_owner(signed_in):
    # given a review planned by the task without a facilitator, and an initiative without an owner
    initiative = ImprovementInitiativeFactory(review=ModelReviewFactory(facilitator=None, in_progress=True))
    # when / then every page that shows people renders
    for url in (f"/reviews/{initiative.review_id}/", "/reviews/", "/initiatives/"):
        assert signed_in.get(url).status_code == 200, url
