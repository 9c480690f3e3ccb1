"""Permission-matrix rows for every deployment page and POST endpoint, including object-level cases.

Visibility (DESIGN.md §1): managers, practitioners, auditors and administrators see every deployment; the service
owner and the product owner see w.service's (w.draft, w.deployment) but not w.other_deployment; a user with no
role sees none (404). Practitioners see all, so an unassigned one is refused (403), not hidden.
"""

import datetime as dt
import itertools

from apps.deployments.models import AlignmentRating, DeploymentStep
from apps.deployments.services import Context, incident_link_add, problem_add
from apps.deployments.services.alignment import alignment_token
from tests.factories.catalog import sha256_of
from tests.factories.deployments import DeploymentFactory, soon
from tests.matrix import page

FMT = "%Y-%m-%dT%H:%M"
_INCIDENTS = itertools.count(1)


def plan_data(w, deployment=None, **changes) -> dict:
    """The plan form's POST data: a new deployment of w.service, or `deployment` as it is (with its version)."""
    if deployment is None:
        start = soon(20)
        data = {
            "title": "Matrix deployment",
            "action": "deploy",
            "trigger": "release",
            "service": w.service.pk,
            "environment": w.env_test.pk,
            "component_versions": [w.version_2.pk],
            "planned_start": start.strftime(FMT),
            "planned_end": (start + dt.timedelta(hours=2)).strftime(FMT),
        }
    else:
        deployment.refresh_from_db()
        data = {
            "title": deployment.title + " (edited)",
            "action": deployment.action,
            "trigger": deployment.trigger,
            "service": deployment.service_id,
            "environment": deployment.environment_id,
            "component_versions": list(deployment.component_versions.values_list("pk", flat=True)),
            "planned_start": deployment.planned_start.strftime(FMT),
            "planned_end": deployment.planned_end.strftime(FMT),
            "version": deployment.version,
        }
    data.update(changes)
    return data


def alignment_link(w) -> str:
    """The signed link of a new alignment-rating request on a completed deployment (made afresh per request)."""
    rating = AlignmentRating.objects.create(deployment=completed(w), email="vendor@example.com", role="supplier")
    return f"/alignment/{alignment_token(rating)}/"


def completed(w):
    """A completed deployment of w.service requested by the product owner. Made afresh for each role's request
    (the harness rolls every request back), so it stays out of the shared world."""
    return DeploymentFactory(
        status="completed",
        service=w.service,
        environment=w.env_test,
        requester=w.users["product_owner"],
        versions=[w.version_1],
        title="Shop 1.0.0 to test (done)",
    )


def completed_assigned(w):
    """A completed deployment of w.service with the practitioner assigned (releasable by the executors)."""
    return DeploymentFactory(
        status="completed",
        service=w.service,
        environment=w.env_test,
        requester=w.users["product_owner"],
        versions=[w.version_1],
        practitioners=[w.users["practitioner"]],
        title="Shop 1.0.0 to test (done, to release)",
        release_ref="REL-M1",
    )


def step(w):
    """A pending step of w.deployment (approved: its plan may still change), made afresh for each role's request."""
    return DeploymentStep.objects.create(deployment=w.deployment, order=99, title="Matrix step")


def problem(w):
    """An open problem of w.deployment, made afresh for each role's request."""
    return problem_add(
        ctx=Context(actor=w.users["manager"]), deployment=w.deployment, description="Slow start", severity="low"
    )


def incident(w):
    """An open incident link of w.deployment, made afresh for each role's request."""
    ref = f"INC-M{next(_INCIDENTS)}"  # a new reference each time: a URL may be built twice in one transaction
    return incident_link_add(ctx=Context(actor=w.users["manager"]), deployment=w.deployment, incident_ref=ref)


def component_check(w):
    return w.deployment.checks.filter(kind="component").first()


def url(name: str):
    return lambda w: f"/deployments/{getattr(w, name).pk}/"


HIDDEN = {"norole": 404}  # w.draft and w.deployment: only the role-less user cannot see them
# w.deployment's supplier has w.users["supplier_contact"] as its contact: it sees it and records its checks, and is
# refused (403) every other action on it
SUPPLIER_SEES, SUPPLIER_REFUSED = {"supplier_contact": 200}, {"supplier_contact": 403}
OTHER_HIDDEN = {"norole": 404, "service_owner": 404, "product_owner": 404}  # w.other_deployment
EXECUTE = {"practitioner": 302, "manager": 302, "admin": 302}  # w.deployment: manager, assigned practitioner
REQUESTERS = {"manager": 302, "practitioner": 302, "service_owner": 302, "product_owner": 302, "admin": 302}

ROWS = [
    page("/deployments/", name="register"),
    page("/deployments/?status=draft&ordering=-reference&q=Shop", name="register filtered and sorted"),
    page("/deployments/mine/", name="my work"),
    page("/deployments/approvals/", name="awaiting my approval"),
    page("/deployments/new/", default=200, norole=403, auditor=403, name="plan form"),
    page(
        "/deployments/new/",
        method="post",
        data=lambda w: plan_data(w),
        default=403,
        **REQUESTERS,
        name="plan form save",
    ),
    page(url("draft"), **HIDDEN, name="detail w.draft"),
    page(url("deployment"), **HIDDEN, **SUPPLIER_SEES, name="detail w.deployment"),
    page(url("other_deployment"), **OTHER_HIDDEN, name="detail w.other_deployment"),
    page(
        lambda w: f"/deployments/{w.draft.pk}/edit/",
        default=403,
        manager=200,
        product_owner=200,
        admin=200,
        norole=404,
        name="edit w.draft (requester and managers)",
    ),
    page(
        lambda w: f"/deployments/{w.other_deployment.pk}/edit/",
        default=403,
        manager=200,
        admin=200,
        **OTHER_HIDDEN,
        name="edit w.other_deployment",
    ),
    page(
        lambda w: f"/deployments/{w.draft.pk}/edit/",
        method="post",
        data=lambda w: plan_data(w, w.draft),
        default=403,
        manager=302,
        product_owner=302,
        admin=302,
        norole=404,
        name="edit w.draft save",
    ),
    page(
        lambda w: f"/deployments/{w.draft.pk}/transition/submit/",
        method="post",
        default=403,
        manager=302,
        product_owner=302,
        admin=302,
        norole=404,
        name="submit w.draft",
    ),
    page(
        lambda w: f"/deployments/{w.other_deployment.pk}/transition/submit/",
        method="post",
        default=403,
        manager=302,
        admin=302,
        **OTHER_HIDDEN,
        name="submit w.other_deployment",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/transition/start/",
        method="post",
        default=403,
        **EXECUTE,
        norole=404,
        **SUPPLIER_REFUSED,
        name="start w.deployment (assigned practitioner)",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/checks/{component_check(w).pk}/",
        method="post",
        data=lambda w: {"result": "pass", "evidence": "sha verified", "observed_checksum": sha256_of("shop-web-1.0.0")},
        default=403,
        **EXECUTE,
        norole=404,
        supplier_contact=302,
        name="record a check of w.deployment",
    ),
    page(
        lambda w: f"/deployments/{w.draft.pk}/comments/",
        method="post",
        data={"comment": "Looks good."},
        default=403,
        **REQUESTERS,
        norole=404,
        name="comment on w.draft",
    ),
    page(
        lambda w: f"/deployments/{w.other_deployment.pk}/comments/",
        method="post",
        data={"comment": "Looks good."},
        default=403,
        manager=302,
        practitioner=302,
        admin=302,
        **OTHER_HIDDEN,
        name="comment on w.other_deployment",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/incidents/",
        method="post",
        data={"incident_ref": "INC-1001", "title": "Checkout errors", "severity": "high"},
        default=403,
        **EXECUTE,
        norole=404,
        **SUPPLIER_REFUSED,
        name="link an incident to w.deployment",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/incidents/{incident(w).pk}/resolve/",
        method="post",
        default=403,
        **EXECUTE,
        norole=404,
        **SUPPLIER_REFUSED,
        name="resolve an incident of w.deployment",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/incidents/{incident(w).pk}/withdraw/",
        method="post",
        data={"reason": "Linked by mistake"},
        default=403,
        **EXECUTE,
        norole=404,
        **SUPPLIER_REFUSED,
        name="withdraw an incident of w.deployment",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/problems/",
        method="post",
        data={"description": "Cache warm-up slow", "severity": "low"},
        default=403,
        **EXECUTE,
        norole=404,
        **SUPPLIER_REFUSED,
        name="record a problem on w.deployment",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/problems/{problem(w).pk}/resolve/",
        method="post",
        default=403,
        **EXECUTE,
        norole=404,
        **SUPPLIER_REFUSED,
        name="resolve a problem of w.deployment",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/handover/",
        method="post",
        data={"handover_note": "Desk briefed.", "knowledge_links": "https://kb.example.com/a"},
        default=403,
        manager=302,
        admin=302,
        norole=404,
        name="write the handover of w.deployment (approved: who may edit the plan)",
    ),
    # the alignment rating: public, the signed link decides
    page(alignment_link, anonymous=200, name="alignment rating form (signed link)"),
    page(
        alignment_link,
        method="post",
        data={"rating": 4, "comment": "Fine"},
        anonymous=200,
        name="alignment rating answer (signed link)",
    ),
    page("/alignment/not-a-signed-token/", anonymous=400, default=400, name="alignment rating (altered link)"),
    page(
        lambda w: f"/deployments/{completed(w).pk}/feedback/",
        method="post",
        data={"rating_lead_time": 4, "rating_quality": 5, "comment": "Smooth"},
        default=403,
        product_owner=302,
        service_owner=302,
        norole=404,
        name="rate a completed deployment (requester, service owner)",
    ),
    page(
        lambda w: f"/deployments/{completed_assigned(w).pk}/release/",
        method="post",
        data={"release_ref": "REL-2026-01", "comment": "Feature flag on"},
        default=403,
        **EXECUTE,
        norole=404,
        name="release a completed deployment (manager, assigned practitioner)",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/release/",
        method="post",
        data={"release_ref": "REL-2026-01"},
        default=403,
        manager=409,
        practitioner=409,
        admin=409,
        norole=404,
        name="release w.deployment (approved: not completed)",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/steps/",
        method="post",
        data={"title": "Warm the caches", "expected_minutes": 10},
        default=403,
        **EXECUTE,
        norole=404,
        name="add a step to w.deployment",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/steps/{step(w).pk}/",
        method="post",
        data={"status": "done"},
        default=403,
        manager=409,  # ticked off only while it runs
        practitioner=409,
        admin=409,
        norole=404,
        name="tick off a step of w.deployment (approved: not running)",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/steps/{step(w).pk}/remove/",
        method="post",
        default=403,
        **EXECUTE,
        norole=404,
        name="remove a step of w.deployment",
    ),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/back-out-plan/",
        method="post",
        data=lambda w: {"back_out_plan": "Redeploy 0.9.", "version": w.deployment.version},
        default=403,
        **EXECUTE,
        norole=404,
        name="edit the back-out plan of w.deployment",
    ),
]

# Suppliers and model testing: a supplier's deployments page (everyone signed in sees the supplier, and only the
# deployments they may see); confirming a pilot run is a deployment manager's (w.deployment is under no pilot: 409).
ROWS += [
    page(lambda w: f"/suppliers/{w.supplier.pk}/deployments/", name="supplier deployments"),
    page("/deployments/?supplier=1", name="register filtered by supplier"),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/pilot-confirm/",
        method="post",
        data={"comment": "Overseen"},
        default=403,
        manager=409,
        admin=409,
        norole=404,
        **SUPPLIER_REFUSED,
        name="confirm a pilot run of w.deployment",
    ),
]

# the supplier contact sees w.deployment (its supplier's) and is refused the plan, step, handover and release writes
for _row in ROWS:
    if _row.name in {
        "write the handover of w.deployment (approved: who may edit the plan)",
        "release w.deployment (approved: not completed)",
        "add a step to w.deployment",
        "tick off a step of w.deployment (approved: not running)",
        "remove a step of w.deployment",
        "edit the back-out plan of w.deployment",
    }:
        _row.expected["supplier_contact"] = 403
