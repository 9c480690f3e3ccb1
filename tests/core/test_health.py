"""Tests of /health/ and the database-unavailable middleware."""

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from apps.core.middleware import DatabaseUnavailableMiddleware

pytestmark = pytest.mark.django_db


def test_health_reports_each_part_ok(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "parts": {"database": {"status": "ok"}, "broker": {"status": "ok"}, "schedules": {"status": "ok"}},
    }


def test_health_says_which_part_is_down(client, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": "redis://127.0.0.1:1/0"}
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["parts"]["database"] == {"status": "ok"}
    assert body["parts"]["broker"]["status"] == "down" and body["parts"]["broker"]["error"]


@pytest.mark.parametrize(("path", "json"), [("/api/v1/deployments/", True), ("/deployments/", False)])
def test_database_errors_become_503_without_a_stack_trace(path, json):
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = RequestFactory().get(path)
    response = middleware.process_exception(request, OperationalError("could not connect to server"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "cannot reach its database" in body
    assert "could not connect" not in body and "Traceback" not in body
    assert response["Content-Type"].startswith("application/json" if json else "text/html")


def test_other_errors_pass_through_the_middleware():
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(RequestFactory().get("/"), ValueError("x")) is None
