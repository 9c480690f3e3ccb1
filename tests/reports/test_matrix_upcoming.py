"""What is on its way in "what is where", by service, read from the counts the services keep and a few deployments
a cell equals the deployments on their way ranked one by one, with the filters the snapshot answers; its queries do
not grow with the deployments on their way."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from apps.deployments.models import Deployment
from apps.deployments.workflow import ON_ITS_WAY, Status
from apps.reports.selectors import matrix
from apps.reports.selectors.matrix_upcoming import upcoming_rows
from tests.factories.accounts import UserFactory
from tests.factories.deployments import advance, plan, soon
from tests.plans import scans_by

pytestmark = pytest.mark.django_db


def _upcoming(data) -> list:
    return [
        (
            row.key,
            [
                (c.upcoming_count, [(u["id"], u["reference"], u["status"], u["planned_start"]) for u in c.upcoming])
                for c in row.cells
            ],
        )
        for row in data.rows
    ]


def _on_their_way(w, n: int, first: int = 20) -> None:
    """`n` deployments approved (every third one started) in test and staging, for both services."""
    boss = UserFactory(roles=["manager"])
    for i in range(n):
        service, version = ((w.service, w.version_2), (w.other_service, w.other_version))[i % 2]
        d = plan(
            requester=w.users["manager"],
            service=service,
            environment=(w.env_test, w.env_staging)[i % 3 == 0],
            versions=[version],
            start=soon(first + i, hour=8 + i % 5),  # a day each: no two windows conflict
            title=f"Coming {i}",
        )
        advance(d, to=Status.EXECUTING if i % 3 == 2 else Status.APPROVED, manager=boss)


@pytest.mark.parametrize("query", ["", "environment={test}", "environment_kind=test", "service={service}", "page=2"])
def test_what_is_on_its_way_from_the_counts_equals_the_deployments_ranked(rec, monkeypatch, query):
    # given more deployments on their way in a cell than it shows
    w = rec
    _on_their_way(w, 14)
    params = QueryDict(query.format(test=w.env_test.pk, service=w.service.pk))
    page = int(params.get("page", 1))
    # when the matrix is built from the counts, and from the deployments on their way ranked one by one
    read = matrix.matrix_build(user=w.users["manager"], params=params, page=page)
    monkeypatch.setattr(matrix, "_counts_answer", lambda entries, by: False)
    ranked = matrix.matrix_build(user=w.users["manager"], params=params, page=page)
    # then both show the same, and cells show UPCOMING_SHOWN of more
    assert _upcoming(read) == _upcoming(ranked)
    assert (read.total, read.pages, read.page) == (ranked.total, ranked.pages, ranked.page)
    if not query:
        counts = [c.upcoming_count for row in read.rows for c in row.cells]
        assert max(counts) > matrix.UPCOMING_SHOWN


def test_the_matrix_queries_do_not_grow_with_what_is_on_its_way(rec):
    w = rec

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            matrix.matrix_build(user=w.users["manager"], params=None)
        return len(ctx.captured_queries)

    queries()
    _on_their_way(w, 2)
    few = queries()
    _on_their_way(w, 10, first=40)
    assert queries() == few


def test_a_pages_cells_are_read_with_what_they_show_in_two_queries(rec, django_assert_num_queries):
    # given deployments on their way in four cells
    w = rec
    _on_their_way(w, 14)
    services = sorted({w.service.pk, w.other_service.pk})
    # when the rows of the page's services are read
    with django_assert_num_queries(2):  # the cells' counts, then every cell's first deployments
        rows = upcoming_rows(Deployment.objects.all(), {}, services, matrix.UPCOMING_SHOWN)
    # then each row is the deployment's own, with its cell's count
    deployments = Deployment.objects.in_bulk([r["id"] for r in rows])
    assert len(rows) == 4 * matrix.UPCOMING_SHOWN - 1  # one cell holds two, the others at least as many as a cell shows
    for r in rows:
        d = deployments[r["id"]]
        assert (r["reference"], r["status"], r["planned_start"]) == (d.reference, d.status, d.planned_start)
        assert (r["env_id"], r["row_key"]) == (d.environment_id, d.service_id)
        assert (
            r["count"]
            == Deployment.objects.filter(
                status__in=ON_ITS_WAY, environment_id=d.environment_id, service_id=d.service_id
            ).count()
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's plans")
def test_on_postgresql_the_cells_deployments_are_read_from_their_index_alone(rec):
    # given deployments on their way
    w = rec
    _on_their_way(w, 14)
    with CaptureQueriesContext(connection) as ctx:
        upcoming_rows(Deployment.objects.all(), {}, [w.service.pk, w.other_service.pk], matrix.UPCOMING_SHOWN)
    sql = ctx.captured_queries[-1]["sql"]
    # when PostgreSQL plans the cells' statement with that index as its only way in (the table's other indexes
    # dropped inside the test's transaction, no sequential or bitmap scan)
    scans = scans_by(sql, None, table=Deployment._meta.db_table, indexes=("dep_on_its_way",))
    # then the deployments are read by an index-only scan of the index of the deployments on their way: what a cell
    # shows of them is in the index
    read = [(kind, name) for kind, _table, name in scans if name.startswith("dep_") or kind == "Seq Scan"]
    assert read == [("Index Only Scan", "dep_on_its_way")]
