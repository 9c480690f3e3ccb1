"""Browser journey: a deployment manager runs a due review to a decision to update the model."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.deployment_models.models import DeploymentModel
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory
from tests.factories.reviews import ModelReviewFactory
from tests.reviews.helpers import days_ago, deployed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_runs_a_due_review_to_an_update(live_server, page: Page):
    # given a manager, an active model with a completed and a failed deployment, and its due scheduled review
    maria = UserFactory(
        username="maria", first_name="Maria", last_name="Manager", password="demo-pw-123", roles=["manager"]
    )
    model = DeploymentModelFactory(active=True, name="Web releases", owner=maria)
    deployed(model, when=days_ago(20))
    failed = deployed(model, Status.FAILED, when=days_ago(10), outcome="Health check failed")
    today = timezone.localdate()
    review = ModelReviewFactory(
        model=model,
        scheduled=True,
        facilitator=maria,
        period_start=today - dt.timedelta(days=90),
        period_end=today - dt.timedelta(days=1),
        due_date=today + dt.timedelta(days=7),
    )
    # when she signs in and opens the due review
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("demo-pw-123")
    page.get_by_test_id("login-submit").click()
    page.goto(f"{live_server.url}/reviews/?state=due")
    page.get_by_test_id("review-link").filter(has_text="Web releases").click()
    expect(page.get_by_test_id("review-analysis-pending")).to_be_visible()
    # and starts it: the analysis of the model's deployments is there, with the chart and the failure
    page.get_by_test_id("review-start").click()
    expect(page.get_by_test_id("kpi-deployments")).to_have_text("2")
    expect(page.get_by_test_id("kpi-success-rate")).to_contain_text("50 %")
    expect(page.get_by_test_id("review-failures")).to_contain_text(failed.reference)
    expect(page.get_by_test_id("review-chart")).to_be_visible()
    # records a finding
    page.get_by_test_id("review-edit").click()
    page.get_by_label("Findings").fill("The health check runs before the caches are warm.")
    page.get_by_test_id("review-save").click()
    expect(page.get_by_test_id("review-findings")).to_contain_text("caches are warm")
    # and an initiative
    page.get_by_test_id("initiative-create").click()
    page.get_by_label("Title").fill("Warm the caches before the health check")
    page.get_by_label("Change request").fill("CHG-2001")
    page.get_by_test_id("initiative-save").click()
    expect(page.get_by_test_id("review-initiatives")).to_contain_text("Warm the caches before the health check")
    # decides "update"
    page.get_by_test_id("review-complete").click()
    page.get_by_label("Decision").select_option("update")
    page.get_by_test_id("review-complete-submit").click()
    # then the review is completed and links a draft new version of the model
    expect(page.get_by_test_id("review-status")).to_have_text("Completed")
    expect(page.get_by_test_id("review-new-version")).to_contain_text("Web releases v2")
    expect(page.get_by_test_id("review-new-version")).to_contain_text("draft")
    new = DeploymentModel.objects.get(name="Web releases", version=2)
    assert new.status == "draft" and new.previous_version == model
    review.refresh_from_db()
    assert review.new_model_version == new and review.initiatives.get().change_request_ref == "CHG-2001"
