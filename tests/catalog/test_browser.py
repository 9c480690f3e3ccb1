"""Browser test: a service owner finds their service, registers a version with an uppercase checksum, and sees a
clear error for a duplicate version."""

import pytest
from playwright.sync_api import Page, expect

from apps.catalog.services import component_create, service_create
from tests.factories.accounts import UserFactory
from tests.factories.catalog import sha256_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_service_owner_registers_a_version(live_server, page: Page):
    # given a service owned by Sam with one component
    manager = UserFactory(username="maria", roles=["manager"])
    sam = UserFactory(username="sam", password="demo-pw-123", roles=["service_owner"])
    service = service_create(name="Online shop", criticality="high", owners=[sam], actor=manager)
    component_create(service=service, name="shop-web", type="software", source="in_house", actor=manager)
    # when Sam signs in and goes to the service
    page.goto(f"{live_server.url}/accounts/login/?next=/services/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("demo-pw-123")
    page.get_by_test_id("login-submit").click()
    page.get_by_role("link", name="Online shop").click()
    page.get_by_role("link", name="shop-web").click()
    page.get_by_test_id("version-create").click()
    digest = sha256_of("shop-web-2.4.1")
    page.get_by_label("Version").fill("2.4.1")
    page.get_by_label("Repository reference").fill("dml://software/shop-web/2.4.1")
    page.get_by_label("SHA-256 checksum").fill(digest.upper())
    page.get_by_role("button", name="Save version").click()
    # then the version is listed with its checksum lower-cased
    expect(page.get_by_test_id("version-table")).to_contain_text("2.4.1")
    expect(page.get_by_test_id("version-table")).to_contain_text(digest)
    # and registering it again gives a clear error
    page.get_by_test_id("version-create").click()
    page.get_by_label("Version").fill("2.4.1")
    page.get_by_label("Repository reference").fill("dml://software/shop-web/2.4.1")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Version 2.4.1 of “shop-web” already exists.")).to_be_visible()
