"""Cookies and headers under the production settings: Secure and HttpOnly session and CSRF cookies, HSTS,
X-Frame-Options DENY, nosniff, a strict CSP, and `check --deploy` clean at WARNING level."""

import base64
import importlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

ROOT = Path(settings.BASE_DIR)
PROD_ENV = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
    "DJANGO_ALLOWED_HOSTS": "deploydesk.example.com",
    "DEPLOYDESK_AUDIT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),  # an Ed25519 key's raw bytes
}
SECURE_KEYS = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_HTTPONLY",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
)


@pytest.fixture(scope="module")
def prod():
    """The production settings module, loaded with the environment it requires (no defaults for secrets)."""
    saved = {key: os.environ.get(key) for key in PROD_ENV}
    os.environ.update(PROD_ENV)
    try:
        sys.modules.pop("config.settings.prod", None)
        yield importlib.import_module("config.settings.prod")
    finally:
        sys.modules.pop("config.settings.prod", None)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_production_settings_make_cookies_secure_and_httponly_with_hsts(prod):
    # given the production settings
    # then the session and CSRF cookies are Secure and HttpOnly, HSTS is on for a year, frames are denied
    assert prod.DEBUG is False
    assert prod.SESSION_COOKIE_SECURE is True and prod.CSRF_COOKIE_SECURE is True
    assert prod.SESSION_COOKIE_HTTPONLY is True and prod.CSRF_COOKIE_HTTPONLY is True
    assert prod.SECURE_HSTS_SECONDS >= 31_536_000
    assert prod.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert prod.SECURE_SSL_REDIRECT is True
    assert prod.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert prod.X_FRAME_OPTIONS == "DENY"
    assert prod.SECURE_CONTENT_TYPE_NOSNIFF is True
    assert prod.ALLOWED_HOSTS == ["deploydesk.example.com"]
    assert PROD_ENV["DJANGO_SECRET_KEY"] == prod.SECRET_KEY


def test_production_settings_refuse_to_start_without_a_secret_key():
    # given an environment without DJANGO_SECRET_KEY
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_ALLOWED_HOSTS"] = PROD_ENV["DJANGO_ALLOWED_HOSTS"]
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.prod"
    # when the production settings are loaded
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    # then they refuse (no insecure default key)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_responses_under_the_production_settings_carry_the_security_headers_and_cookie_flags(prod, user):
    # given the production security settings (static files as in tests: no manifest needed)
    with override_settings(**{key: getattr(prod, key) for key in SECURE_KEYS}, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        # when a plain-HTTP request arrives
        plain = client.get("/accounts/login/")
        # then it is sent to HTTPS
        assert plain.status_code == 301 and plain["Location"].startswith("https://")
        # when the login page is fetched over HTTPS (the proxy says so) and someone signs in
        headers = {"HTTP_X_FORWARDED_PROTO": "https"}
        page = client.get("/accounts/login/", **headers)
        token = page.cookies["csrftoken"]
        signed_in = client.post(
            "/accounts/login/",
            {"username": user.username, "password": "pw-secret-123", "csrfmiddlewaretoken": token.value},
            **headers,
        )
    # then the page carries HSTS, frame denial, nosniff, a referrer policy and a strict CSP
    assert page.status_code == 200
    assert "max-age=31536000" in page["Strict-Transport-Security"]
    assert "includeSubDomains" in page["Strict-Transport-Security"]
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    # and the CSRF and session cookies are Secure and HttpOnly
    assert token["secure"] and token["httponly"]
    assert signed_in.status_code == 302, signed_in.status_code
    session = signed_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["samesite"].lower() == "lax"


def test_check_deploy_is_clean_at_warning_level():
    # given the production settings with the environment they need
    env = {**os.environ, **PROD_ENV}
    for test_only in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # set by pytest and tests/conftest.py
        env.pop(test_only, None)
    # when Django's deployment checklist runs
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--settings=config.settings.prod",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then it finds nothing
    assert result.returncode == 0, result.stdout + result.stderr
