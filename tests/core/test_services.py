"""Tests of apps/core/services.py: model_update writes only the given fields, after full_clean()."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.models import Supplier
from apps.core.exceptions import ConflictError
from apps.core.services import model_save, model_update
from apps.environments.models import Environment
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db


def test_model_update_saves_the_given_fields_and_the_timestamp_only():
    # given an environment, and a concurrent change of another field that our copy does not know
    env = EnvironmentFactory(name="Staging", purpose="old")
    stamp = env.updated_at
    Environment.objects.filter(pk=env.pk).update(purpose="changed elsewhere")
    # when we update its name
    with CaptureQueriesContext(connection) as queries:
        model_update(instance=env, fields={"name": "Staging 2"}, allowed={"name", "purpose"})
    [update] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert update.split(" SET ")[1].split(" WHERE ")[0].count("=") == 2  # name and updated_at
    # then the name and the timestamp are saved, and the other change is kept
    env.refresh_from_db()
    assert (env.name, env.purpose) == ("Staging 2", "changed elsewhere")
    assert env.updated_at > stamp


def test_model_update_refuses_a_field_outside_allowed_and_writes_nothing():
    env = EnvironmentFactory(name="Staging")
    with pytest.raises(ValidationError) as refused:
        model_update(instance=env, fields={"name": "X", "slug": "x"}, allowed={"name"})
    assert refused.value.message_dict == {"slug": ["This field cannot be changed here."]}
    env.refresh_from_db()
    assert env.name == "Staging"


def test_model_update_runs_full_clean_and_the_check():
    # given an environment
    env = EnvironmentFactory(name="Staging")
    seen = []
    # when the new value is invalid, then full_clean refuses it after the check ran on the assigned value
    with pytest.raises(ValidationError) as refused:
        model_update(instance=env, fields={"name": ""}, allowed={"name"}, check=lambda e: seen.append(e.name))
    assert "name" in refused.value.message_dict
    assert seen == [""]
    env.refresh_from_db()
    assert env.name == "Staging"


def test_model_update_inserts_a_new_row_whole():
    supplier = model_update(instance=Supplier(), fields={"name": "Acme", "kind": "vendor"}, allowed={"name", "kind"})
    assert Supplier.objects.get(pk=supplier.pk).name == "Acme"


def test_a_lost_race_for_a_unique_value_is_the_clash_error_never_a_500():
    # given two suppliers, the second renamed to the first's name behind full_clean's back
    Supplier.objects.create(name="Acme", kind="vendor")
    other = Supplier.objects.create(name="Other", kind="vendor")
    other.name = "Acme"
    other.full_clean = lambda **kwargs: None  # the check passed before the other write committed
    # when it is saved, then the database's refusal is the clash error the caller chose
    with pytest.raises(ConflictError, match="^Saved at the same time.$"):
        model_save(other, clash=lambda: ConflictError("Saved at the same time."))
    with pytest.raises(ValidationError):
        model_save(other)
