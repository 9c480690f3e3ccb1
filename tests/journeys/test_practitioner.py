"""Journey of the deployment practitioner: from "my work" to a completed deployment, recording the component check
with the observed checksum, the environment's standing check and the acceptance checks on the way."""

import pytest
from playwright.sync_api import Page, expect

from apps.deployments.workflow import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def record_checks(page: Page, kind: str, checksum: str = "") -> None:
    """Record every pending check of a kind as passed, one form at a time (each save reloads the page)."""
    pending = (
        page.get_by_test_id(f"checks-{kind}")
        .get_by_test_id("check")
        .filter(has=page.locator('[data-testid="check-result"]', has_text="Pending"))
    )
    while pending.count():
        item = pending.first
        item.locator("summary").click()
        item.get_by_label("Result").select_option("pass")
        item.get_by_label("Evidence").fill(f"{kind.capitalize()} check done, see the run log.")
        if checksum:
            item.get_by_label("Observed SHA-256").fill(checksum)
        item.get_by_test_id("check-submit").click()
        expect(page.get_by_text("recorded: Pass").first).to_be_visible()


def test_practitioner_carries_out_an_assigned_deployment(world, journey):
    deployment = world.deployments["shop_210_staging"]
    version = world.versions["shop-web 2.1.0"]
    pat = journey("pat")
    page = pat.page

    # given Pat's work list holds the approved shop deployment to staging
    pat.goto("/deployments/mine/")
    row = page.get_by_test_id("deployment-row").filter(has_text=deployment.reference)
    expect(row).to_contain_text("Approved")
    pat.shot("practitioner-my-work")

    # when Pat opens it, reads its risk score and plans its steps
    row.get_by_role("link", name=deployment.reference).click()
    pat.a11y()
    expect(page.get_by_test_id("risk-factors")).to_be_visible()
    pat.shot("practitioner-risk", locator=page.get_by_test_id("risk"))
    for title, minutes in (("Ship the artefact to the staging store", "10"), ("Install on both nodes", "30")):
        steps = page.get_by_test_id("steps")
        steps.locator("summary").filter(has_text="Add a step").click()
        form = page.get_by_test_id("step-add-form")
        form.get_by_label("Title").fill(title)
        form.get_by_label("Minutes").fill(minutes)
        form.get_by_role("button", name="Add").click()
        expect(page.get_by_test_id("steps")).to_contain_text(title)
    # and starts it
    page.get_by_test_id("transition-start").click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Verifying components")
    pat.a11y()

    # and records the component check with the checksum observed on the artefact, then confirms
    item = page.get_by_test_id("checks-component").get_by_test_id("check").first
    item.locator("summary").click()
    item.get_by_label("Result").select_option("pass")
    item.get_by_label("Evidence").fill("Artefact pulled from the DML; checksum computed with sha256sum.")
    item.get_by_label("Observed SHA-256").fill(version.checksum)
    item.evaluate("box => box.scrollIntoView({block: 'center'})")
    pat.shot("practitioner-component-check")
    item.get_by_test_id("check-submit").click()
    expect(page.get_by_text("recorded: Pass").first).to_be_visible()
    page.get_by_test_id("transition-confirm-components").click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Verifying environment")

    # and the environment's standing checks, then executes
    record_checks(page, "environment")
    pat.a11y()
    page.get_by_test_id("transition-confirm-environment").click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Executing")
    page.get_by_test_id("transition-form").get_by_label("Comment").fill("Rolled out to both nodes.")
    page.get_by_test_id("transition-finish-execution").click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Verifying deployment")

    # and ticks the steps off, then writes the handover note for the service desk while verifying
    for n in range(2):
        step_form = page.get_by_test_id("steps").locator("form[data-testid^='step-form-']").nth(n)
        step_form.get_by_label("Status").select_option("done")
        step_form.get_by_role("button", name="Record").click()
        expect(page.get_by_test_id("steps").get_by_test_id("step-status").nth(n)).to_have_text("Done")
    pat.shot("practitioner-steps", locator=page.get_by_test_id("steps"))
    handover = page.get_by_test_id("handover-form")
    handover.get_by_label("Handover note").fill(
        "Shop 2.1.0 is on staging. Known issue: the basket page caches prices for 5 minutes (KB-1042)."
    )
    handover.get_by_label("Knowledge articles").fill("https://kb.example.com/articles/KB-1042")
    handover.get_by_test_id("handover-save").click()
    expect(page.get_by_test_id("handover-note")).to_contain_text("KB-1042")
    pat.shot("practitioner-handover", locator=page.get_by_test_id("handover"))

    # and the acceptance checks, then completes it
    record_checks(page, "acceptance")
    page.get_by_test_id("transition-form").get_by_label("Comment").fill("Smoke test green.")
    page.get_by_test_id("transition-complete").click()

    # then it is completed, with every step on its timeline
    expect(page.get_by_test_id("status-badge")).to_have_text("Completed")
    expect(page.get_by_test_id("timeline")).to_contain_text("Verifying deployment → Completed")
    pat.a11y()
    page.get_by_test_id("checks").evaluate("box => box.scrollIntoView({block: 'start'})")
    pat.shot("practitioner-completed")

    # and on a phone the work list fits the screen behind a collapsed menu
    pat.on_phone("/deployments/mine/")
    deployment.refresh_from_db()
    assert deployment.status == Status.COMPLETED
    assert not deployment.checks.exclude(result="pass").exists()
