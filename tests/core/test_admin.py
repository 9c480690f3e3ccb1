"""Tests of apps/core/admin.py: ReadOnlyAdmin, the one admin of rows only services write."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from apps.core.admin import ReadOnlyAdmin
from apps.deployments.models import Approval, Feedback
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.parametrize(("model", "superuser_deletes"), [(Approval, False), (Feedback, True)])
def test_nobody_adds_or_changes_and_only_where_allowed_a_superuser_deletes(model, superuser_deletes):
    # given the registered admin of a record written by services, a superuser and a manager
    model_admin = admin.site._registry[model]
    superuser = _request(UserFactory(is_superuser=True, is_staff=True))
    manager = _request(UserFactory(roles=["manager"], is_staff=True))
    # then it is a ReadOnlyAdmin: nobody adds or changes, and only a superuser deletes where it is allowed
    assert isinstance(model_admin, ReadOnlyAdmin)
    for request in (superuser, manager):
        assert model_admin.has_add_permission(request) is False
        assert model_admin.has_change_permission(request) is False
    assert model_admin.has_delete_permission(superuser) is superuser_deletes
    assert model_admin.has_delete_permission(manager) is False
