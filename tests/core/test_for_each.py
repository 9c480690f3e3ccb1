"""One query run for each of many sets of values in one statement: the rows each set would read alone."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q

from apps.core.for_each import CompiledForEach, _array_text
from apps.deployments.models import Deployment
from apps.deployments.workflow import Status
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db

START, END = dt.datetime(1901, 1, 2, 3, 4, 5, 678, tzinfo=dt.UTC), dt.datetime(1901, 1, 2, 3, 4, 5, 789, tzinfo=dt.UTC)
ENVIRONMENT = -9_000_003
DAY = dt.datetime(2031, 3, 1, tzinfo=dt.UTC)


def _at(hours: int) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours)


def _page(start, end, environment, *, first: int):
    """The deployments of an environment planned to start in [start, end), not drafts, first `first` by start."""
    return (
        Deployment.objects.filter(planned_start__gte=start, planned_start__lt=end, environment_id=environment)
        .exclude(status=Status.DRAFT)
        .order_by("planned_start", "id")
        .values_list("id", "planned_start", "reference")[:first]
    )


def test_each_set_reads_what_the_query_reads_with_its_values_alone(world, django_assert_num_queries):
    # given deployments over two environments and a day, a draft among them (excluded by a condition of no mark)
    environments = [world.env_test, world.env_staging]
    for hours in (1, 2, 3, 5, 8, 13, 21):
        for environment in environments:
            DeploymentFactory(
                environment=environment, status=Status.APPROVED, planned_start=_at(hours), planned_end=_at(hours + 1)
            )
    DeploymentFactory(environment=world.env_test, planned_start=_at(2), planned_end=_at(3), status=Status.DRAFT)
    query = CompiledForEach(
        _page(START, END, ENVIRONMENT, first=2),
        marks={"start": START, "end": END, "environment": ENVIRONMENT},
        using="default",
    )
    # sets of values: windows of the day in each environment, one empty, one set twice
    sets = [
        {"start": _at(a), "end": _at(b), "environment": environment.pk}
        for a, b in ((0, 4), (4, 12), (12, 24), (22, 23), (0, 4))
        for environment in environments
    ]
    # when they are read together, in one statement
    with django_assert_num_queries(1):
        rows = query.rows(sets)
    # then each set's rows are those its own query reads (limit, order and the other condition kept), as Django
    # gives them (datetimes, on SQLite too), and nothing else
    assert rows
    for i, values in enumerate(sets):
        mine = sorted((row[1:] for row in rows if row[0] == i), key=lambda row: (row[1], row[0]))
        assert mine == list(_page(values["start"], values["end"], values["environment"], first=2))
    assert {row[0] for row in rows} == {i for i, values in enumerate(sets) if values["start"] != _at(22)}
    assert all(isinstance(row[2], dt.datetime) for row in rows)
    assert len(rows) == sum(len(_page(v["start"], v["end"], v["environment"], first=2)) for v in sets)


def test_no_sets_read_nothing(world, django_assert_num_queries):
    query = CompiledForEach(
        _page(START, END, ENVIRONMENT, first=1), marks={"start": START, "end": END}, using="default"
    )
    with django_assert_num_queries(0):
        assert query.rows([]) == []


def test_a_mark_used_twice_takes_its_value_in_both_places(world):
    # given deployments at several hours, and a query whose stand-in is both a bound and part of an OR
    at = [DeploymentFactory(planned_start=_at(h), planned_end=_at(h + 1)) for h in (1, 2, 3)]
    qs = Deployment.objects.filter(Q(planned_start=START) | Q(planned_end=START)).values_list("pk")
    query = CompiledForEach(qs, marks={"start": START}, using="default")
    # when it is read for the second's start and for the second's end
    rows = query.rows([{"start": _at(2)}, {"start": _at(3)}])
    # then the first set finds the second deployment (by its start) and the first (by its end), the other the third
    # (by its start) and the second (by its end)
    assert sorted(rows) == sorted([(0, at[1].pk), (0, at[0].pk), (1, at[2].pk), (1, at[1].pk)])


def test_model_instances_and_missing_stand_ins_are_refused():
    with pytest.raises(ValueError, match="values"):
        CompiledForEach(Deployment.objects.filter(pk=ENVIRONMENT), marks={"pk": ENVIRONMENT}, using="default")
    with pytest.raises(ValueError, match="mark"):
        CompiledForEach(Deployment.objects.filter(pk=1).values_list("pk"), marks={"pk": ENVIRONMENT}, using="default")


def test_more_sets_than_a_compound_select_holds_are_each_read(world, django_assert_num_queries):
    # given deployments in hours on either side of the 500th and the 1,000th, two in one hour (one read: the first by
    # start), one a draft (excluded by a condition of no mark), one in another environment
    hours = (3, 499, 500, 501, 999, 1000, 1001, 1150, 1150, 1199)
    made = [
        DeploymentFactory(
            environment=world.env_test,
            status=Status.APPROVED,
            planned_start=_at(h) + dt.timedelta(minutes=n),
            planned_end=_at(h + 1),
        )
        for n, h in enumerate(hours)
    ]
    DeploymentFactory(environment=world.env_test, status=Status.DRAFT, planned_start=_at(700), planned_end=_at(701))
    DeploymentFactory(environment=world.env_staging, status=Status.APPROVED, planned_start=_at(8), planned_end=_at(9))
    query = CompiledForEach(
        _page(START, END, ENVIRONMENT, first=1),
        marks={"start": START, "end": END, "environment": ENVIRONMENT},
        using="default",
    )
    # when 1,200 sets (an hour each, in the first environment) are read: more than SQLite takes in one compound SELECT
    sets = [{"start": _at(h), "end": _at(h + 1), "environment": world.env_test.pk} for h in range(1_200)]
    # in one statement on PostgreSQL; elsewhere in statements of 500 sub-queries, three
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        rows = query.rows(sets)
    # then each set's row is the first deployment of its hour, numbered by the set's place among all 1,200
    by_hour = {}
    for h, d in zip(hours, made, strict=True):
        by_hour.setdefault(h, d)
    expected = [(h, d.pk, d.planned_start, d.reference) for h, d in by_hour.items()]
    assert sorted(rows) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the LATERAL statement is PostgreSQL's")
def test_the_statement_is_one_text_whatever_the_number_of_sets(world):
    # given the query compiled once
    query = CompiledForEach(
        _page(START, END, ENVIRONMENT, first=2),
        marks={"start": START, "end": END, "environment": ENVIRONMENT},
        using="default",
    )

    def sets(n: int) -> list[dict]:
        return [{"start": _at(i), "end": _at(i + 1), "environment": world.env_test.pk} for i in range(n)]

    # when the statements for 3 and for 300 sets are made
    (few, few_params), (many, many_params) = query._lateral_statement(sets(3)), query._lateral_statement(sets(300))
    # then their text and their number of parameters are the same (the driver parses a text once, and keeps only
    # short ones), each mark's values in one array's text
    assert few == many and len(few) < 4096
    assert len(few_params) == len(many_params)
    assert many_params[0] == "{" + ",".join(str(i) for i in range(300)) + "}"
    assert many_params[1].startswith("{" + _at(0).isoformat() + ",")
    assert many_params[3] == "{" + ",".join([str(world.env_test.pk)] * 300) + "}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="array texts are PostgreSQL's")
def test_an_array_text_is_what_the_database_reads_back():
    # given integers, booleans, aware datetimes (UTC and another offset) and nulls, as array texts
    moments = [START, dt.datetime(2031, 3, 1, 23, 30, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))), None]
    with connection.cursor() as cursor:
        # when the database casts them
        cursor.execute(
            "SELECT %s::bigint[], %s::boolean[], %s::timestamp with time zone[]",
            [_array_text([1, -2, None, 10**12]), _array_text([True, False, None]), _array_text(moments)],
        )
        # then it reads the same values
        assert cursor.fetchone() == ([1, -2, None, 10**12], [True, False, None], moments)
    # and a value of another type has no array text
    assert _array_text(["text"]) is None
