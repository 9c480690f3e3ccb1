"""KPI computation: every metric over a known set of deployments, worked out by hand (see tests/reports/kpi_data.py)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from apps.deployments.models import Deployment
from apps.deployments.services.calendar_days import counts_rebuild
from apps.deployments.workflow import Status
from apps.reports.selectors.kpi_drilldown import kpi_drilldown
from apps.reports.selectors.kpi_scope import kpi_backlog, kpi_base
from apps.reports.selectors.kpi_trend import kpi_trend
from apps.reports.selectors.kpis import API_METRICS, METRICS, kpi_report
from tests.factories.accounts import UserFactory
from tests.reports.kpi_data import FIRST, LAST, build_kpi_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def k():
    return build_kpi_data()


# (metric, value, numerator, denominator) for the manager over the whole period
EXPECTED = [
    ("success_rate", 62.5, 5, 8),  # d1 d2 d4 d6 d7 of d1 d2 d3 d4 d5 d6 d7 d15
    ("failures", 3, 3, 8),  # d3 d5 d15
    ("incident_rate", 25.0, 2, 8),  # d3 d4
    ("schedule_adherence", 75.0, 6, 8),  # all but d2 (late end) and d5 (early start)
    ("backlog", 2, 2, None),  # d8 d9
    ("throughput_per_week", 1.25, 5, 4.0),
    ("lead_time_median_hours", 24.0, 5, None),  # 4 24 24 25 120
    ("lead_time_p90_hours", 82.0, 5, None),  # 25 + 0.6 × (120 − 25)
    ("satisfaction_lead_time", 3.67, 11, 3),  # (4 + 2 + 5) / 3; d13 is outside
    ("satisfaction_quality", 4.0, 12, 3),  # (5 + 3 + 4) / 3
    ("partner_alignment", 3.67, 11, 3),  # (4 + 2 + 5) / 3 answered; d7 not answered, d13 outside
    ("satisfaction_rate_of_change", 4.5, 9, 2),  # (4 + 5) / 2; the rater did not answer, d13 is outside
    ("model_adoption_rate", 77.8, 7, 9),  # planned: d1-d7 d12 d15; agreed: d1 d2 d4 d6 d7 d12 d15
    ("compliance_exceptions", 3, 3, 9),  # d3 (2) + d12 (1)
    ("audit_findings", 3, 3, None),  # f1 f2 f3 raised in the period; f4 before it
    ("deployment_frequency_per_week", 0.75, 3, 4.0),  # d1 d4 d7 in production
    ("change_failure_rate", 60.0, 3, 5),  # d3 (failed) d4 (incident) d15 (failed) of d1 d3 d4 d7 d15
    # failures in production: d3 and d15 failed, INC-d3 and INC-d4 attributed; restored: INC-d3, resolved 24 h on
    ("time_to_restore_median_hours", 24.0, 1, 4),
    ("release_lag_median_hours", None, 0, 5),  # none of the five completed is released (tests/reports/test_release.py)
]


@pytest.mark.parametrize(("metric", "value", "numerator", "denominator"), EXPECTED)
def test_every_metric_over_the_known_set(k, metric, value, numerator, denominator):
    # given the known set; when the manager's report is computed
    report = kpi_report(user=k.manager, start=FIRST, end=LAST)
    # then the metric is exactly what was worked out by hand
    kpi = report[metric]
    assert (kpi.value, kpi.numerator, kpi.denominator) == (value, numerator, denominator)
    assert kpi.metric.definition


def test_every_metric_is_tested():
    assert {row[0] for row in EXPECTED} == set(METRICS)
    assert len(API_METRICS) == 19


def test_an_empty_period_has_no_data_and_no_division_by_zero(k):
    # when the period holds no deployment
    report = kpi_report(user=k.manager, start=dt.date(2020, 1, 1), end=dt.date(2020, 1, 28))
    # then rates, medians and averages are None; counts are 0; the backlog is "now"
    values = {key: report[key].value for key in METRICS}
    assert values == {
        "success_rate": None,
        "failures": 0,
        "incident_rate": None,
        "schedule_adherence": None,
        "backlog": 2,
        "throughput_per_week": 0.0,
        "lead_time_median_hours": None,
        "lead_time_p90_hours": None,
        "satisfaction_lead_time": None,
        "satisfaction_quality": None,
        "partner_alignment": None,
        "satisfaction_rate_of_change": None,
        "model_adoption_rate": None,
        "compliance_exceptions": 0,
        "audit_findings": 0,
        "deployment_frequency_per_week": 0.0,
        "change_failure_rate": None,
        "time_to_restore_median_hours": None,
        "release_lag_median_hours": None,
    }
    assert report["success_rate"].no_data


@pytest.mark.parametrize(
    ("filters", "success_rate", "finished", "backlog"),
    [
        ({"environment": "prod"}, 60.0, 5, 0),  # d1 d4 d7 of d1 d3 d4 d7 d15
        ({"environment": "test"}, 66.7, 3, 2),  # d2 d6 of d2 d5 d6
        ({"service": "svc_b"}, 50.0, 4, 1),  # d6 d7 of d5 d6 d7 d15
        ({"model": "m1"}, 100.0, 5, 1),  # d1 d2 d4 d6 d7
        ({"model": "m2"}, 0.0, 1, 0),  # d5
        ({"environment": "prod", "service": "svc_a"}, 66.7, 3, 0),  # d1 d4 of d1 d3 d4
    ],
)
def test_filters(k, filters, success_rate, finished, backlog):
    # when the report is filtered by environment, service or model
    report = kpi_report(user=k.manager, start=FIRST, end=LAST, **{f: getattr(k, v) for f, v in filters.items()})
    # then only the matching deployments count
    assert report["success_rate"].value == success_rate
    assert report["success_rate"].denominator == finished
    assert report["backlog"].value == backlog


def test_production_filter_leaves_time_to_restore_and_lead_time_exact(k):
    report = kpi_report(user=k.manager, start=FIRST, end=LAST, environment=k.prod)
    assert report["lead_time_median_hours"].value == 24.0  # 4 24 25
    assert report["time_to_restore_median_hours"].value == 24.0


def test_a_service_owner_sees_only_their_services_numbers(k):
    # given the owner of service A (who also requested nothing elsewhere); when they compute the KPIs
    report = kpi_report(user=k.owner, start=FIRST, end=LAST)
    # then only service A counts: d1 d2 d3 d4 finished, d1 d2 d4 completed, d8 waiting
    assert report["success_rate"].value == 75.0
    assert (report["success_rate"].numerator, report["success_rate"].denominator) == (3, 4)
    assert report["backlog"].value == 1
    assert report["change_failure_rate"].value == 66.7  # d3 d4 of d1 d3 d4
    assert report["lead_time_median_hours"].value == 24.0  # 24 24 25
    assert report["satisfaction_lead_time"].value == 3.0  # (4 + 2) / 2


def test_a_product_owner_does_not_count_other_services_they_requested(k):
    # given the product owner of service B who requested a deployment of service A
    k.d1.requester = k.product_owner
    k.d1.save()
    # when they compute the KPIs; then d1 (service A) is left out although they may see it
    report = kpi_report(user=k.product_owner, start=FIRST, end=LAST)
    assert (report["success_rate"].numerator, report["success_rate"].denominator) == (2, 4)


def test_an_auditor_sees_everything(k):
    report = kpi_report(user=k.auditor, start=FIRST, end=LAST)
    assert report["success_rate"].denominator == 8


@pytest.mark.parametrize("roles", [["practitioner"], []])
def test_users_without_the_kpi_permission_are_refused(k, roles):
    with pytest.raises(PermissionDenied):
        kpi_report(user=UserFactory(roles=roles), start=FIRST, end=LAST)


DRILLDOWN = [
    ("success_rate", ["d7", "d6", "d4", "d2", "d1"]),
    ("failures", ["d15", "d5", "d3"]),
    ("incident_rate", ["d4", "d3"]),
    ("schedule_adherence", ["d15", "d7", "d6", "d4", "d3", "d1"]),
    ("backlog", ["d8", "d9"]),
    ("throughput_per_week", ["d7", "d6", "d4", "d2", "d1"]),
    ("lead_time_median_hours", ["d7", "d6", "d4", "d2", "d1"]),
    ("lead_time_p90_hours", ["d7", "d6", "d4", "d2", "d1"]),
    ("satisfaction_lead_time", ["d6", "d1"]),
    ("satisfaction_quality", ["d6", "d1"]),
    ("partner_alignment", ["d6", "d1"]),
    ("satisfaction_rate_of_change", ["d6", "d1"]),
    ("model_adoption_rate", ["d12", "d15", "d7", "d6", "d4", "d2", "d1"]),
    ("compliance_exceptions", ["d12", "d3"]),
    ("audit_findings", ["d3", "d2"]),  # the deployments the findings f2 and f1 are about
    ("deployment_frequency_per_week", ["d7", "d4", "d1"]),
    ("change_failure_rate", ["d15", "d4", "d3"]),
    ("time_to_restore_median_hours", ["d3"]),
]


@pytest.mark.parametrize(("metric", "names"), DRILLDOWN)
def test_drilldown_lists_the_numerator(k, metric, names):
    # when the deployments behind a metric are listed
    rows = list(kpi_drilldown(user=k.manager, metric=metric, start=FIRST, end=LAST))
    # then they are exactly the numerator's, in order
    assert [d.pk for d in rows] == [getattr(k, n).pk for n in names]


def test_drilldown_annotates_hours(k):
    lead = kpi_drilldown(user=k.manager, metric="lead_time_median_hours", start=FIRST, end=LAST)
    assert [round(d.hours, 2) for d in lead] == [4.0, 120.0, 24.0, 24.0, 25.0]
    ttr = kpi_drilldown(user=k.manager, metric="time_to_restore_median_hours", start=FIRST, end=LAST)
    assert [round(d.hours, 2) for d in ttr] == [24.0]


def test_drilldown_is_scoped_and_filtered(k):
    rows = kpi_drilldown(user=k.owner, metric="failures", start=FIRST, end=LAST)
    assert [d.pk for d in rows] == [k.d3.pk]
    rows = kpi_drilldown(user=k.manager, metric="failures", start=FIRST, end=LAST, service=k.svc_b)
    assert [d.pk for d in rows] == [k.d15.pk, k.d5.pk]


def test_drilldown_of_an_unknown_metric_is_a_key_error(k):
    with pytest.raises(KeyError):
        kpi_drilldown(user=k.manager, metric="nope", start=FIRST, end=LAST)


def test_weekly_trend(k):
    # when the trend is computed per week
    points = kpi_trend(user=k.manager, start=FIRST, end=LAST, bucket="week")
    # then each week has its own success rate, completions and median lead time
    assert [(p.start, p.finished, p.completed, p.success_rate, p.lead_time_median_hours) for p in points] == [
        (dt.date(2025, 3, 3), 2, 2, 100.0, 24.5),
        (dt.date(2025, 3, 10), 3, 1, 33.3, 24.0),
        (dt.date(2025, 3, 17), 1, 1, 100.0, 120.0),
        (dt.date(2025, 3, 24), 2, 1, 50.0, 4.0),
    ]


def test_monthly_trend_fills_empty_months(k):
    points = kpi_trend(user=k.manager, start=dt.date(2025, 2, 10), end=dt.date(2025, 4, 5), bucket="month")
    assert [(p.start, p.finished, p.completed, p.lead_time_median_hours) for p in points] == [
        (dt.date(2025, 2, 1), 0, 0, None),
        (dt.date(2025, 3, 1), 10, 7, 25.0),  # with d13 (47 h) and d14 (48 h): 4 24 24 25 47 48 120
        (dt.date(2025, 4, 1), 0, 0, None),
    ]


def test_report_takes_a_constant_number_of_queries(k, django_assert_max_num_queries):
    with django_assert_max_num_queries(11):
        kpi_report(user=k.manager, start=FIRST, end=LAST)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"environment": "test"},
        {"model": "m1"},
        {"environment": "test", "model": "m1"},
        {"automation_level": "manual"},
        {"environment": "prod", "automation_level": "automated"},
        {"service": "svc_a"},
    ],
)
def test_the_backlog_from_the_counts_equals_the_approved_deployments_counted(k, filters):
    # given the data set's approved deployments and one more
    one = Deployment.objects.filter(status=Status.COMPLETED).order_by("pk").values("pk")[:1]
    Deployment.objects.filter(pk__in=one).update(status=Status.APPROVED)
    counts_rebuild()  # changed outside the services that keep the counts
    values = {key: getattr(k, value) if key != "automation_level" else value for key, value in filters.items()}
    base = kpi_base(user=k.manager, **values)
    # then the backlog read from the counts is the approved deployments counted
    assert kpi_backlog(base, user=k.manager, **values) == base.filter(status=Status.APPROVED).count()
    report = kpi_report(user=k.manager, start=FIRST, end=LAST, **values)
    assert report["backlog"].value == base.filter(status=Status.APPROVED).count()
