"""`GET /api/v1/kpis/`: exactly the fields of DESIGN.md §5, exact values, 400/401/403, schema, query count."""

import pytest
from rest_framework.test import APIClient

from tests.factories.accounts import UserFactory, token_for
from tests.reports.kpi_data import build_kpi_data

pytestmark = pytest.mark.django_db

URL = "/api/v1/kpis/"
PERIOD = {"from": "2025-03-03", "to": "2025-03-30"}
FIELDS = [
    "success_rate",
    "failures",
    "incident_rate",
    "schedule_adherence",
    "backlog",
    "throughput_per_week",
    "lead_time_median_hours",
    "lead_time_p90_hours",
    "satisfaction_lead_time",
    "satisfaction_quality",
    "partner_alignment",
    "satisfaction_rate_of_change",
    "model_adoption_rate",
    "compliance_exceptions",
    "audit_findings",
    "deployment_frequency_per_week",
    "change_failure_rate",
    "time_to_restore_median_hours",
    "release_lag_median_hours",
]


@pytest.fixture
def k():
    return build_kpi_data()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def test_the_resource_has_exactly_the_contract_fields_and_values(k):
    # when the manager asks for the KPIs of the known period with a token
    response = client_for(k.manager).get(URL, PERIOD)
    # then the body has exactly the §5 fields plus from, to, filters and details, with the hand-worked values
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        *FIELDS,
        *("from", "to", "filters", "details", "audit_findings_by_severity", "metrics", "success_factors"),
    }
    assert {key: body[key] for key in FIELDS} == {
        "success_rate": 62.5,
        "failures": 3,
        "incident_rate": 25.0,
        "schedule_adherence": 75.0,
        "backlog": 2,
        "throughput_per_week": 1.25,
        "lead_time_median_hours": 24.0,
        "lead_time_p90_hours": 82.0,
        "satisfaction_lead_time": 3.67,
        "satisfaction_quality": 4.0,
        "partner_alignment": 3.67,
        "satisfaction_rate_of_change": 4.5,
        "model_adoption_rate": 77.8,
        "compliance_exceptions": 3,
        "audit_findings": 3,
        "deployment_frequency_per_week": 0.75,
        "change_failure_rate": 60.0,
        "time_to_restore_median_hours": 24.0,
        "release_lag_median_hours": None,
    }
    assert body["audit_findings_by_severity"] == {"low": 1, "medium": 0, "high": 1, "critical": 1}
    assert (body["from"], body["to"]) == ("2025-03-03", "2025-03-30")
    assert body["filters"] == {
        "environment": None,
        "service": None,
        "model": None,
        "supplier": None,
        "automation_level": None,
    }
    assert set(body["details"]) == set(FIELDS)
    assert body["details"]["success_rate"]["numerator"] == 5
    assert body["details"]["success_rate"]["denominator"] == 8
    assert body["details"]["success_rate"]["definition"].startswith("Deployments completed")
    assert body["details"]["time_to_restore_median_hours"] == {
        "numerator": 1,
        "denominator": 4,  # d3 and d15 failed; INC-d3 and INC-d4 attributed
        "definition": body["details"]["time_to_restore_median_hours"]["definition"],
        "unit": "hours",
    }


def test_no_data_is_null(k):
    body = client_for(k.manager).get(URL, {"from": "2020-01-01", "to": "2020-01-28"}).json()
    assert body["success_rate"] is None
    assert body["time_to_restore_median_hours"] is None
    assert body["failures"] == 0
    assert body["details"]["success_rate"]["denominator"] == 0


def test_filters_are_applied_and_echoed(k):
    body = client_for(k.manager).get(URL, {**PERIOD, "environment": k.prod.pk, "model": k.m1.pk}).json()
    assert body["filters"] == {
        "environment": k.prod.pk,
        "service": None,
        "model": k.m1.pk,
        "supplier": None,
        "automation_level": None,
    }
    assert body["success_rate"] == 100.0  # d1 d4 d7
    assert body["details"]["success_rate"]["denominator"] == 3


def test_a_service_owner_gets_their_services_numbers(k):
    body = client_for(k.owner).get(URL, PERIOD).json()
    assert body["success_rate"] == 75.0
    assert body["backlog"] == 1
    # the findings about their services' deployments only (f1 on d2, f2 on d3), not the model's
    assert body["audit_findings"] == 2
    assert body["audit_findings_by_severity"] == {"low": 0, "medium": 0, "high": 1, "critical": 1}


@pytest.mark.parametrize(
    ("filters", "total", "by_severity"),
    [
        ({"environment": "prod"}, 1, {"low": 0, "medium": 0, "high": 0, "critical": 1}),  # f2 on d3
        ({"model": "m1"}, 2, {"low": 1, "medium": 0, "high": 1, "critical": 0}),  # f1 on d2 (M1), f3 on M1
        ({"service": "svc_b"}, 0, {"low": 0, "medium": 0, "high": 0, "critical": 0}),  # f4 is before the period
    ],
)
def test_audit_findings_follow_the_filters(k, filters, total, by_severity):
    # when the manager filters the KPIs by an environment, a model or a service
    params = {**PERIOD, **{key: getattr(k, value).pk for key, value in filters.items()}}
    body = client_for(k.manager).get(URL, params).json()
    # then only the findings about what is in scope are counted
    assert (body["audit_findings"], body["audit_findings_by_severity"]) == (total, by_severity)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2025-02-30"}, "to"),
        ({"from": "2025-03-30", "to": "2025-03-01"}, "to"),
        ({"environment": "x"}, "environment"),
        ({"service": "999999"}, "service"),
        ({"model": "-1"}, "model"),
    ],
)
def test_bad_params_are_400_json(k, params, field):
    response = client_for(k.manager).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]


def test_a_service_owner_may_not_ask_for_another_service(k):
    response = client_for(k.owner).get(URL, {"service": k.svc_b.pk})
    assert response.status_code == 400
    assert "service" in response.json()["errors"]


@pytest.mark.parametrize("roles", [["practitioner"], []])
def test_without_the_permission_403(k, roles):
    response = client_for(UserFactory(roles=roles)).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_401(k):
    response = APIClient().get(URL)
    assert response.status_code == 401


def test_the_schema_documents_the_resource(k):
    client = APIClient()
    client.force_authenticate(k.manager)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/kpis/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "environment", "service", "model"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {
        *FIELDS,
        "from",
        "to",
        "filters",
        "details",
        "audit_findings_by_severity",
        "metrics",
        "success_factors",
    }


def test_query_count_is_constant(k, django_assert_max_num_queries):
    client = client_for(k.manager)
    with django_assert_max_num_queries(16):
        client.get(URL, PERIOD)
