"""The home page dashboard: KPI tiles with sparklines for KPI readers, today's and this week's deployments,
pending approvals for managers, scoping, and a constant number of queries."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.workflow import Status
from apps.reports.selectors.dashboard import LIST_LIMIT, dashboard_for
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ServiceFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def d():
    """Two services (A owned by `owner`), production, and deployments finished yesterday or planned today."""
    ns = type("NS", (), {})()
    ns.manager = UserFactory(roles=["manager"])
    ns.owner = UserFactory(roles=["service_owner"])
    ns.practitioner = UserFactory(roles=["practitioner"])
    ns.svc_a, ns.svc_b = ServiceFactory(), ServiceFactory()
    ns.svc_a.owners.add(ns.owner)
    ns.prod = EnvironmentFactory(kind="production", slug="dash-prod")
    now = timezone.now().replace(microsecond=0)
    today_noon = dt.datetime.combine(timezone.localdate(), dt.time(12), tzinfo=timezone.get_current_timezone())
    yesterday = now - dt.timedelta(days=1)

    def finished(status, svc):
        return DeploymentFactory(
            status=status,
            service=svc,
            environment=ns.prod,
            requester=ns.manager,
            planned_start=yesterday - dt.timedelta(hours=3),
            planned_end=yesterday + dt.timedelta(hours=1),
            submitted_at=yesterday - dt.timedelta(hours=10),
            actual_start=yesterday - dt.timedelta(hours=2),
            actual_end=yesterday,
        )

    ns.done_a = finished(Status.COMPLETED, ns.svc_a)
    ns.done_b = finished(Status.COMPLETED, ns.svc_b)
    ns.failed_b = finished(Status.FAILED, ns.svc_b)
    ns.today_a = DeploymentFactory(
        status=Status.APPROVED,
        service=ns.svc_a,
        planned_start=today_noon,
        planned_end=today_noon + dt.timedelta(hours=1),
    )
    ns.pending_b = DeploymentFactory(
        status=Status.PENDING_APPROVAL,
        service=ns.svc_b,
        planned_start=today_noon,
        planned_end=today_noon + dt.timedelta(hours=1),
    )
    ns.draft_today = DeploymentFactory(
        status=Status.DRAFT, service=ns.svc_a, planned_start=today_noon, planned_end=today_noon + dt.timedelta(hours=1)
    )
    kpi_rollup_rebuild()  # rows written directly: the KPI rollup is recomputed
    return ns


def test_a_manager_sees_kpis_lists_and_pending_approvals(d):
    # when the manager's dashboard is built
    board = dashboard_for(d.manager)
    # then the headline KPIs are over the last 12 weeks: 2 of 3 finished deployments completed
    tiles = {t["kpi"].metric.key: t for t in board["kpis"]["tiles"]}
    assert list(tiles) == [
        "success_rate",
        "throughput_per_week",
        "lead_time_median_hours",
        "change_failure_rate",
        "backlog",
    ]
    assert tiles["success_rate"]["display"] == "66.7%"
    assert tiles["lead_time_median_hours"]["display"] == "10 h"
    assert tiles["change_failure_rate"]["display"] == "33.3%"
    assert tiles["backlog"]["display"] == "1"
    assert tiles["throughput_per_week"]["kpi"].numerator == 2
    assert "<svg" in tiles["success_rate"]["sparkline"]
    assert tiles["backlog"]["sparkline"] is None
    assert tiles["success_rate"]["url"].startswith("/reports/kpis/success_rate/?from=")
    # and today's list has the approved and pending deployments, not the draft
    assert [x.pk for x in board["today"]] == sorted([d.today_a.pk, d.pending_b.pk])
    assert d.today_a in board["week"]
    assert "pending_approvals" not in board  # the home page's next actions show them, once


def test_a_service_owner_sees_only_their_services(d):
    board = dashboard_for(d.owner)
    tiles = {t["kpi"].metric.key: t for t in board["kpis"]["tiles"]}
    assert tiles["success_rate"]["display"] == "100%"
    assert [x.pk for x in board["today"]] == [d.today_a.pk]


def test_a_practitioner_sees_no_kpis(d):
    board = dashboard_for(d.practitioner)
    assert board["kpis"] is None
    assert len(board["today"]) == 2


def test_an_empty_dashboard_reads_no_data():
    manager = UserFactory(roles=["manager"])
    board = dashboard_for(manager)
    tiles = {t["kpi"].metric.key: t for t in board["kpis"]["tiles"]}
    assert tiles["success_rate"]["display"] == "no data"
    assert board["today"] == [] and board["week"] == []


def test_lists_are_short(d):
    noon = dt.datetime.combine(timezone.localdate(), dt.time(12), tzinfo=timezone.get_current_timezone())
    for _ in range(LIST_LIMIT + 2):
        DeploymentFactory(status=Status.APPROVED, planned_start=noon, planned_end=noon + dt.timedelta(hours=1))
    board = dashboard_for(d.manager)
    assert len(board["today"]) == LIST_LIMIT
    assert board["today_more"] is True


def test_the_home_page_shows_the_dashboard(d):
    client = Client()
    client.force_login(d.manager)
    html = client.get("/").content.decode()
    assert 'data-testid="dashboard-kpis"' in html
    assert html.count('data-testid="dashboard-kpi"') == 5
    # each sparkline says what it plots: the metric per week, over how many weeks
    assert 'data-testid="sparkline-axes">' in html and "per week, last 12 weeks</p>" in html
    assert 'data-testid="dashboard-pending-approvals"' not in html
    assert f'href="/deployments/{d.today_a.pk}/"' in html


def test_the_home_page_hides_kpis_from_practitioners(d):
    client = Client()
    client.force_login(d.practitioner)
    html = client.get("/").content.decode()
    assert 'data-testid="dashboard-today"' in html
    assert 'data-testid="dashboard-kpis"' not in html


@pytest.mark.parametrize("extra", [0, 20])
def test_dashboard_query_count_is_constant(d, extra, django_assert_max_num_queries):
    noon = dt.datetime.combine(timezone.localdate(), dt.time(12), tzinfo=timezone.get_current_timezone())
    for _ in range(extra):
        DeploymentFactory(status=Status.APPROVED, planned_start=noon, planned_end=noon + dt.timedelta(hours=1))
    with django_assert_max_num_queries(16):
        dashboard_for(d.manager)


@pytest.mark.parametrize("extra", [0, 20])
def test_the_home_page_query_count_is_constant(d, extra, django_assert_max_num_queries):
    # given a manager's home page, and twenty more of their deployments completed today (five or more to rate
    # adds their count)
    noon = dt.datetime.combine(timezone.localdate(), dt.time(12), tzinfo=timezone.get_current_timezone())
    for _ in range(extra):
        DeploymentFactory(status=Status.COMPLETED, requester=d.manager, planned_start=noon)
    client = Client()
    client.force_login(d.manager)
    client.get("/")
    # then the page reads a bounded number of queries: session, user, role, permissions, each app's next actions,
    # the dashboard's lists and count, and the KPI tiles (not cached in tests; on PostgreSQL their two reads each
    # run in a savepoint with JIT off, six statements more)
    with django_assert_max_num_queries(29):
        client.get("/")
