"""The values an insert binds (apps/core/binding.py): each as Django's field prepares it, of the same type."""

import datetime as dt

import pytest
from django.db import connection

from apps.audit.history import history_rows
from apps.audit.models import AuditEntry
from apps.core.binding import db_values, field_binders
from apps.deployments.models import DeploymentEvent
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db

AFTER = dt.datetime(1901, 1, 2, 3, 4, 5, 678, tzinfo=dt.UTC)


def test_an_insert_binds_each_value_as_the_field_prepares_it(world):
    # given a deployment and its history row and event, with text, empty text, booleans, nulls, ids, times and JSON
    deployment = DeploymentFactory(service=world.service, model=None, is_rollback=True, requirements="")
    event = DeploymentEvent(deployment=deployment, at=AFTER, kind="created", data={"a": [1, None]})
    entry = AuditEntry(at=AFTER, actor=None, actor_name="system", channel="api", action="x", changes={"k": "v"})
    for obj in (deployment, *history_rows(instances=[deployment], default_user=None), event, entry):
        # (but `auto_now` and `auto_now_add` times, which pre_save makes anew at each call of an insert)
        fields = [
            f
            for f in type(obj)._meta.concrete_fields
            if not f.generated and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False)
        ]
        # then every value is bound as get_db_prep_save gives it, of the same type (bound parameters are typed)
        expected = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
        bound = db_values(field_binders(fields), obj, connection)
        assert [_comparable(v) for v in bound] == [_comparable(v) for v in expected]


def _comparable(value):
    """A bound value and its type (psycopg's JSON wrapper by the object it wraps: it does not compare by value)."""
    return type(value), getattr(value, "obj", value)
