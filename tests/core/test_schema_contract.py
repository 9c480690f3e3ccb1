"""The OpenAPI schema documents every addition of DESIGN.md §5 the practice in depth brought (risk, release, steps,
stakeholders, targets, clearances, handover, pilot, delegations): each path with its methods, each resource with
the fields clients rely on — what schemathesis fuzzes (scripts/schemathesis.sh) is read from this schema."""

import pytest
from rest_framework.test import APIClient

DEPLOYMENT = "/api/v1/deployments/{id}/"
# path → the methods it must document
PATHS = {
    f"{DEPLOYMENT}release/": {"post"},
    f"{DEPLOYMENT}steps/": {"get", "post"},
    f"{DEPLOYMENT}steps/reorder/": {"post"},
    f"{DEPLOYMENT}steps/{{step_id}}/": {"get", "patch", "delete"},
    f"{DEPLOYMENT}handover/": {"post"},
    f"{DEPLOYMENT}pilot-confirm/": {"post"},
    "/api/v1/deployment-models/{id}/pilot/": {"post"},
    "/api/v1/deployment-models/{id}/evaluate/": {"post"},
    "/api/v1/environments/{environment_id}/clearances/": {"get", "post"},
    "/api/v1/delegations/": {"get", "post"},
    "/api/v1/delegations/{id}/revoke/": {"post"},
    "/api/v1/kpis/": {"get"},
}


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    """The schema as anyone reads it (it is public), generated once for the module; nothing is written."""
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _properties(schema: dict, name: str) -> dict:
    """A component's properties, following `allOf` and `$ref` (drf-spectacular's nested and patched shapes)."""
    found = schema["components"]["schemas"][name]
    properties = dict(found.get("properties", {}))
    for part in found.get("allOf", []):
        if "$ref" in part:
            properties.update(_properties(schema, part["$ref"].rsplit("/", 1)[1]))
    return properties


def _ref(prop: dict) -> str:
    """The component a property points to, directly, through `allOf`, or as the items of an array."""
    for candidate in (prop, prop.get("items", {}), *prop.get("allOf", []), *prop.get("items", {}).get("allOf", [])):
        if "$ref" in candidate:
            return candidate["$ref"].rsplit("/", 1)[1]
    raise AssertionError(f"no $ref in {prop}")


def _item(schema: dict, operation: dict) -> dict:
    """The properties of one item a list operation answers with, paginated (`results`) or not."""
    content = operation["responses"]["200"]["content"]["application/json"]["schema"]
    name = _ref(content)
    properties = _properties(schema, name)
    if "results" in properties:
        return _properties(schema, _ref(properties["results"]))
    return properties


@pytest.mark.parametrize(("path", "methods"), PATHS.items(), ids=list(PATHS))
def test_every_new_endpoint_is_in_the_schema_with_its_methods(schema, path, methods):
    assert path in schema["paths"], f"{path} is not documented"
    assert methods <= set(schema["paths"][path]), f"{path}: {sorted(schema['paths'][path])}"


def test_a_deployment_carries_risk_release_back_out_plan_supplier_and_change_ref(schema):
    fields = _properties(schema, "Deployment")
    expected = {"risk_score", "risk_factors", "released_at", "release_ref", "back_out_plan", "supplier", "change_ref"}
    assert expected <= set(fields)
    assert fields["risk_score"].get("readOnly") and fields["released_at"].get("readOnly")
    factor = _properties(schema, _ref(fields["risk_factors"]))
    assert {"factor", "value", "contribution"} <= set(factor)


def test_a_step_carries_the_contract_fields(schema):
    step = _item(schema, schema["paths"][f"{DEPLOYMENT}steps/"]["get"])
    assert {"id", "order", "title", "owner", "expected_minutes", "status", "done_at"} <= set(step)


def test_a_service_carries_its_stakeholders(schema):
    stakeholders = _properties(schema, _ref(_properties(schema, "Service")["stakeholders"]))
    assert {"service_desk_email", "consumer_contacts", "supplier_contacts"} <= set(stakeholders)


def test_a_clearance_carries_reason_granter_and_expiry(schema):
    clearance = _item(schema, schema["paths"]["/api/v1/environments/{environment_id}/clearances/"]["get"])
    assert {"id", "user", "granted_by", "reason", "expires_at"} <= set(clearance)


def test_the_kpis_carry_target_status_and_success_factor_per_metric(schema):
    operation = schema["paths"]["/api/v1/kpis/"]["get"]
    kpis = _properties(schema, _ref(operation["responses"]["200"]["content"]["application/json"]["schema"]))
    assert {"metrics", "success_factors", "release_lag_median_hours", "satisfaction_rate_of_change"} <= set(kpis)
    assert {"partner_alignment", "audit_findings"} <= set(kpis)
    metric = schema["components"]["schemas"]["KpiMetric"]["properties"]
    assert {"target", "status", "success_factor"} <= set(metric)
    assert set(metric["status"].get("enum") or _enum(schema, metric["status"])) >= {"green", "amber", "red", "none"}


def _enum(schema: dict, prop: dict) -> list:
    return schema["components"]["schemas"][_ref(prop)]["enum"]
