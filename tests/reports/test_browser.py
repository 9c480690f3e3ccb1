"""Browser test: an auditor filters the register to last quarter in production, downloads the CSV and the audit
pack, and opens the KPI report."""

import csv
import datetime as dt
import hashlib
import io
import zipfile
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.deployments.workflow import Status
from apps.environments.models import EnvironmentKind
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ServiceFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def last_quarter(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first_month = (today.month - 1) // 3 * 3 + 1
    this_start = dt.datetime(today.year, first_month, 1, tzinfo=dt.UTC)
    previous_month = first_month - 3
    year = today.year - (previous_month < 1)
    previous_month = previous_month + 12 if previous_month < 1 else previous_month
    return dt.datetime(year, previous_month, 1, tzinfo=dt.UTC), this_start


def test_auditor_exports_last_quarter_in_production(live_server, page: Page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    # given production and test, and deployments last quarter and this one
    start, end = last_quarter(timezone.now().date())
    prod = EnvironmentFactory(name="Production", slug="production", kind=EnvironmentKind.PRODUCTION)
    test = EnvironmentFactory(name="Test", slug="test", kind=EnvironmentKind.TEST)
    service = ServiceFactory(name="Online shop")
    when = start + dt.timedelta(days=20, hours=10)
    wanted = DeploymentFactory(
        title="Shop 2.0 to production", service=service, environment=prod, planned_start=when, status=Status.COMPLETED
    )
    in_test = DeploymentFactory(title="Shop 2.0 to test", service=service, environment=test, planned_start=when)
    this_quarter = DeploymentFactory(
        title="Shop 2.1 to production", service=service, environment=prod, planned_start=end + dt.timedelta(days=3)
    )
    UserFactory(username="audra", password="audit-pw-123", roles=["auditor"])
    query = urlencode(
        {"environment_kind": "production", "planned_from": start.isoformat(), "planned_to": end.isoformat()}
    )

    # when the auditor signs in and filters the register to last quarter in production
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("audra")
    page.get_by_label("Password").fill("audit-pw-123")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_visible()
    register = page.goto(f"{live_server.url}/deployments/?{query}")
    if register.status == 200:
        expect(page.get_by_text(wanted.reference).first).to_be_visible()
    # (the exports page carries the register's query string to every export)
    page.goto(f"{live_server.url}/exports/?{query}")
    expect(page.get_by_test_id("export-query")).to_contain_text("environment_kind=production")

    # then the CSV download holds only last quarter's production deployment
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    rows = list(csv.DictReader(io.StringIO(_read(info.value))))
    assert [r["reference"] for r in rows] == [wanted.reference]
    assert in_test.reference not in {r["reference"] for r in rows}
    assert this_quarter.reference not in {r["reference"] for r in rows}

    # and the audit pack holds the same register, with a manifest that matches its files
    with page.expect_download() as info:
        page.get_by_test_id("export-pack").click()
    archive = zipfile.ZipFile(info.value.path())
    manifest = dict(reversed(line.split("  ")) for line in archive.read("MANIFEST.sha256").decode().splitlines())
    assert set(manifest) == {
        "deployments.csv",
        "audit-trail.csv",
        "approvals.csv",
        "overrides.csv",
        "audit-findings.csv",
        "audit-finding-history.csv",
        "audit-chain.jsonl",
        "checkpoints.json",
        "audit-signing-key.pub.pem",
        "verify_pack.py",
    }
    for name, digest in manifest.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    register_rows = list(csv.DictReader(io.StringIO(archive.read("deployments.csv").decode())))
    assert [r["reference"] for r in register_rows] == [wanted.reference]

    # and the KPI report opens
    kpis = page.goto(f"{live_server.url}/reports/kpis/")
    assert kpis.status == 200
    expect(page.locator("h1").first).to_be_visible()


def _read(download) -> str:
    with open(download.path(), encoding="utf-8") as handle:
        return handle.read()
