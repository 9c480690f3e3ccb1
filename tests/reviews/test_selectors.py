"""Review reads other apps use: last outcomes and next reviews per model, the home page's next actions."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from apps.reviews.home import next_actions
from apps.reviews.schedules import SCHEDULES
from apps.reviews.selectors import last_review_outcomes, next_review_dates, review_counts
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory
from tests.factories.reviews import ModelReviewFactory

pytestmark = pytest.mark.django_db


def test_last_review_outcomes_in_one_query(django_assert_num_queries):
    # given a model with two completed reviews, one with an open review only, and one without reviews
    model, other, none = (DeploymentModelFactory(active=True) for _ in range(3))
    now = timezone.now()
    ModelReviewFactory(model=model, status="completed", decision="keep", completed_at=now - dt.timedelta(days=90))
    ModelReviewFactory(model=model, status="completed", decision="update", completed_at=now)
    ModelReviewFactory(model=other)
    # when / then
    with django_assert_num_queries(1):
        outcomes = last_review_outcomes([model.pk, other.pk, none.pk])
    assert outcomes == {model.pk: ("update", now)}
    with django_assert_num_queries(1):
        assert next_review_dates([model.pk, other.pk, none.pk]) == {other.pk: timezone.localdate() + dt.timedelta(14)}


def test_counts_and_home_page_actions_for_the_facilitator_and_participants():
    manager = UserFactory(roles=["manager"])
    participant = UserFactory(roles=["product_owner"])
    ModelReviewFactory(facilitator=manager, overdue=True, participants=[participant])
    ModelReviewFactory(facilitator=manager)
    ModelReviewFactory(facilitator=manager, in_progress=True)
    ModelReviewFactory(facilitator=manager, status="completed")
    assert review_counts(user=manager) == {"due": 1, "overdue": 1, "in_progress": 1, "open": 3}
    titles = {a.title: a.count for a in next_actions(manager)}
    assert titles == {"Reviews waiting for you": 3, "Overdue model reviews": 1}
    assert [(a.title, a.count) for a in next_actions(participant)] == [("Reviews waiting for you", 1)]
    assert next_actions(UserFactory(roles=["auditor"])) == []
    assert next_actions(UserFactory()) == []


def test_setup_schedules_is_idempotent():
    call_command("setup_schedules")
    first = {s.name: (s.func, s.next_run) for s in Schedule.objects.all()}
    Schedule.objects.filter(name__startswith="reviews: open").update(schedule_type=Schedule.DAILY)
    call_command("setup_schedules")
    assert (
        Schedule.objects.count() == len(SCHEDULES) == 12
    )  # four of reviews and deployments, the outbox and mail sweeps, clearance reminders, the risk rescoring and
    # back-test, webhooks, audit checkpoint and stream
    assert {s.name: (s.func, s.next_run) for s in Schedule.objects.all()} == first
    assert Schedule.objects.get(func="apps.deployments.tasks.remind_upcoming_deployments").schedule_type == "H"
    assert Schedule.objects.get(name__startswith="reviews: open").schedule_type == "H"


def test_demo_seed_is_idempotent():
    from apps.bench.demo import seed_users
    from apps.reviews.demo import seed
    from apps.reviews.models import ModelReview
    from tests.factories.accounts import ensure_roles

    ensure_roles()
    users = seed_users()
    DeploymentModelFactory(active=True)
    seed(users)
    seed(users)
    assert ModelReview.objects.count() == 3
    assert ModelReview.objects.filter(status="completed").get().initiatives.count() == 2
    assert ModelReview.objects.exclude(status="completed").filter(due_date__lt=timezone.localdate()).count() == 1
