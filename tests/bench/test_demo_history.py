"""`seed_demo`: a year of history behind the showcase, so every KPI (DORA included), trend and page has data."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.deployments.models import Deployment, DeploymentEvent, Feedback, IncidentLink, RiskBacktest
from apps.deployments.rules import deployment_conflicts
from apps.deployments.workflow import Status
from apps.reports.models import AuditFinding, FindingEvent
from apps.reports.selectors.kpi_trend import kpi_trend
from apps.reviews.models import ModelReview, ReviewKind, ReviewStatus
from tests.reports.test_kpi_api import FIELDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    # (how long seeding takes is the benchmark's business, not a timed test's: about 10 s on SQLite, README "Run it")
    call_command("seed_demo")


def _every_kpi_has_a_value_over_the_default_period_and_the_year():
    # given the demo seeded into an empty database; the manager signed in
    client = APIClient()
    client.force_authenticate(User.objects.get(username="manager"))
    today = timezone.localdate()
    for start in (today - dt.timedelta(days=90), today - dt.timedelta(days=365)):
        # when the KPIs are read through the API
        response = client.get("/api/v1/kpis/", {"from": start.isoformat(), "to": today.isoformat()})
        # then every figure of DESIGN.md §5 has a value, DORA included
        assert response.status_code == 200
        body = response.json()
        assert [key for key in FIELDS if body[key] is None] == []
        assert body["deployment_frequency_per_week"] > 0
        assert body["change_failure_rate"] > 0
        assert body["time_to_restore_median_hours"] > 0
        assert body["compliance_exceptions"] > 0


def _production_has_a_year_of_completions_failures_and_roll_backs():
    # given the demo seeded
    year_ago = timezone.now() - dt.timedelta(days=365)
    prod = Deployment.objects.filter(environment__slug="production", actual_end__gte=year_ago)
    # then production saw completions, failures and roll-backs over the year, a few thousand deployments in all
    assert prod.filter(status=Status.COMPLETED).count() > 300
    assert prod.filter(status=Status.FAILED).exists()
    assert prod.filter(status=Status.ROLLED_BACK).exists()
    assert 3000 <= Deployment.objects.count() < 3100
    assert set(Deployment.objects.values_list("environment__slug", flat=True)) == {
        "development",
        "integration",
        "test",
        "staging",
        "production",
    }
    # with incidents, ratings, overrides and a completed quarterly review of each active model
    assert IncidentLink.objects.count() > 50
    assert Feedback.objects.count() > 200
    assert Deployment.objects.filter(override_count__gt=0).exists()
    assert ModelReview.objects.filter(kind=ReviewKind.SCHEDULED, status=ReviewStatus.COMPLETED).count() >= 16
    # and the oldest finished deployment is about a year old
    oldest = Deployment.objects.filter(actual_end__isnull=False).order_by("actual_end").first().actual_end
    assert timezone.now() - dt.timedelta(days=366) < oldest < timezone.now() - dt.timedelta(days=350)


def _the_weekly_trend_has_a_point_with_data_every_week_of_the_year():
    # given the demo seeded
    today = timezone.localdate()
    # when the manager reads the trend of the last year (the current week may have just begun)
    points = kpi_trend(user=User.objects.get(username="manager"), start=today - dt.timedelta(days=364), end=today)
    # then every full week has finished deployments
    assert len(points) >= 52
    assert [p.start for p in points[1:-1] if not p.finished] == []


def _seed_demo_runs_again_without_change_and_keeps_the_showcase():
    # given the demo seeded once
    counts = (Deployment.objects.count(), DeploymentEvent.objects.count(), ModelReview.objects.count())
    # when it runs again
    call_command("seed_demo")
    # then nothing is doubled, and the hand-made showcase deployments are still there
    assert (Deployment.objects.count(), DeploymentEvent.objects.count(), ModelReview.objects.count()) == counts
    # and the open deployments are scored, with a risk back-test for the KPI page after each run
    assert not Deployment.objects.filter(status="pending_approval", risk_scored_at__isnull=True).exists()
    assert RiskBacktest.objects.count() == 2
    # with the demo's audit findings, once each, on deployments, a model and a review, at each point of their life
    findings = AuditFinding.objects.order_by("pk")
    assert [(f.subject_type, f.severity, f.status) for f in findings] == [
        ("deployment", "high", "open"),
        ("deployment", "critical", "accepted"),
        ("model", "medium", "remediated"),
        ("review", "low", "closed"),
    ]
    assert FindingEvent.objects.count() == 4 + 5
    assert Deployment.objects.filter(title="shop-web 2.4.0 to production", status=Status.PENDING_APPROVAL).exists()


def _the_history_never_turns_a_showcase_plan_into_a_downgrade():
    # given the demo seeded; the showcase plans shop-web 2.4.0 for production
    planned = Deployment.objects.get(title="shop-web 2.4.0 to production")
    # when its conflicts are computed against the year of history
    found = deployment_conflicts(planned)
    # then none is a downgrade
    assert [c.code for c in found if c.code == "downgrade"] == []


def test_the_seeded_demo_has_a_year_of_history_behind_every_kpi_trend_and_plan_and_seeds_again_unchanged(seeded):
    # (one seeding, several readings, then a second run: seeding takes seconds, tens of them on a busy machine)
    _every_kpi_has_a_value_over_the_default_period_and_the_year()
    _production_has_a_year_of_completions_failures_and_roll_backs()
    _the_weekly_trend_has_a_point_with_data_every_week_of_the_year()
    _the_history_never_turns_a_showcase_plan_into_a_downgrade()
    _seed_demo_runs_again_without_change_and_keeps_the_showcase()
