"""KPIs split by automation level: the `automation_level` filter (page, API, drill-down) and the manual | automated
columns of the KPI page. M1 is made fully automated; M2 and M3 stay manual; d3 has no model (in neither)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.deployment_models.models import AutomationLevel, DeploymentModel
from apps.reports.selectors.kpi_drilldown import kpi_drilldown
from apps.reports.selectors.kpis import kpi_report
from tests.reports.kpi_data import FIRST, LAST, build_kpi_data

pytestmark = pytest.mark.django_db

PERIOD = {"from": "2025-03-03", "to": "2025-03-30"}


@pytest.fixture
def k():
    k = build_kpi_data()
    DeploymentModel.objects.filter(pk=k.m1.pk).update(automation_level=AutomationLevel.FULLY_AUTOMATED)
    return k


@pytest.mark.parametrize(
    ("level", "success_rate", "finished", "failures", "findings"),
    [
        ("automated", 100.0, 5, 0, 2),  # d1 d2 d4 d6 d7 (M1); findings f1 (d2) and f3 (on M1)
        ("fully_automated", 100.0, 5, 0, 2),
        ("manual", 0.0, 2, 2, 0),  # d5 (M2) and d15 (M3) failed; f4 on d5 was raised before the period
        ("partly_automated", None, 0, 0, 0),
        (None, 62.5, 8, 3, 3),  # everything, d3 without a model included
    ],
)
def test_the_filter_keeps_the_deployments_of_that_level(k, level, success_rate, finished, failures, findings):
    report = kpi_report(user=k.manager, start=FIRST, end=LAST, automation_level=level)
    assert (report["success_rate"].value, report["success_rate"].denominator) == (success_rate, finished)
    assert (report["failures"].value, report["audit_findings"].value) == (failures, findings)
    assert report.filters["automation_level"] == level


def test_the_drilldown_follows_the_filter(k):
    manual = kpi_drilldown(user=k.manager, metric="failures", start=FIRST, end=LAST, automation_level="manual")
    assert sorted(d.title for d in manual) == ["KPI d15", "KPI d5"]


def test_the_api_filters_by_automation_level_and_refuses_unknown_levels(k):
    client = APIClient()
    client.force_authenticate(k.auditor)
    body = client.get("/api/v1/kpis/", {**PERIOD, "automation_level": "manual"}).json()
    assert (body["success_rate"], body["failures"], body["filters"]["automation_level"]) == (0.0, 2, "manual")
    bad = client.get("/api/v1/kpis/", {**PERIOD, "automation_level": "robots"})
    assert bad.status_code == 400 and "automation_level" in bad.json()["errors"]


def test_the_page_shows_manual_and_automated_side_by_side(k, django_assert_max_num_queries):
    client = Client()
    client.force_login(k.manager)
    with django_assert_max_num_queries(60):
        html = client.get("/reports/kpis/", PERIOD).content.decode()
    split = html[html.index('data-testid="kpi-split"') :]
    split = split[: split.index("</section>")]
    row = split[split.index('data-metric="success_rate"') :]
    row = row[: row.index("</tr>")]
    cells = row.split('data-testid="kpi-split-cell"')[1:]
    assert [c.split("<span")[0].strip(" >\n") for c in cells] == ["0%", "100%"]
    # filtered to one level, the page shows every indicator for it and no split
    filtered = client.get("/reports/kpis/", {**PERIOD, "automation_level": "automated"}).content.decode()
    assert 'data-testid="kpi-split"' not in filtered
    assert 'name="automation_level"' in filtered
