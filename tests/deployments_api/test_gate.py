"""The deployment gate for pipelines: each reason code, may_start, the build gate, and agreement with `start`."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.deployments.workflow import Status
from tests.deployments_api.conftest import token_client
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory
from tests.factories.deployments import DeploymentFactory
from tests.factories.environments import EnvironmentFactory, FreezeWindowFactory

pytestmark = pytest.mark.django_db


def gate(client, deployment) -> tuple[int, dict]:
    response = client.get(f"/api/v1/deployments/{deployment.pk}/gate/")
    return response.status_code, response.json()


def approved(world, env=None, **extra):
    """An approved deployment of w.version_2 with the world's practitioner assigned, in a free environment."""
    env = env or EnvironmentFactory(name="Lab", allows_parallel_deployments=True, controlled=False)
    return DeploymentFactory(
        service=world.service,
        environment=env,
        status=Status.APPROVED,
        versions=[world.version_2],
        practitioners=[world.users["practitioner"]],
        **extra,
    )


# --- deployments/{id}/gate/ ---------------------------------------------------------------------------------------


def test_an_approved_deployment_with_nothing_in_the_way_may_start(world, client_for):
    # given an approved deployment the practitioner is assigned to
    d = approved(world)
    pipeline = client_for("practitioner")
    # when the practitioner's pipeline asks the gate
    status, body = gate(pipeline, d)
    # then it may start, for no reason against
    assert (status, body) == (200, {"may_start": True, "reasons": []})
    # and the start the gate promised is accepted
    started = pipeline.post(f"/api/v1/deployments/{d.pk}/start/", {}, format="json")
    assert started.status_code == 200
    assert started.json()["status"] == "verifying_components"


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (Status.DRAFT, "{ref} is a draft: submit it for approval first."),
        (Status.PENDING_APPROVAL, "{ref} is pending approval: 0 of 1 approvals given."),
        (Status.EXECUTING, "{ref} has already started (executing)."),
        (Status.REJECTED, "{ref} is rejected: it will not start."),
    ],
)
def test_a_deployment_not_approved_may_not_start(world, client_for, status, detail):
    # given a deployment that is not approved
    d = approved(world)
    d.status = status
    d.save(update_fields=["status"])
    # when a deployment manager asks the gate
    code, body = gate(client_for("manager"), d)
    # then the only reason is that it is not approved, saying where it stands
    assert code == 200
    assert body == {"may_start": False, "reasons": [{"code": "not_approved", "detail": detail.format(ref=d.reference)}]}


def test_a_freeze_in_force_closes_the_gate_and_start_is_refused(world, client_for):
    # given an approved deployment in an environment frozen since an hour ago
    env = EnvironmentFactory(name="Shop floor", allows_parallel_deployments=True, controlled=False)
    FreezeWindowFactory(
        environment=env, name="Sale", reason="Winter sale.", start=timezone.now() - dt.timedelta(hours=1)
    )
    d = approved(world, env)
    pipeline = client_for("practitioner")
    # when the gate is asked
    code, body = gate(pipeline, d)
    # then the freeze is the reason
    assert (code, body) == (
        200,
        {"may_start": False, "reasons": [{"code": "freeze", "detail": "Freeze “Sale” is in force: Winter sale."}]},
    )
    # and the start is refused for the same reason
    refused = pipeline.post(f"/api/v1/deployments/{d.pk}/start/", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["conflicts"] == ["Freeze “Sale” is in force: Winter sale."]


def test_outside_the_maintenance_windows_the_gate_is_closed(world, client_for):
    # given an approved deployment to an environment that accepts deployments only in windows, and has none
    env = EnvironmentFactory(name="Vault", allows_parallel_deployments=True, requires_maintenance_window=True)
    d = approved(world, env)
    # when the gate is asked
    _code, body = gate(client_for("manager"), d)
    # then the maintenance window is the reason
    assert body == {
        "may_start": False,
        "reasons": [{"code": "outside_maintenance_window", "detail": "Vault is outside its maintenance windows now."}],
    }


def test_a_promotion_gap_closes_the_gate(world, client_for):
    # given an approved deployment into the model's staging stage of a version never completed in test
    d = approved(world, model=world.model, stage=world.stage_staging)
    # when the gate is asked
    _code, body = gate(client_for("manager"), d)
    # then the promotion gap is the reason
    assert body == {
        "may_start": False,
        "reasons": [
            {
                "code": "promotion_gap",
                "detail": f"shop-web 1.1.0 has no completed deployment in Test (the previous stage of {world.model}).",
            }
        ],
    }


def test_a_pending_deployment_also_lists_the_conflicts_approval_refuses(world, client_for):
    # given an environment without parallel deployments where an approved deployment holds the window
    env = EnvironmentFactory(name="Single lane", allows_parallel_deployments=False)
    other = ComponentVersionFactory(component__service=world.service, component__name="shop-api")
    busy = DeploymentFactory(service=world.service, environment=env, status=Status.APPROVED, versions=[other])
    d = DeploymentFactory(
        service=world.service, environment=env, status=Status.PENDING_APPROVAL, versions=[world.version_2]
    )
    # when the gate is asked
    _code, body = gate(client_for("manager"), d)
    # then it is not approved, and approval would refuse the overlap
    assert body["reasons"] == [
        {"code": "not_approved", "detail": f"{d.reference} is pending approval: 0 of 1 approvals given."},
        {
            "code": "conflict",
            "detail": f"{busy.reference} “{busy.title}” overlaps in Single lane, which allows no parallel deployments.",
        },
    ]


def test_an_assigned_practitioner_not_cleared_for_production_is_told_so(world, client_for):
    # given an approved production deployment assigned to a practitioner not cleared for production
    env = EnvironmentFactory(name="Live", production=True, allows_parallel_deployments=True)
    nina = UserFactory(username="nina", roles=["practitioner"])
    d = DeploymentFactory(
        service=world.service, environment=env, status=Status.APPROVED, versions=[world.version_2], practitioners=[nina]
    )
    # when her pipeline asks the gate
    _code, body = gate(token_client(nina), d)
    # then her clearance is the reason
    assert body == {
        "may_start": False,
        "reasons": [
            {
                "code": "clearance",
                "detail": "You are not cleared for Live, a controlled environment: a deployment manager must clear "
                "you.",
            }
        ],
    }
    # and a deployment manager may start it
    assert gate(client_for("manager"), d)[1] == {"may_start": True, "reasons": []}


def test_someone_who_may_not_start_it_gets_a_clearance_reason(world, client_for):
    # given an approved deployment
    d = approved(world)
    # when an auditor asks the gate
    _code, body = gate(client_for("auditor"), d)
    # then the answer is no, for them
    assert body == {
        "may_start": False,
        "reasons": [
            {
                "code": "clearance",
                "detail": f"You may not start {d.reference}: only its assigned practitioners (cleared for Lab) and "
                "deployment managers may.",
            }
        ],
    }


@pytest.mark.parametrize("pk", ["other", "999999", "abc", "0"])
def test_a_deployment_not_visible_or_not_there_is_404(world, client_for, pk):
    # given the owner of w.service, who does not see the other service's deployment
    target = str(world.other_deployment.pk) if pk == "other" else pk
    # when they ask its gate
    response = client_for("service_owner").get(f"/api/v1/deployments/{target}/gate/")
    # then it is not there for them
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- gate/?environment=&component=&version= -------------------------------------------------------------------------


def build(client, **query) -> tuple[int, dict]:
    response = client.get("/api/v1/gate/", query)
    return response.status_code, response.json()


def test_a_build_into_a_pre_approved_stage_may_be_planned_and_started(world, client_for):
    # given the world's model, whose first stage (test) is pre-approved
    # when the practitioner's pipeline asks about shop-web 1.0.0 in test, by slug and name
    code, body = build(client_for("practitioner"), environment="test", component="shop-web", version="1.0.0")
    # then it may be planned and would start at once
    assert (code, body) == (200, {"may_plan": True, "may_start": True, "reasons": []})


def test_a_build_into_a_later_stage_needs_approval_and_promotion(world, client_for):
    # given shop-web 1.1.0, never completed in test
    # when a deployment manager asks about staging (by ids)
    code, body = build(
        client_for("manager"),
        environment=str(world.env_staging.pk),
        component=str(world.component.pk),
        version="1.1.0",
    )
    # then it may be planned, not started: approval first, and the promotion gap
    assert code == 200
    assert body["may_plan"] is True and body["may_start"] is False
    assert [r["code"] for r in body["reasons"]] == ["not_approved", "promotion_gap"]
    assert body["reasons"][0]["detail"] == (
        f"Stage 2 (Staging) of {world.model} is not pre-approved: a deployment of shop-web 1.1.0 needs 1 approval(s) "
        "first."
    )


def test_a_build_not_registered_yet_is_judged_as_a_new_version(world, client_for):
    # when a manager asks about shop-web 7.0.0, which the catalog does not know, for staging
    _code, body = build(client_for("manager"), environment="staging", component="shop-web", version="7.0.0")
    # then it may be planned (the pipeline registers it), and the promotion gate is closed: it was tested nowhere
    assert body["may_plan"] is True
    assert body["reasons"][1] == {
        "code": "promotion_gap",
        "detail": f"shop-web 7.0.0 has no completed deployment in Test (the previous stage of {world.model}).",
    }


def test_a_build_the_user_may_not_request_or_start(world, client_for):
    # when an auditor asks about a build
    _code, body = build(client_for("auditor"), environment="test", component="shop-web", version="1.0.0")
    # then they may neither plan it nor start it
    assert body == {
        "may_plan": False,
        "may_start": False,
        "reasons": [
            {
                "code": "clearance",
                "detail": "You may not start deployments in Test: only deployment managers and practitioners cleared "
                "for it may.",
            }
        ],
    }


def test_a_build_gate_sees_a_freeze_now(world, client_for):
    # given production is frozen now
    FreezeWindowFactory(
        environment=world.env_prod, name="Now", reason="Incident.", start=timezone.now() - dt.timedelta(minutes=5)
    )
    # when a manager asks about a build in production
    _code, body = build(client_for("manager"), environment="production", component="shop-web", version="1.1.0")
    # then the freeze is among the reasons
    assert [r["code"] for r in body["reasons"]] == ["not_approved", "freeze", "promotion_gap"]
    assert body["reasons"][1]["detail"].startswith("Freeze “Now”")


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 400),
        ({"environment": "test", "component": "shop-web"}, 400),
        ({"environment": "nowhere", "component": "shop-web", "version": "1.0.0"}, 404),
        ({"environment": "test", "component": "nothing", "version": "1.0.0"}, 404),
        ({"environment": "test", "component": "shop-web", "version": "1.0.0", "model": "no such model"}, 404),
        ({"environment": "test", "component": "shop-web", "version": "1.0.0", "service": "Payroll"}, 404),
        ({"environment": "\x00", "component": "shop-web", "version": "1.0.0"}, 400),
    ],
)
def test_a_build_gate_with_bad_or_unknown_input_is_a_clear_error(world, client_for, query, status):
    # when the gate is asked with missing or unknown names
    response = client_for("manager").get("/api/v1/gate/", query)
    # then it answers 400 or 404 with a JSON message, never a 500
    assert response.status_code == status
    assert response.json()["detail"]
