"""Journey of the administrator in the Django admin: adds a person, gives them the Deployment practitioner role, and
creates an API token for a pipeline's service account — whose key is shown once."""

import re

import pytest
from playwright.sync_api import expect

from apps.accounts.models import ApiToken, User, token_hash
from tests.factories.accounts import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_administrator_adds_a_practitioner_and_a_pipeline_token(world, journey):
    UserFactory(username="ci-pipeline", first_name="CI", last_name="Pipeline", is_service_account=True)
    ada = journey("ada")
    page = ada.page

    # given the admin site
    ada.goto("/admin/")
    expect(page.get_by_role("link", name="Users", exact=True)).to_be_visible()
    ada.shot("admin-index")

    # when Ada adds a user
    ada.goto("/admin/accounts/user/add/")
    page.get_by_label("Username").fill("pablo")
    page.locator("#id_password1").fill("A-long-initial-pw-42")
    page.locator("#id_password2").fill("A-long-initial-pw-42")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    ada.a11y()

    # and gives him his name and the Deployment practitioner role
    page.get_by_label("First name").fill("Pablo")
    page.get_by_label("Last name").fill("Practitioner")
    page.locator("#id_groups_from").select_option(label="Deployment practitioner")
    page.locator("#id_groups_add").click()
    expect(page.locator("#id_groups_to")).to_contain_text("Deployment practitioner")
    page.locator("#id_groups_to").evaluate("box => box.scrollIntoView({block: 'center'})")
    ada.shot("admin-user-groups")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    ada.a11y()

    # and creates a token for the pipeline's service account
    ada.goto("/admin/accounts/apitoken/add/")
    page.get_by_label("User").select_option(label="CI Pipeline")
    page.get_by_label("Name").fill("GitLab CI")
    page.get_by_role("button", name="Save", exact=True).click()

    # then the key is shown once, in a message, and only its hash is kept
    message = page.locator(".messagelist").filter(has_text="copy it now")
    expect(message).to_be_visible()
    ada.a11y()
    ada.shot("admin-token")
    key = re.search(r"it is not stored\): (\S+)", message.inner_text()).group(1)
    token = ApiToken.objects.get(name="GitLab CI")
    assert token.user.username == "ci-pipeline" and token.key_hash == token_hash(key)
    pablo = User.objects.get(username="pablo")
    assert pablo.role_names == ["Deployment practitioner"] and pablo.get_full_name() == "Pablo Practitioner"

    # and the users' list fits a phone's width (the admin has its own responsive layout: the sidebar folds away)
    ada.on_phone("/admin/accounts/user/", navbar=False)
