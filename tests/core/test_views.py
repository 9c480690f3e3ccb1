"""Tests of the home page, navigation, security headers and the API schema."""

import pytest
import yaml

from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_home_shows_the_users_roles_and_next_actions(client):
    client.force_login(UserFactory(roles=["practitioner", "service_owner"]))
    html = client.get("/").content.decode()
    assert "Deployment practitioner" in html and "Technical expert" in html
    assert "Service owner" in html
    assert 'data-testid="next-actions"' in html


def test_a_user_without_a_role_is_told_to_ask_for_one(client):
    client.force_login(UserFactory())
    assert "Ask an administrator for a role" in client.get("/").content.decode()


def test_admin_link_only_for_staff(client):
    client.force_login(UserFactory(roles=["manager"]))
    assert 'href="/admin/"' not in client.get("/").content.decode()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert 'href="/admin/"' in client.get("/").content.decode()


def test_pages_send_a_strict_content_security_policy(client):
    client.force_login(UserFactory())
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.content.decode()


def test_static_assets_are_served_locally(client):
    client.force_login(UserFactory())
    html = client.get("/").content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html
    assert "http://" not in html.split("<body")[0] and "https://" not in html.split("<body")[0]


def test_api_schema_documents_error_responses(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert "Error" in schema["components"]["schemas"]
    me = schema["paths"]["/api/v1/me/"]["get"]["responses"]
    assert {"200", "401", "403"} <= set(me)


def test_api_docs_page_loads_its_scripts_from_static(client):
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
