"""Journey of the deployment manager: dashboard, the approval queue, a conflicted request rejected with a comment, a
clean one approved, then the calendar and the KPIs — every page accessible, the dashboard usable on a phone."""

import pytest
from playwright.sync_api import expect

from apps.deployments.workflow import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_decides_the_approval_queue_and_watches_the_kpis(world, journey):
    conflicted, clean = world.deployments["pay_340_staging"], world.deployments["pay_340_test"]
    maria = journey("maria")
    page = maria.page

    # given Maria's dashboard: deployments wait for her approval, KPI tiles, this week's plan
    maria.goto("/")
    expect(page.get_by_role("heading", name="Welcome, Maria Manager")).to_be_visible()
    expect(page.get_by_test_id("dashboard-kpis")).to_be_visible()
    maria.shot("manager-dashboard")

    # when she opens the approval queue
    page.get_by_test_id("next-action").filter(has_text="awaiting my approval").click()
    expect(page).to_have_url(f"{maria.base}/deployments/approvals/")
    maria.a11y()
    queue = page.get_by_test_id("deployment-table")
    expect(queue.get_by_role("link", name=conflicted.reference)).to_be_visible()
    expect(queue.get_by_role("link", name=clean.reference)).to_be_visible()
    maria.shot("manager-approvals")

    # then the payments request for staging shows its clash with the shop deployment and the closed promotion gate
    queue.get_by_role("link", name=conflicted.reference).click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Pending approval")
    maria.a11y()
    conflicts = page.get_by_test_id("readiness")
    expect(conflicts.locator('[data-code="environment_busy"][data-ok="false"]')).to_contain_text(
        world.deployments["shop_210_staging"].reference
    )
    expect(conflicts.locator('[data-code="promotion"][data-ok="false"]')).to_be_visible()
    conflicts.evaluate("box => box.scrollIntoView({block: 'center'})")
    maria.shot("manager-conflicts")

    # and she rejects it with a comment
    reject = page.get_by_test_id("transition-form")
    reject.get_by_label("Comment").fill(
        "Staging is booked for shop-web 2.1.0 then; pass test first and pick another slot."
    )
    page.get_by_test_id("transition-reject").click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Rejected")
    expect(page.get_by_test_id("approvals")).to_contain_text("pass test first")

    # and approves the clean request to test from the queue
    maria.goto("/deployments/approvals/")
    expect(page.get_by_role("link", name=conflicted.reference)).to_have_count(0)
    page.get_by_role("link", name=clean.reference).click()
    expect(page.locator('[data-testid="readiness-item"][data-ok="false"]:not([data-code^="approval"])')).to_have_count(
        0
    )
    page.get_by_test_id("transition-form").get_by_label("Comment").fill("Test slot is free.")
    page.get_by_test_id("transition-approve").click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Approved")
    maria.a11y()

    # then the calendar shows this week's plan per environment, and the KPI page its indicators and trends
    maria.goto("/calendar/")
    expect(page.get_by_test_id("calendar-month-table")).to_be_visible()
    staging = world.deployments["shop_210_staging"]  # (tomorrow: perhaps next week, so ask for its week)
    maria.goto(f"/calendar/?view=week&date={staging.planned_start:%Y-%m-%d}")
    expect(page.get_by_test_id("calendar-week-table")).to_contain_text(staging.reference)
    maria.shot("manager-calendar")
    maria.goto("/reports/kpis/")
    expect(page.get_by_test_id("kpi-tiles")).to_be_visible()
    expect(page.get_by_test_id("kpi-charts")).to_be_visible()
    maria.shot("manager-kpis")

    # and she sets a target for the success rate, which the KPI page then colours
    maria.goto("/reports/kpis/targets/")
    form = page.get_by_test_id("kpi-target-form")
    form.locator("select[name=metric]").select_option("success_rate")
    form.locator("input[name=target]").fill("90")
    form.get_by_role("button", name="Save target").click()
    expect(page.locator('[data-testid="kpi-target-row"][data-metric="success_rate"]')).to_contain_text("90")
    maria.goto("/reports/kpis/")
    status = page.locator('[data-testid="kpi-tile"][data-metric="success_rate"] [data-testid="kpi-status"]')
    expect(status).to_be_visible()
    expect(status).not_to_have_attribute("data-status", "none")
    # (the picture shows the delivery factor's tiles, the success rate coloured against its target)
    page.locator('[data-testid="kpi-factor"][data-factor="delivery"]').evaluate(
        "box => box.scrollIntoView({block: 'start'})"
    )
    maria.shot("manager-kpi-targets")

    # and on a phone the dashboard fits the screen behind a collapsed menu
    maria.on_phone("/")
    conflicted.refresh_from_db()
    clean.refresh_from_db()
    assert (conflicted.status, clean.status) == (Status.REJECTED, Status.APPROVED)
