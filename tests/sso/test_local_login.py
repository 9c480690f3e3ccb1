"""Local passwords switched off in production, with one break-glass account kept; the login page says so."""

import pytest

from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("local_login", "break_glass", "username", "signed_in"),
    [
        (True, "", "maria", True),
        (False, "", "maria", False),
        (False, "root", "maria", False),
        (False, "root", "root", True),
        (False, "root", "ROOT", False),  # the break-glass name is matched exactly
    ],
)
def test_local_password_sign_in_follows_the_switch(client, settings, local_login, break_glass, username, signed_in):
    # given local accounts maria and root, and the switch as configured
    UserFactory(username="maria", password="local-pw-123")
    UserFactory(username="root", password="local-pw-123", is_superuser=True, is_staff=True)
    settings.DEPLOYDESK_LOCAL_LOGIN = local_login
    settings.DEPLOYDESK_BREAK_GLASS_USERNAME = break_glass
    # when the user signs in with the right password
    response = client.post("/accounts/login/", {"username": username, "password": "local-pw-123"})
    # then only the allowed ones get in; the others see the form again
    assert response.status_code == (302 if signed_in else 200)


def test_the_login_page_keeps_its_fields_and_says_when_local_passwords_are_off(client, settings):
    # given local passwords off and no single sign-on
    settings.DEPLOYDESK_LOCAL_LOGIN = False
    # when the login page is shown
    html = client.get("/accounts/login/").content.decode()
    # then the username and password fields are still there (break-glass, LDAP), with a note, and no SSO button
    assert 'name="username"' in html and 'name="password"' in html
    assert "Local passwords are switched off here" in html
    assert 'data-testid="login-oidc"' not in html


def test_the_login_page_offers_single_sign_on_when_configured(client, settings):
    # given single sign-on configured with a display name
    settings.DEPLOYDESK_OIDC_ENABLED = True
    settings.DEPLOYDESK_OIDC_PROVIDER_NAME = "Contoso Entra ID"
    # when the login page is shown for a protected page
    html = client.get("/accounts/login/?next=/deployments/").content.decode()
    # then it offers the button, keeping where the user was going
    assert 'href="/accounts/oidc/authenticate/?next=/deployments/"' in html
    assert "Sign in with Contoso Entra ID" in html
