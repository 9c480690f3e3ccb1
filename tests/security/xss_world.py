"""The XSS world: the shared world plus one record of every writable resource, each user-entered text field planted
with script and attribute-breaking payloads, written through the API as a manager with a token (and through the
services where the API has no field for it)."""

import datetime as dt
import json
from types import SimpleNamespace

from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.deployments.services import Context, comment_add
from apps.environments.models import EnvironmentCheck
from apps.environments.services import environment_check_add
from apps.reviews.services import review_add_note
from tests.factories.accounts import token_for
from tests.factories.catalog import sha256_of
from tests.world import build_world

SCRIPT = '<script>alert("xss")</script>'
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = SCRIPT + IMG
RAW_MARKERS = ('<script>alert("xss")', "<img src=x onerror")
ESCAPED = "&lt;script&gt;alert("


def x(label: str) -> str:
    """A planted value: a short label (so a failure says which field) and both payloads."""
    return f"{label} {PAYLOAD}"


class Api:
    """A token-authenticated JSON client that fails loudly on an unexpected status."""

    def __init__(self, user):
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, 'xss sweep')}")

    def _call(self, method: str, url: str, data=None, expect=(200, 201)) -> dict:
        response = getattr(self.client, method)(
            url, json.dumps(data or {}), content_type="application/json", HTTP_ACCEPT="application/json"
        )
        assert response.status_code in expect, f"{method.upper()} {url}: {response.status_code} {response.content!r}"
        return response.json() if response.content else {}

    def post(self, url, data=None, **kw) -> dict:
        return self._call("post", url, data, **kw)

    def patch(self, url, data=None, **kw) -> dict:
        return self._call("patch", url, data, **kw)

    def get(self, url) -> dict:
        response = self.client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, f"GET {url}: {response.status_code}"
        return response.json()


def _iso(value: dt.datetime) -> str:
    return value.isoformat()


def _post_deployment(api, x_, env, start, w) -> dict:
    return api.post(
        "/api/v1/deployments/",
        {
            "title": x("Deployment"),
            "action": "deploy",
            "trigger": "release",
            "model": x_.model["id"],
            "service": x_.service["id"],
            "component_versions": [x_.version["id"]],
            "environment": env["id"],
            "planned_start": _iso(start),
            "planned_end": _iso(start + dt.timedelta(hours=2)),
            "change_ref": x("CHG"),
            "release_ref": x("REL"),
            "supplier": x_.supplier["id"],
            "requirements": x("Requirements"),
            "acceptance_criteria": x("Acceptance"),
            "practitioners": [w.users["practitioner"].pk],
        },
    )


def build_xss_world() -> SimpleNamespace:
    w = build_world()
    manager = w.users["manager"]
    api = Api(manager)
    now = timezone.now().replace(microsecond=0)
    x_ = SimpleNamespace()
    w.x = x_

    # environments, standing checks, freeze and maintenance windows
    env = api.post(
        "/api/v1/environments/",
        {
            "name": x("Env"),
            "slug": "xss-env",
            "kind": "test",
            "order": 5,
            "purpose": x("Purpose"),
            "allows_parallel_deployments": True,
            "requires_maintenance_window": False,
        },
    )
    x_.env_id, x_.env_slug = env["id"], env["slug"]
    from apps.environments.models import Environment

    x_.env = Environment.objects.get(pk=env["id"])
    x_.env_check = environment_check_add(environment=x_.env, actor=manager, description=x("Standing check"))
    assert isinstance(x_.env_check, EnvironmentCheck)
    freeze_start = now + dt.timedelta(days=3)
    x_.freeze = api.post(
        "/api/v1/freeze-windows/",
        {
            "environment": env["id"],
            "name": x("Freeze"),
            "reason": x("Freeze reason"),
            "recurrence": "one_off",
            "start": _iso(freeze_start),
            "end": _iso(freeze_start + dt.timedelta(days=1)),
            "time_zone": "UTC",
        },
    )
    x_.maintenance = api.post(
        "/api/v1/maintenance-windows/",
        {
            "environment": env["id"],
            "name": x("Maintenance"),
            "recurrence": "one_off",
            "start": _iso(now + dt.timedelta(days=5)),
            "end": _iso(now + dt.timedelta(days=5, hours=4)),
            "time_zone": "UTC",
        },
    )

    # catalog: service, component, version, supplier
    x_.service = api.post(
        "/api/v1/services/",
        {
            "name": x("Service"),
            "description": x("Service description"),
            "criticality": "high",
            "owners": [w.users["service_owner"].pk],
            "product_owners": [w.users["product_owner"].pk],
        },
    )
    x_.supplier = api.post(
        "/api/v1/suppliers/",
        {"name": x("Supplier"), "kind": "vendor", "contract_ref": x("Contract"), "contacts": x("Contacts")},
    )
    x_.component = api.post(
        "/api/v1/components/",
        {
            "service": x_.service["id"],
            "name": x("Component"),
            "type": "software",
            "source": "in_house",
            "description": x("Component description"),
            "suppliers": [x_.supplier["id"]],
        },
    )
    x_.checksum = sha256_of("xss-version")
    x_.version = api.post(
        "/api/v1/component-versions/",
        {
            "component": x_.component["id"],
            "version": x("V"),
            "repository_ref": x("dml://repo"),
            "checksum": x_.checksum,
            "notes": x("Version notes"),
        },
    )

    # deployment model with one pre-approved stage into the planted environment, activated
    x_.model = api.post(
        "/api/v1/deployment-models/",
        {
            "name": x("Model"),
            "description": x("Model description"),
            "automation_level": "manual",
            "component_types": ["software"],
            "component_sources": ["in_house"],
            "dimension_organisations_people": x("Dim people"),
            "dimension_information_technology": x("Dim tech"),
            "dimension_value_streams_processes": x("Dim streams"),
            "dimension_partners_suppliers": x("Dim partners"),
            "selection_factors": {"risk": x("Factor risk")} if _factor_ok("risk") else {},
            "rollback_procedure": x("Rollback"),
            "review_interval_months": 3,
        },
    )
    x_.stage = api.post(
        "/api/v1/model-stages/",
        {
            "model": x_.model["id"],
            "environment": env["id"],
            "order": 1,
            "approvals_required": 0,
            "pre_approved": True,
            "entry_criteria": x("Entry"),
            "exit_criteria": x("Exit"),
            "acceptance_criteria": x("Stage acceptance"),
        },
    )
    x_.responsibility = api.post(
        "/api/v1/responsibilities/",
        {"model": x_.model["id"], "activity": x("Activity"), "role": "Deployment practitioner", "raci": "A"},
    )
    api.post(f"/api/v1/deployment-models/{x_.model['id']}/activate/", {"override_reason": x("Override")})

    # a deployment walked to completed, with every record planted
    start = now + dt.timedelta(hours=1)
    # an organisation whose change-reference format accepts any text, so the payload can be planted there too
    with override_settings(DEPLOYDESK_CHANGE_REF_PATTERN=r"(?s).+"):
        dep = _post_deployment(api, x_, env, start, w)
    base = f"/api/v1/deployments/{dep['id']}"
    dep = api.patch(f"{base}/", {"version": dep["version"], "outcome": x("Outcome"), "handover_note": x("Handover")})
    from apps.deployments.models import Deployment

    x_.deployment = Deployment.objects.get(pk=dep["id"])
    comment_add(ctx=Context(actor=manager), deployment=x_.deployment, comment=x("Comment"))
    api.post(f"{base}/submit/", {"comment": x("Submit comment")})
    _pass_checks(api, base, "entry")  # the stage's entry criteria, planted too
    api.post(f"{base}/start/", {"comment": x("Start comment")})
    for kind, step in (("component", "confirm-components"), ("environment", "confirm-environment")):
        _pass_checks(api, base, kind)
        api.post(f"{base}/{step}/")
    api.post(f"{base}/finish-execution/")
    _pass_checks(api, base, "acceptance")
    _pass_checks(api, base, "exit")
    api.post(f"{base}/complete/", {"comment": x("Complete comment")})
    api.post(f"{base}/incidents/", {"incident_ref": "INC-1", "title": x("Incident"), "severity": "high"})
    api.post(f"{base}/problems/", {"description": x("Problem"), "severity": "low"})
    api.post(f"{base}/feedback/", {"rating_lead_time": 4, "rating_quality": 5, "comment": x("Feedback")})
    x_.deployment.refresh_from_db()
    assert x_.deployment.status == "completed", x_.deployment.status

    # a review of the planted model, in progress, with a note and an improvement initiative
    today = timezone.localdate()
    x_.review = api.post(
        "/api/v1/reviews/",
        {
            "model": x_.model["id"],
            "kind": "ad_hoc",
            "period_start": (today - dt.timedelta(days=30)).isoformat(),
            "period_end": today.isoformat(),
            "due_date": (today + dt.timedelta(days=7)).isoformat(),
            "reason": x("Reason"),
            "facilitator": manager.pk,
            "participants": [w.users["service_owner"].pk],
        },
    )
    api.post(f"/api/v1/reviews/{x_.review['id']}/start/")
    api.patch(f"/api/v1/reviews/{x_.review['id']}/", {"findings": x("Findings"), "lessons_learnt": x("Lessons")})
    from apps.reviews.models import ImprovementInitiative, ModelReview

    x_.review_obj = ModelReview.objects.get(pk=x_.review["id"])
    review_add_note(review=x_.review_obj, actor=manager, text=x("Note"))
    x_.improvement = api.post(
        "/api/v1/improvements/",
        {
            "review": x_.review["id"],
            "title": x("Improvement"),
            "description": x("Improvement description"),
            "owner": w.users["practitioner"].pk,
            "change_request_ref": x("CR"),
        },
    )
    x_.improvement_obj = ImprovementInitiative.objects.get(pk=x_.improvement["id"])
    return w


def _factor_ok(key: str) -> bool:
    from apps.deployment_models.models import SELECTION_FACTOR_KEYS

    return key in SELECTION_FACTOR_KEYS


def _pass_checks(api: Api, base: str, kind: str) -> None:
    for check in api.get(f"{base}/checks/?page_size=200")["results"]:
        if check["kind"] != kind or check["result"] != "pending":
            continue
        observed = api_checksum(check)
        api.patch(
            f"{base}/checks/{check['id']}/",
            {"result": "pass", "evidence": x(f"Evidence {kind}"), "observed_checksum": observed},
        )


def api_checksum(check: dict) -> str:
    if not check.get("component_version"):
        return ""
    from apps.catalog.models import ComponentVersion

    return ComponentVersion.objects.get(pk=check["component_version"]).checksum
