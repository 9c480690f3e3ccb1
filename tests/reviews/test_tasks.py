"""The background tasks, run in django-q2's sync mode: quarterly reviews, failure reviews, reminders, outcome mail."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.utils import timezone
from django_q.tasks import async_task

from apps.deployments.workflow import Status
from apps.reviews import tasks
from apps.reviews.models import ModelReview, ReviewKind, ReviewStatus
from apps.reviews.services import review_complete, review_start
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ServiceFactory
from tests.factories.deployment_models import DeploymentModelFactory
from tests.factories.reviews import ModelReviewFactory
from tests.reviews.helpers import days_ago, deployed, production

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["manager"])


def _today():
    return timezone.localdate()


# --- quarterly reviews ----------------------------------------------------------------------------------------


def test_quarterly_task_run_twice_plans_one_review(settings, manager):
    # given an active model whose next review is due in 5 days, and the task queue in sync mode
    assert settings.Q_CLUSTER["sync"] is True
    due = _today() + dt.timedelta(days=5)
    model = DeploymentModelFactory(active=True, owner=manager, next_review_due=due, review_interval_months=3)
    # when the task runs twice through django-q2
    async_task("apps.reviews.tasks.schedule_quarterly_reviews")
    async_task("apps.reviews.tasks.schedule_quarterly_reviews")
    # then there is exactly one scheduled review, of the three months before the due date
    review = ModelReview.objects.get(model=model)
    assert review.kind == ReviewKind.SCHEDULED and review.status == ReviewStatus.PLANNED
    assert (review.period_start, review.period_end, review.due_date) == (
        due - relativedelta(months=3),
        due - dt.timedelta(days=1),
        due,
    )
    assert review.facilitator == manager


def test_quarterly_task_returns_how_many_it_planned(manager):
    DeploymentModelFactory(active=True, owner=manager, next_review_due=_today() + dt.timedelta(days=1))
    assert tasks.schedule_quarterly_reviews() == 1
    assert tasks.schedule_quarterly_reviews() == 0


def test_quarterly_task_waits_until_the_review_is_near_and_skips_other_statuses(manager):
    far = _today() + dt.timedelta(days=60)
    DeploymentModelFactory(active=True, owner=manager, next_review_due=far)
    soon = _today() + dt.timedelta(days=3)
    DeploymentModelFactory(status="draft", next_review_due=soon)
    DeploymentModelFactory(retired=True, next_review_due=soon)
    assert tasks.schedule_quarterly_reviews() == 0
    assert ModelReview.objects.count() == 0


def test_quarterly_task_follows_the_interval_and_skips_missed_periods(manager):
    # given a 1-month model whose first review was due 100 days ago and never planned
    model = DeploymentModelFactory(
        active=True, owner=manager, next_review_due=_today() - dt.timedelta(days=100), review_interval_months=1
    )
    # when the task runs
    tasks.schedule_quarterly_reviews()
    # then only the latest period is reviewed: due within the lead time, the next one beyond it
    review = ModelReview.objects.get(model=model)
    horizon = _today() + dt.timedelta(days=14)
    assert review.due_date <= horizon < review.due_date + relativedelta(months=1)
    assert review.period_end == review.due_date - dt.timedelta(days=1)


def test_the_next_quarter_gets_its_own_review(manager):
    model = DeploymentModelFactory(active=True, owner=manager, next_review_due=_today() + dt.timedelta(days=2))
    tasks.schedule_quarterly_reviews()
    first = ModelReview.objects.get(model=model)
    # three months later the task plans the next period, right after the first
    services_today = first.due_date + relativedelta(months=3) - dt.timedelta(days=1)
    from apps.reviews.services import review_schedule_due

    review_schedule_due(today=services_today)
    second = ModelReview.objects.filter(model=model).exclude(pk=first.pk).get()
    assert second.period_start == first.period_end + dt.timedelta(days=1)


# --- failure reviews ------------------------------------------------------------------------------------------


def test_failed_production_deployment_opens_one_failure_review(manager):
    # given a production deployment under an active model that failed
    model = DeploymentModelFactory(active=True, owner=manager)
    failed = deployed(model, Status.FAILED, env=production(), when=days_ago(0.1))
    # when the hook runs (twice, as a retried task would)
    async_task("apps.reviews.tasks.on_deployment_failed", failed.pk)
    review_id = tasks.on_deployment_failed(failed.pk)
    # then the model has one open failure review that links the deployment
    review = ModelReview.objects.get(model=model)
    assert review.pk == review_id
    assert (review.kind, review.status, review.trigger_deployment) == (ReviewKind.FAILURE, "planned", failed)
    assert failed.reference in review.reason and review.facilitator == manager


def test_a_second_failure_joins_the_open_failure_review(manager):
    model = DeploymentModelFactory(active=True, owner=manager)
    env = production()
    first = deployed(model, Status.FAILED, env=env, when=days_ago(1))
    second = deployed(model, Status.ROLLED_BACK, env=env, when=days_ago(0.5))
    tasks.on_deployment_failed(first.pk)
    tasks.on_deployment_failed(second.pk)
    assert ModelReview.objects.filter(model=model, kind=ReviewKind.FAILURE).count() == 1


def test_non_production_failure_opens_a_review_only_over_the_threshold(settings, manager):
    # given a model with 1 failure in 5 finished test deployments (20 %)
    model = DeploymentModelFactory(active=True, owner=manager)
    for _ in range(4):
        deployed(model)
    failed = deployed(model, Status.FAILED, when=days_ago(0.1))
    # when the threshold is 20 % (not exceeded), then 10 %
    settings.DEPLOYDESK_FAILURE_REVIEW_THRESHOLD = 0.2
    assert tasks.on_deployment_failed(failed.pk) is None
    settings.DEPLOYDESK_FAILURE_REVIEW_THRESHOLD = 0.1
    review_id = tasks.on_deployment_failed(failed.pk)
    # then only the second opens a failure review, which says why
    review = ModelReview.objects.get(pk=review_id)
    assert review.kind == ReviewKind.FAILURE and "Failure rate 20%" in review.reason


def test_hook_ignores_deployments_that_did_not_fail_or_have_no_model():
    ok = deployed(DeploymentModelFactory(active=True), Status.COMPLETED, env=production())
    no_model = deployed(None, Status.FAILED, env=production())
    assert tasks.on_deployment_failed(ok.pk) is None
    assert tasks.on_deployment_failed(no_model.pk) is None
    assert tasks.on_deployment_failed(999999) is None
    assert ModelReview.objects.count() == 0


def test_a_completed_failure_review_covers_earlier_failures_but_not_later_ones(manager):
    model = DeploymentModelFactory(active=True, owner=manager)
    env = production()
    old = deployed(model, Status.FAILED, env=env, when=days_ago(2))
    review = ModelReview.objects.get(pk=tasks.on_deployment_failed(old.pk))
    ModelReview.objects.filter(pk=review.pk).update(status=ReviewStatus.COMPLETED, decision="keep")
    # the same failure again (a retried task): nothing new
    assert tasks.on_deployment_failed(old.pk) is None
    assert tasks.open_failure_reviews() == 0
    # a new failure after the review: a new failure review
    new = deployed(model, Status.FAILED, env=env, when=timezone.now(), actual_end=timezone.now() + dt.timedelta(1))
    assert tasks.on_deployment_failed(new.pk) not in (None, review.pk)
    assert ModelReview.objects.filter(model=model, kind=ReviewKind.FAILURE).count() == 2


def test_failure_sweep_opens_missed_reviews_once(manager):
    # given a production failure whose hook never ran, and a model with an ordinary test failure under 20 %
    model = DeploymentModelFactory(active=True, owner=manager)
    deployed(model, Status.FAILED, env=production(), when=days_ago(3))
    calm = DeploymentModelFactory(active=True)
    for _ in range(9):
        deployed(calm)
    deployed(calm, Status.FAILED)
    # when the sweep runs twice in sync mode
    async_task("apps.reviews.tasks.open_failure_reviews")
    assert tasks.open_failure_reviews() == 0
    # then exactly one failure review exists, for the production failure's model
    assert list(ModelReview.objects.values_list("model_id", "kind")) == [(model.pk, ReviewKind.FAILURE)]


# --- reminders ------------------------------------------------------------------------------------------------


def test_overdue_reviews_remind_their_facilitator_once_per_day(manager, django_capture_on_commit_callbacks):
    # given an overdue planned review, an overdue completed one and a review not yet due
    overdue = ModelReviewFactory(facilitator=manager, overdue=True)
    ModelReviewFactory(facilitator=manager, overdue=True, status=ReviewStatus.COMPLETED)
    ModelReviewFactory(facilitator=manager)
    # when the reminder task runs twice (its message leaves the mail outbox after commit)
    with django_capture_on_commit_callbacks(execute=True):
        async_task("apps.reviews.tasks.remind_overdue_reviews")
        assert tasks.remind_overdue_reviews() == 0
    # then one e-mail went to the facilitator, about the overdue review
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [manager.email]
    assert str(overdue.model) in mail.outbox[0].subject and f"/reviews/{overdue.pk}/" in mail.outbox[0].body
    # and the next day it is sent again
    ModelReview.objects.filter(pk=overdue.pk).update(reminded_at=timezone.now() - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_overdue_reviews() == 1
    assert len(mail.outbox) == 2


# --- communication of the outcome -----------------------------------------------------------------------------


def test_update_decision_is_announced_once_to_owners_of_services_that_used_the_model(
    manager, django_capture_on_commit_callbacks
):
    # given a model used by a service with an owner and a product owner, and another service not using it
    owner, product_owner, stranger = UserFactory(), UserFactory(), UserFactory()
    service = ServiceFactory()
    service.owners.add(owner)
    service.product_owners.add(product_owner)
    ServiceFactory().owners.add(stranger)
    review = ModelReviewFactory(facilitator=manager)
    deployed(review.model, service=service)
    review = review_start(review=review, actor=manager)
    # when the review completes with "update" (the task runs after commit, in sync mode)
    with django_capture_on_commit_callbacks(execute=True):
        review_complete(review=review, actor=manager, decision="update", findings="Too many manual steps.")
    # then the owners were told, once, and the review records it
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted([owner.email, product_owner.email])
    assert "update" in mail.outbox[0].subject
    review.refresh_from_db()
    assert review.outcome_notified_at is not None and len(review.outcome_recipients) == 2
    assert tasks.notify_review_outcome(review.pk) == []
    assert len(mail.outbox) == 1


def test_keep_decision_sends_nothing(manager, django_capture_on_commit_callbacks):
    review = review_start(review=ModelReviewFactory(facilitator=manager), actor=manager)
    deployed(review.model, service=ServiceFactory())
    with django_capture_on_commit_callbacks(execute=True):
        review_complete(review=review, actor=manager, decision="keep", findings="Fine.")
    assert mail.outbox == []
    assert tasks.notify_review_outcome(review.pk) == []
