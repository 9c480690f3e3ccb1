"""Journey of the service owner: only their own service's deployments in the register, the sign-off a production
stage asks for, and a rating of a completed deployment."""

import pytest
from playwright.sync_api import expect

from apps.deployments.workflow import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_service_owner_signs_off_production_and_rates(world, journey):
    production = world.deployments["shop_200_production"]
    staging = world.deployments["shop_200_staging"]
    payments = world.deployments["pay_340_staging"]
    sam = journey("sam")
    page = sam.page

    # given the register shows Sam the online shop's deployments, and none of the payments service
    sam.goto("/deployments/")
    table = page.get_by_test_id("deployment-table")
    expect(table.get_by_role("link", name=production.reference)).to_be_visible()
    expect(table.get_by_role("link", name=staging.reference)).to_be_visible()
    expect(table.get_by_role("link", name=payments.reference)).to_have_count(0)
    expect(table).not_to_contain_text("Payments")
    sam.shot("service-owner-register")
    assert page.goto(f"/deployments/{payments.pk}/").status == 404

    # when Sam opens the production deployment, which Maria approved and which waits for the owner's sign-off
    sam.goto(f"/deployments/{production.pk}/")
    expect(page.get_by_test_id("status-badge")).to_have_text("Pending approval")
    expect(page.get_by_test_id("approvals")).to_contain_text("Maria Manager")
    page.get_by_test_id("transition-form").get_by_label("Comment").fill("Business is ready; go ahead.")
    sam.shot("service-owner-sign-off")
    page.get_by_test_id("transition-approve").click()

    # then it is approved, with both decisions on record
    expect(page.get_by_test_id("status-badge")).to_have_text("Approved")
    expect(page.get_by_test_id("approvals")).to_contain_text("Sam Owner (Service owner)")
    sam.a11y()

    # and Sam rates the completed staging deployment
    sam.goto(f"/deployments/{staging.pk}/")
    form = page.get_by_test_id("feedback-form")
    form.get_by_label("Lead time (1–5)").select_option("4")
    form.get_by_label("Quality (1–5)").select_option("5")
    form.get_by_label("Comment").fill("Quick and clean.")
    page.get_by_test_id("feedback-submit").click()
    expect(page.get_by_test_id("rating")).to_contain_text("lead time 4/5, quality 5/5")
    sam.a11y()
    page.get_by_test_id("feedback-section").evaluate("box => box.scrollIntoView({block: 'center'})")
    sam.shot("service-owner-rating")

    # and on a phone the register fits the screen behind a collapsed menu
    sam.on_phone("/deployments/")
    production.refresh_from_db()
    assert production.status == Status.APPROVED
    assert staging.feedback.get().user.username == "sam"
