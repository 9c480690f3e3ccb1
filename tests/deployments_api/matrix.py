"""Permission-matrix rows for the deployments API: every endpoint, every role (tests/matrix.py)."""

import datetime as dt
import itertools

from apps.deployments import workflow
from apps.deployments.models import DeploymentStep
from apps.deployments.services import Context, incident_link_add
from tests.factories.catalog import sha256_of
from tests.factories.deployments import DeploymentFactory, soon
from tests.matrix import api

BASE = "/api/v1/deployments/"
_INCIDENTS = itertools.count(1)
ALLOWED, FORBIDDEN, HIDDEN, CONFLICT = 200, 403, 404, 409
EXECUTORS = {"manager", "practitioner", "admin"}  # may execute w.deployment (assigned and cleared, or managers)


def _detail(attr: str, suffix: str = ""):
    def url(w) -> str:
        return f"{BASE}{getattr(w, attr).pk}/{suffix}"

    url.__name__ = f"{attr}_{suffix.strip('/') or 'detail'}"
    return url


def _incident(suffix: str):
    """An action URL on an open incident link of w.deployment, made afresh for each role's request."""

    def url(w):
        ref = f"INC-A{next(_INCIDENTS)}"  # a new reference each time: a URL may be built twice in one transaction
        link = incident_link_add(ctx=Context(actor=w.users["manager"]), deployment=w.deployment, incident_ref=ref)
        return f"/api/v1/deployments/{w.deployment.pk}/incidents/{link.pk}/{suffix}"

    return url


def _new_deployment(w) -> dict:
    start = soon(20)
    return {
        "title": "Shop 1.0.0 to test (matrix)",
        "service": w.service.pk,
        "environment": w.env_test.pk,
        "component_versions": [w.version_1.pk],
        "planned_start": start.isoformat(),
        "planned_end": (start + dt.timedelta(hours=1)).isoformat(),
    }


def _full_draft(w) -> dict:
    return {**_new_deployment(w), "environment": w.env_staging.pk, "component_versions": [w.version_2.pk], "version": 1}


def _completed_assigned(w) -> str:
    """The release URL of a completed deployment with the practitioner assigned, made afresh for each role."""
    d = DeploymentFactory(
        status="completed",
        service=w.service,
        environment=w.env_test,
        requester=w.users["product_owner"],
        versions=[w.version_1],
        practitioners=[w.users["practitioner"]],
    )
    return f"{BASE}{d.pk}/release/"


def _step(w) -> str:
    step = DeploymentStep.objects.create(deployment=w.deployment, order=99, title="Matrix step")
    return f"{BASE}{w.deployment.pk}/steps/{step.pk}/"


def _reorder(w) -> dict:
    DeploymentStep.objects.create(deployment=w.deployment, order=98, title="Matrix step")
    return {"steps": list(reversed(w.deployment.steps.values_list("pk", flat=True)))}


def _component_check(w) -> str:
    check = w.deployment.checks.get(kind="component")
    return f"{BASE}{w.deployment.pk}/checks/{check.pk}/"


def _transition_row(name: str):
    """Transitions on w.deployment (approved; requested by the product owner; the practitioner assigned)."""
    spec = workflow.TRANSITIONS[name]
    possible = workflow.Status.APPROVED in spec.sources
    if workflow.PRACTITIONER in spec.actors:
        allowed = EXECUTORS
    else:  # requester and/or manager (or a signing-off owner, not asked for by this stage)
        allowed = {"manager", "admin"} | ({"product_owner"} if workflow.REQUESTER in spec.actors else set())
    expected = {
        role: (ALLOWED if possible else CONFLICT) if role in allowed else FORBIDDEN
        for role in ("manager", "practitioner", "service_owner", "product_owner", "auditor", "admin")
    }
    return api(
        _detail("deployment", f"{name}/"),
        method="post",
        data={"comment": "From the permission matrix."},
        name=f"POST deployments/{{id}}/{name}/",
        norole=HIDDEN,
        **expected,
    )


ROWS = [
    api(BASE, name="GET deployments/"),
    api(
        BASE,
        method="post",
        data=_new_deployment,
        default=201,
        auditor=FORBIDDEN,
        norole=FORBIDDEN,
        name="POST deployments/",
    ),
    api(
        f"{BASE}bulk/",
        method="post",
        data=lambda w: {"deployments": [_new_deployment(w), {**_new_deployment(w), "title": "Shop 1.0.0 (second)"}]},
        default=201,
        auditor=FORBIDDEN,
        norole=FORBIDDEN,
        name="POST deployments/bulk/",
    ),
    api(f"{BASE}bulk/", default=405, name="GET deployments/bulk/"),
    api(_detail("deployment"), norole=HIDDEN, name="GET deployments/{id}/"),
    api(
        _detail("other_deployment"),
        norole=HIDDEN,
        service_owner=HIDDEN,
        product_owner=HIDDEN,
        name="GET deployments/{id}/ (another service)",
    ),
    api(
        _detail("draft"),
        method="patch",
        data={"title": "Shop 1.1.0 to staging (edited)", "version": 1},
        practitioner=FORBIDDEN,
        service_owner=FORBIDDEN,
        auditor=FORBIDDEN,
        norole=HIDDEN,
        name="PATCH deployments/{id}/",
    ),
    api(
        _detail("draft"),
        method="put",
        data=_full_draft,
        practitioner=FORBIDDEN,
        service_owner=FORBIDDEN,
        auditor=FORBIDDEN,
        norole=HIDDEN,
        name="PUT deployments/{id}/",
    ),
    api(_detail("draft"), method="delete", default=405, name="DELETE deployments/{id}/"),
    *[_transition_row(t.name) for t in workflow.people_transitions()],
    api(_detail("deployment", "gate/"), norole=HIDDEN, name="GET deployments/{id}/gate/"),
    api(
        _detail("other_deployment", "gate/"),
        norole=HIDDEN,
        service_owner=HIDDEN,
        product_owner=HIDDEN,
        name="GET deployments/{id}/gate/ (another service)",
    ),
    api("/api/v1/gate/?environment=test&component=shop-web&version=1.0.0", name="GET gate/"),
    api("/api/v1/gate/", method="post", default=405, name="POST gate/"),
    # deployment events: no user signs in, the sender's signature or token decides (see test_hooks.py):
    # an unsigned request is 401 for everyone, signed in or not
    api("/api/v1/hooks/github/", method="post", data={}, default=401, name="POST hooks/github/ (unsigned)"),
    api("/api/v1/hooks/gitlab/", method="post", data={}, default=401, name="POST hooks/gitlab/ (unsigned)"),
    api("/api/v1/hooks/github/", default=405, anonymous=405, name="GET hooks/github/"),
    api(_detail("deployment", "events/"), norole=HIDDEN, name="GET deployments/{id}/events/"),
    api(_detail("deployment", "checks/"), norole=HIDDEN, name="GET deployments/{id}/checks/"),
    api(_component_check, norole=HIDDEN, name="GET deployments/{id}/checks/{check_id}/"),
    api(
        _component_check,
        method="patch",
        data={"result": "pass", "evidence": "sha256sum", "observed_checksum": sha256_of("shop-web-1.0.0")},
        default=FORBIDDEN,
        manager=ALLOWED,
        practitioner=ALLOWED,
        admin=ALLOWED,
        norole=HIDDEN,
        name="PATCH deployments/{id}/checks/{check_id}/",
    ),
    api(_detail("deployment", "feedback/"), norole=HIDDEN, name="GET deployments/{id}/feedback/"),
    api(
        _detail("deployment", "handover/"),
        method="post",
        data={"handover_note": "Desk briefed.", "knowledge_links": ["https://kb.example.com/a"]},
        default=FORBIDDEN,  # approved: who may edit the plan writes it (managers); practitioners during verification
        manager=ALLOWED,
        admin=ALLOWED,
        norole=HIDDEN,
        name="POST deployments/{id}/handover/",
    ),
    api(
        _detail("deployment", "feedback/"),
        method="post",
        data={"rating_lead_time": 4, "rating_quality": 5},
        default=403,  # only the requester and the service's owners rate (asked before the body is read) …
        service_owner=CONFLICT,  # … and only completed deployments are rated
        product_owner=CONFLICT,
        norole=HIDDEN,
        name="POST deployments/{id}/feedback/",
    ),
    api(_detail("deployment", "incidents/"), norole=HIDDEN, name="GET deployments/{id}/incidents/"),
    api(
        _detail("deployment", "incidents/"),
        method="post",
        data={"incident_ref": "INC-4711", "title": "Checkout slow"},
        default=FORBIDDEN,
        manager=201,
        practitioner=201,
        admin=201,
        norole=HIDDEN,
        name="POST deployments/{id}/incidents/",
    ),
    api(
        _incident("resolve/"),
        method="post",
        data={},
        default=FORBIDDEN,
        manager=ALLOWED,
        practitioner=ALLOWED,
        admin=ALLOWED,
        norole=HIDDEN,
        name="POST deployments/{id}/incidents/{incident_id}/resolve/",
    ),
    api(
        _incident("withdraw/"),
        method="post",
        data={"reason": "Linked by mistake"},
        default=FORBIDDEN,
        manager=ALLOWED,
        practitioner=ALLOWED,
        admin=ALLOWED,
        norole=HIDDEN,
        name="POST deployments/{id}/incidents/{incident_id}/withdraw/",
    ),
    api(_detail("deployment", "problems/"), norole=HIDDEN, name="GET deployments/{id}/problems/"),
    api(
        _detail("deployment", "problems/"),
        method="post",
        data={"description": "Cache warm-up slow", "severity": "low"},
        default=FORBIDDEN,
        manager=201,
        practitioner=201,
        admin=201,
        norole=HIDDEN,
        name="POST deployments/{id}/problems/",
    ),
    api(
        _completed_assigned,
        method="post",
        data={"release_ref": "REL-2026-01", "comment": "Feature flag on"},
        default=FORBIDDEN,
        manager=ALLOWED,
        practitioner=ALLOWED,
        admin=ALLOWED,
        norole=HIDDEN,
        name="POST deployments/{id}/release/",
    ),
    api(
        _detail("deployment", "release/"),
        method="post",
        data={"release_ref": "REL-2026-01"},
        default=FORBIDDEN,
        manager=CONFLICT,
        practitioner=CONFLICT,
        admin=CONFLICT,
        norole=HIDDEN,
        name="POST deployments/{id}/release/ (not completed)",
    ),
    api(_detail("deployment", "steps/"), norole=HIDDEN, name="GET deployments/{id}/steps/"),
    api(
        _detail("deployment", "steps/"),
        method="post",
        data={"title": "Warm the caches", "expected_minutes": 10},
        default=FORBIDDEN,
        manager=201,
        practitioner=201,
        admin=201,
        norole=HIDDEN,
        name="POST deployments/{id}/steps/",
    ),
    api(_step, norole=HIDDEN, name="GET deployments/{id}/steps/{step_id}/"),
    api(
        _step,
        method="patch",
        data={"title": "Warm the caches first", "expected_minutes": 5},
        default=FORBIDDEN,
        manager=ALLOWED,
        practitioner=ALLOWED,
        admin=ALLOWED,
        norole=HIDDEN,
        name="PATCH deployments/{id}/steps/{step_id}/",
    ),
    api(
        _step,
        method="delete",
        default=FORBIDDEN,
        manager=204,
        practitioner=204,
        admin=204,
        norole=HIDDEN,
        name="DELETE deployments/{id}/steps/{step_id}/",
    ),
    api(
        _detail("deployment", "steps/reorder/"),
        method="post",
        data=_reorder,
        default=FORBIDDEN,
        manager=ALLOWED,
        practitioner=ALLOWED,
        admin=ALLOWED,
        norole=HIDDEN,
        name="POST deployments/{id}/steps/reorder/",
    ),
]


def _about_w_deployment(row) -> bool:
    name = getattr(row.url, "__name__", "")
    return (
        name.startswith("deployment_")
        or row.url is _component_check
        or "incidents/{incident_id}" in row.name
        or "steps/{step_id}" in row.name
    )


# The supplier contact (tests/matrix.py) is a contact of w.deployment's supplier: it reads everything about it and
# records its component check; every other write on it is refused (403), and the other deployments stay hidden (404).
for _row in ROWS:
    if _about_w_deployment(_row) and _row.expected["norole"] == HIDDEN:
        allowed = _row.method == "get" or _row.name == "PATCH deployments/{id}/checks/{check_id}/"
        _row.expected["supplier_contact"] = ALLOWED if allowed else FORBIDDEN

# Model testing: a deployment manager confirms a pilot run (w.deployment is under no pilot model: 409).
ROWS += [
    api(
        _detail("deployment", "pilot-confirm/"),
        method="post",
        data={"comment": "Overseen"},
        default=FORBIDDEN,
        manager=409,
        admin=409,
        norole=HIDDEN,
        supplier_contact=FORBIDDEN,
        name="POST deployments/{id}/pilot-confirm/",
    ),
    api(lambda w: f"/api/v1/deployments/?supplier={w.supplier.pk}", name="GET deployments/?supplier="),
]
