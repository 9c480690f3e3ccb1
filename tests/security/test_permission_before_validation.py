"""Permission before validation: every write endpoint × every role without the right × an empty and malformed bodies.

A user who may not do something is refused (403, or 404 when they may not see the object; 401 for anonymous API
clients, the login redirect for anonymous page visitors) whatever they send — nothing, broken JSON, wrong types or a
stale `version` — and nothing is written. The endpoints are read from the URL resolver (API routers and form
views alike): a new write endpoint fails `test_every_write_endpoint_is_classified` until it has a row here.
"""

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from apps.deployments import workflow
from apps.deployments.models import DeploymentStep
from apps.deployments.services import Context, incident_link_add, problem_add
from tests.security.conftest import rolled_back_world
from tests.world import build_world

WRITE_METHODS = ("post", "put", "patch", "delete")
ROLES = ["norole", "manager", "practitioner", "service_owner", "product_owner", "auditor", "admin"]

# --- who is refused ---------------------------------------------------------------------------------------------

NOT_MANAGERS = dict.fromkeys(("norole", "practitioner", "service_owner", "product_owner", "auditor"), 403)
# w.draft and w.deployment are w.service's: the role-less user cannot see them (404), everyone else can
DRAFT_REQUEST = {"norole": 404, "practitioner": 403, "service_owner": 403, "auditor": 403}  # requester: product owner
DRAFT_DECIDE = {**DRAFT_REQUEST, "product_owner": 403}  # only managers approve and reject
EXECUTE = {"norole": 404, "service_owner": 403, "product_owner": 403, "auditor": 403}  # w.deployment: assigned + mgr
# w.other_deployment is another service's: hidden from the owners of w.service, not assigned to the practitioner
OTHER_EXECUTE = {"norole": 404, "service_owner": 404, "product_owner": 404, "practitioner": 403, "auditor": 403}
OTHER_REQUEST = {"norole": 404, "service_owner": 404, "product_owner": 404, "practitioner": 403, "auditor": 403}
RATE = {"norole": 404, "manager": 403, "practitioner": 403, "auditor": 403, "admin": 403}  # requester and owners only
REQUEST = {"norole": 403, "auditor": 403}  # planning a deployment at all
# the handover: whoever may edit the plan or execute it gets past the door; the service then answers for the status
HANDOVER = {"norole": 404, "service_owner": 403, "auditor": 403}
REVIEW_NOTE = {"norole": 403, "product_owner": 403, "auditor": 403}  # participants: service owner, practitioner
INITIATIVE_OWNER = dict.fromkeys(("norole", "service_owner", "product_owner", "auditor"), 403)  # owner: practitioner
RAISE_FINDING = dict.fromkeys(("norole", "practitioner", "service_owner", "product_owner"), 403)  # auditors, managers
# w.finding is owned by the practitioner: auditors see it and may not move it; owners of nothing of it do not see it
MOVE_FINDING = {"norole": 404, "service_owner": 404, "product_owner": 404, "auditor": 403}
ANYONE_SIGNED_IN: dict[str, int] = {}
OTHERS_TOKEN = {r: 404 for r in ROLES if r not in ("manager",)}


@dataclass(frozen=True)
class Case:
    """One URL of an endpoint and the roles refused there, with the status each gets."""

    url: Callable
    denied: dict[str, int]
    label: str = ""
    anonymous: bool = True  # anonymous visitors are refused too (everywhere but the login form)


@dataclass
class Endpoint:
    cases: list[Case] = field(default_factory=list)
    exempt: str = ""  # why nobody is refused (the login form, logging out)


def _check(w):
    return w.deployment.checks.filter(kind="component").first()


def _problem(w):
    return problem_add(
        ctx=Context(actor=w.users["manager"]), deployment=w.deployment, description="Slow start", severity="low"
    )


_INCIDENTS = itertools.count(1)


def _incident(w):
    ref = f"INC-S{next(_INCIDENTS)}"  # a new reference each time: a URL may be built twice in one transaction
    return incident_link_add(ctx=Context(actor=w.users["manager"]), deployment=w.deployment, incident_ref=ref)


def _step(w):
    return DeploymentStep.objects.create(deployment=w.deployment, order=99, title="Sweep step")


def one(url, denied, label="", **kw) -> Endpoint:
    return Endpoint([Case(url=url, denied=denied, label=label, **kw)])


def _transition_cases(name: str, page: bool) -> list[Case]:
    """The objects and refused roles of a transition follow the workflow table's actors."""
    spec = workflow.TRANSITIONS[name]

    def at(attr):
        if page:
            return lambda w: f"/deployments/{getattr(w, attr).pk}/transition/{name}/"
        return lambda w: f"/api/v1/deployments/{getattr(w, attr).pk}/{name}/"

    if workflow.PRACTITIONER in spec.actors:
        return [Case(at("deployment"), EXECUTE, "assigned"), Case(at("other_deployment"), OTHER_EXECUTE, "unassigned")]
    if workflow.REQUESTER in spec.actors:
        return [Case(at("draft"), DRAFT_REQUEST, "own request"), Case(at("other_deployment"), OTHER_REQUEST, "other")]
    assert workflow.MANAGER in spec.actors, name  # the system's own transition (replan) has no endpoint
    return [Case(at("draft"), DRAFT_DECIDE, "decide")]


ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    # accounts
    ("login", "post"): Endpoint(exempt="the login form is for anonymous visitors"),
    ("login", "put"): Endpoint(exempt="the login form is for anonymous visitors"),
    ("logout", "post"): Endpoint(exempt="anyone may log out"),
    # deployments: inbound events are verified by the sender's signature or token, not by a user's rights
    ("hook-github", "post"): Endpoint(
        exempt="signed by GitHub (X-Hub-Signature-256): tests/deployments_api/test_hooks.py"
    ),
    ("hook-gitlab", "post"): Endpoint(
        exempt="GitLab's secret token (X-Gitlab-Token): tests/deployments_api/test_hooks.py"
    ),
    ("accounts:token_create", "post"): one(lambda w: "/accounts/tokens/", ANYONE_SIGNED_IN, "own token"),
    ("accounts:notifications", "post"): one(lambda w: "/accounts/notifications/", ANYONE_SIGNED_IN, "own choices"),
    ("deployments:alignment_rate", "post"): Endpoint(
        exempt="public: the signed, expiring link decides (tests/deployments/test_alignment.py)"
    ),
    **{
        ("catalog:service_stakeholders", method): one(
            lambda w: f"/services/{w.service.slug}/stakeholders/",
            dict.fromkeys(("norole", "practitioner", "product_owner", "auditor"), 403),
        )
        for method in ("post", "put")
    },
    ("accounts:token_revoke", "post"): one(
        lambda w: f"/accounts/tokens/{w.tokens['manager'].pk}/revoke/", OTHERS_TOKEN, "another's token"
    ),
    # reports: the calendar's POST manages one's own feed URL; audit: the audit page's POST verifies the chain
    ("reports:calendar", "post"): one(lambda w: "/calendar/", ANYONE_SIGNED_IN, "own feed"),
    ("audit:auditentry_list", "post"): one(
        lambda w: "/audit/", dict.fromkeys(("norole", "practitioner", "service_owner", "product_owner"), 403)
    ),
}

# environments: managers only, pages and API
_ENV = lambda w: w.env_test.slug  # noqa: E731
for _name, _url in (
    ("environments:environment_create", lambda w: "/environments/new/"),
    ("environments:environment_update", lambda w: f"/environments/{_ENV(w)}/edit/"),
    ("environments:environment_checks", lambda w: f"/environments/{_ENV(w)}/checks/"),
    ("environments:environment_clearances", lambda w: f"/environments/{_ENV(w)}/clearances/"),
    ("environments:freeze_window_create", lambda w: "/freeze-windows/new/"),
    ("environments:freeze_window_update", lambda w: f"/freeze-windows/{w.freeze.pk}/edit/"),
    ("environments:freeze_window_delete", lambda w: f"/freeze-windows/{w.freeze.pk}/delete/"),
    ("environments:maintenance_window_create", lambda w: "/maintenance-windows/new/"),
    ("environments:maintenance_window_update", lambda w: f"/maintenance-windows/{w.maintenance.pk}/edit/"),
    ("environments:maintenance_window_delete", lambda w: f"/maintenance-windows/{w.maintenance.pk}/delete/"),
):
    ENDPOINTS[(_name, "post")] = one(_url, NOT_MANAGERS)
for _base, _detail in (
    ("environment", lambda w: w.env_test.pk),
    ("freeze-window", lambda w: w.freeze.pk),
    ("maintenance-window", lambda w: w.maintenance.pk),
):
    _plural = {"environment": "environments"}.get(_base, _base + "s")
    ENDPOINTS[(f"{_base}-list", "post")] = one(lambda w, p=_plural: f"/api/v1/{p}/", NOT_MANAGERS)
    for _method in ("put", "patch", "delete"):
        ENDPOINTS[(f"{_base}-detail", _method)] = one(
            lambda w, p=_plural, d=_detail: f"/api/v1/{p}/{d(w)}/", NOT_MANAGERS
        )
ENDPOINTS[("environment-clearance-list", "post")] = one(
    lambda w: f"/api/v1/environments/{w.env_prod.pk}/clearances/", NOT_MANAGERS
)
ENDPOINTS[("environment-clearance-detail", "delete")] = one(
    lambda w: f"/api/v1/environments/{w.env_prod.pk}/clearances/{w.clearance.pk}/", NOT_MANAGERS
)
ENDPOINTS[("environment-standing-check-list", "post")] = one(
    lambda w: f"/api/v1/environments/{w.env_prod.pk}/standing-checks/", NOT_MANAGERS
)
for _method in ("put", "patch", "delete"):
    ENDPOINTS[("environment-standing-check-detail", _method)] = one(
        lambda w: f"/api/v1/environments/{w.env_prod.pk}/standing-checks/{w.standing_check.pk}/", NOT_MANAGERS
    )

# catalog: managers; owners of a service for its components and versions (never another service's)
COMPONENT_WRITERS_REFUSED = dict.fromkeys(("norole", "practitioner", "product_owner", "auditor"), 403)
for _name, _url in (
    ("catalog:service_create", lambda w: "/services/new/"),
    ("catalog:service_update", lambda w: f"/services/{w.service.slug}/edit/"),
    ("catalog:component_create", lambda w: f"/services/{w.other_service.slug}/components/new/"),
    ("catalog:component_update", lambda w: f"/components/{w.other_component.pk}/edit/"),
    ("catalog:component_version_create", lambda w: f"/components/{w.other_component.pk}/versions/new/"),
    ("catalog:component_version_update", lambda w: f"/versions/{w.other_version.pk}/edit/"),
    ("catalog:supplier_create", lambda w: "/suppliers/new/"),
    ("catalog:supplier_update", lambda w: f"/suppliers/{w.supplier.pk}/edit/"),
):
    for _method in ("post", "put"):
        ENDPOINTS[(_name, _method)] = one(_url, NOT_MANAGERS)
ENDPOINTS[("service-list", "post")] = one(lambda w: "/api/v1/services/", NOT_MANAGERS)
ENDPOINTS[("supplier-list", "post")] = one(lambda w: "/api/v1/suppliers/", NOT_MANAGERS)
ENDPOINTS[("component-list", "post")] = one(lambda w: "/api/v1/components/", COMPONENT_WRITERS_REFUSED)
ENDPOINTS[("componentversion-list", "post")] = one(lambda w: "/api/v1/component-versions/", COMPONENT_WRITERS_REFUSED)
ENDPOINTS[("componentversion-register", "post")] = one(
    lambda w: "/api/v1/component-versions/register/", COMPONENT_WRITERS_REFUSED
)
for _base, _url, _methods in (
    ("service", lambda w: f"/api/v1/services/{w.service.pk}/", ("put", "patch")),
    ("component", lambda w: f"/api/v1/components/{w.other_component.pk}/", ("put", "patch", "delete")),
    ("componentversion", lambda w: f"/api/v1/component-versions/{w.other_version.pk}/", ("put", "patch")),
    ("supplier", lambda w: f"/api/v1/suppliers/{w.supplier.pk}/", ("put", "patch", "delete")),
):
    for _method in _methods:
        ENDPOINTS[(f"{_base}-detail", _method)] = one(_url, NOT_MANAGERS)

# deployment models: managers only
for _name, _url in (
    ("deployment_models:model_create", lambda w: "/models/new/"),
    ("deployment_models:model_update", lambda w: f"/models/{w.draft_model.pk}/edit/"),
    ("deployment_models:model_stages", lambda w: f"/models/{w.draft_model.pk}/stages/"),
    ("deployment_models:stage_update", lambda w: f"/models/{w.draft_model.pk}/stages/{w.draft_stage.pk}/edit/"),
    ("deployment_models:stage_remove", lambda w: f"/models/{w.draft_model.pk}/stages/{w.draft_stage.pk}/remove/"),
    ("deployment_models:stage_move", lambda w: f"/models/{w.draft_model.pk}/stages/{w.draft_stage.pk}/move/"),
    ("deployment_models:model_responsibilities", lambda w: f"/models/{w.draft_model.pk}/responsibilities/"),
    (
        "deployment_models:responsibility_remove",
        lambda w: f"/models/{w.draft_model.pk}/responsibilities/{w.draft_responsibility.pk}/remove/",
    ),
    ("deployment_models:model_new_version", lambda w: f"/models/{w.model.pk}/new-version/"),
    ("deployment_models:model_pilot", lambda w: f"/models/{w.draft_model.pk}/pilot/"),
    ("deployment_models:model_activate", lambda w: f"/models/{w.draft_model.pk}/activate/"),
    ("deployment_models:model_retire", lambda w: f"/models/{w.model.pk}/retire/"),
    ("deployment_models:model_evaluate", lambda w: f"/models/{w.draft_model.pk}/evaluate/"),
):
    ENDPOINTS[(_name, "post")] = one(_url, NOT_MANAGERS)
for _key, _url in (
    (("deployment-model-list", "post"), lambda w: "/api/v1/deployment-models/"),
    (("deployment-model-detail", "put"), lambda w: f"/api/v1/deployment-models/{w.draft_model.pk}/"),
    (("deployment-model-detail", "patch"), lambda w: f"/api/v1/deployment-models/{w.draft_model.pk}/"),
    (("deployment-model-activate", "post"), lambda w: f"/api/v1/deployment-models/{w.draft_model.pk}/activate/"),
    (("deployment-model-pilot", "post"), lambda w: f"/api/v1/deployment-models/{w.draft_model.pk}/pilot/"),
    (("deployment-model-new-version", "post"), lambda w: f"/api/v1/deployment-models/{w.model.pk}/new-version/"),
    (("deployment-model-retire", "post"), lambda w: f"/api/v1/deployment-models/{w.model.pk}/retire/"),
    (("deployment-model-evaluate", "post"), lambda w: f"/api/v1/deployment-models/{w.draft_model.pk}/evaluate/"),
    (("model-stage-list", "post"), lambda w: "/api/v1/model-stages/"),
    (("model-stage-detail", "put"), lambda w: f"/api/v1/model-stages/{w.draft_stage.pk}/"),
    (("model-stage-detail", "patch"), lambda w: f"/api/v1/model-stages/{w.draft_stage.pk}/"),
    (("model-stage-detail", "delete"), lambda w: f"/api/v1/model-stages/{w.draft_stage.pk}/"),
    (("responsibility-list", "post"), lambda w: "/api/v1/responsibilities/"),
    (("responsibility-detail", "delete"), lambda w: f"/api/v1/responsibilities/{w.draft_responsibility.pk}/"),
):
    ENDPOINTS[_key] = one(_url, NOT_MANAGERS)

# deployments
ENDPOINTS.update(
    {
        ("deployments:deployment_create", "post"): one(lambda w: "/deployments/new/", REQUEST),
        ("deployments:deployment_update", "post"): Endpoint(
            [
                Case(lambda w: f"/deployments/{w.draft.pk}/edit/", DRAFT_REQUEST, "own request"),
                Case(lambda w: f"/deployments/{w.other_deployment.pk}/edit/", OTHER_REQUEST, "other"),
            ]
        ),
        ("deployments:deployment_transition", "post"): Endpoint(
            [c for name in ("submit", "approve", "start") for c in _transition_cases(name, page=True)]
        ),
        ("deployments:check_record", "post"): one(
            lambda w: f"/deployments/{w.deployment.pk}/checks/{_check(w).pk}/", EXECUTE
        ),
        ("deployments:comment_add", "post"): Endpoint(
            [
                Case(lambda w: f"/deployments/{w.draft.pk}/comments/", {"norole": 404, "auditor": 403}),
                Case(
                    lambda w: f"/deployments/{w.other_deployment.pk}/comments/",
                    {"norole": 404, "service_owner": 404, "product_owner": 404, "auditor": 403},
                ),
            ]
        ),
        ("deployments:incident_add", "post"): one(lambda w: f"/deployments/{w.deployment.pk}/incidents/", EXECUTE),
        ("deployments:incident_resolve", "post"): one(
            lambda w: f"/deployments/{w.deployment.pk}/incidents/{_incident(w).pk}/resolve/", EXECUTE
        ),
        ("deployments:incident_withdraw", "post"): one(
            lambda w: f"/deployments/{w.deployment.pk}/incidents/{_incident(w).pk}/withdraw/", EXECUTE
        ),
        ("deployments:problem_add", "post"): one(lambda w: f"/deployments/{w.deployment.pk}/problems/", EXECUTE),
        ("deployments:problem_resolve", "post"): one(
            lambda w: f"/deployments/{w.deployment.pk}/problems/{_problem(w).pk}/resolve/", EXECUTE
        ),
        ("deployments:feedback_submit", "post"): one(lambda w: f"/deployments/{w.deployment.pk}/feedback/", RATE),
        ("deployments:handover_set", "post"): one(
            lambda w: f"/deployments/{w.deployment.pk}/handover/", HANDOVER, "approved"
        ),
        ("deployment-list", "post"): one(lambda w: "/api/v1/deployments/", REQUEST),
        ("deployment-bulk", "post"): one(lambda w: "/api/v1/deployments/bulk/", REQUEST),
        ("deployment-check-detail", "patch"): one(
            lambda w: f"/api/v1/deployments/{w.deployment.pk}/checks/{_check(w).pk}/", EXECUTE
        ),
        ("deployment-feedback", "post"): one(lambda w: f"/api/v1/deployments/{w.deployment.pk}/feedback/", RATE),
        ("deployment-handover", "post"): one(
            lambda w: f"/api/v1/deployments/{w.deployment.pk}/handover/", HANDOVER, "approved"
        ),
        ("deployment-incidents", "post"): one(lambda w: f"/api/v1/deployments/{w.deployment.pk}/incidents/", EXECUTE),
        ("deployment-problems", "post"): one(lambda w: f"/api/v1/deployments/{w.deployment.pk}/problems/", EXECUTE),
        ("deployment-pilot-confirm", "post"): one(
            lambda w: f"/api/v1/deployments/{w.deployment.pk}/pilot-confirm/", {**EXECUTE, "practitioner": 403}
        ),
        ("deployments:pilot_confirm", "post"): one(
            lambda w: f"/deployments/{w.deployment.pk}/pilot-confirm/", {**EXECUTE, "practitioner": 403}
        ),
        ("deployment-incident-resolve", "post"): one(
            lambda w: f"/api/v1/deployments/{w.deployment.pk}/incidents/{_incident(w).pk}/resolve/", EXECUTE
        ),
        ("deployment-incident-withdraw", "post"): one(
            lambda w: f"/api/v1/deployments/{w.deployment.pk}/incidents/{_incident(w).pk}/withdraw/", EXECUTE
        ),
        # the plan beside the status: release, step plan, back-out plan — the executors of w.deployment
        ("deployments:deployment_release", "post"): one(lambda w: f"/deployments/{w.deployment.pk}/release/", EXECUTE),
        ("deployments:back_out_plan", "post"): one(lambda w: f"/deployments/{w.deployment.pk}/back-out-plan/", EXECUTE),
        ("deployments:step_add", "post"): one(lambda w: f"/deployments/{w.deployment.pk}/steps/", EXECUTE),
        ("deployments:step_record", "post"): one(
            lambda w: f"/deployments/{w.deployment.pk}/steps/{_step(w).pk}/", EXECUTE
        ),
        ("deployments:step_remove", "post"): one(
            lambda w: f"/deployments/{w.deployment.pk}/steps/{_step(w).pk}/remove/", EXECUTE
        ),
        ("deployment-release", "post"): one(lambda w: f"/api/v1/deployments/{w.deployment.pk}/release/", EXECUTE),
        ("deployment-steps", "post"): one(lambda w: f"/api/v1/deployments/{w.deployment.pk}/steps/", EXECUTE),
        ("deployment-steps-reorder", "post"): one(
            lambda w: f"/api/v1/deployments/{w.deployment.pk}/steps/reorder/", EXECUTE
        ),
        ("deployment-step-detail", "patch"): one(
            lambda w: f"/api/v1/deployments/{w.deployment.pk}/steps/{_step(w).pk}/", EXECUTE
        ),
        ("deployment-step-detail", "delete"): one(
            lambda w: f"/api/v1/deployments/{w.deployment.pk}/steps/{_step(w).pk}/", EXECUTE
        ),
    }
)
for _method in ("put", "patch"):
    ENDPOINTS[("deployment-detail", _method)] = Endpoint(
        [
            Case(lambda w: f"/api/v1/deployments/{w.draft.pk}/", DRAFT_REQUEST, "own request"),
            Case(lambda w: f"/api/v1/deployments/{w.other_deployment.pk}/", OTHER_REQUEST, "other"),
        ]
    )
for _transition in workflow.people_transitions():
    ENDPOINTS[(f"deployment-{_transition.name}", "post")] = Endpoint(_transition_cases(_transition.name, page=False))

# reviews: managers run them; participants add notes; an initiative's owner updates it
for _name, _url in (
    ("reviews:review_create", lambda w: "/reviews/new/"),
    ("reviews:review_update", lambda w: f"/reviews/{w.review.pk}/edit/"),
    ("reviews:review_start", lambda w: f"/reviews/{w.review.pk}/start/"),
    ("reviews:review_complete", lambda w: f"/reviews/{w.review_in_progress.pk}/complete/"),
    ("reviews:initiative_create", lambda w: f"/reviews/{w.review_in_progress.pk}/initiatives/new/"),
):
    ENDPOINTS[(_name, "post")] = one(_url, NOT_MANAGERS)
ENDPOINTS[("reviews:review_note", "post")] = one(lambda w: f"/reviews/{w.review_in_progress.pk}/notes/", REVIEW_NOTE)
ENDPOINTS[("reviews:initiative_update", "post")] = one(
    lambda w: f"/initiatives/{w.initiative.pk}/edit/", INITIATIVE_OWNER
)
for _key, _url, _denied in (
    (("review-list", "post"), lambda w: "/api/v1/reviews/", NOT_MANAGERS),
    (("review-detail", "put"), lambda w: f"/api/v1/reviews/{w.review_in_progress.pk}/", NOT_MANAGERS),
    (("review-detail", "patch"), lambda w: f"/api/v1/reviews/{w.review_in_progress.pk}/", NOT_MANAGERS),
    (("review-start", "post"), lambda w: f"/api/v1/reviews/{w.review.pk}/start/", NOT_MANAGERS),
    (("review-complete", "post"), lambda w: f"/api/v1/reviews/{w.review_in_progress.pk}/complete/", NOT_MANAGERS),
    (("improvement-list", "post"), lambda w: "/api/v1/improvements/", NOT_MANAGERS),
    (("improvement-detail", "put"), lambda w: f"/api/v1/improvements/{w.initiative.pk}/", INITIATIVE_OWNER),
    (("improvement-detail", "patch"), lambda w: f"/api/v1/improvements/{w.initiative.pk}/", INITIATIVE_OWNER),
):
    ENDPOINTS[_key] = one(_url, _denied)

# KPI targets: managers only (auditors and owners read them)
ENDPOINTS[("reports:kpi_targets", "post")] = one(lambda w: "/reports/kpis/targets/", NOT_MANAGERS)

# the audit findings register: auditors and managers raise; managers and the finding's owner change its status
for _key, _url, _denied in (
    (("reports:finding_create", "post"), lambda w: "/findings/new/", RAISE_FINDING),
    (("reports:finding_status", "post"), lambda w: f"/findings/{w.finding.pk}/status/", MOVE_FINDING),
    (("audit-finding-list", "post"), lambda w: "/api/v1/audit-findings/", RAISE_FINDING),
    (
        ("audit-finding-change-status", "post"),
        lambda w: f"/api/v1/audit-findings/{w.finding.pk}/change-status/",
        MOVE_FINDING,
    ),
):
    ENDPOINTS[_key] = one(_url, _denied)


# integrations: webhooks are deployment managers' (auditors read them)
_HOOK = lambda w: f"/webhooks/{w.webhook.pk}"  # noqa: E731
ENDPOINTS[("integrations:webhook_create", "post")] = one(lambda w: "/webhooks/new/", NOT_MANAGERS)
ENDPOINTS[("integrations:webhook_update", "post")] = one(lambda w: f"{_HOOK(w)}/edit/", NOT_MANAGERS)
ENDPOINTS[("integrations:webhook_redeliver", "post")] = one(
    lambda w: f"{_HOOK(w)}/deliveries/{w.webhook_delivery.pk}/redeliver/", NOT_MANAGERS
)
ENDPOINTS[("webhook-list", "post")] = one(lambda w: "/api/v1/webhooks/", NOT_MANAGERS)
for _method in ("put", "patch", "delete"):
    ENDPOINTS[("webhook-detail", _method)] = one(lambda w: f"/api/v1{_HOOK(w)}/", NOT_MANAGERS)
ENDPOINTS[("webhook-delivery-redeliver", "post")] = one(
    lambda w: f"/api/v1{_HOOK(w)}/deliveries/{w.webhook_delivery.pk}/redeliver/", NOT_MANAGERS
)

# people: one's own skills (another's is not there to see); delegations of approval are deployment managers'
ENDPOINTS[("people:skill_list", "post")] = one(lambda w: "/profile/skills/", ANYONE_SIGNED_IN, "own skill")
ENDPOINTS[("people:skill_remove", "post")] = one(
    lambda w: f"/profile/skills/{w.skill.pk}/remove/",
    {r: 404 for r in ROLES if r != "practitioner"},
    "another's skill",
)
ENDPOINTS[("people:delegation_list", "post")] = one(lambda w: "/delegations/", NOT_MANAGERS)
ENDPOINTS[("people:delegation_revoke", "post")] = one(lambda w: f"/delegations/{w.delegation.pk}/revoke/", NOT_MANAGERS)
ENDPOINTS[("delegation-list", "post")] = one(lambda w: "/api/v1/delegations/", NOT_MANAGERS)
ENDPOINTS[("delegation-revoke", "post")] = one(lambda w: f"/api/v1/delegations/{w.delegation.pk}/revoke/", NOT_MANAGERS)

# --- the endpoints the project has ------------------------------------------------------------------------------


def _view_methods(callback) -> set[str]:
    """The write methods a URL answers: a ViewSet's mapped actions, or a view class's handlers, within its
    `http_method_names`."""
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return {"post"}  # a function view: assume it takes POSTs, so it must be classified
    allowed = set(getattr(cls, "http_method_names", WRITE_METHODS))
    actions = getattr(callback, "actions", None)
    if actions:
        return {m for m in actions if m in WRITE_METHODS and m in allowed}
    return {m for m in WRITE_METHODS if m in allowed and hasattr(cls, m)}


def _write_endpoints(resolver=None, namespace: str = "") -> set[tuple[str, str]]:
    found = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in ("admin", "djdt"):
                continue  # the Django admin is staff-only as a whole (tests/*/test_admin.py)
            found |= _write_endpoints(pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else f"{namespace}{pattern.pattern}"
            if pattern.name == "health":
                continue  # GET only (a function view)
            found |= {(name, method) for method in _view_methods(pattern.callback)}
    return found


def test_every_write_endpoint_is_classified():
    # given every URL and write method the project answers
    found = _write_endpoints()
    # when they are compared with the table above
    unclassified = sorted(found - set(ENDPOINTS))
    stale = sorted(set(ENDPOINTS) - found)
    # then each has its refused roles (or a reason why nobody is refused), and no row names a removed endpoint
    assert not unclassified, f"write endpoints without a row in {__name__}.ENDPOINTS: {unclassified}"
    assert not stale, f"rows for endpoints that no longer exist: {stale}"


# --- the sweep --------------------------------------------------------------------------------------------------

API_BODIES = {
    "empty": "",
    "invalid JSON": '{"version": 1, "title": ',
    "wrong types": json.dumps(
        {"version": -1, "title": ["x"], "name": {"a": 1}, "service": "x", "start": "yesterday", "comment": 5}
    ),
    "a list": json.dumps([1, "x", None]),
}
PAGE_BODIES = {
    "empty": {},
    "malformed": {
        "action": "bogus",
        "version": "-1",
        "start": "not a date",
        "result": "??",
        "user": "x",
        "check": "x",
        "direction": "sideways",
        "rating_lead_time": "ten",
    },
}


def _fingerprint() -> tuple:
    """Rows per table and the latest change of each (where a table records one): equal before and after means
    nothing was written. One query."""
    parts = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in ("sessions", "axes", "contenttypes") or meta.proxy or not meta.managed:
            continue
        table = connection.ops.quote_name(meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table})")
        for model_field in meta.concrete_fields:
            # the latest change, and the optimistic-locking counters (a component version's `version` is its text)
            column = model_field.column
            if column == "updated_at" or (
                column == "version" and model_field.get_internal_type().endswith("IntegerField")
            ):
                agg = "MAX" if column == "updated_at" else "SUM"
                parts.append(f"(SELECT {agg}({connection.ops.quote_name(column)}) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return tuple(cursor.fetchone())


def _send(client, method: str, url: str, body, *, api: bool):
    if api:
        return getattr(client, method)(url, body, content_type="application/json", HTTP_ACCEPT="application/json")
    if method == "post":
        return client.post(url, body)
    return getattr(client, method)(url, urlencode(body), content_type="application/x-www-form-urlencoded")


@pytest.fixture(scope="module")
def sweep_world(django_db_setup, django_db_blocker):
    def build():
        from guardian.shortcuts import assign_perm

        from apps.environments.models import Clearance, EnvironmentCheck

        w = build_world()
        assign_perm("environments.deploy_to_environment", w.users["norole"], w.env_prod)
        w.clearance = Clearance.objects.create(
            environment=w.env_prod, user=w.users["norole"], granted_by=w.users["manager"], reason="Sweep"
        )
        w.standing_check = EnvironmentCheck.objects.create(environment=w.env_prod, description="Back-up power tested")
        return w

    with rolled_back_world(django_db_blocker, build) as world:
        yield world


CASES = [
    pytest.param(key, i, id=f"{key[1].upper()} {key[0]}{' (' + case.label + ')' if case.label else ''}")
    for key, endpoint in sorted(ENDPOINTS.items())
    for i, case in enumerate(endpoint.cases)
]


@pytest.mark.parametrize(("key", "index"), CASES)
def test_refused_whatever_the_body(sweep_world, db, key, index):
    w = sweep_world
    name, method = key
    case = ENDPOINTS[key].cases[index]
    api = name.count(":") == 0 and not name.startswith(("login", "logout"))
    bodies = API_BODIES if api else PAGE_BODIES
    refused = dict(case.denied)
    if case.anonymous:
        refused["anonymous"] = 401 if api else 302
    mismatches = []
    for role, expected in refused.items():
        for label, body in bodies.items():
            with transaction.atomic():
                # given a client signed in as a role without the right (or none), and the URL's objects
                client = APIClient()
                if role != "anonymous":
                    client.force_login(w.users[role])
                url = case.url(w)
                before = _fingerprint()
                # when it sends an empty or malformed body
                response = _send(client, method, url, body, api=api)
                # then it is refused, and nothing was written
                if response.status_code != expected:
                    mismatches.append(f"{role} / {label}: expected {expected}, got {response.status_code}")
                elif expected == 302 and "/accounts/login/" not in response["Location"]:
                    mismatches.append(f"{role} / {label}: redirected to {response['Location']}, not the login")
                if _fingerprint() != before:
                    mismatches.append(f"{role} / {label}: something was written")
                transaction.set_rollback(True)
    assert not mismatches, f"{method.upper()} {case.url(w)}: " + "; ".join(mismatches)
