"""The history adapter: the "created" rows written by a compiled insert are those simple_history's bulk writer makes."""

import pytest
from django.test import override_settings

from apps.audit.history import history_rows
from apps.core.compiled import insert_rows
from apps.deployments.models import Deployment
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db


def _row(record) -> dict:
    return {k: v for k, v in record.__dict__.items() if k not in ("_state", "history_id", "history_date")}


def test_history_rows_are_those_simple_history_writes_in_bulk(world, django_assert_num_queries):
    # given two deployments written without history, one with a change reason
    first, second = DeploymentFactory(service=world.service), DeploymentFactory(service=world.service, model=None)
    Deployment.history.filter(id__in=[first.pk, second.pk]).delete()
    second._change_reason = "planned by a pipeline"
    actor = world.users["manager"]
    # when their history rows are made and written by the compiled insert, in one statement, and by simple_history
    with django_assert_num_queries(1):
        records = insert_rows(history_rows(instances=[first, second], default_user=actor))
    bulk = Deployment.history.bulk_history_create([first, second], default_user=actor)
    # then each record has its id and is stored as simple_history stores it
    assert [r.pk is not None for r in records] == [True, True]
    stored = {r.history_id: r for r in Deployment.history.filter(id__in=[first.pk, second.pk])}
    assert [_row(stored[r.history_id]) for r in records] == [_row(stored[r.history_id]) for r in bulk]
    assert [(r.history_type, r.history_user_id, r.history_change_reason) for r in records] == [
        ("+", actor.pk, ""),
        ("+", actor.pk, "planned by a pipeline"),
    ]
    assert [r.reference for r in records] == [first.reference, second.reference]


def test_no_history_row_while_history_is_off(world):
    deployment = DeploymentFactory(service=world.service)
    before = Deployment.history.count()
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        assert history_rows(instances=[deployment]) is None
    assert Deployment.history.count() == before
