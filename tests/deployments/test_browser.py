"""Browser journey: a product owner requests a deployment to staging, the manager resolves its freeze conflict and
approves it, the practitioner verifies and completes it, and the requester rates it — each in their own browser."""

import datetime as dt

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm
from playwright.sync_api import Browser, Page, expect

from apps.catalog.models import ComponentSource, ComponentType
from apps.catalog.services import component_create, component_version_create, service_create
from apps.deployments.models import Deployment
from apps.deployments.workflow import Status
from apps.environments.models import EnvironmentKind, Recurrence
from tests.factories.accounts import UserFactory
from tests.factories.catalog import sha256_of
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentCheckFactory, EnvironmentFactory, FreezeWindowFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pw-123"
FMT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def reference():
    """A shop service whose 2.0.0 passed test, a two-stage model (staging needs one approval), a staging freeze."""
    users = {
        "po": UserFactory(username="priya", password=PASSWORD, roles=["product_owner"]),
        "manager": UserFactory(username="maria", password=PASSWORD, roles=["manager"]),
        "practitioner": UserFactory(username="pat", password=PASSWORD, roles=["practitioner"]),
        "owner": UserFactory(username="sam", password=PASSWORD, roles=["service_owner"]),
    }
    test = EnvironmentFactory(name="Test", slug="test", kind=EnvironmentKind.TEST, order=30)
    staging = EnvironmentFactory(
        name="Staging", slug="staging", kind=EnvironmentKind.STAGING, order=40, allows_parallel_deployments=False
    )
    EnvironmentCheckFactory(environment=staging, description="Monitoring and alerting in place")
    assign_perm("environments.deploy_to_environment", users["practitioner"], staging)
    service = service_create(
        name="Online shop",
        criticality="high",
        owners=[users["owner"]],
        product_owners=[users["po"]],
        actor=users["manager"],
    )
    component = component_create(
        service=service,
        name="shop-web",
        type=ComponentType.SOFTWARE,
        source=ComponentSource.IN_HOUSE,
        actor=users["manager"],
    )
    version = component_version_create(
        component=component,
        version="2.0.0",
        repository_ref="dml://software/shop-web/2.0.0",
        checksum=sha256_of("shop-web-2.0.0"),
        actor=users["manager"],
    )
    model = DeploymentModelFactory(name="In-house software", active=True)
    ModelStageFactory(model=model, environment=test, order=1, acceptance_criteria="Regression suite passed")
    ModelStageFactory(
        model=model,
        environment=staging,
        order=2,
        approvals_required=1,
        requires_service_owner_approval=False,
        pre_approved=False,
        acceptance_criteria="Smoke test passed",
    )
    DeploymentFactory(status=Status.COMPLETED, service=service, environment=test, versions=[version], model=model)
    freeze_start = (timezone.now() + dt.timedelta(days=5)).replace(hour=0, minute=0, second=0, microsecond=0)
    freeze = FreezeWindowFactory(
        environment=staging,
        name="Black Friday",
        reason="Peak trading: no changes to staging rehearsals.",
        recurrence=Recurrence.ONE_OFF,
        start=freeze_start,
        end=freeze_start + dt.timedelta(days=2),
    )
    return {"users": users, "version": version, "model": model, "staging": staging, "freeze": freeze}


def sign_in(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_visible()
    return page


def record_all_checks(page: Page, kind: str, checksum: str = "") -> None:
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
        item.get_by_label("Evidence").fill(f"{kind} verified")
        if checksum and item.get_by_label("Observed SHA-256").count():
            item.get_by_label("Observed SHA-256").fill(checksum)
        item.get_by_test_id("check-submit").click()
        expect(page.get_by_text("recorded: Pass").first).to_be_visible()


def test_request_reschedule_approve_execute_and_rate(live_server, browser: Browser, reference):
    base = live_server.url
    freeze, version = reference["freeze"], reference["version"]
    first_start = freeze.start + dt.timedelta(hours=10)

    # the product owner plans the deployment to staging, checks the plan, saves and submits it
    po = sign_in(browser, base, "priya")
    po.goto(f"{base}/deployments/new/")
    po.get_by_label("Title").fill("shop-web 2.0.0 to staging")
    po.get_by_label("Service").select_option(label="Online shop")
    po.get_by_label("Deployment model").select_option(label=str(reference["model"]))
    po.get_by_label("Target environment").select_option(label="Staging")
    po.get_by_label("Component versions").select_option(str(version.pk))
    po.get_by_label("Planned start").fill(first_start.strftime(FMT))
    po.get_by_label("Planned end").fill((first_start + dt.timedelta(hours=2)).strftime(FMT))
    po.get_by_test_id("check-plan").click()
    expect(po.get_by_test_id("conflicts")).to_contain_text("Black Friday")
    expect(po.get_by_test_id("free-slot")).to_be_visible()
    po.get_by_test_id("save").click()
    expect(po.get_by_test_id("status-badge")).to_have_text("Draft")
    po.get_by_test_id("transition-submit").click()
    expect(po.get_by_test_id("status-badge")).to_have_text("Pending approval")
    deployment = Deployment.objects.get(title="shop-web 2.0.0 to staging")

    # the manager sees the freeze conflict on its page, reschedules it, assigns the practitioner and approves
    manager = sign_in(browser, base, "maria")
    manager.goto(f"{base}/deployments/approvals/")
    manager.get_by_role("link", name=deployment.reference).click()
    expect(manager.locator('[data-testid="readiness-item"][data-code="freeze"]')).to_contain_text("Black Friday")
    manager.get_by_test_id("edit").click()
    # (earlier, not later: starting now must not run across the freeze either)
    new_start = (timezone.now() + dt.timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    manager.get_by_label("Planned start").fill(new_start.strftime(FMT))
    manager.get_by_label("Planned end").fill((new_start + dt.timedelta(hours=2)).strftime(FMT))
    manager.get_by_label("Practitioners").select_option(str(reference["users"]["practitioner"].pk))
    manager.get_by_test_id("save").click()
    expect(manager.get_by_test_id("planned-window")).to_contain_text(new_start.strftime("%Y-%m-%d %H:%M"))
    expect(manager.locator('[data-code="freeze"][data-ok="false"]')).to_have_count(0)
    manager.get_by_test_id("transition-form").get_by_label("Comment").fill("Rescheduled after the freeze.")
    manager.get_by_test_id("transition-approve").click()
    expect(manager.get_by_test_id("status-badge")).to_have_text("Approved")

    # the assigned practitioner verifies components, environment and acceptance, and completes it
    pat = sign_in(browser, base, "pat")
    pat.goto(f"{base}/deployments/mine/")
    pat.get_by_role("link", name=deployment.reference).click()
    record_all_checks(pat, "entry")  # the stage's entry criteria pass before the start
    pat.get_by_test_id("transition-start").click()
    expect(pat.get_by_test_id("status-badge")).to_have_text("Verifying components")
    record_all_checks(pat, "component", checksum=version.checksum)
    pat.get_by_test_id("transition-confirm-components").click()
    expect(pat.get_by_test_id("status-badge")).to_have_text("Verifying environment")
    record_all_checks(pat, "environment")
    pat.get_by_test_id("transition-confirm-environment").click()
    expect(pat.get_by_test_id("status-badge")).to_have_text("Executing")
    pat.get_by_test_id("transition-finish-execution").click()
    expect(pat.get_by_test_id("status-badge")).to_have_text("Verifying deployment")
    record_all_checks(pat, "acceptance")
    record_all_checks(pat, "exit")  # and its exit criteria before completion
    pat.get_by_test_id("transition-form").get_by_label("Comment").fill("Smoke tests green.")
    pat.get_by_test_id("transition-complete").click()
    expect(pat.get_by_test_id("status-badge")).to_have_text("Completed")
    expect(pat.get_by_test_id("timeline")).to_contain_text("Verifying deployment → Completed")

    # the requester rates it
    po.goto(f"{base}/deployments/{deployment.pk}/")
    feedback = po.locator("#feedback")
    feedback.get_by_label("Lead time (1–5)").select_option("4")
    feedback.get_by_label("Quality (1–5)").select_option("5")
    feedback.get_by_label("Comment").fill("Smooth, despite the freeze.")
    po.get_by_test_id("feedback-submit").click()
    expect(po.get_by_test_id("rating")).to_contain_text("lead time 4/5, quality 5/5")
    deployment.refresh_from_db()
    assert deployment.status == Status.COMPLETED
    assert deployment.approvals.get().user.username == "maria"
