"""The practitioners' experience in a risk score (apps/deployments/risk/selectors.py: `_experience` and
`_experience_edges`): read from the counts kept per practitioner, environment and UTC day, with the two days the year's
bounds cut through counted from the deployments, it equals the count of the deployments finished in the year before
`as_of` to the microsecond, at any `as_of`; it costs no query of its own; on PostgreSQL it reads rows bounded by the
days of a year, not by the deployments finished in it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.deployments import workflow
from apps.deployments.models import Deployment, DeploymentPractitionerCount
from apps.deployments.risk import selectors
from apps.deployments.risk.score import EXPERIENCE_DAYS
from apps.deployments.risk.selectors import risk_inputs
from apps.deployments.services.practitioner_counts import practitioner_counts_rebuild
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory, MaintenanceWindowFactory

pytestmark = pytest.mark.django_db
YEAR = dt.timedelta(days=EXPERIENCE_DAYS)
US = dt.timedelta(microseconds=1)
KEPT = DeploymentPractitionerCount._meta.db_table
NOON = dt.datetime(2030, 3, 1, 12, tzinfo=dt.UTC)
AS_OFS = {
    "midnight": dt.datetime(2030, 3, 1, tzinfo=dt.UTC),
    "mid-day": dt.datetime(2030, 3, 1, 10, 17, 3, 250, tzinfo=dt.UTC),
    "a microsecond before midnight": dt.datetime(2030, 3, 1, tzinfo=dt.UTC) - US,
    "mid-day in another zone": dt.datetime(2030, 3, 1, 3, 30, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
}


def _direct(user, environment, as_of) -> int:
    """The experience as it was read before the counts were kept: every link of the practitioner to a deployment of
    the environment that finished in the year before `as_of`."""
    return Deployment.practitioners.through.objects.filter(
        user_id=user.pk,
        deployment__environment_id=environment.pk,
        deployment__status__in=workflow.FINISHED,
        deployment__actual_end__gte=as_of - YEAR,
        deployment__actual_end__lt=as_of,
    ).count()


def _ends_around(as_of: dt.datetime) -> list[dt.datetime]:
    """Actual ends on both sides of each bound of the year before `as_of` and of the UTC midnights next to them."""
    start = as_of - YEAR
    first_end = dt.datetime.combine(start.astimezone(dt.UTC).date() + dt.timedelta(days=1), dt.time(tzinfo=dt.UTC))
    last_start = dt.datetime.combine(as_of.astimezone(dt.UTC).date(), dt.time(tzinfo=dt.UTC))
    moments = [start, first_end, last_start, as_of]
    return [m + d for m in moments for d in (-US, dt.timedelta(0), US)] + [start + dt.timedelta(days=100)]


@pytest.fixture
def history(db):
    """A plan in an environment, Pat and Sam assigned, and a builder of finished deployments (written as rows)."""
    env = EnvironmentFactory(name="Test A")
    pat = UserFactory(username="pat", first_name="Pat", last_name="Doe")
    sam = UserFactory(username="sam", first_name="Sam", last_name="Roe")
    plan = DeploymentFactory(environment=env, planned_start=NOON + dt.timedelta(days=3))

    def finished(ends, people, *, environment=env, status=Status.COMPLETED):
        for end in ends:
            DeploymentFactory(environment=environment, status=status, actual_end=end, practitioners=people, versions=[])

    return env, pat, sam, plan, finished


@pytest.mark.parametrize("moment", AS_OFS)
def test_the_experience_equals_the_count_of_the_deployments_finished_in_the_year_before(history, moment):
    # given deployments finished on either side of every bound of the year before `as_of` and of the midnights next
    # to them (Pat on all, Sam on every other), and others that do not count: in another environment, cancelled
    as_of = AS_OFS[moment]
    env, pat, sam, plan, finished = history
    ends = _ends_around(as_of)
    finished(ends[::2], [pat, sam])
    finished(ends[1::2], [pat])
    finished(ends, [pat, sam], environment=EnvironmentFactory())
    finished(ends, [pat, sam], status=Status.CANCELLED)
    practitioner_counts_rebuild()  # the rows were written as they are, not through the transitions
    # when the plan is scored as of that moment
    with CaptureQueriesContext(connection) as read:
        inputs = risk_inputs(deployment=plan, as_of=as_of, versions=[], practitioners=[pat, sam])
    # then each practitioner's count is the direct count, to the microsecond at both bounds
    expected = (("Pat Doe", _direct(pat, env, as_of)), ("Sam Roe", _direct(sam, env, as_of)))
    assert inputs.practitioners == expected
    # (Pat's: the year's start and a microsecond after it, the midnights and a microsecond either side of them,
    # a microsecond before as_of, a day inside; at midnight, as_of is the last midnight)
    assert expected[0][1] == (8 if moment == "midnight" else 10)
    # and the whole days were read from the kept counts
    assert sum(1 for q in read.captured_queries if KEPT in q["sql"]) == 1


def test_a_deployment_finished_exactly_a_year_before_counts_and_one_at_as_of_does_not(history):
    # given Pat's deployments finished exactly 365 days before a mid-day `as_of`, and exactly at it
    env, pat, _, plan, finished = history
    finished([NOON - YEAR, NOON], [pat])
    practitioner_counts_rebuild()
    # then the first counts and the second does not, as the direct count says
    inputs = risk_inputs(deployment=plan, as_of=NOON, versions=[], practitioners=[pat])
    assert inputs.practitioners == (("Pat Doe", 1),) == (("Pat Doe", _direct(pat, env, NOON)),)


def test_the_experience_is_read_in_the_counts_query_at_no_query_of_its_own(history, django_assert_num_queries):
    # given a plan in an environment that requires maintenance windows, two practitioners with a history there
    env, pat, sam, plan, finished = history
    finished([NOON - dt.timedelta(days=d, hours=3) for d in range(0, 400, 7)], [pat, sam])
    practitioner_counts_rebuild()
    env.requires_maintenance_window = True
    env.save()
    MaintenanceWindowFactory(environment=env)
    # when it is scored, then the records are read in two queries as before: the counts (the kept counts and both
    # edge days among them) and the maintenance windows
    with django_assert_num_queries(2) as read:
        inputs = risk_inputs(deployment=plan, as_of=NOON, versions=[], practitioners=[pat, sam])
    counts = [q["sql"] for q in read.captured_queries if KEPT in q["sql"]]
    assert len(counts) == 1 and Deployment._meta.db_table in counts[0]
    assert inputs.practitioners == (("Pat Doe", _direct(pat, env, NOON)), ("Sam Roe", _direct(sam, env, NOON)))
    assert inputs.practitioners[0][1] == 53


# --- what PostgreSQL reads ---------------------------------------------------------------------------------------


def _copies(template: Deployment, count: int, *, hours: float) -> None:
    """`count` copies of `template` (and of its practitioner links), one every `hours` before its actual end."""
    columns = [f.column for f in Deployment._meta.concrete_fields if not f.primary_key]
    values = {
        "reference": "NULL",
        "actual_end": "d.actual_end - g * %(step)s * interval '1 hour'",
        "actual_start": "d.actual_start - g * %(step)s * interval '1 hour'",
    }
    select = ", ".join(values.get(c, f"d.{c}") for c in columns)
    links = Deployment.practitioners.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH made AS (INSERT INTO {Deployment._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {select} FROM {Deployment._meta.db_table} d, generate_series(1, %(count)s) g "
            "WHERE d.id = %(pk)s RETURNING id) "
            f"INSERT INTO {links} (deployment_id, user_id) SELECT made.id, l.user_id FROM made, {links} l "
            "WHERE l.deployment_id = %(pk)s",
            {"step": hours, "count": count, "pk": template.pk},
        )
        cursor.execute(f"ANALYZE {Deployment._meta.db_table}; ANALYZE {links}; ANALYZE {KEPT}")  # noqa: S608


def _rows_read(queryset) -> int:
    """The rows PostgreSQL's plan of `queryset` read from tables and indexes (returned or filtered out, every loop)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else __import__("json").loads(plan)

    def walk(node) -> int:
        own = 0
        if "Relation Name" in node or "Index Name" in node:
            removed = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
            own = (node["Actual Rows"] + removed) * node["Actual Loops"]
        return own + sum(walk(child) for child in node.get("Plans", []))

    return walk(plan[0]["Plan"])


def _experience_rows_read(facts) -> int:
    return _rows_read(selectors._experience(facts)) + _rows_read(selectors._experience_edges(facts))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans")
def test_on_postgresql_the_experience_reads_rows_bounded_by_the_year_s_days_not_its_deployments(history):
    # given Pat's deployments in the environment over the year before NOON: one every twelve hours, then one every
    # two hours (six times as many), counted as the services would have
    env, pat, sam, plan, _ = history
    template = DeploymentFactory(
        environment=env, status=Status.COMPLETED, actual_start=NOON - dt.timedelta(hours=1), actual_end=NOON,
        practitioners=[pat, sam], versions=[],
    )  # fmt: skip
    facts = selectors._Facts(
        service_id=plan.service_id, model_id=None, environment_id=env.pk, kind=env.kind, exclude_pk=plan.pk,
        component_ids=(), version_ids=(), user_ids=(pat.pk, sam.pk), as_of=NOON,
    )  # fmt: skip
    _copies(template, 2 * 366, hours=12)
    practitioner_counts_rebuild()
    _copies(template, 0, hours=0)  # (statistics)
    sparse = _experience_rows_read(facts)
    _copies(template, 10 * 366, hours=12 / 5 + 0.01)  # not on the half days: other moments of the day
    practitioner_counts_rebuild()
    _copies(template, 0, hours=0)
    dense = _experience_rows_read(facts)
    in_the_year = _direct(pat, env, NOON)
    # then the read grows by at most a quarter with six times the deployments, and stays far below them: a row per
    # practitioner and day, and the deployments of the two edge days
    assert in_the_year > 4000
    assert dense <= 1.25 * sparse
    assert dense < in_the_year / 4
    inputs = risk_inputs(deployment=plan, as_of=NOON, versions=[], practitioners=[pat])
    assert inputs.practitioners == (("Pat Doe", in_the_year),)
