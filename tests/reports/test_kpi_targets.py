"""KPI targets: only managers set them (page, admin, service), every change is audited with who and when; the KPI
page and the API show each metric's target and red/amber/green status under its success factor."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from rest_framework.test import APIClient

from apps.audit.context import AuditContext
from apps.audit.models import AuditEntry
from apps.reports.models import KpiTarget
from apps.reports.targets.services import kpi_target_clear, kpi_target_set
from tests.factories.accounts import UserFactory, token_for
from tests.reports.kpi_data import build_kpi_data

pytestmark = pytest.mark.django_db

PERIOD = {"from": "2025-03-03", "to": "2025-03-30"}
TARGETS_URL = "/reports/kpis/targets/"


@pytest.fixture
def k():
    return build_kpi_data()


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def written() -> tuple[int, int]:
    return KpiTarget.objects.count(), AuditEntry.objects.filter(object_type="reports.kpitarget").count()


# --- the service ------------------------------------------------------------------------------------------------


def test_a_manager_sets_a_target_and_the_audit_trail_says_who_and_when(k):
    # when the manager sets, then changes, the success-rate target
    first = kpi_target_set(ctx=AuditContext(actor=k.manager), metric="success_rate", target=95, amber_band=None)
    again = kpi_target_set(ctx=AuditContext(actor=k.manager), metric="success_rate", target="97.5", amber_band="2")
    # then one row holds the latest values with who and when
    row = KpiTarget.objects.get()
    assert (first.pk, again.pk) == (row.pk, row.pk)
    assert (row.metric, row.target, row.amber_band, row.set_by) == ("success_rate", 97.5, 2.0, k.manager)
    assert row.set_at is not None
    # and each change is an audit entry naming the manager, with the values before and after
    entries = list(AuditEntry.objects.filter(object_type="reports.kpitarget").order_by("id"))
    assert [(e.action, e.actor_id, e.object_id, e.channel) for e in entries] == [
        ("target_set", k.manager.pk, "success_rate", "web"),
        ("target_set", k.manager.pk, "success_rate", "web"),
    ]
    assert entries[0].changes["before"] is None
    assert entries[1].changes == {
        "metric": "success_rate",
        "before": {"target": 95.0, "amber_band": None},
        "target": 97.5,
        "amber_band": 2.0,
    }


@pytest.mark.parametrize("role", ["auditor", "owner", "product_owner", "practitioner"])
def test_only_managers_set_or_clear_targets(k, role):
    kpi_target_set(ctx=AuditContext(actor=k.manager), metric="backlog", target=5)
    before = written()
    with pytest.raises(PermissionDenied):
        kpi_target_set(ctx=AuditContext(actor=getattr(k, role)), metric="success_rate", target=90)
    with pytest.raises(PermissionDenied):
        kpi_target_clear(ctx=AuditContext(actor=getattr(k, role)), metric="backlog")
    assert written() == before


@pytest.mark.parametrize(
    ("metric", "target", "band", "field"),
    [
        ("no_such_metric", 1, None, "metric"),
        ("success_rate", 101, None, "target"),  # a percentage
        ("success_rate", -1, None, "target"),
        ("satisfaction_quality", 0, None, "target"),  # a 1–5 rating
        ("satisfaction_rate_of_change", 6, None, "target"),
        ("lead_time_median_hours", -3, None, "target"),
        ("lead_time_median_hours", "abc", None, "target"),
        ("lead_time_median_hours", "nan", None, "target"),
        ("lead_time_median_hours", "inf", None, "target"),
        ("lead_time_median_hours", None, None, "target"),
        ("lead_time_median_hours", 24, -1, "amber_band"),
        ("lead_time_median_hours", 24, "1e400", "amber_band"),
    ],
)
def test_bad_targets_are_refused_and_nothing_is_written(k, metric, target, band, field):
    with pytest.raises(ValidationError) as exc:
        kpi_target_set(ctx=AuditContext(actor=k.manager), metric=metric, target=target, amber_band=band)
    assert field in exc.value.message_dict
    assert written() == (0, 0)


def test_clearing_a_target_is_audited_and_clearing_none_writes_nothing(k):
    kpi_target_set(ctx=AuditContext(actor=k.manager), metric="backlog", target=5)
    assert kpi_target_clear(ctx=AuditContext(actor=k.manager), metric="backlog") is True
    assert kpi_target_clear(ctx=AuditContext(actor=k.manager), metric="backlog") is False
    assert KpiTarget.objects.count() == 0
    cleared = AuditEntry.objects.filter(object_type="reports.kpitarget", action="target_cleared").get()
    assert cleared.changes == {"metric": "backlog", "before": {"target": 5.0, "amber_band": None}}


# --- the pages --------------------------------------------------------------------------------------------------


def test_a_manager_sets_a_target_on_the_page_and_the_kpi_tile_turns_red(k):
    # when the manager posts a target from the KPI page's form
    response = web(k.manager).post(TARGETS_URL, {"metric": "success_rate", "target": "95", "amber_band": "5"})
    assert response.status_code == 302
    # then the KPI page shows 62.5% against ≥ 95 as red, and untargeted tiles have no status
    html = web(k.manager).get("/reports/kpis/", PERIOD).content.decode()
    assert 'data-metric="success_rate" data-status="red"' in html
    assert 'data-metric="backlog" data-status="none"' in html
    assert 'data-testid="kpi-target-form"' in html
    # and the tiles are grouped under the two success factors
    assert html.count('data-testid="kpi-factor"') == 2
    approaches = html[html.index('data-factor="approaches"') : html.index('data-factor="delivery"')]
    assert 'data-metric="satisfaction_rate_of_change"' in approaches
    assert 'data-metric="audit_findings"' in approaches
    assert 'data-metric="success_rate"' not in approaches


@pytest.mark.parametrize(
    ("metric", "target", "status"),
    [("lead_time_median_hours", "24", "green"), ("lead_time_median_hours", "22", "amber"), ("failures", "1", "red")],
)
def test_lower_is_better_metrics_on_the_page(k, metric, target, status):
    web(k.manager).post(TARGETS_URL, {"metric": metric, "target": target})
    html = web(k.auditor).get("/reports/kpis/", PERIOD).content.decode()
    assert f'data-metric="{metric}" data-status="{status}"' in html


def test_auditors_read_the_targets_page_but_may_not_post(k):
    kpi_target_set(ctx=AuditContext(actor=k.manager), metric="change_failure_rate", target=15)
    page = web(k.auditor).get(TARGETS_URL)
    assert page.status_code == 200
    html = page.content.decode()
    row = html[html.index('data-metric="change_failure_rate"') :]
    assert "15" in row[: row.index("</tr>")] and k.manager.get_full_name() in row[: row.index("</tr>")]
    assert 'data-testid="kpi-target-form"' not in html
    assert "kpi-target-form" not in web(k.auditor).get("/reports/kpis/", PERIOD).content.decode()
    before = written()
    assert web(k.auditor).post(TARGETS_URL, {"metric": "success_rate", "target": "1"}).status_code == 403
    assert written() == before


@pytest.mark.parametrize(
    "data",
    [
        {"metric": "success_rate", "target": "150"},
        {"metric": "success_rate"},
        {"metric": "bogus", "target": "1"},
        {"metric": "success_rate", "target": "x"},
        {"metric": "success_rate", "target": "5", "amber_band": "-1"},
    ],
)
def test_bad_target_posts_are_a_400_with_the_error_on_the_form(k, data):
    response = web(k.manager).post(TARGETS_URL, data)
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode() or "alert-danger" in response.content.decode()
    assert written() == (0, 0)


def test_clearing_on_the_page(k):
    kpi_target_set(ctx=AuditContext(actor=k.manager), metric="backlog", target=5)
    assert web(k.manager).post(TARGETS_URL, {"metric": "backlog", "clear": "on"}).status_code == 302
    assert KpiTarget.objects.count() == 0


def test_an_administrator_sets_a_target_in_the_admin_through_the_service(k):
    admin = UserFactory(username="kpi-admin", is_staff=True, is_superuser=True)
    client = web(admin)
    bad = client.post("/admin/reports/kpitarget/add/", {"metric": "success_rate", "target": "150"})
    assert bad.status_code == 200 and KpiTarget.objects.count() == 0
    ok = client.post("/admin/reports/kpitarget/add/", {"metric": "success_rate", "target": "90", "amber_band": ""})
    assert ok.status_code == 302
    row = KpiTarget.objects.get()
    assert (row.target, row.set_by) == (90.0, admin)
    entry = AuditEntry.objects.filter(object_type="reports.kpitarget").get()
    assert (entry.action, entry.channel, entry.actor_id) == ("target_set", "admin", admin.pk)
    assert client.post(f"/admin/reports/kpitarget/{row.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not KpiTarget.objects.exists()
    assert AuditEntry.objects.filter(object_type="reports.kpitarget", action="target_cleared", channel="admin").exists()


# --- the API ----------------------------------------------------------------------------------------------------


def test_the_api_carries_target_status_and_success_factor_beside_the_flat_fields(k):
    kpi_target_set(ctx=AuditContext(actor=k.manager), metric="success_rate", target=60, amber_band=None)
    kpi_target_set(ctx=AuditContext(actor=k.manager), metric="change_failure_rate", target=55, amber_band=10)
    body = api(k.auditor).get("/api/v1/kpis/", PERIOD).json()
    # the flat fields are unchanged
    assert (body["success_rate"], body["change_failure_rate"], body["failures"]) == (62.5, 60.0, 3)
    # and per metric: value, target, band, status, success factor, direction
    assert set(body["metrics"]) == set(body["details"])
    assert body["metrics"]["success_rate"] == {
        "value": 62.5,
        "target": 60.0,
        "amber_band": 5.0,
        "status": "green",
        "success_factor": "delivery",
        "better": "higher",
    }
    assert body["metrics"]["change_failure_rate"]["status"] == "amber"  # 60 against ≤ 55, band 10
    assert body["metrics"]["failures"] == {
        "value": 3,
        "target": None,
        "amber_band": None,
        "status": "none",
        "success_factor": "delivery",
        "better": "lower",
    }
    assert body["metrics"]["satisfaction_rate_of_change"]["success_factor"] == "approaches"
    assert [f["key"] for f in body["success_factors"]] == ["approaches", "delivery"]
    listed = [key for f in body["success_factors"] for key in f["metrics"]]
    assert sorted(listed) == sorted(body["metrics"])
    assert all(f["title"] for f in body["success_factors"])


def test_the_schema_documents_the_per_metric_detail(k):
    client = APIClient()
    client.force_authenticate(k.manager)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/kpis/"]["get"]
    assert "automation_level" in {p["name"] for p in operation["parameters"]}
    metric = schema["components"]["schemas"]["KpiMetric"]
    assert set(metric["properties"]) == {"value", "target", "amber_band", "status", "success_factor", "better"}
    assert "schemas" in schema["components"] and "SuccessFactor" in schema["components"]["schemas"]
