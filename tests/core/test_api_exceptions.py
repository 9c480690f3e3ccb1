"""Tests of apps/core/api/exceptions.py: every error becomes JSON with the right status."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions

from apps.core.api.exceptions import exception_handler
from apps.core.exceptions import ConflictError


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (ValidationError({"planned_end": ["The end must be after the start."]}), 400, "invalid"),
        (ValidationError("Bad input."), 400, "invalid"),
        (PermissionDenied("The requester cannot approve their own deployment."), 403, "permission_denied"),
        (Http404(), 404, "not_found"),
        (
            ConflictError("Overlaps DEP-000001.", code="schedule_conflict", conflicts=["DEP-000001"]),
            409,
            "schedule_conflict",
        ),
        (OperationalError("connection refused"), 503, "database_unavailable"),
        (exceptions.ValidationError({"title": ["This field is required."]}), 400, "invalid"),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
    ],
)
def test_exceptions_become_json_with_status_and_code(exc, status, code):
    response = exception_handler(exc, {})
    assert response.status_code == status
    assert response.data["code"] == code
    assert isinstance(response.data["detail"], str) and response.data["detail"]


def test_field_errors_are_kept_and_summarised():
    response = exception_handler(ValidationError({"planned_end": ["The end must be after the start."]}), {})
    assert response.data["errors"] == {"planned_end": ["The end must be after the start."]}
    assert response.data["detail"] == "planned_end: The end must be after the start."


def test_conflicts_are_listed():
    response = exception_handler(ConflictError("Clash.", conflicts=["DEP-000001", "DEP-000002"]), {})
    assert response.data["conflicts"] == ["DEP-000001", "DEP-000002"]


def test_other_exceptions_are_left_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None
