"""OpenID Connect sign-in against a real provider process: the whole code flow (Deploydesk's redirect, the
provider's login form, the callback, the session with the right roles) and the refused sign-ins."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore

from apps.accounts.models import User
from apps.audit.models import AuditEntry
from apps.roles.definitions import AUDITOR, MANAGER
from apps.sso import discovery
from apps.sso.mapping import parse_role_map
from apps.sso.models import ExternalIdentity
from apps.sso.oidc import OidcBackend
from tests.factories.accounts import UserFactory, ensure_roles
from tests.sso.conftest import CLIENT_ID, CLIENT_SECRET, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET

ROLE_MAP = "deploy-managers=Deployment manager,auditors=Auditor"


@pytest.fixture
def oidc(settings, oidc_provider, live_server):
    """Deploydesk configured, as from the environment, with the provider's issuer (endpoints discovered)."""
    ensure_roles()
    discovery.forget()
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.DEPLOYDESK_OIDC_ENABLED = True
    settings.DEPLOYDESK_OIDC_ISSUER = oidc_provider.issuer
    settings.DEPLOYDESK_OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.DEPLOYDESK_OIDC_ROLE_CLAIM = "groups"
    settings.DEPLOYDESK_OIDC_ROLE_MAP = parse_role_map(ROLE_MAP)
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "apps.accounts.backends.RoleModelBackend",
        "apps.sso.oidc.OidcBackend",
        "guardian.backends.ObjectPermissionBackend",
    ]
    oidc_provider.user("alice", password="alice-idp-pw", groups=["deploy-managers", "auditors", "unmapped"])
    oidc_provider.user("bob", password="bob-idp-pw", groups=["auditors"])
    yield oidc_provider
    discovery.forget()


def _provider_login(browser: requests.Session, authorize_url: str, username: str, password: str) -> str:
    """Follow the authorisation request to the provider's login form, fill it in, and return where the provider
    finally sends the browser (Deploydesk's callback, with the code and state)."""
    form = browser.get(authorize_url)  # → the provider's login form
    assert "Test identity provider: sign in" in form.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    next_url = re.search(r'name="next" value="([^"]+)"', form.text).group(1).replace("&amp;", "&")
    response = browser.post(
        form.url.split("?")[0],
        data={"username": username, "password": password, "next": next_url, "csrfmiddlewaretoken": csrf},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    provider = urlsplit(form.url)._replace(path="", query="").geturl()
    response = browser.get(provider + response.headers["Location"], allow_redirects=False)  # the authorisation
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def _start(browser: requests.Session, live_server, next_url: str = "/accounts/profile/") -> str:
    """Press "Sign in with …": Deploydesk answers with a redirect to the provider's authorisation endpoint."""
    response = browser.get(f"{live_server.url}/accounts/oidc/authenticate/?next={next_url}", allow_redirects=False)
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_the_whole_code_flow_signs_in_a_new_user_with_the_mapped_roles(oidc, live_server):
    browser = requests.Session()
    # given the login page offers the provider's button
    page = browser.get(f"{live_server.url}/accounts/login/")
    assert "Sign in with Test IdP" in page.text and 'name="username"' in page.text and 'name="password"' in page.text
    # when alice presses it, Deploydesk sends her to the provider with its client id, a state, a nonce and PKCE
    authorize = _start(browser, live_server)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{oidc.issuer}/authorize?")
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{live_server.url}/accounts/oidc/callback/"]
    assert {"state", "nonce", "code_challenge"} <= set(query)
    # and she signs in on the provider's form, which sends her back to the callback
    callback = _provider_login(browser, authorize, "alice", "alice-idp-pw")
    assert callback.startswith(f"{live_server.url}/accounts/oidc/callback/?")
    assert parse_qs(urlsplit(callback).query)["state"] == query["state"]
    landed = browser.get(callback)
    # then she lands where she was going, signed in, with exactly the mapped roles
    assert landed.status_code == 200 and landed.url == f"{live_server.url}/accounts/profile/"
    assert "Deployment manager" in landed.text and "Auditor" in landed.text
    alice = User.objects.get(username="alice")
    assert set(alice.groups.values_list("name", flat=True)) == {MANAGER, AUDITOR}
    assert (alice.email, alice.has_usable_password()) == ("alice@example.test", False)
    identity = ExternalIdentity.objects.get(user=alice)
    assert (identity.kind, identity.issuer, identity.roles) == ("oidc", oidc.issuer, [AUDITOR, MANAGER])
    # and her creation and roles are in the audit trail
    entries = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(alice.pk)).order_by("id")
    assert [e.action for e in entries] == ["created", "roles_synced"]
    assert entries[1].changes == {
        "roles": [[], [AUDITOR, MANAGER]],
        "source": f"oidc:{oidc.issuer}",
        "provider_groups": ["auditors", "deploy-managers", "unmapped"],
    }


@pytest.mark.django_db(transaction=True)
def test_every_sign_in_resyncs_the_roles_from_the_claims(oidc, live_server):
    # given bob signed in once as an auditor
    first = requests.Session()
    first.get(_provider_login(first, _start(first, live_server), "bob", "bob-idp-pw"))
    assert set(User.objects.get(username="bob").groups.values_list("name", flat=True)) == {AUDITOR}
    # when the provider moves him from auditors to deploy-managers and he signs in again (a new browser)
    oidc.user("bob", password="bob-idp-pw", groups=["deploy-managers"])
    second = requests.Session()
    landed = second.get(_provider_login(second, _start(second, live_server), "bob", "bob-idp-pw"))
    # then he has only the new role, still as the same account, and the change is audited
    assert landed.url == f"{live_server.url}/accounts/profile/"
    assert User.objects.filter(username="bob").count() == 1
    assert set(User.objects.get(username="bob").groups.values_list("name", flat=True)) == {MANAGER}
    last = AuditEntry.objects.filter(action="roles_synced").order_by("-id").first()
    assert last.changes["roles"] == [[AUDITOR], [MANAGER]]


@pytest.mark.django_db(transaction=True)
def test_a_callback_with_a_state_this_browser_never_started_is_refused(oidc, live_server):
    # given a browser that started a sign-in (its state is in its session)
    browser = requests.Session()
    authorize = _start(browser, live_server)
    callback = _provider_login(browser, authorize, "alice", "alice-idp-pw")
    # when the callback arrives with another state (a forged or mixed-up link)
    forged = callback.replace(parse_qs(urlsplit(callback).query)["state"][0], "forged-state")
    landed = browser.get(forged)
    # then the login page explains, and nobody is signed in or created
    assert landed.url == f"{live_server.url}/accounts/login/"
    assert "Please sign in again" in landed.text
    assert not User.objects.filter(username="alice").exists()
    assert browser.get(f"{live_server.url}/accounts/profile/").url.startswith(f"{live_server.url}/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_an_expired_state_is_refused(oidc, live_server):
    # given a sign-in started more than the state's lifetime ago
    browser = requests.Session()
    callback = _provider_login(browser, _start(browser, live_server), "alice", "alice-idp-pw")
    session = SessionStore(session_key=browser.cookies.get("sessionid"))
    states = session["oidc_states"]
    for state in states.values():
        state["added_on"] -= 3600
    session["oidc_states"] = states
    session.save()
    # when the provider's (valid) callback arrives
    landed = browser.get(callback)
    # then it is refused: no session, no user
    assert landed.url == f"{live_server.url}/accounts/login/"
    assert "took too long" in landed.text
    assert not User.objects.filter(username="alice").exists()


@pytest.mark.django_db(transaction=True)
def test_a_code_issued_to_another_client_is_refused(oidc, live_server):
    # given Deploydesk's authorisation request, with the client id swapped for another application's
    browser = requests.Session()
    authorize = _start(browser, live_server).replace(f"client_id={CLIENT_ID}", f"client_id={OTHER_CLIENT_ID}")
    # when the provider issues a code to that application and the browser brings it to Deploydesk's callback
    callback = _provider_login(browser, authorize, "alice", "alice-idp-pw")
    landed = browser.get(callback)
    # then Deploydesk refuses it (the provider will not exchange it for Deploydesk): nobody is signed in
    assert landed.url == f"{live_server.url}/accounts/login/"
    assert "Single sign-on did not sign you in" in landed.text
    assert not User.objects.filter(username="alice").exists()


@pytest.mark.django_db(transaction=True)
def test_an_id_token_for_another_audience_is_refused(oidc, live_server):
    # given a genuine ID token, signed by the provider, issued to another application
    browser = requests.Session()
    params = {
        "client_id": OTHER_CLIENT_ID,
        "response_type": "code",
        "scope": "openid email",
        "redirect_uri": f"{live_server.url}/accounts/oidc/callback/",
        "state": "s1",
        "nonce": "n1",
    }
    callback = _provider_login(browser, f"{oidc.issuer}/authorize?{urlencode(params)}", "alice", "alice-idp-pw")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    token = requests.post(
        f"{oidc.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "client_id": OTHER_CLIENT_ID,
            "client_secret": OTHER_CLIENT_SECRET,
        },
        timeout=10,
    ).json()["id_token"]
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == OTHER_CLIENT_ID
    # when Deploydesk verifies it, then the signature checks out but the audience does not
    with pytest.raises(jwt.InvalidAudienceError):
        OidcBackend().verify_token(token, nonce="n1")


@pytest.mark.django_db(transaction=True)
def test_a_local_account_with_the_same_name_is_not_taken_over(oidc, live_server):
    # given a local account named alice
    local = UserFactory(username="alice", password="local-pw-123")
    # when alice of the provider signs in
    browser = requests.Session()
    landed = browser.get(_provider_login(browser, _start(browser, live_server), "alice", "alice-idp-pw"))
    # then she is refused, and the local account stays unlinked and without roles
    assert landed.url == f"{live_server.url}/accounts/login/"
    assert not ExternalIdentity.objects.filter(user=local).exists()
    assert local.groups.count() == 0
