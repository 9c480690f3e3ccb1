"""Tests of the deployment services: the rules of DESIGN.md §2, each refusal leaving everything unchanged."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from guardian.shortcuts import assign_perm

from apps.core.exceptions import ConflictError
from apps.core.mail_outbox import mail_send_due
from apps.core.models import OutboxMail
from apps.core.permissions import user_can
from apps.deployment_models.models import ModelStatus
from apps.deployments.models import Approval, Deployment, DeploymentEvent, Feedback
from apps.deployments.services import (
    Context,
    check_record,
    deployment_create,
    deployment_transition,
    deployment_update,
    feedback_submit,
)
from apps.deployments.tasks import notify_event, remind_upcoming_deployments
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory
from tests.factories.deployments import DeploymentFactory, advance, pass_checks, plan, soon

pytestmark = pytest.mark.django_db


def _snapshot(d: Deployment):
    d.refresh_from_db()
    return (d.status, d.version, d.override_count, d.approvals.count(), d.events.count())


def ctx(user, channel="web"):
    return Context(actor=user, channel=channel)


def completed_in(w, environment, version):
    return DeploymentFactory(
        service=w.service,
        environment=environment,
        status=Status.COMPLETED,
        versions=[version],
        actual_end=soon(-5),
        planned_start=soon(-5),
        planned_end=soon(-5) + dt.timedelta(hours=1),
    )


# --- creating ---------------------------------------------------------------------------------------------------


def test_create_gives_a_reference_a_draft_and_a_created_event(world):
    d = deployment_create(
        ctx=ctx(world.users["product_owner"]),
        data={
            "title": "Shop 1.1.0",
            "service": world.service,
            "environment": world.env_test,
            "component_versions": [world.version_2],
            "planned_start": soon(20),
            "planned_end": soon(20) + dt.timedelta(hours=1),
        },
    )
    assert d.reference == f"DEP-{d.pk:06d}"
    assert d.status == Status.DRAFT and d.requester == world.users["product_owner"]
    assert list(d.events.values_list("kind", flat=True)) == ["created"]


def test_create_for_a_service_the_requester_does_not_own_is_refused(world):
    before = Deployment.objects.count()
    with pytest.raises(PermissionDenied):
        deployment_create(
            ctx=ctx(world.users["product_owner"]),
            data={"title": "x", "service": world.other_service, "environment": world.env_test},
        )
    assert Deployment.objects.count() == before


def test_auditors_cannot_request(world):
    with pytest.raises(PermissionDenied):
        deployment_create(
            ctx=ctx(world.users["auditor"]),
            data={"title": "x", "service": world.service, "environment": world.env_test},
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"planned_end": soon(20) - dt.timedelta(hours=1)},  # end before start
        {"title": ""},
        {"title": "x" * 201},
        {"action": "explode"},
    ],
)
def test_create_with_bad_input_is_a_validation_error_and_writes_nothing(world, bad):
    before = Deployment.objects.count()
    data = {
        "title": "ok",
        "service": world.service,
        "environment": world.env_test,
        "planned_start": soon(20),
        "planned_end": soon(20) + dt.timedelta(hours=1),
        **bad,
    }
    with pytest.raises(ValidationError):
        deployment_create(ctx=ctx(world.users["manager"]), data=data)
    assert Deployment.objects.count() == before


def test_versions_of_another_service_are_refused(world):
    with pytest.raises(ValidationError) as err:
        plan(
            requester=world.users["manager"],
            service=world.service,
            environment=world.env_test,
            versions=[world.other_version],
        )
    assert "component_versions" in err.value.message_dict


def test_a_model_without_a_stage_in_the_environment_is_refused(world):
    other_env = world.env_prod.__class__.objects.create(name="Lab", slug="lab", kind="other")
    with pytest.raises(ValidationError) as err:
        plan(
            requester=world.users["manager"],
            service=world.service,
            environment=other_env,
            versions=[world.version_1],
            model=world.model,
        )
    assert "environment" in err.value.message_dict


def test_idempotency_key_returns_the_first_deployment(world):
    data = {"title": "Pipeline run 42", "service": world.service, "environment": world.env_test}
    first = deployment_create(ctx=ctx(world.users["manager"], "api"), data=data, idempotency_key="run-42")
    again = deployment_create(ctx=ctx(world.users["manager"], "api"), data=data, idempotency_key="run-42")
    assert first.pk == again.pk
    assert Deployment.objects.filter(title="Pipeline run 42").count() == 1


# --- approvals --------------------------------------------------------------------------------------------------


def test_segregation_of_duties_the_requester_cannot_approve(world):
    manager = world.users["manager"]
    d = plan(requester=manager, service=world.service, environment=world.env_test, versions=[world.version_1])
    deployment_transition(ctx=ctx(manager), deployment=d, transition="submit")
    before = _snapshot(d)
    with pytest.raises(PermissionDenied, match="Segregation of duties"):
        deployment_transition(ctx=ctx(manager), deployment=d, transition="approve")
    assert _snapshot(d) == before


def test_a_pre_approved_stage_approves_on_submit_and_says_which_model(world):
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=world.env_test,
        versions=[world.version_1],
        model=world.model,
    )
    d = deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=d, transition="submit")
    assert d.status == Status.APPROVED
    event = d.events.filter(kind="transition").latest("id")
    assert event.to_status == Status.APPROVED and str(world.model) in event.comment
    assert event.data["pre_approved_by"] == str(world.model)
    assert d.checks.filter(kind="component").count() == 1


def test_a_pilot_model_never_pre_approves(world):
    world.model.status = ModelStatus.PILOT
    world.model.save()
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=world.env_test,
        versions=[world.version_1],
        model=world.model,
    )
    d = deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=d, transition="submit")
    assert d.status == Status.PENDING_APPROVAL


def test_production_needs_two_approvals_including_a_service_owner(world):
    completed_in(world, world.env_staging, world.version_1)
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=world.env_prod,
        versions=[world.version_1],
        model=world.model,
        start=soon(3),
    )
    deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=d, transition="submit")
    m2 = UserFactory(roles=["manager"])
    d = deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="approve")
    assert d.status == Status.PENDING_APPROVAL
    d = deployment_transition(ctx=ctx(m2), deployment=d, transition="approve")
    assert d.status == Status.PENDING_APPROVAL, "two managers are not enough: the stage asks for the owner"
    d = deployment_transition(ctx=ctx(world.users["service_owner"]), deployment=d, transition="approve")
    assert d.status == Status.APPROVED
    assert sorted(d.approvals.values_list("role", flat=True)) == ["manager", "manager", "service_owner"]


def test_the_same_person_cannot_approve_twice(world):
    completed_in(world, world.env_staging, world.version_1)
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=world.env_prod,
        versions=[world.version_1],
        model=world.model,
        start=soon(3),
    )
    deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=d, transition="submit")
    deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="approve")
    with pytest.raises(ConflictError):
        deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="approve")
    assert d.approvals.count() == 1


def test_a_service_owner_of_another_service_cannot_sign_off(world):
    completed_in(world, world.env_staging, world.version_1)
    stranger = UserFactory(roles=["service_owner"])
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=world.env_prod,
        versions=[world.version_1],
        model=world.model,
        start=soon(3),
    )
    deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=d, transition="submit")
    before = _snapshot(d)
    with pytest.raises(PermissionDenied):
        deployment_transition(ctx=ctx(stranger), deployment=d, transition="approve")
    assert _snapshot(d) == before


def test_changing_the_plan_of_an_approved_deployment_sends_it_back(world):
    d = world.deployment
    assert d.status == Status.APPROVED
    d = deployment_update(
        ctx=ctx(world.users["manager"]),
        deployment=d,
        data={"planned_start": soon(30), "planned_end": soon(30) + dt.timedelta(hours=1)},
        expected_version=d.version,
    )
    assert d.status == Status.PENDING_APPROVAL
    assert not d.approvals.filter(superseded=False).exists()
    assert d.events.latest("id").comment.startswith("Plan changed after approval")


def test_replanning_is_the_workflow_replan_transition_with_its_event(world):
    # given an approved deployment and the manager's approval of it
    d = world.deployment
    version, approved = d.version, d.approvals.filter(superseded=False).count()
    # when the manager moves its window
    d = deployment_update(
        ctx=ctx(world.users["manager"]),
        deployment=d,
        data={"planned_start": soon(30), "planned_end": soon(30) + dt.timedelta(hours=1)},
        expected_version=d.version,
    )
    # then the edit is recorded, then the system's replan transition sends it back, counted as one new version
    edited, replanned = d.events.order_by("-id")[:2][::-1]
    assert (edited.kind, edited.from_status, edited.to_status) == ("edited", "approved", "approved")
    assert (replanned.kind, replanned.from_status, replanned.to_status) == (
        "transition",
        "approved",
        "pending_approval",
    )
    assert replanned.data == {"transition": "replan"}
    assert (replanned.actor, replanned.comment) == (
        world.users["manager"],
        "Plan changed after approval: sent back for approval.",
    )
    d.refresh_from_db()
    assert (d.status, d.version, d.approved_at) == (Status.PENDING_APPROVAL, version + 1, None)
    assert d.approvals.filter(superseded=True).count() == approved


def test_a_title_change_keeps_the_approval(world):
    d = deployment_update(
        ctx=ctx(world.users["manager"]),
        deployment=world.deployment,
        data={"title": "Renamed"},
        expected_version=world.deployment.version,
    )
    assert d.status == Status.APPROVED


# --- conflicts --------------------------------------------------------------------------------------------------


def _pending(world, environment, start, versions, **extra):
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=environment,
        versions=versions,
        start=start,
        **extra,
    )
    return deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=d, transition="submit")


def test_overlapping_windows_in_an_environment_without_parallel_deployments(world):
    first = _pending(world, world.env_prod, soon(3), [world.version_1])
    deployment_transition(ctx=ctx(world.users["manager"]), deployment=first, transition="approve")
    second = _pending(world, world.env_prod, soon(3) + dt.timedelta(hours=1), [world.version_2])
    before = _snapshot(second)
    with pytest.raises(ConflictError) as err:
        deployment_transition(ctx=ctx(world.users["manager"]), deployment=second, transition="approve")
    assert err.value.code == "schedule_conflict"
    assert any(first.reference in c for c in err.value.conflicts)
    assert _snapshot(second) == before


def test_a_manager_overrides_a_conflict_with_a_justification_and_it_is_counted(world):
    first = _pending(world, world.env_prod, soon(3), [world.version_1])
    deployment_transition(ctx=ctx(world.users["manager"]), deployment=first, transition="approve")
    second = _pending(world, world.env_prod, soon(3), [world.version_2])
    d = deployment_transition(
        ctx=ctx(world.users["manager"]),
        deployment=second,
        transition="approve",
        override_reason="Security fix: both go in the same window.",
    )
    assert d.status == Status.APPROVED and d.override_count == 1
    override = d.events.get(kind="override")
    assert override.comment == "Security fix: both go in the same window." and override.actor == world.users["manager"]


def test_only_managers_may_override(world):
    completed_in(world, world.env_staging, world.version_1)
    d = _pending(
        world, world.env_prod, world.freeze.start + dt.timedelta(hours=2), [world.version_1], model=world.model
    )
    before = _snapshot(d)
    with pytest.raises(PermissionDenied):
        deployment_transition(
            ctx=ctx(world.users["service_owner"]), deployment=d, transition="approve", override_reason="I say so"
        )
    assert _snapshot(d) == before


def test_a_freeze_window_refuses_approval(world):
    d = _pending(world, world.env_prod, world.freeze.start + dt.timedelta(hours=2), [world.version_1])
    with pytest.raises(ConflictError) as err:
        deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="approve")
    assert any("Quarter close" in c for c in err.value.conflicts)


def test_the_same_component_anywhere_in_an_overlapping_window(world):
    first = _pending(world, world.env_test, soon(5), [world.version_1])
    deployment_transition(ctx=ctx(world.users["manager"]), deployment=first, transition="approve")
    second = _pending(world, world.env_staging, soon(5), [world.version_2])
    with pytest.raises(ConflictError) as err:
        deployment_transition(ctx=ctx(world.users["manager"]), deployment=second, transition="approve")
    assert any("shop-web" in c for c in err.value.conflicts)


def test_a_practitioner_booked_twice(world):
    p = world.users["practitioner"]
    first = _pending(world, world.env_test, soon(6), [world.version_1], practitioners=[p])
    deployment_transition(ctx=ctx(world.users["manager"]), deployment=first, transition="approve")
    other_version = ComponentVersionFactory(component__service=world.service)
    second = _pending(world, world.env_staging, soon(6), [other_version], practitioners=[p])
    with pytest.raises(ConflictError) as err:
        deployment_transition(ctx=ctx(world.users["manager"]), deployment=second, transition="approve")
    assert any(p.username in c for c in err.value.conflicts)


def test_a_downgrade_is_a_conflict_unless_it_is_a_stated_rollback(world):
    completed_in(world, world.env_test, world.version_2)
    d = _pending(world, world.env_test, soon(7), [world.version_1])
    with pytest.raises(ConflictError) as err:
        deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="approve")
    assert any("older than 1.1.0" in c for c in err.value.conflicts)
    rollback = _pending(world, world.env_test, soon(8), [world.version_1], is_rollback=True)
    assert deployment_transition(ctx=ctx(world.users["manager"]), deployment=rollback, transition="approve").status == (
        Status.APPROVED
    )


def test_the_promotion_gate_needs_the_previous_stage_completed(world):
    d = _pending(world, world.env_staging, soon(4), [world.version_2], model=world.model)
    before = _snapshot(d)
    with pytest.raises(ConflictError) as err:
        deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="approve")
    assert err.value.code == "promotion_gate"
    assert _snapshot(d) == before
    completed_in(world, world.env_test, world.version_2)
    assert deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="approve").status == (
        Status.APPROVED
    )


# --- execution and checks ---------------------------------------------------------------------------------------


def test_an_unassigned_practitioner_cannot_start(world):
    d = world.other_deployment
    deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="submit")
    deployment_transition(ctx=ctx(UserFactory(roles=["manager"])), deployment=d, transition="approve")
    before = _snapshot(d)
    with pytest.raises(PermissionDenied):
        deployment_transition(ctx=ctx(world.users["practitioner"]), deployment=d, transition="start")
    assert _snapshot(d) == before


def test_a_practitioner_needs_a_clearance_for_production(world):
    p = UserFactory(roles=["practitioner"])
    d = DeploymentFactory(service=world.service, environment=world.env_prod, status=Status.APPROVED, practitioners=[p])
    with pytest.raises(PermissionDenied):
        deployment_transition(ctx=ctx(p), deployment=d, transition="start")
    assign_perm("environments.deploy_to_environment", p, world.env_prod)
    assert deployment_transition(ctx=ctx(p), deployment=d, transition="start").status == Status.VERIFYING_COMPONENTS


def test_assignment_grants_and_revokes_the_object_permission(world):
    p = world.users["practitioner"]
    d = world.deployment
    assert user_can(p, "deployments.execute_deployment", d)
    deployment_update(
        ctx=ctx(world.users["manager"]), deployment=d, data={"practitioners": []}, expected_version=d.version
    )
    p = type(p).objects.get(pk=p.pk)  # fresh permission cache
    assert not user_can(p, "deployments.execute_deployment", d)


def test_confirm_components_needs_passed_checks_and_a_matching_checksum(world):
    p = world.users["practitioner"]
    d = deployment_transition(ctx=ctx(p), deployment=world.deployment, transition="start")
    before = _snapshot(d)
    with pytest.raises(ConflictError) as err:
        deployment_transition(ctx=ctx(p), deployment=d, transition="confirm-components")
    assert err.value.code == "checks_not_passed"
    assert _snapshot(d) == before
    check = d.checks.get(kind="component")
    check = check_record(ctx=ctx(p), check=check, result="pass", evidence="sha256sum", observed_checksum="0" * 64)
    assert check.result == "fail" and "Checksum mismatch" in check.evidence
    with pytest.raises(ConflictError):
        deployment_transition(ctx=ctx(p), deployment=d, transition="confirm-components")
    check_record(
        ctx=ctx(p), check=check, result="pass", evidence="sha256sum", observed_checksum=world.version_1.checksum
    )
    assert deployment_transition(ctx=ctx(p), deployment=d, transition="confirm-components").status == (
        Status.VERIFYING_ENVIRONMENT
    )


@pytest.mark.parametrize("bad", [{"result": "pending"}, {"result": "maybe"}, {"observed_checksum": "xyz"}])
def test_bad_check_input_is_refused_and_nothing_recorded(world, bad):
    p = world.users["practitioner"]
    d = deployment_transition(ctx=ctx(p), deployment=world.deployment, transition="start")
    check = d.checks.get(kind="component")
    with pytest.raises(ValidationError):
        check_record(ctx=ctx(p), check=check, **{"result": "pass", **bad})
    check.refresh_from_db()
    assert check.result == "pending" and check.recorded_by is None


def test_auditors_cannot_record_checks(world):
    d = deployment_transition(ctx=ctx(world.users["practitioner"]), deployment=world.deployment, transition="start")
    with pytest.raises(PermissionDenied):
        check_record(ctx=ctx(world.users["auditor"]), check=d.checks.first(), result="pass")


def test_complete_needs_acceptance_checks(world):
    p = world.users["practitioner"]
    d = world.deployment
    Deployment.objects.filter(pk=d.pk).update(acceptance_criteria="Smoke test passes")
    d = advance(d, to=Status.VERIFYING, manager=world.users["manager"], practitioner=p)
    from apps.deployments.services.transitions import checks_ensure

    checks_ensure(d)
    with pytest.raises(ConflictError):
        deployment_transition(ctx=ctx(p), deployment=d, transition="complete")
    pass_checks(d, p, "acceptance")
    d = deployment_transition(ctx=ctx(p), deployment=d, transition="complete", comment="All green")
    assert d.status == Status.COMPLETED and d.actual_end is not None and d.outcome == "All green"


def test_fail_needs_a_reason_then_roll_back(world):
    p = world.users["practitioner"]
    d = deployment_transition(ctx=ctx(p), deployment=world.deployment, transition="start")
    with pytest.raises(ValidationError):
        deployment_transition(ctx=ctx(p), deployment=d, transition="fail")
    d = deployment_transition(ctx=ctx(p), deployment=d, transition="fail", comment="Disk full on app01")
    assert d.status == Status.FAILED and d.outcome == "Disk full on app01"
    d = deployment_transition(ctx=ctx(p), deployment=d, transition="roll-back", comment="Restored 0.9")
    assert d.status == Status.ROLLED_BACK


# --- optimistic locking -----------------------------------------------------------------------------------------


def test_a_stale_version_is_refused_and_the_first_save_kept(world):
    d = world.draft
    read_version = d.version
    deployment_update(
        ctx=ctx(world.users["manager"]), deployment=d, data={"title": "First"}, expected_version=read_version
    )
    with pytest.raises(ConflictError) as err:
        deployment_update(
            ctx=ctx(world.users["product_owner"]), deployment=d, data={"title": "Second"}, expected_version=read_version
        )
    assert err.value.code == "stale_version"
    d.refresh_from_db()
    assert d.title == "First"


def test_a_requester_cannot_edit_after_submitting(world):
    po = world.users["product_owner"]
    deployment_transition(ctx=ctx(po), deployment=world.draft, transition="submit")
    with pytest.raises(PermissionDenied):
        deployment_update(ctx=ctx(po), deployment=world.draft, data={"title": "Sneaky"}, expected_version=None)


def test_only_managers_assign_practitioners(world):
    with pytest.raises(PermissionDenied):
        deployment_update(
            ctx=ctx(world.users["product_owner"]),
            deployment=world.draft,
            data={"practitioners": [world.users["practitioner"]]},
            expected_version=None,
        )
    assert not world.draft.practitioners.exists()


# --- communications and feedback --------------------------------------------------------------------------------


def test_transitions_mail_the_stakeholders_and_the_timeline_records_it(world, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        d = deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=world.draft, transition="submit")
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {world.users["product_owner"].email, world.users["service_owner"].email}
    assert d.reference in mail.outbox[0].subject
    communication = d.events.get(kind="communication")
    assert "E-mail sent" in communication.comment and communication.channel == "system"


def test_a_notification_run_twice_sends_once(world, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        d = deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=world.draft, transition="submit")
    event = d.events.filter(kind="transition").latest("id")
    assert notify_event(event.pk) == []
    assert len(mail.outbox) == 1


def test_completion_asks_for_feedback_and_requester_rates_once(world, django_capture_on_commit_callbacks):
    p = world.users["practitioner"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        d = advance(world.deployment, to=Status.COMPLETED, manager=world.users["manager"], practitioner=p)
    assert any("Rate the deployment" in m.subject for m in mail.outbox)
    with pytest.raises(ValidationError):
        feedback_submit(ctx=ctx(world.users["product_owner"]), deployment=d, rating_lead_time=6, rating_quality=3)
    feedback_submit(
        ctx=ctx(world.users["product_owner"]), deployment=d, rating_lead_time=4, rating_quality=5, comment="Smooth"
    )
    with pytest.raises(ConflictError):
        feedback_submit(ctx=ctx(world.users["product_owner"]), deployment=d, rating_lead_time=1, rating_quality=1)
    with pytest.raises(PermissionDenied):
        feedback_submit(ctx=ctx(world.users["auditor"]), deployment=d, rating_lead_time=1, rating_quality=1)
    assert list(Feedback.objects.values_list("rating_lead_time", "rating_quality")) == [(4, 5)]


def test_feedback_only_on_completed_deployments(world):
    with pytest.raises(ConflictError):
        feedback_submit(
            ctx=ctx(world.users["product_owner"]), deployment=world.draft, rating_lead_time=3, rating_quality=3
        )


def test_upcoming_deployments_remind_their_practitioners_once(world, django_capture_on_commit_callbacks):
    p = world.users["practitioner"]
    DeploymentFactory(
        service=world.service,
        environment=world.env_test,
        status=Status.APPROVED,
        planned_start=timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=5),  # at any hour of the day
        practitioners=[p],
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_upcoming_deployments() == 1
        assert remind_upcoming_deployments() == 0
    assert [m.to for m in mail.outbox] == [[p.email]]


def test_every_event_is_append_only(world):
    event = DeploymentEvent.objects.filter(deployment=world.deployment).first()
    event.comment = "rewritten"
    with pytest.raises(Exception, match="append-only"):
        event.save()
    with pytest.raises(Exception, match="append-only"):
        event.delete()


def test_approvals_are_recorded_with_role_and_comment(world):
    d = deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=world.draft, transition="submit")
    deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="reject", comment="Wrong window")
    approval = Approval.objects.get(deployment=d)
    assert (approval.decision, approval.role, approval.comment) == ("rejected", "manager", "Wrong window")


def test_mail_server_down_the_transition_succeeds_and_the_notification_is_retried(
    world, settings, django_capture_on_commit_callbacks
):
    # given a mail server that refuses connections
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    # when a transition happens
    with django_capture_on_commit_callbacks(execute=True):
        d = deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=world.draft, transition="submit")
    # then it succeeded, nothing was sent, and the message waits in the mail outbox for its next attempt
    d.refresh_from_db()
    assert d.status == Status.PENDING_APPROVAL
    event = d.events.filter(kind="transition").latest("id")
    queued = OutboxMail.objects.get(key=f"event:{event.pk}")
    assert (queued.sent_at, queued.attempts, queued.claim) == (None, 1, None)
    assert queued.next_attempt_at > timezone.now() and "refused" in queued.last_error.lower()
    # when the mail server is back and the retry runs, the mail goes out once
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    assert mail_send_due(now=queued.next_attempt_at) == 1
    assert notify_event(event.pk) == []
    assert mail_send_due(now=queued.next_attempt_at) == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].extra_headers["Message-ID"] == queued.message_id
    assert d.events.filter(kind="communication").count() == 1


def test_a_pending_request_does_not_block_approval_but_an_approved_one_does(world):
    first = _pending(world, world.env_prod, soon(3), [world.version_1])
    second = _pending(world, world.env_prod, soon(3), [world.version_2])
    # both pending: the first can be approved; the pending second is no booking
    assert deployment_transition(ctx=ctx(world.users["manager"]), deployment=first, transition="approve").status == (
        Status.APPROVED
    )
    # now the first holds the window: the second is refused
    with pytest.raises(ConflictError):
        deployment_transition(ctx=ctx(world.users["manager"]), deployment=second, transition="approve")
