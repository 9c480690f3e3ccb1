"""The findings register's services: raising a finding and changing its status, with each refusal changing nothing,
the history row, the audit-chain entry and the "audit finding raised" announcement."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.audit.chain import audit_verify
from apps.audit.context import API, AuditContext
from apps.audit.models import AuditEntry
from apps.core import outbound
from apps.core.exceptions import ConflictError
from apps.reports.findings.services import finding_change_status, finding_create
from apps.reports.findings.workflow import available_statuses
from apps.reports.models import AuditFinding, FindingEvent
from apps.roles import definitions
from tests.factories.accounts import UserFactory

DUE = timezone.localdate() + dt.timedelta(days=30)


def _raise(w, actor_key="auditor", **overrides):
    data = {
        "subject_type": "deployment",
        "subject_id": w.deployment.pk,
        "severity": "high",
        "title": "Checksum not recorded",
        "description": "The component check passed with no observed checksum.",
        "owner": w.users["practitioner"],
        "due_date": DUE,
    }
    data.update(overrides)
    return finding_create(ctx=AuditContext(actor=w.users[actor_key], channel=API, token_name="ci"), **data)


def _counts():
    return AuditFinding.objects.count(), FindingEvent.objects.count(), AuditEntry.objects.count()


@pytest.fixture
def heard():
    """The announcements published while the test runs."""
    received = []
    outbound.subscribe(received.append)
    yield received
    outbound._subscribers.remove(received.append)


@pytest.mark.parametrize("actor_key", ["auditor", "manager"])
def test_auditors_and_managers_raise_a_finding_with_its_history_and_audit_entry(
    world, django_capture_on_commit_callbacks, heard, actor_key
):
    # given an auditor or a manager
    w = world
    # when they raise a finding on the deployment through the API
    with django_capture_on_commit_callbacks(execute=True):
        finding = _raise(w, actor_key)
    # then it is open, raised by them now, with a "raised" history row and an audit entry that chains
    finding.refresh_from_db()
    assert (finding.status, finding.subject_type, finding.subject_id, finding.deployment_id) == (
        "open",
        "deployment",
        w.deployment.pk,
        w.deployment.pk,
    )
    assert finding.raised_by == w.users[actor_key]
    assert [(e.from_status, e.to_status, e.reason, e.channel) for e in finding.events.all()] == [
        ("", "open", "Raised.", "api")
    ]
    entry = AuditEntry.objects.filter(object_type="reports.auditfinding", object_id=str(finding.pk)).get()
    assert (entry.action, entry.actor, entry.channel, entry.service_id) == (
        "created",
        w.users[actor_key],
        "api",
        w.deployment.service_id,
    )
    assert entry.changes["severity"] == "high"
    assert entry.changes["token"] == "ci"
    assert audit_verify().ok
    # and "audit finding raised" is announced once, after commit, with the finding's fields
    [announcement] = [a for a in heard if a.event == "audit_finding.raised"]
    assert announcement.object_id == finding.pk
    assert announcement.data["subject_type"] == "deployment"
    assert announcement.data["subject_id"] == w.deployment.pk
    assert announcement.data["severity"] == "high"
    assert announcement.data["owner"] == "practitioner"
    assert announcement.data["url"] == f"/findings/{finding.pk}/"


def test_a_finding_on_a_model_and_on_a_review(world):
    w = world
    # when findings are raised on the model and on the review
    on_model = _raise(w, subject_type="model", subject_id=w.model.pk)
    on_review = _raise(w, subject_type="review", subject_id=w.review.pk)
    # then each points at its subject and nothing else
    assert (on_model.model_id, on_model.deployment_id, on_model.review_id, on_model.subject) == (
        w.model.pk,
        None,
        None,
        w.model,
    )
    assert (on_review.review_id, on_review.subject_id, on_review.subject) == (w.review.pk, w.review.pk, w.review)


@pytest.mark.parametrize("actor_key", ["practitioner", "service_owner", "product_owner", "norole"])
def test_other_roles_cannot_raise_findings(world, actor_key):
    w = world
    before = _counts()
    # when someone who is neither auditor nor manager raises a finding
    with pytest.raises(PermissionDenied, match="Only auditors and deployment managers"):
        _raise(w, actor_key)
    # then nothing is written
    assert _counts() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"subject_type": "incident"}, "subject_type", "deployment, model or review"),
        ({"subject_id": 999999}, "subject_id", "No deployment with id 999999"),
        ({"subject_id": "x"}, "subject_id", "No deployment with id x"),
        ({"subject_type": "review", "subject_id": 999999}, "subject_id", "No model review with id 999999"),
        ({"severity": "urgent"}, "severity", "low, medium, high or critical"),
        ({"title": "  "}, "title", "Give the finding a title"),
        ({"description": ""}, "description", "Describe what was found"),
        ({"due_date": None}, "due_date", "date by which"),
        ({"owner": None}, "owner", "active user"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_written(world, overrides, field, message):
    w = world
    before = _counts()
    # when a finding is raised with one bad field
    with pytest.raises(ValidationError) as refused:
        _raise(w, **overrides)
    # then that field's message says what is missing, and nothing is written
    assert message in " ".join(refused.value.message_dict[field])
    assert _counts() == before


def test_the_owner_must_see_the_subject(world):
    # given a user with no role, who cannot see the deployment
    w = world
    before = _counts()
    # when they are made the owner of a finding on it
    with pytest.raises(ValidationError) as refused:
        _raise(w, owner=w.users["norole"])
    # then the finding is refused: the owner could not read what it is about
    assert "cannot see" in refused.value.message_dict["owner"][0]
    assert _counts() == before


def test_the_owner_accepts_and_remediates_and_a_manager_closes(world):
    w = world
    finding = _raise(w)
    owner, manager = w.users["practitioner"], w.users["manager"]
    # when the owner accepts and remediates, and the manager closes and reopens
    for actor, status, reason in [
        (owner, "accepted", "Agreed; we will record checksums."),
        (owner, "remediated", "Pipeline records them since build 212."),
        (manager, "closed", "Verified on the last three deployments."),
        (manager, "open", "Found again on DEP-000042."),
    ]:
        finding = finding_change_status(ctx=AuditContext(actor=actor), finding=finding, status=status, reason=reason)
    # then the history holds every change with its reason, and the chain has an entry for each
    assert [(e.from_status, e.to_status, e.actor.username) for e in finding.events.all()] == [
        ("", "open", "auditor"),
        ("open", "accepted", "practitioner"),
        ("accepted", "remediated", "practitioner"),
        ("remediated", "closed", "manager"),
        ("closed", "open", "manager"),
    ]
    entries = AuditEntry.objects.filter(object_type="reports.auditfinding", object_id=str(finding.pk), action="status")
    assert [(e.changes["status"], e.changes["reason"]) for e in entries.order_by("id")] == [
        (["open", "accepted"], "Agreed; we will record checksums."),
        (["accepted", "remediated"], "Pipeline records them since build 212."),
        (["remediated", "closed"], "Verified on the last three deployments."),
        (["closed", "open"], "Found again on DEP-000042."),
    ]
    assert audit_verify().ok


@pytest.mark.parametrize(
    ("actor_key", "status", "error", "match"),
    [
        ("auditor", "accepted", PermissionDenied, "managers and the finding's owner"),
        ("service_owner", "accepted", PermissionDenied, "managers and the finding's owner"),
        ("practitioner", "closed", PermissionDenied, "Only a deployment manager may mark a finding closed"),
        ("manager", "remediated-ish", ValidationError, "Choose a status"),
        ("manager", "open", ConflictError, "cannot become open"),
    ],
)
def test_refused_status_changes_change_nothing(world, actor_key, status, error, match):
    # given an open finding owned by the practitioner
    w = world
    finding = _raise(w)
    before = _counts()
    # when someone not allowed, or into a status not reachable, changes it
    with pytest.raises(error, match=match):
        finding_change_status(ctx=AuditContext(actor=w.users[actor_key]), finding=finding, status=status, reason="x")
    # then the finding, its history and the chain are as they were
    finding.refresh_from_db()
    assert finding.status == "open"
    assert _counts() == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * 5001])
def test_a_status_change_needs_a_reason(world, reason):
    w = world
    finding = _raise(w)
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        finding_change_status(
            ctx=AuditContext(actor=w.users["manager"]), finding=finding, status="accepted", reason=reason
        )
    assert "reason" in refused.value.message_dict
    finding.refresh_from_db()
    assert (finding.status, _counts()) == ("open", before)


def test_an_inactive_owner_changes_nothing(world):
    w = world
    finding = _raise(w)
    w.users["practitioner"].is_active = False
    w.users["practitioner"].save()
    with pytest.raises(PermissionDenied):
        finding_change_status(
            ctx=AuditContext(actor=w.users["practitioner"]), finding=finding, status="accepted", reason="ok"
        )


@pytest.mark.parametrize(
    ("actor_key", "expected"),
    [
        ("manager", ["accepted", "remediated", "closed"]),
        ("practitioner", ["accepted", "remediated"]),  # the owner
        ("auditor", []),
        ("service_owner", []),
    ],
)
def test_the_form_offers_only_the_moves_the_user_may_make(world, actor_key, expected):
    w = world
    finding = _raise(w)
    assert [s for s, _ in available_statuses(user=w.users[actor_key], finding=finding)] == expected


def test_a_database_constraint_holds_the_subject_to_its_type(world):
    # given a finding on the deployment
    w = world
    finding = _raise(w)
    # when its subject type is changed without its key (bypassing the service)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AuditFinding.objects.filter(pk=finding.pk).update(subject_type="model")


def test_new_auditor_user_can_raise(db):
    # given an auditor made just now (roles come with the permissions after migrate)
    from tests.factories.deployment_models import DeploymentModelFactory

    auditor = UserFactory(roles=["auditor"])
    manager = UserFactory(roles=["manager"])
    model = DeploymentModelFactory()
    # when they raise a finding on a model, owned by a manager
    finding = finding_create(
        ctx=AuditContext(actor=auditor),
        subject_type="model",
        subject_id=model.pk,
        severity="low",
        title="Rollback never rehearsed",
        description="No rehearsal date recorded.",
        owner=manager,
        due_date=DUE,
    )
    assert (finding.raised_by, finding.owner) == (auditor, manager)


@pytest.mark.parametrize("actor_key", ["auditor", "manager"])
def test_an_auditor_cannot_own_a_finding(world, actor_key):
    # given an auditor or a manager raising a finding
    w = world
    before = _counts()
    # when the auditor is named its owner (by themselves or by the manager)
    with pytest.raises(ValidationError) as refused:
        _raise(w, actor_key=actor_key, owner=w.users["auditor"])
    # then it is refused, saying why, and nothing is written: auditors change nothing, so they remedy nothing
    assert refused.value.message_dict["owner"] == [
        f"{w.users['auditor']} is an auditor: auditors raise findings and change nothing, so they cannot own one. "
        "Choose who is to remedy it."
    ]
    assert _counts() == before


def test_an_auditor_who_is_also_a_manager_may_own_a_finding(world):
    w = world
    both = UserFactory(username="auditing_manager", roles=["auditor", "manager"])
    finding = _raise(w, owner=both)
    assert finding.owner == both


def test_an_owner_who_became_an_auditor_changes_nothing(world):
    # given a finding owned by the practitioner, who is then made an auditor as well
    w = world
    finding = _raise(w)
    owner = w.users["practitioner"]
    owner.groups.add(Group.objects.get(name=definitions.AUDITOR))
    owner = type(owner).objects.get(pk=owner.pk)  # no cached roles
    before = _counts()
    # when they try to accept it, then they are refused and nothing changes, and the form offers them nothing
    with pytest.raises(PermissionDenied, match="managers and the finding's owner"):
        finding_change_status(ctx=AuditContext(actor=owner), finding=finding, status="accepted", reason="ok")
    finding.refresh_from_db()
    assert (finding.status, _counts()) == ("open", before)
    assert available_statuses(user=owner, finding=finding) == []
