"""Browser test: a manager opens a pending deployment, reads in its Readiness panel why approval would be refused
(a freeze), and rejects it through the actions panel's one comment box."""

import datetime as dt
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory, ServiceFactory
from tests.factories.deployments import DeploymentFactory, soon
from tests.factories.environments import EnvironmentFactory, FreezeWindowFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pw-123"


@pytest.fixture
def pending_in_freeze():
    """A pending deployment of the online shop to production, planned inside its "Black Friday" freeze."""
    UserFactory(username="maria", first_name="Maria", last_name="Manager", password=PASSWORD, roles=["manager"])
    production = EnvironmentFactory(name="Production", slug="production", production=True)
    start = soon(5)
    FreezeWindowFactory(
        environment=production,
        name="Black Friday",
        reason="Peak trading: no changes to production.",
        start=start - dt.timedelta(days=1),
        end=start + dt.timedelta(days=1),
    )
    service = ServiceFactory(name="Online shop")
    version = ComponentVersionFactory(component__service=service, component__name="shop-web", version="2.1.0")
    return DeploymentFactory(
        title="shop-web 2.1.0 to production",
        service=service,
        environment=production,
        status=Status.PENDING_APPROVAL,
        planned_start=start,
        versions=[version],
    )


def test_readiness_shows_why_approval_is_refused_and_one_comment_box_takes_the_action(
    live_server, page: Page, pending_in_freeze, tmp_path
):
    d = pending_in_freeze
    page.set_viewport_size({"width": 1280, "height": 900})
    # given Maria signed in
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_visible()

    # when she opens the deployment's page
    page.goto(f"{live_server.url}/deployments/{d.pk}/")

    # then the Readiness panel shows, before Approve, the freeze as a closed gate with its reason
    readiness = page.get_by_test_id("readiness")
    expect(readiness.get_by_role("heading", name="Before “Approve”")).to_be_visible()
    freeze = readiness.locator('[data-testid="readiness-item"][data-code="freeze"]')
    expect(freeze).to_have_attribute("data-ok", "false")
    expect(freeze).to_contain_text("✗")
    expect(freeze).to_contain_text("Freeze “Black Friday”")
    expect(freeze).to_contain_text("Peak trading: no changes to production.")
    expect(readiness.locator('[data-code="environment_busy"]')).to_have_attribute("data-ok", "true")
    expect(page.get_by_test_id("readiness-summary")).to_have_text("2 gates not passed")  # approvals and the freeze
    # and the actions panel has one comment box and one override box for all its buttons
    actions = page.get_by_test_id("actions")
    expect(actions.get_by_role("textbox", name="Comment")).to_have_count(1)
    expect(actions.locator('textarea[name="override_reason"]')).to_have_count(1)
    expect(actions.get_by_role("button")).to_have_text(["Approve", "Reject", "Cancel"])
    _picture(page, tmp_path, "deployment-readiness")

    # when she presses Reject without a comment, the one box asks for one and nothing changes
    actions.get_by_test_id("transition-reject").click()
    expect(page.get_by_test_id("error")).to_contain_text("Say why (reject).")
    expect(page.get_by_test_id("status-badge")).to_have_text("Pending approval")
    _picture(page, tmp_path, "deployment-comment-required")

    # when she writes why in the one comment box and presses Reject
    actions.get_by_role("textbox", name="Comment").fill("Inside the Black Friday freeze: plan it for next week.")
    actions.get_by_test_id("transition-reject").click()

    # then it is rejected, her comment on the timeline and her decision among the approvals
    expect(page.get_by_test_id("status-badge")).to_have_text("Rejected")
    expect(page.get_by_test_id("timeline")).to_contain_text("Inside the Black Friday freeze: plan it for next week.")
    expect(page.get_by_test_id("approvals")).to_contain_text("Rejected by Maria Manager")
    expect(page.get_by_test_id("readiness")).to_have_count(0)  # rejected is not open: no gate to show
    d.refresh_from_db()
    assert d.status == Status.REJECTED


def _picture(page: Page, tmp_path: Path, name: str) -> None:
    """A full-page screenshot, into DEPLOYDESK_SCREENSHOTS when set (to look at the page), else the test's tmp dir."""
    folder = Path(os.environ.get("DEPLOYDESK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / f"{name}.png", full_page=True)
