"""The records analysis: every figure from SQL aggregates, in a constant number of queries."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.deployments.models import DeploymentEvent, Feedback, IncidentLink
from apps.deployments.workflow import Status
from apps.reviews.analysis import chart_bars, compute_analysis, failure_rate
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory
from tests.reviews.helpers import days_ago, deployed

pytestmark = pytest.mark.django_db


def _period():
    today = timezone.localdate()
    return today - dt.timedelta(days=60), today


def test_analysis_counts_outcomes_incidents_schedule_lead_time_overrides_and_ratings():
    # given a model with 3 completed (one started early), 1 failed, 1 rolled back, 1 cancelled deployment in the
    # period, one before it, and another model's deployment
    model = DeploymentModelFactory(active=True)
    done = [deployed(model, when=days_ago(d)) for d in (5, 6)]
    early = deployed(model, when=days_ago(7), late=True, override_count=1)
    failed = deployed(model, Status.FAILED, when=days_ago(8), outcome="Database migration timed out")
    rolled = deployed(model, Status.ROLLED_BACK, when=days_ago(9))
    deployed(model, Status.CANCELLED, when=days_ago(10), actual_start=None, actual_end=None)
    deployed(model, Status.FAILED, when=days_ago(200))
    deployed(DeploymentModelFactory(active=True), Status.FAILED, when=days_ago(5))
    IncidentLink.objects.create(deployment=failed, incident_ref="INC-1", title="Checkout down", opened_at=days_ago(8))
    IncidentLink.objects.create(deployment=failed, incident_ref="INC-2", opened_at=days_ago(8))
    IncidentLink.objects.create(deployment=done[0], incident_ref="INC-3", opened_at=days_ago(5))
    rater = UserFactory()
    Feedback.objects.create(deployment=done[0], user=rater, rating_lead_time=4, rating_quality=5)
    Feedback.objects.create(deployment=done[1], user=rater, rating_lead_time=2, rating_quality=3)
    DeploymentEvent.objects.create(deployment=early, at=days_ago(7), channel="web", kind="override", comment="Urgent")
    start, end = _period()
    # when
    a = compute_analysis(model=model, start=start, end=end)
    # then
    assert (a["deployments"], a["completed"], a["failed"], a["rolled_back"], a["cancelled"]) == (6, 3, 1, 1, 1)
    assert a["finished"] == 5
    assert a["success_rate"] == 0.6
    assert a["failure_rate"] == 0.4
    assert [f["reference"] for f in a["failures"]] == [failed.reference, rolled.reference]
    assert a["failures"][0]["outcome"] == "Database migration timed out"
    assert (a["incidents"], a["deployments_with_incidents"]) == (3, 2)
    assert a["incident_rate"] == 0.4
    assert (a["on_schedule"], a["schedule_measured"], a["schedule_adherence"]) == (2, 3, 0.6667)
    assert (a["lead_time_count"], a["lead_time_median_hours"]) == (3, 25.0)
    assert (a["overrides"], a["deployments_with_overrides"]) == (1, 1)
    assert (a["feedback_count"], a["satisfaction_lead_time"], a["satisfaction_quality"]) == (2, 3.0, 4.0)
    assert sum(m["completed"] + m["failed"] + m["other"] for m in a["months"]) == 6
    assert sum(e["total"] for e in a["environments"]) == 6


def test_analysis_of_an_empty_period_has_no_rates():
    start, end = _period()
    a = compute_analysis(model=DeploymentModelFactory(active=True), start=start, end=end)
    assert a["deployments"] == 0
    assert a["success_rate"] is None and a["schedule_adherence"] is None and a["lead_time_median_hours"] is None
    assert chart_bars(a)["bars"] == []


@pytest.mark.parametrize("rows", [2, 12])
def test_analysis_query_count_does_not_grow_with_deployments(django_assert_max_num_queries, rows):
    model = DeploymentModelFactory(active=True)
    for i in range(rows):
        deployed(model, Status.FAILED if i % 3 == 0 else Status.COMPLETED, when=days_ago(i + 1))
    start, end = _period()
    with django_assert_max_num_queries(10):
        compute_analysis(model=model, start=start, end=end)


def test_failure_rate_counts_failed_and_rolled_back_among_finished():
    model = DeploymentModelFactory(active=True)
    for status in (Status.COMPLETED, Status.COMPLETED, Status.FAILED, Status.ROLLED_BACK, Status.CANCELLED):
        deployed(model, status)
    start, end = _period()
    assert failure_rate(model=model, start=start, end=end) == (2, 4, 0.5)


def test_chart_has_one_stacked_bar_per_month():
    a = {
        "months": [
            {"month": "2030-01", "completed": 3, "failed": 1, "other": 0},
            {"month": "2030-02", "completed": 0, "failed": 0, "other": 2},
        ]
    }
    chart = chart_bars(a)
    assert [b["label"] for b in chart["bars"]] == ["2030-01", "2030-02"]
    assert [s["key"] for s in chart["bars"][0]["segments"]] == ["completed", "failed"]
    assert chart["bars"][0]["total"] == 4
