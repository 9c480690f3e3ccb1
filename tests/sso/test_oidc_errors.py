"""Bad input and an unreachable provider at the OpenID Connect URLs: a redirect to the login page, never a 500."""

import time

import pytest

from apps.accounts.models import User
from apps.sso import discovery
from tests.sso.conftest import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def oidc_down(settings):
    """Single sign-on configured with an issuer nobody answers for."""
    discovery.forget()
    settings.OIDC_RP_CLIENT_ID = "deploydesk"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.DEPLOYDESK_OIDC_ENABLED = True
    settings.DEPLOYDESK_OIDC_ISSUER = f"http://127.0.0.1:{free_port()}/openid"
    settings.OIDC_TIMEOUT = 2
    settings.AUTHENTICATION_BACKENDS = [
        "apps.accounts.backends.RoleModelBackend",
        "apps.sso.oidc.OidcBackend",
    ]
    yield
    discovery.forget()


def test_starting_while_the_provider_is_down_explains_on_the_login_page(client, oidc_down):
    # when the button is pressed while the provider cannot be reached
    response = client.get("/accounts/oidc/authenticate/", follow=True)
    # then the login page says so
    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "cannot be reached just now" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["", "?code=abc", "?state=abc", "?error=access_denied&state=abc", "?code=%00&state=%ff%fe"],
)
def test_a_malformed_callback_goes_back_to_the_login_page(client, oidc_down, query):
    # when the callback is called with missing, refused or junk parameters
    response = client.get(f"/accounts/oidc/callback/{query}")
    # then the browser goes back to the login page, signed out
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_a_callback_that_cannot_reach_the_token_endpoint_is_refused(client, oidc_down):
    # given a sign-in started in this browser (its state in the session)
    session = client.session
    session["oidc_states"] = {"st": {"nonce": "n", "code_verifier": None, "added_on": time.time()}}
    session.save()
    # when the provider's callback arrives but the token endpoint cannot be reached
    response = client.get("/accounts/oidc/callback/?code=abc&state=st", follow=True)
    # then the login page says single sign-on did not work, and nobody was created
    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "Single sign-on did not sign you in" in response.content.decode()
    assert User.objects.count() == 0


def test_the_oidc_urls_are_not_found_when_single_sign_on_is_off(client):
    assert client.get("/accounts/oidc/authenticate/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=a&state=b").status_code == 404
