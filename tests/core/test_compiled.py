"""Querysets compiled once per process: the same rows and instances as the ORM's, each call with its own values."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count, Exists, IntegerField, OuterRef, Value
from django.db.models.functions import Upper

from apps.catalog.models import ComponentVersion, Service
from apps.core.compiled import (
    CompiledCrossJoin,
    CompiledQuery,
    CompiledUnion,
    InsertsTogether,
    insert_rows,
)
from apps.deployments.models import Deployment, DeploymentEvent
from apps.deployments.workflow import Status
from apps.environments.models import Environment
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


def test_a_compiled_insert_writes_the_rows_bulk_create_writes(world, django_assert_num_queries):
    # given a deployment written by the ORM, and two events of it made alike
    deployment = DeploymentFactory(service=world.service)
    at = dt.datetime(2031, 5, 6, 7, 8, tzinfo=dt.UTC)
    events = [
        DeploymentEvent(deployment=deployment, at=at, kind="created", comment=f"row {i}", data={"n": i})
        for i in range(2)
    ]
    orm = [DeploymentEvent(deployment=deployment, at=at, kind="created", comment="orm", data={"n": 9})]
    DeploymentEvent.objects.bulk_create(orm)
    # when they are inserted by the compiled insert, in one statement
    with django_assert_num_queries(1):
        assert insert_rows(events) == events
    # then each has its id, in the list's order, and is stored as bulk_create stores a row
    assert events[0].pk < events[1].pk and not events[0]._state.adding and events[0]._state.db == "default"
    read = {e.pk: e for e in DeploymentEvent.objects.filter(pk__in=[e.pk for e in [*events, *orm]])}
    for event in [*events, *orm]:
        stored = read[event.pk]
        assert {k: v for k, v in stored.__dict__.items() if k != "_state"} == {
            k: v for k, v in event.__dict__.items() if k not in ("_state",)
        }


def test_a_compiled_insert_keeps_given_ids_and_falls_back_on_expressions(world):
    # given a deployment with its id chosen, and one whose reference is an expression for the database
    made = {"service": world.service, "environment": world.env_staging, "requester": world.users["manager"]}
    given = DeploymentFactory.build(**made, pk=9_000_123)
    default = DeploymentFactory.build(**made)
    given.reference, default.reference = "DEP-X", Upper(Value("dep-y"))
    # when both are inserted
    insert_rows([given])
    insert_rows([default])
    # then the first keeps its id and the second is written by bulk_create, its reference worked out
    assert Deployment.objects.get(pk=9_000_123).reference == "DEP-X"
    assert Deployment.objects.filter(reference="DEP-Y").count() == 1


def _one_row(queryset, **aggregates):
    """An aggregate as a query of one row (grouped by a constant), as the risk score's counts are."""
    one = Value(1, output_field=IntegerField())
    return queryset.order_by().annotate(one=one).values("one").annotate(**aggregates).values(*aggregates)


def test_queries_read_together_give_what_each_reads_alone_in_one_statement(world, django_assert_num_queries):
    # given a union of three queries, of three models, compiled once: a service, two component versions (with their
    # component) and the ids of environments as values
    union = CompiledUnion(
        [
            Service.objects.filter(pk__in=[PK]),
            ComponentVersion.objects.select_related("component").filter(pk__in=[PK - 1, PK - 2]).order_by("pk"),
            Environment.objects.filter(pk__in=[PK - 3]).values_list("pk", "name"),
        ],
        marks={"service": PK, "a": PK - 1, "b": PK - 2, "environment": PK - 3},
        using="default",
    )
    versions = [world.version_2, world.other_version]
    # when it is run, in one statement
    with django_assert_num_queries(1):
        services, read_versions, environments = union.fetch(
            service=world.service.pk, a=versions[0].pk, b=versions[1].pk, environment=world.env_test.pk
        )
    # then each query's rows are those the ORM reads, joined rows included
    orm_service = Service.objects.get(pk=world.service.pk)
    assert services == [orm_service]
    assert {k: v for k, v in services[0].__dict__.items() if k != "_state"} == {
        k: v for k, v in orm_service.__dict__.items() if k != "_state"
    }
    orm = list(
        ComponentVersion.objects.select_related("component").filter(pk__in=[v.pk for v in versions]).order_by("pk")
    )
    assert read_versions == orm
    for read, row in zip(read_versions, orm, strict=True):
        assert {k: v for k, v in read.__dict__.items() if k != "_state"} == {
            k: v for k, v in row.__dict__.items() if k != "_state"
        }
        assert read.component.name == row.component.name
    assert environments == [(world.env_test.pk, world.env_test.name)]


def test_a_query_read_together_that_finds_nothing_reads_no_row(world):
    # given a union of two queries, and an id that names nothing
    union = CompiledUnion(
        [Service.objects.filter(pk__in=[PK]), Environment.objects.filter(pk__in=[PK - 1])],
        marks={"service": PK, "environment": PK - 1},
        using="default",
    )
    # when it is run, then the first reads nothing and the second its row
    assert union.fetch(service=0, environment=world.env_test.pk) == [[], [world.env_test]]
    assert union.fetch(service=0, environment=0) == [[], []]


def test_one_row_queries_read_side_by_side_by_column_name(world):
    # given two one-row counts compiled together, filtered on a service and a moment
    first = DeploymentFactory(service=world.service, planned_start=dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
    joined = CompiledCrossJoin(
        [
            _one_row(Deployment.objects.filter(service_id=PK), planned=Count("id")),
            _one_row(Deployment.objects.filter(planned_start__gt=AFTER), later=Count("id")),
        ],
        marks={"service": PK, "after": AFTER},
        using="default",
    )
    # when it is run, then it is one row of both counts by name
    after = dt.datetime(2030, 12, 1, tzinfo=dt.UTC)
    expected_later = Deployment.objects.filter(planned_start__gt=after).count()
    assert joined.row(service=first.service_id, after=after) == {
        "planned": Deployment.objects.filter(service_id=first.service_id).count(),
        "later": expected_later,
    }
    assert joined.row(service=0, after=after) == {"planned": 0, "later": expected_later}


def test_rows_of_several_models_are_inserted_together_as_each_alone(world, django_assert_num_queries):
    # given a deployment with its id chosen, its history row made from it once bound, and two events of it
    made = {"service": world.service, "environment": world.env_staging, "requester": world.users["manager"]}
    deployment = DeploymentFactory.build(**made, pk=9_000_321)
    deployment.reference = "DEP-9000321"
    at = dt.datetime(2031, 5, 6, 7, 8, tzinfo=dt.UTC)
    events = [DeploymentEvent(deployment=deployment, at=at, kind="created", comment=f"row {i}") for i in range(2)]
    together = InsertsTogether(using="default")
    # when they are added and run: one statement on PostgreSQL, one per list elsewhere
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        together.add([deployment])
        history = Deployment.history.model(
            history_date=at,
            history_type="+",
            **{f.attname: getattr(deployment, f.attname) for f in Deployment.history.model.tracked_fields},
        )
        together.add([history])
        together.add(events)
        together.add([])
        together.run()
    # then each row is stored as written, with the ids the database gave, and the history saw the bound row
    stored = Deployment.objects.get(pk=9_000_321)
    assert stored.created_at == deployment.created_at is not None and history.created_at == deployment.created_at
    assert Deployment.history.get(history_id=history.history_id).reference == "DEP-9000321"
    assert [e.pk for e in events] == list(
        DeploymentEvent.objects.filter(deployment_id=9_000_321).order_by("pk").values_list("pk", flat=True)
    )
    assert not deployment._state.adding and not events[0]._state.adding


def test_a_list_that_needs_bulk_create_is_written_after_those_waiting(world):
    # given a deployment waiting to be inserted, and eleven events of it (past the compiled inserts' rows)
    made = {"service": world.service, "environment": world.env_staging, "requester": world.users["manager"]}
    deployment = DeploymentFactory.build(**made, pk=9_000_322)
    deployment.reference = "DEP-9000322"
    events = [DeploymentEvent(deployment=deployment, at=AFTER, kind="created", comment=f"{i}") for i in range(11)]
    together = InsertsTogether(using="default")
    together.add([deployment])
    # when the events are added, the deployment is inserted first, then they are
    together.add(events)
    together.run()
    assert DeploymentEvent.objects.filter(deployment_id=9_000_322).count() == 11
