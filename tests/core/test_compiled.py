"""Querysets compiled once per process: the same rows and instances as the ORM's, each call with its own values."""

import datetime as dt

import pytest
from django.db.models import Exists, OuterRef

from apps.core.compiled import CompiledQuery
from apps.deployments.models import Deployment, DeploymentEvent
from apps.deployments.workflow import Status
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db

PK, AFTER = -9_000_001, dt.datetime(1901, 1, 2, 3, 4, 5, 678, tzinfo=dt.UTC)


def _deployments(pk):
    return (
        Deployment.objects.select_related("environment", "service", "model", "requester")
        .annotate(has_events=Exists(DeploymentEvent.objects.filter(deployment=OuterRef("pk"))))
        .filter(pk=pk)
    )


def test_a_compiled_query_reads_the_instances_the_orm_reads(world, django_assert_num_queries):
    # given two deployments, and the query of one by its id compiled once
    first, second = DeploymentFactory(service=world.service), DeploymentFactory(service=world.service, model=None)
    query = CompiledQuery(_deployments(PK), marks={"pk": PK})
    for d in (first, second):
        # when it is run for each, in one query
        with django_assert_num_queries(1):
            (read,) = query.fetch(pk=d.pk)
        # then it reads what the ORM reads: the row, its joined rows (none for a null key) and its annotations
        (orm,) = _deployments(d.pk)
        assert {k: v for k, v in read.__dict__.items() if k != "_state"} == {
            k: v for k, v in orm.__dict__.items() if k != "_state"
        }
        assert read.environment == orm.environment and read.requester == orm.requester
        assert read.model == orm.model
        with django_assert_num_queries(0):
            assert read.service.name == orm.service.name
    assert query.fetch(pk=0) == []


def test_a_compiled_values_query_binds_datetimes_as_the_backend_does(world):
    # given deployments planned at different times
    early = DeploymentFactory(status=Status.DRAFT, planned_start=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    late = DeploymentFactory(status=Status.DRAFT, planned_start=dt.datetime(2030, 6, 1, tzinfo=dt.UTC))
    query = CompiledQuery(
        Deployment.objects.filter(pk__in=[PK, PK - 1], planned_start__gt=AFTER).order_by("pk").values_list("pk"),
        marks={"a": PK, "b": PK - 1, "after": AFTER},
    )
    # when it is run with a time between them, then only the later one is read
    ids = {"a": early.pk, "b": late.pk}
    assert query.rows(**ids, after=dt.datetime(2030, 3, 1, tzinfo=dt.UTC)) == [(late.pk,)]
    assert len(query.rows(**ids, after=dt.datetime(2029, 1, 1, tzinfo=dt.UTC))) == 2


def test_a_stand_in_missing_from_the_query_is_refused():
    with pytest.raises(ValueError, match="mark"):
        CompiledQuery(Deployment.objects.filter(pk=1), marks={"pk": PK})
