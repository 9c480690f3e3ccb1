"""What is on its way in "what is where", by service, read from the counts the services keep and a few deployments
a cell equals the deployments on their way ranked one by one, with the filters the snapshot answers; its queries do
not grow with the deployments on their way."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from apps.deployments.workflow import Status
from apps.reports.selectors import matrix
from tests.factories.accounts import UserFactory
from tests.factories.deployments import advance, plan, soon

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
