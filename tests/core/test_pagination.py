"""Tests of apps/core/pagination.py: keyset pages visit every row once, in order, both ways, NULL keys included."""

import datetime as dt

import pytest

from apps.core.pagination import capped_count, keyset_page
from apps.deployments.models import Deployment
from tests.factories.deployments import DeploymentFactory, soon

pytestmark = pytest.mark.django_db


def _rows():
    base = soon(1)
    made = []
    for i in range(23):
        start = None if i % 7 == 0 else base + dt.timedelta(hours=i % 5)  # NULLs and ties
        made.append(
            DeploymentFactory(planned_start=start, planned_end=start + dt.timedelta(hours=1) if start else None)
        )
    return made


def _expected(descending: bool):
    rows = list(Deployment.objects.all())
    nulls = sorted((d for d in rows if d.planned_start is None), key=lambda d: d.pk, reverse=descending)
    dated = sorted((d for d in rows if d.planned_start), key=lambda d: (d.planned_start, d.pk), reverse=descending)
    return [d.pk for d in (nulls + dated if descending else dated + nulls)]


@pytest.mark.parametrize("descending", [True, False])
def test_walking_forward_then_back_visits_every_row_once_in_order(descending):
    _rows()
    qs = Deployment.objects.all()
    seen, pages, after = [], [], ""
    while True:
        page = keyset_page(qs, key="planned_start", descending=descending, after=after, size=5)
        pages.append(page)
        seen += [d.pk for d in page]
        if not page.has_next:
            break
        after = page.next_token
    assert seen == _expected(descending)
    assert not pages[0].has_previous and len(pages) == 5
    # and back again from the last page
    back, before = [], pages[-1].previous_token
    while before:
        page = keyset_page(qs, key="planned_start", descending=descending, before=before, size=5)
        back = [d.pk for d in page] + back
        before = page.previous_token if page.has_previous else ""
    assert back + [d.pk for d in pages[-1]] == _expected(descending)


@pytest.mark.parametrize("token", ["", "garbage", "!!!", "fn0="])
def test_a_bad_position_starts_at_the_beginning(token):
    _rows()
    page = keyset_page(Deployment.objects.all(), key="planned_start", descending=True, after=token, size=5)
    assert [d.pk for d in page] == _expected(True)[:5]


def test_counts_stop_at_the_cap():
    _rows()
    assert capped_count(Deployment.objects.all(), cap=10) == (10, False)
    assert capped_count(Deployment.objects.all(), cap=100) == (23, True)
