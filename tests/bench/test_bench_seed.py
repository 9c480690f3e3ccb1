"""Tests of `manage.py bench_seed`: the benchmark data set is consistent and deterministic for a seed."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from apps.catalog.models import Service
from apps.deployments.models import Deployment, DeploymentEvent, DeploymentPractitionerCount
from apps.deployments.services.kpi_rollup import COUNTERS, SKETCHES
from apps.environments.models import Environment

pytestmark = pytest.mark.django_db


def test_bench_seed_generates_a_consistent_data_set():
    call_command("bench_seed", deployments=300, chunk=100)
    assert Deployment.objects.count() == 300
    assert Environment.objects.filter(slug__startswith="bench-").count() == 20
    assert Service.objects.filter(slug__startswith="bench-").count() >= 10
    # every deployment has its reference, a created event first, and events that belong to it
    first = Deployment.objects.order_by("id").first()
    assert first.reference == f"DEP-{first.pk:06d}"
    assert first.events.order_by("at").first().kind == "created"
    assert DeploymentEvent.objects.count() >= 300
    assert set(Deployment.objects.values_list("status", flat=True)) >= {"completed", "approved"}
    assert not Deployment.objects.filter(planned_end__lte=models_f("planned_start")).exists()
    # the practitioners' finished deployments are counted as the risk reads them (one a finished deployment here)
    finished = Deployment.objects.filter(status__in=("completed", "failed", "rolled_back"))
    kept = DeploymentPractitionerCount.objects.aggregate(n=Sum("deployments"))["n"]
    assert kept == Deployment.practitioners.through.objects.filter(deployment__in=finished).count() > 0


@pytest.mark.django_db(transaction=True)
def test_bench_seed_makes_the_calendar_and_practitioner_counts_beside_the_snapshot_as_a_rebuild_makes_them():
    from django.db import connection

    from apps.deployments.models import DeploymentCalendarDay, DeploymentStatusCount, MatrixEntry
    from apps.deployments.services.calendar_days import counts_rebuild
    from apps.deployments.services.practitioner_counts import practitioner_counts_rebuild

    if connection.vendor != "postgresql":
        pytest.skip("the counts are made on a second connection on PostgreSQL only")

    def counted() -> tuple:
        return tuple(
            sorted(m.objects.values_list(*fields))
            for m, fields in (
                (DeploymentCalendarDay, ("day", "environment_id", "status", "deployments")),
                (DeploymentStatusCount, ("status", "environment_id", "service_id", "model_id", "deployments")),
                (DeploymentPractitionerCount, ("user_id", "environment_id", "day", "deployments")),
            )
        )

    # when the data set is seeded outside a transaction (as `manage.py bench_seed` runs), its counts on a connection
    # of their own while the seeding one makes the statistics and the what-is-where snapshot
    out = io.StringIO()
    call_command("bench_seed", deployments=300, chunk=100, stdout=out, stderr=io.StringIO())
    seeded = counted()
    # then both are made, and the counts are exactly what the rebuilds make from the seeded deployments
    assert all(seeded) and MatrixEntry.objects.exists()
    assert f"calendar_day_rows: {len(seeded[0]):,}" in out.getvalue()
    assert f"practitioner_count_rows: {len(seeded[2]):,}" in out.getvalue()
    counts_rebuild()
    practitioner_counts_rebuild()
    assert counted() == seeded


def test_bench_seed_stores_json_columns_as_json_on_every_database():
    # given the data set loaded (COPY text on PostgreSQL, parsed back and inserted elsewhere)
    call_command("bench_seed", deployments=60, chunk=30)
    # then a deployment's knowledge links are a list and an event's data an object, not their JSON text
    assert {type(links) for links in Deployment.objects.values_list("knowledge_links", flat=True)} == {list}
    assert {type(data) for data in DeploymentEvent.objects.values_list("data", flat=True)} == {dict}
    # so JSON lookups find them
    assert Deployment.objects.filter(knowledge_links=[]).count() == 60


def models_f(name):
    from django.db.models import F

    return F(name)


def test_bench_seed_is_deterministic_for_a_seed():
    from apps.bench import dataset

    call_command("bench_seed", deployments=120, chunk=50, seed=7, engine="python")
    # the Python generator is seeded per chunk: the same chunk comes out the same, whichever process makes it
    once = dataset._chunk((1, 50, 100))
    twice = dataset._chunk((1, 50, 100))
    assert once == twice
    dataset._REF = {**dataset._REF, "seed": 8}
    assert dataset._chunk((1, 50, 100)) != once
    # and what was loaded is what the generator makes
    loaded = list(
        Deployment.objects.filter(pk__gte=dataset._REF["dep_id"] + 50, pk__lt=dataset._REF["dep_id"] + 100)
        .order_by("pk")
        .values_list("reference", flat=True)
    )
    assert loaded == [line.split("\t")[1] for line in once[1]["deployments"]]


def test_bench_seed_in_the_database_is_deterministic_for_a_seed():
    from django.db import connection

    from apps.bench import dataset, dataset_sql

    if connection.vendor != "postgresql":
        pytest.skip("the rows are made by the database on PostgreSQL only")
    # given the data set made by the database
    call_command("bench_seed", deployments=120, chunk=50, seed=7)
    params = dataset_sql.sql_params(dataset._REF)
    # then each deployment's draws are a hash of the seed and its number: the same rows whatever batch makes them
    once = dataset_sql.plan_rows(params, 50, 100)
    assert once == dataset_sql.plan_rows(params, 50, 100)
    assert once[10:20] == dataset_sql.plan_rows(params, 60, 70)
    assert dataset_sql.plan_rows({**params, "seed": 8}, 50, 100) != once
    # and what was loaded is what the plan makes
    loaded = list(
        Deployment.objects.filter(pk__gte=dataset._REF["dep_id"] + 50, pk__lt=dataset._REF["dep_id"] + 100)
        .order_by("pk")
        .values_list("pk", "title", "status", "planned_start", "actual_end")
    )
    assert loaded == [(row[1], row[21], row[12], row[2], row[17]) for row in once]


def test_bench_seed_refuses_a_database_with_deployments():
    call_command("bench_seed", deployments=10, chunk=10)
    with pytest.raises(CommandError, match="already has deployments"):
        call_command("bench_seed", deployments=10)


def _rollup_rows():
    from apps.deployments.models import DeploymentDailyRollup, DeploymentPeriodRollup

    daily = list(DeploymentDailyRollup.objects.order_by(*DAILY_ORDER).values(*DAILY_ORDER, *FIGURES))
    rows = DeploymentPeriodRollup.objects.order_by(*PERIOD_ORDER).values(*PERIOD_ORDER, *FIGURES, "lead_median")
    period = list(rows)
    return daily, period


DAILY_ORDER = ("day", "environment_id", "service_id", "model_id", "supplier_id")
PERIOD_ORDER = ("grain", "start", "environment_id", "model_id")


FIGURES = (*COUNTERS, *SKETCHES)


def _seeded_rollups_equal_a_rebuild(engine: str):
    from apps.bench.dataset import generate
    from apps.bench.reference import Sizes
    from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild

    # given a dense data set (few environments, services and models, many deployments a day) cut into small chunks,
    # so one rollup row gets deployments of several chunks
    sizes = Sizes(
        deployments=500, environments=8, services=2, components=4, models=2, users=30, years=0.1, days_ahead=2
    )
    counts = generate(sizes, seed=3, chunk=9, out=io.StringIO(), engine=engine)
    seeded = _rollup_rows()
    # then the generator's own rows cover failures, restores, ratings and days shared between chunks
    daily, period = seeded
    assert counts["kpi_rollup_rows"] == len(daily) > 0
    assert (
        sum(r["finished"] for r in daily)
        == Deployment.objects.filter(status__in=("completed", "failed", "rolled_back")).count()
    )
    assert sum(r["restore_n"] for r in daily) > 0 and sum(r["feedback_n"] for r in daily) > 0
    assert max(r["planned"] for r in daily) > 1
    assert {r["grain"] for r in period} == {"D", "W", "M", "Y"}
    assert any(r["model_id"] < -1 for r in period)  # the level rows
    assert any(r["lead_median"] is not None for r in period)
    # and they are exactly what a rebuild from the loaded deployments makes, every level
    kpi_rollup_rebuild()
    assert _rollup_rows() == seeded


@pytest.mark.parametrize("engine", ["sql", "python"])  # on SQLite both are the Python chunks
def test_bench_seed_keeps_the_kpi_rollups_the_rebuild_makes(engine):
    # inside the test's transaction the periods are added up on the loading connection
    _seeded_rollups_equal_a_rebuild(engine)


@pytest.mark.django_db(transaction=True)
def test_bench_seed_adds_up_the_periods_on_a_second_connection_to_the_same_rows():
    from django.db import connection

    from apps.bench.seed_rollups import DailyRows

    if connection.vendor != "postgresql":
        pytest.skip("the periods are added up by a second connection on PostgreSQL only")
    # outside a transaction, on PostgreSQL, a thread with its own connection adds up the periods while chunks load
    rows = DailyRows()
    assert rows.adder is not None
    rows.close()
    _seeded_rollups_equal_a_rebuild("python")


@pytest.mark.django_db(transaction=True)
def test_bench_seed_makes_rows_and_rollups_on_two_connections_to_the_same_rows():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the rows are made by the database on PostgreSQL only")
    # outside a transaction, batches of deployments and ranges of days go to two connections at once
    _seeded_rollups_equal_a_rebuild("sql")


def test_bench_seed_adds_back_the_keys_it_builds_after_the_rollups():
    from django.db import connection

    from apps.bench.rollups_sql import KeysBuiltAfter
    from apps.deployments.models import DeploymentCutRollup, DeploymentDailyRollup, DeploymentPeriodRollup

    if connection.vendor != "postgresql":
        pytest.skip("the keys are built after the load on PostgreSQL only")

    def keys(model):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "ORDER BY conname",
                [model._meta.db_table],
            )
            return cursor.fetchall()

    for model in (DeploymentDailyRollup, DeploymentPeriodRollup, DeploymentCutRollup):
        before = keys(model)
        assert {kind for _name, kind, _definition in before} >= {"p", "u"}
        # while the rows load, the table has neither its primary key nor its unique key
        with KeysBuiltAfter(model):
            assert [k for k in keys(model) if k[1] in ("p", "u")] == []
        # and after, the same constraints as before
        assert keys(model) == before


def test_bench_seed_loads_without_the_plain_indexes_keeps_the_partial_ones_and_builds_the_same_back():
    from django.db import connection

    from apps.bench.loader import IndexesDropped
    from apps.deployments.models import Check

    if connection.vendor != "postgresql":
        pytest.skip("the indexes are dropped for the load on PostgreSQL only")
    tables = [Deployment._meta.db_table, Check._meta.db_table]

    def indexes() -> dict[str, tuple[str, str]]:
        """Each index by name: its definition, and what it is ("key" of a constraint, "partial" or "plain")."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid), CASE WHEN EXISTS (SELECT 1 FROM pg_constraint k "
                "WHERE k.conindid = i.indexrelid) THEN 'key' WHEN i.indpred IS NOT NULL THEN 'partial' ELSE 'plain' "
                "END FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ANY(%s::regclass[])",
                [tables],
            )
            return {name: (definition, kind) for name, definition, kind in cursor.fetchall()}

    before = indexes()
    kept = {name for name, (_definition, kind) in before.items() if kind != "plain"}
    assert {"dep_on_its_way", "dep_planned_env_end", "check_unpassed_required"} <= kept
    # while the rows load, the tables keep their constraints' indexes and their partial ones, and no other
    with IndexesDropped([Deployment, Check]) as dropped:
        assert set(indexes()) == kept
        assert len(dropped.definitions) == len(before) - len(kept) > 20
    # and after, the same indexes as before, by the same definitions
    assert indexes() == before


@pytest.mark.django_db(transaction=True)
def test_bench_seed_makes_the_kpi_cuts_on_two_connections_as_the_rebuild_makes_them():
    from django.db import connection

    from apps.bench.dataset import generate
    from apps.bench.dataset_sql import in_thread
    from apps.bench.reference import Sizes
    from apps.bench.rollups_sql import cuts_make
    from apps.deployments.models import DeploymentCutRollup
    from apps.deployments.services.kpi_cut_rebuild import cut_rebuild

    if connection.vendor != "postgresql":
        pytest.skip("the cuts' months go to two connections on PostgreSQL only")
    # given a data set of several months
    sizes = Sizes(
        deployments=500, environments=8, services=2, components=4, models=2, users=30, years=0.3, days_ahead=2
    )
    generate(sizes, seed=3, chunk=9, out=io.StringIO(), engine="sql")
    fields = [f.name for f in DeploymentCutRollup._meta.concrete_fields if not f.primary_key]

    def rows():
        return list(
            DeploymentCutRollup.objects.order_by("day", "cut", "cut_id", "environment_id", "model_id").values(*fields)
        )

    # when the seed makes the cuts, a month a job on two connections, with the table's keys built after
    made = cuts_make(in_thread, out=io.StringIO())
    seeded = rows()
    # then it made rows over several months, and exactly those the rebuild makes on one connection
    assert made == len(seeded) > 0
    assert len({(r["day"].year, r["day"].month) for r in seeded}) > 1
    cut_rebuild()
    assert rows() == seeded


@pytest.mark.django_db(transaction=True)
def test_bench_seed_vacuums_what_the_register_reads_by_index_only_scans():
    from django.db import connection, transaction

    from apps.bench.dataset import generate
    from apps.bench.reference import Sizes

    if connection.vendor != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's")
    tables = [
        m._meta.db_table for m in (Deployment, Deployment.component_versions.through, Deployment.practitioners.through)
    ]

    def vacuums() -> dict:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE relname = ANY(%s)", [tables])
            return dict(cursor.fetchall())

    before = vacuums()
    # when a data set is seeded outside a transaction (as `manage.py bench_seed` runs)
    sizes = Sizes(
        deployments=200, environments=8, services=2, components=4, models=2, users=30, years=0.1, days_ahead=2
    )
    generate(sizes, seed=5, chunk=50, out=io.StringIO(), engine="sql")
    # then the deployments and their versions and practitioners were vacuumed, so the register's index-only scans
    # fetch no row from the tables (the machines' PostgreSQL runs without autovacuum). Pages the load's concurrent
    # inserts added ahead and never filled stay outside the visibility map, but no index entry leads to them.
    after = vacuums()
    assert all(after[t] > before.get(t, 0) for t in tables), (before, after)
    with transaction.atomic(), connection.cursor() as cursor:  # the planner's settings end with it
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM {quoted}")
            plan = cursor.fetchone()[0][0]["Plan"]
            assert (plan["Node Type"], plan["Actual Rows"] > 0, plan["Heap Fetches"]) == ("Index Only Scan", True, 0)
