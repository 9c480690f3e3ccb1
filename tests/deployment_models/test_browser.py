"""Browser test: a deployment manager builds a three-stage model through the pages and sees its flow drawn."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import environment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _add_stage(page: Page, env: str, approvals: str, *, pre=False, so=False):
    form = page.get_by_test_id("stage-form")
    form.get_by_label("Environment").select_option(label=env)
    form.get_by_label("Approvals required").fill(approvals)
    if pre:
        form.get_by_label("Pre approved").check()
    if so:
        form.get_by_label("Requires service owner approval").check()
    form.get_by_role("button", name="Add stage").click()
    expect(page.get_by_role("alert").filter(has_text=f"into {env} added")).to_be_visible()


def test_manager_builds_a_model_and_sees_its_pipeline(live_server, page: Page):
    # given a deployment manager and three environments
    UserFactory(username="maria", first_name="Maria", last_name="Manager", password="demo-pw-123", roles=["manager"])
    for kind in ("test", "staging", "production"):
        environment(kind)
    # when she signs in through the login form
    page.goto(f"{live_server.url}/models/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("demo-pw-123")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_role("heading", name="Deployment models")).to_be_visible()
    # and creates a model
    page.get_by_test_id("model-create").click()
    page.get_by_label("Name").fill("Mobile app releases")
    page.get_by_label("Automation level").select_option("partly_automated")
    page.get_by_label("Software").check()
    page.get_by_label("Expected frequency").fill("Every two weeks")
    page.get_by_test_id("model-save").click()
    expect(page.get_by_role("heading", name="Stages of Mobile app releases v1")).to_be_visible()
    # with three stages
    _add_stage(page, "Test", "0", pre=True)
    _add_stage(page, "Staging", "1")
    _add_stage(page, "Production", "2", so=True)
    page.get_by_test_id("back-to-model").click()
    # then the model page draws the flow: three boxes in order, with arrows between them
    pipeline = page.get_by_test_id("pipeline")
    expect(pipeline.get_by_test_id("pipeline-stage")).to_have_count(3)
    expect(pipeline.get_by_test_id("pipeline-environment")).to_have_text(["Test", "Staging", "Production"])
    expect(pipeline.locator(".pipeline-arrow")).to_have_count(2)
    expect(pipeline.get_by_test_id("pipeline-stage").nth(0)).to_contain_text("pre-approved")
    expect(pipeline.get_by_test_id("pipeline-stage").nth(2)).to_contain_text("2 approvals")
    expect(pipeline.get_by_test_id("pipeline-stage").nth(2)).to_contain_text("SO sign-off")
    expect(page.get_by_test_id("model-factors")).to_contain_text("Every two weeks")
    # and, with no pilot behind it, she can activate it only with an override and its reason (a compliance exception)
    override = page.get_by_test_id("model-override")
    override.locator("summary").click()
    override.locator("[name=override_reason]").fill("Adopted from the practice guide's template")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("model-activate-override").click()
    expect(page.get_by_test_id("model-status")).to_have_text("Active")
    expect(page.get_by_test_id("pilot-override")).to_contain_text("Adopted from the practice guide's template")
    page.screenshot(path="/tmp/dm_model_detail.png", full_page=True)
