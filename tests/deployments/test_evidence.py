"""The evidence rules (issue 15) in the services: a pass needs evidence, an N/A a reason, a controlled environment an
acceptance check before approval, and a stage's entry and exit criteria become checks that gate start and complete.
Every refusal leaves everything as it was."""

import pytest
from django.core.exceptions import ValidationError
from guardian.shortcuts import assign_perm

from apps.core.exceptions import ConflictError
from apps.deployments.models import Approval, Check, CheckKind, CheckResult, Deployment
from apps.deployments.readiness import deployment_readiness
from apps.deployments.services import Context, check_record, deployment_transition
from apps.deployments.workflow import Status
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory
from tests.factories.deployments import DeploymentFactory, advance, pass_checks, plan, soon
from tests.factories.environments import EnvironmentFactory

pytestmark = pytest.mark.django_db

ENTRY = "Change window agreed with the service desk\nBackup taken"
EXIT = "Handover to operations signed"


def ctx(user):
    return Context(actor=user)


def snapshot(d: Deployment) -> tuple:
    d.refresh_from_db()
    checks = tuple(d.checks.order_by("id").values_list("kind", "result", "evidence", "recorded_by_id"))
    return (d.status, d.version, d.approvals.count(), d.events.count(), checks)


def staged(w, *, entry=ENTRY, exit_=EXIT, acceptance="Smoke test passed", **extra):
    """A draft to a cleared pre-production environment under an active model whose one stage there has these
    criteria, with the practitioner assigned."""
    env = EnvironmentFactory(name="Pre-production", slug="preprod", kind="staging", allows_parallel_deployments=True)
    assign_perm("environments.deploy_to_environment", w.users["practitioner"], env)
    model = DeploymentModelFactory(active=True, component_types=["software"], component_sources=["in_house"])
    ModelStageFactory(
        model=model, environment=env, order=1, entry_criteria=entry, exit_criteria=exit_, acceptance_criteria=acceptance
    )
    return plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=env,
        versions=[w.version_2],
        model=model,
        start=soon(20),
        practitioners=[w.users["practitioner"]],
        **extra,
    )


def approved(w, d) -> Deployment:
    return advance(d, to=Status.APPROVED, manager=w.users["manager"])


def gates(d, user) -> dict:
    return {item.code: (item.ok, item.detail) for item in deployment_readiness(deployment=d, user=user)}


# --- a pass needs evidence, an N/A a reason ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "evidence", "message"),
    [
        ("pass", "", "A required check passes only with evidence"),
        ("pass", "  \n\t ", "A required check passes only with evidence"),
        ("n_a", "", "Say why this check does not apply"),
        ("n_a", "   ", "Say why this check does not apply"),
    ],
)
def test_a_pass_without_evidence_or_an_na_without_a_reason_is_refused(world, result, evidence, message):
    # given the world's approved deployment, started, with its component check waiting
    p = world.users["practitioner"]
    d = deployment_transition(ctx=ctx(p), deployment=world.deployment, transition="start")
    check = d.checks.get(kind=CheckKind.COMPONENT)
    before = snapshot(d)
    # when the practitioner records it with the right checksum but blank evidence
    with pytest.raises(ValidationError) as refused:
        check_record(
            ctx=ctx(p), check=check, result=result, evidence=evidence, observed_checksum=world.version_1.checksum
        )
    # then the refusal names the evidence and nothing changed
    assert list(refused.value.message_dict) == ["evidence"]
    assert refused.value.message_dict["evidence"][0].startswith(message)
    assert snapshot(d) == before


def test_a_pass_with_evidence_and_an_na_with_a_reason_are_recorded(world):
    # given two environment checks of a started deployment
    p = world.users["practitioner"]
    d = deployment_transition(ctx=ctx(p), deployment=world.deployment, transition="start")
    first, second = (Check.objects.create(deployment=d, kind=CheckKind.ENVIRONMENT, description=t) for t in "AB")
    # when one passes with evidence and the other is found not applicable with a reason
    check_record(ctx=ctx(p), check=first, result="pass", evidence="  Monitoring dashboard green, 10:02  ")
    check_record(ctx=ctx(p), check=second, result="n_a", evidence="No load balancer in test.")
    # then both are recorded, the evidence trimmed and the reason kept as the evidence
    assert list(d.checks.filter(pk__in=[first.pk, second.pk]).order_by("id").values_list("result", "evidence")) == [
        (CheckResult.PASS, "Monitoring dashboard green, 10:02"),
        (CheckResult.NOT_APPLICABLE, "No load balancer in test."),
    ]


@pytest.mark.parametrize(("required", "result"), [(False, "pass"), (True, "fail"), (False, "fail")])
def test_an_optional_pass_and_a_failure_need_no_evidence(world, required, result):
    # given an environment check of a started deployment
    p = world.users["practitioner"]
    d = deployment_transition(ctx=ctx(p), deployment=world.deployment, transition="start")
    check = Check.objects.create(deployment=d, kind=CheckKind.ENVIRONMENT, description="DNS", required=required)
    # when it is recorded without evidence
    check_record(ctx=ctx(p), check=check, result=result, evidence="")
    # then it is recorded as given
    check.refresh_from_db()
    assert (check.result, check.evidence) == (result, "")


# --- a controlled environment approves nothing without an acceptance check ---------------------------------------


def test_submitting_to_a_controlled_environment_without_acceptance_criteria_is_refused(world):
    # given a draft to staging (controlled) naming no acceptance criterion and without a model
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=world.env_staging,
        versions=[world.version_2],
        start=soon(30),
        acceptance_criteria="",
    )
    before = snapshot(d)
    # when the requester submits it
    with pytest.raises(ValidationError) as refused:
        deployment_transition(ctx=ctx(world.users["product_owner"]), deployment=d, transition="submit")
    # then it is refused on the acceptance criteria, saying what is missing, and it is still a draft
    assert list(refused.value.message_dict) == ["acceptance_criteria"]
    assert refused.value.message_dict["acceptance_criteria"] == [
        "Staging is a controlled environment: approval needs at least one acceptance check, and none is named "
        "(not by the deployment). Write the acceptance criteria, one check per line."
    ]
    assert snapshot(d) == before


def test_approving_without_an_acceptance_check_is_a_409_and_records_no_approval(world):
    # given a deployment pending approval in controlled staging, named before the rule, with no acceptance criterion
    d = DeploymentFactory(
        service=world.service, environment=world.env_staging, status=Status.PENDING_APPROVAL, acceptance_criteria=""
    )
    before = snapshot(d)
    # when the manager approves it
    with pytest.raises(ConflictError) as refused:
        deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="approve")
    # then 409 saying why, no approval is recorded and nothing changed
    assert refused.value.code == "acceptance_check_missing"
    assert "Staging is a controlled environment: approval needs at least one acceptance check" in refused.value.message
    assert snapshot(d) == before
    assert not Approval.objects.filter(deployment=d).exists()


def test_an_uncontrolled_environment_approves_without_an_acceptance_check(world):
    # given a pending deployment with no acceptance criterion into an environment outside the organisation's control
    env = EnvironmentFactory(name="Vendor sandbox", slug="vendor-sandbox", controlled=False)
    d = DeploymentFactory(
        service=world.service, environment=env, status=Status.PENDING_APPROVAL, acceptance_criteria=""
    )
    # when the manager approves it
    d = deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="approve")
    # then it is approved, with no acceptance check
    assert d.status == Status.APPROVED
    assert not d.checks.filter(kind=CheckKind.ACCEPTANCE).exists()


def test_the_stages_acceptance_criteria_are_enough_for_a_controlled_environment(world):
    # given a draft naming no acceptance criterion under a stage that names one
    d = staged(world, acceptance_criteria="")
    # when it is submitted and approved
    d = approved(world, d)
    # then it is approved with the stage's acceptance check
    assert d.status == Status.APPROVED
    assert list(d.checks.filter(kind=CheckKind.ACCEPTANCE).values_list("description", flat=True)) == [
        "Smoke test passed"
    ]


def test_acceptance_checks_already_made_count_at_a_later_approval(world):
    # given a pending deployment whose acceptance criteria were emptied after an earlier approval made its check
    d = DeploymentFactory(
        service=world.service, environment=world.env_staging, status=Status.PENDING_APPROVAL, acceptance_criteria=""
    )
    Check.objects.create(deployment=d, kind=CheckKind.ACCEPTANCE, description="Smoke test passed")
    # when the manager approves it
    d = deployment_transition(ctx=ctx(world.users["manager"]), deployment=d, transition="approve")
    # then it is approved
    assert d.status == Status.APPROVED


def test_the_readiness_panel_shows_the_acceptance_gate(world):
    # given a pending deployment without, then with, an acceptance criterion in controlled staging
    d = DeploymentFactory(
        service=world.service, environment=world.env_staging, status=Status.PENDING_APPROVAL, acceptance_criteria=""
    )
    manager = world.users["manager"]
    missing = gates(d, manager)["acceptance"]
    Deployment.objects.filter(pk=d.pk).update(acceptance_criteria="Smoke test passed\nLogs clean")
    d.refresh_from_db()
    # then the gate is closed and says why, then open and says how many
    assert missing[0] is False and "Staging is a controlled environment" in missing[1]
    assert gates(d, manager)["acceptance"] == (True, "2 acceptance checks named: made at approval.")


def test_the_page_reads_the_acceptance_gate_with_the_deployment_and_agrees_with_the_service(
    world, django_assert_num_queries
):
    from apps.deployments.rules import acceptance_gap
    from apps.deployments.selectors.page import deployment_get

    # given a pending deployment with no acceptance criterion in controlled staging, without then with a check made
    d = DeploymentFactory(
        service=world.service, environment=world.env_staging, status=Status.PENDING_APPROVAL, acceptance_criteria=""
    )
    manager = world.users["manager"]
    for made in (False, True):
        if made:
            Check.objects.create(deployment=d, kind=CheckKind.ACCEPTANCE, description="Smoke test passed")
        page = deployment_get(user=manager, pk=d.pk)
        # then the deployment as its page reads it answers the gate without another query
        with django_assert_num_queries(0):
            on_page = acceptance_gap(page)
        # and the same as the approval service asks it of a fresh row
        assert on_page == acceptance_gap(Deployment.objects.get(pk=d.pk))
        assert (on_page == "") is made


# --- a stage's entry and exit criteria become checks --------------------------------------------------------------


def test_approval_makes_a_check_of_each_entry_and_exit_criterion(world):
    # given a draft under a stage with two entry criteria and one exit criterion
    d = staged(world)
    # when it is approved
    d = approved(world, d)
    # then each criterion is a pending required check of its kind
    rows = d.checks.filter(kind__in=[CheckKind.ENTRY, CheckKind.EXIT]).order_by("id")
    assert list(rows.values_list("kind", "description", "result", "required")) == [
        (CheckKind.ENTRY, "Change window agreed with the service desk", CheckResult.PENDING, True),
        (CheckKind.ENTRY, "Backup taken", CheckResult.PENDING, True),
        (CheckKind.EXIT, "Handover to operations signed", CheckResult.PENDING, True),
    ]


def test_start_is_refused_until_the_entry_criteria_pass(world):
    # given an approved deployment whose stage has two entry criteria, one passed
    p = world.users["practitioner"]
    d = approved(world, staged(world))
    first = d.checks.filter(kind=CheckKind.ENTRY).order_by("id").first()
    check_record(ctx=ctx(p), check=first, result="pass", evidence="CAB minutes 2025-14")
    before = snapshot(d)
    # when the practitioner starts it
    with pytest.raises(ConflictError) as refused:
        deployment_transition(ctx=ctx(p), deployment=d, transition="start")
    # then 409 naming the criterion not passed, and nothing changed
    assert refused.value.code == "checks_not_passed"
    assert refused.value.message == f"{d.reference}: 1 required entry-criteria check(s) not passed."
    assert refused.value.conflicts == ["Backup taken"]
    assert snapshot(d) == before
    # and once it passes, the deployment starts
    check_record(ctx=ctx(p), check=d.checks.get(description="Backup taken"), result="pass", evidence="Snapshot 88")
    d = deployment_transition(ctx=ctx(p), deployment=d, transition="start")
    assert d.status == Status.VERIFYING_COMPONENTS


def test_complete_is_refused_until_the_exit_criteria_pass(world):
    # given a deployment in verification whose acceptance checks passed but whose exit criterion did not
    p = world.users["practitioner"]
    d = staged(world)
    d = advance(d, to=Status.VERIFYING, manager=world.users["manager"], practitioner=p)
    pass_checks(d, p, CheckKind.ACCEPTANCE)
    before = snapshot(d)
    # when the practitioner completes it
    with pytest.raises(ConflictError) as refused:
        deployment_transition(ctx=ctx(p), deployment=d, transition="complete")
    # then 409 naming the exit criterion, and nothing changed
    assert refused.value.message == f"{d.reference}: 1 required exit-criteria check(s) not passed."
    assert refused.value.conflicts == ["Handover to operations signed"]
    assert snapshot(d) == before
    # and with the exit criterion passed it completes
    pass_checks(d, p, CheckKind.EXIT)
    assert deployment_transition(ctx=ctx(p), deployment=d, transition="complete").status == Status.COMPLETED


@pytest.mark.parametrize(
    ("kind", "status"),
    [(CheckKind.ENTRY, Status.VERIFYING_COMPONENTS), (CheckKind.EXIT, Status.APPROVED)],
)
def test_entry_criteria_are_recorded_before_the_start_and_exit_criteria_after_execution(world, kind, status):
    # given a staged deployment whose status is outside the time of this kind of check
    p = world.users["practitioner"]
    d = approved(world, staged(world))
    if status == Status.VERIFYING_COMPONENTS:
        d = advance(d, to=status, manager=world.users["manager"], practitioner=p)
    check = d.checks.filter(kind=kind).first()
    before = snapshot(d)
    # when the practitioner records it
    with pytest.raises(ConflictError) as refused:
        check_record(ctx=ctx(p), check=check, result="pass", evidence="Done")
    # then it is refused as out of its time and nothing changed
    assert refused.value.code == "invalid_state"
    assert snapshot(d) == before


def test_a_deployment_approved_before_the_rule_starts_without_entry_checks(world):
    # given an approved deployment under a stage with entry criteria but no entry checks (made before the rule)
    d = approved(world, staged(world))
    d.checks.filter(kind__in=[CheckKind.ENTRY, CheckKind.EXIT]).delete()
    # when it starts
    d = deployment_transition(ctx=ctx(world.users["practitioner"]), deployment=d, transition="start")
    # then it is not held back
    assert d.status == Status.VERIFYING_COMPONENTS


def test_the_readiness_panel_shows_the_entry_and_exit_gates(world):
    # given an approved staged deployment
    p, manager = world.users["practitioner"], world.users["manager"]
    d = approved(world, staged(world))
    # when its readiness is read before and after the entry criteria pass
    closed = gates(d, p)["entry_checks"]
    pass_checks(d, p, CheckKind.ENTRY)
    opened = gates(d, p)["entry_checks"]
    d = advance(d, to=Status.VERIFYING, manager=manager, practitioner=p)
    pass_checks(d, p, CheckKind.ACCEPTANCE)
    at_the_end = gates(d, p)
    # then each gate says which criteria are still open, and the acceptance gate is separate from the exit gate
    assert closed == (
        False,
        "0 of 2 passed. Not passed: Change window agreed with the service desk (pending); Backup taken (pending).",
    )
    assert opened == (True, "All 2 passed.")
    assert at_the_end["checks"] == (True, "All 1 passed.")
    assert at_the_end["exit_checks"] == (False, "0 of 1 passed. Not passed: Handover to operations signed (pending).")


def test_without_a_stage_the_readiness_shows_no_entry_or_exit_gate(world):
    # given the world's approved deployment (no model)
    found = gates(world.deployment, world.users["practitioner"])
    # then no entry gate is shown
    assert "entry_checks" not in found and "exit_checks" not in found
