"""Journey of the auditor: filters the register, reads a deployment and its printable report, verifies the audit
chain and downloads the register as CSV — and meets no button that would change anything on the way."""

import csv
import io

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGING = (
    '[data-testid^="transition-"], [data-testid="edit"], [data-testid="new-deployment"], '
    '[data-testid="check-form"], [data-testid="comment-form"], [data-testid="feedback-form"], '
    '[data-testid="incident-form"], [data-testid="problem-form"]'
)


def assert_read_only(page: Page) -> None:
    expect(page.locator(CHANGING)).to_have_count(0)


def test_auditor_reads_verifies_and_exports(world, journey):
    completed = world.deployments["shop_200_staging"]
    audra = journey("audra")
    page = audra.page

    # given the register: the auditor sees every service's deployments, and cannot plan one
    audra.goto("/deployments/")
    expect(page.get_by_test_id("deployment-row")).to_have_count(len(world.deployments))
    assert_read_only(page)

    # when she filters it to completed deployments into staging
    page.locator("summary", has_text="Filters").click()
    filters = page.get_by_test_id("filters")
    filters.get_by_label("Status").select_option("completed")
    filters.get_by_label("Environment", exact=True).select_option(label="Staging")
    filters.get_by_test_id("filter-submit").click()
    rows = page.get_by_test_id("deployment-row")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(completed.reference)
    audra.a11y()
    audra.shot("auditor-register")

    # then the deployment's page has no action for her, and its printable report holds approvals, checks, timeline
    rows.get_by_role("link", name=completed.reference).click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Completed")
    expect(page.get_by_test_id("no-actions")).to_be_visible()
    assert_read_only(page)
    audra.a11y()
    audra.goto(f"/deployments/{completed.pk}/report/")
    report = page.get_by_test_id("deployment-report")
    expect(page.get_by_test_id("report-status")).to_have_text("Completed")
    expect(page.get_by_test_id("report-approvals")).to_contain_text("maria")
    expect(page.get_by_test_id("report-checks")).to_contain_text("Monitoring and alerting in place")
    expect(report.get_by_test_id("report-timeline")).to_contain_text("verifying → completed")
    audra.shot("auditor-report")

    # and the audit trail's hash chain verifies
    audra.goto("/audit/")
    expect(page.get_by_test_id("audit-row").first).to_be_visible()
    page.get_by_test_id("audit-verify").click()
    expect(page.get_by_role("alert").filter(has_text="The audit chain is intact")).to_be_visible()
    audra.a11y()
    audra.shot("auditor-audit")

    # and the register downloads as CSV, with the same filters
    audra.goto(f"/exports/?status=completed&environment={world.envs['staging'].pk}")
    assert_read_only(page)
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    with open(info.value.path(), encoding="utf-8") as handle:
        exported = list(csv.DictReader(io.StringIO(handle.read())))
    assert [row["reference"] for row in exported] == [completed.reference]

    # and on a phone the audit trail fits the screen behind a collapsed menu
    audra.on_phone("/audit/")
