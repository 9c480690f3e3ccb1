"""Browser test: sign in through the form, see the home page with your roles, sign out."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories.accounts import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_see_roles_sign_out(live_server, page: Page):
    UserFactory(username="maria", first_name="Maria", last_name="Manager", password="demo-pw-123", roles=["manager"])
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill("demo-pw-123")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_role("heading", name="Welcome, Maria Manager")).to_be_visible()
    expect(page.get_by_test_id("roles")).to_contain_text("Deployment manager")
    expect(page.get_by_test_id("roles")).to_contain_text("Leader")
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
