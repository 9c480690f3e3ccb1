"""Rate limits: per token or signed-in user, per anonymous address, for inbound events; 429 with Retry-After.

The test settings set the limits far above what any test sends; here they are lowered to a few requests."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories.accounts import UserFactory, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates():
    """`rates(user=…, anon=…, hooks=…)`: the limits lowered for one test, with fresh counters."""
    overrides = []

    def lower(**limits):
        merged = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **limits}
        override = override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": merged})
        override.enable()
        overrides.append(override)

    cache.clear()
    yield lower
    for override in overrides:
        override.disable()
    cache.clear()


def token_client(user, name="throttle test") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, name)}")
    return client


def test_a_token_over_its_limit_gets_429_with_retry_after(rates):
    # given a limit of 3 requests a minute per token
    rates(user="3/minute")
    client = token_client(UserFactory(roles=["manager"]))
    # when the token sends 4 requests
    statuses = [client.get("/api/v1/environments/").status_code for _ in range(4)]
    # then the fourth is refused with 429, saying when to retry, as JSON
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/environments/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled"
    assert refused.json()["detail"].startswith("Request was throttled.")


def test_each_token_and_each_signed_in_user_has_its_own_count(rates):
    # given a limit of 1 request a minute
    rates(user="1/minute")
    manager = UserFactory(roles=["manager"])
    first, second = token_client(manager, "first"), token_client(manager, "second")
    session = APIClient()
    session.force_login(UserFactory(roles=["auditor"]))
    # when each client spends its one request, then asks again
    assert [c.get("/api/v1/environments/").status_code for c in (first, second, session)] == [200, 200, 200]
    # then each is refused on its own count
    assert [c.get("/api/v1/environments/").status_code for c in (first, second, session)] == [429, 429, 429]


def test_an_anonymous_address_over_its_limit_gets_429(rates):
    # given a limit of 1 request a minute per anonymous address
    rates(anon="1/minute")
    client = APIClient()
    # when an anonymous client reads the schema twice
    first = client.get("/api/schema/", REMOTE_ADDR="198.51.100.7")
    second = client.get("/api/schema/", REMOTE_ADDR="198.51.100.7")
    other = client.get("/api/schema/", HTTP_ACCEPT="application/json", REMOTE_ADDR="198.51.100.8")
    # then the second from the same address is refused, and another address is counted apart
    assert (first.status_code, second.status_code, other.status_code) == (200, 429, 200)
    assert int(second["Retry-After"]) >= 1


def test_a_forged_forwarded_for_header_does_not_escape_the_anonymous_limit(rates):
    # given a limit of 1 request a minute per anonymous address, and no proxy in front (NUM_PROXIES 0)
    rates(anon="1/minute")
    client = APIClient()
    # when one address sends a different X-Forwarded-For each time
    first = client.get("/api/schema/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="10.0.0.1")
    second = client.get("/api/schema/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="10.0.0.2")
    # then it is still one address
    assert (first.status_code, second.status_code) == (200, 429)


def test_inbound_events_have_their_own_limit(rates):
    # given a limit of 2 events a minute per sender address
    rates(hooks="2/minute")
    client = APIClient()
    # when a sender posts three (unsigned) events
    statuses = [client.post("/api/v1/hooks/github/", {}, format="json").status_code for _ in range(3)]
    # then the third is refused for its rate before anything else is looked at
    assert statuses == [401, 401, 429]


def test_the_default_limits_come_from_the_settings():
    # the base settings' defaults (DEPLOYDESK_THROTTLE_USER / _ANON / _HOOKS), which the test settings raise
    from config.settings import base

    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "user": "600/minute",
        "anon": "60/minute",
        "hooks": "600/minute",
    }
