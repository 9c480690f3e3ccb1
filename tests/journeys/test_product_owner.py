"""Journey of the product owner: plans a deployment of a new version through the form, checks and submits it, and
follows it in the register."""

import pytest
from playwright.sync_api import expect

from apps.deployments.models import Deployment
from apps.deployments.workflow import Status
from tests.journeys.scenario import at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FMT = "%Y-%m-%dT%H:%M"


def test_product_owner_requests_a_deployment_and_follows_it(world, journey):
    version = world.versions["shop-web 2.2.0"]
    start = at(4, 9)
    priya = journey("priya")
    page = priya.page

    # given Priya's register, from which she plans a deployment
    priya.goto("/deployments/")
    page.get_by_test_id("new-deployment").click()
    expect(page.get_by_role("heading", name="Plan a deployment")).to_be_visible()
    priya.a11y()

    # when she fills the plan: service, model, environment, version and window, and checks it
    page.get_by_label("Title").fill("shop-web 2.2.0 to test")
    page.get_by_label("Trigger").select_option(label="New feature or release")
    page.get_by_label("Service").select_option(label="Online shop")
    page.get_by_label("Deployment model").select_option(label=str(world.model))
    page.get_by_label("Target environment").select_option(label="Test")
    page.get_by_label("Component versions").select_option(str(version.pk))
    page.get_by_label("Planned start").fill(start.strftime(FMT))
    page.get_by_label("Planned end").fill(at(4, 11).strftime(FMT))
    page.get_by_label("Change record").fill("CHG0001077")
    page.get_by_label("Acceptance criteria").fill("Checkout works with the new basket")
    page.get_by_test_id("check-plan").click()
    expect(page.get_by_test_id("no-conflicts")).to_be_visible()
    priya.a11y()
    priya.shot("product-owner-plan")

    # and saves it as a draft and submits it
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Draft")
    priya.a11y()
    page.get_by_test_id("transition-submit").click()

    # then the test stage of the model is pre-approved, so it is approved at once
    expect(page.get_by_test_id("status-badge")).to_have_text("Approved")
    expect(page.get_by_test_id("timeline")).to_contain_text("is pre-approved")
    priya.shot("product-owner-submitted")
    deployment = Deployment.objects.get(title="shop-web 2.2.0 to test")

    # and she follows it in the register, filtered to her service's open deployments
    priya.goto("/deployments/")
    page.locator("summary", has_text="Filters").click()
    filters = page.get_by_test_id("filters")
    filters.get_by_label("Text").fill("2.2.0")
    filters.get_by_test_id("filter-submit").click()
    row = page.get_by_test_id("deployment-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(deployment.reference)
    expect(row).to_contain_text("Approved")
    priya.a11y()

    # and on a phone the plan form fits the screen behind a collapsed menu
    priya.on_phone("/deployments/new/")
    assert deployment.status == Status.APPROVED and deployment.requester.username == "priya"
    assert list(deployment.component_versions.all()) == [version]
