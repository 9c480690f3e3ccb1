"""The worker tells each group what concerns it (planned, started, finished, handover), one message per recipient
and never twice, as each person chose; the handover rules; the alignment-rating request."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from apps.accounts.notices import notification_preferences_set
from apps.catalog.services import service_stakeholders_set
from apps.core.exceptions import ConflictError
from apps.deployments.models import AlignmentRating
from apps.deployments.services import Context, deployment_transition
from apps.deployments.services.handover import deployment_handover_set
from apps.deployments.tasks import notify_groups, request_alignment, send_handover
from apps.deployments.workflow import Status
from tests.factories.accounts import UserFactory
from tests.factories.deployments import advance, pass_checks, plan, soon

pytestmark = pytest.mark.django_db

DESK, CONSUMER, SUPPLIER = "desk@example.com", "shop-users@example.com", "vendor@example.com"


@pytest.fixture
def stakeholders(world):
    service_stakeholders_set(
        service=world.service,
        actor=world.users["service_owner"],
        service_desk_email=DESK,
        consumer_contacts=[CONSUMER],
        supplier_contacts=[SUPPLIER],
    )
    return world


def ctx(user):
    return Context(actor=user, channel="web")


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def production_deployment(w, status):
    d = plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=w.env_prod,
        versions=[w.version_1],
        start=soon(30),
        practitioners=[w.users["practitioner"]],
        title="Shop 1.0.0 to production",
    )
    return advance(d, to=status, manager=w.users["manager"], practitioner=w.users["practitioner"])


def test_approval_tells_desk_consumers_and_suppliers_once_each(stakeholders, django_capture_on_commit_callbacks):
    w = stakeholders
    d = plan(requester=w.users["product_owner"], service=w.service, environment=w.env_test, versions=[w.version_2])
    deployment_transition(ctx=ctx(w.users["product_owner"]), deployment=d, transition="submit")
    mail.outbox.clear()
    # when the manager approves it
    with django_capture_on_commit_callbacks(execute=True):
        deployment_transition(ctx=ctx(w.users["manager"]), deployment=d, transition="approve")
    # then the service desk, the consumers and the suppliers get one message each, with the deployment's link
    for address in (DESK, CONSUMER, SUPPLIER):
        (message,) = sent_to(address)
        assert "Planned" in message.subject and f"/deployments/{d.pk}/" in message.body
    # the product owner is the requester: the event's own e-mail tells them, not a second notice
    assert not [m for m in mail.outbox if "Planned" in m.subject and w.users["product_owner"].email in m.to]
    # and each group's message is recorded on the timeline
    groups = {e.data["group"] for e in d.events.filter(kind="communication", data__notice__startswith="planned")}
    assert groups == {"service_desk", "consumers", "suppliers"}
    # when the task runs again, nothing is sent twice
    event = d.events.filter(kind="transition", to_status=Status.APPROVED).get()
    assert notify_groups(event.pk) == []
    assert len(sent_to(DESK)) == 1


def test_start_tells_desk_and_consumers_not_suppliers(stakeholders, django_capture_on_commit_callbacks):
    w = stakeholders
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        advance(
            w.deployment,
            to=Status.VERIFYING_COMPONENTS,
            manager=w.users["manager"],
            practitioner=w.users["practitioner"],
        )
    assert [m.subject.split(":")[0] for m in sent_to(DESK)] == [f"[{w.deployment.reference}] Started"]
    assert len(sent_to(CONSUMER)) == 1
    assert sent_to(SUPPLIER) == []


def test_an_opted_out_contact_is_not_told_but_mandatory_notices_cannot_be_turned_off(
    stakeholders, django_capture_on_commit_callbacks
):
    w = stakeholders
    consumer = UserFactory(username="consumer", email=CONSUMER)
    notification_preferences_set(user=consumer, actor=consumer, choices={"deployment_started": False})
    with pytest.raises(ValidationError) as exc:
        notification_preferences_set(user=consumer, actor=consumer, choices={"handover": False})
    assert "handover" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        notification_preferences_set(user=consumer, actor=w.users["manager"], choices={"deployment_started": True})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        advance(
            w.deployment,
            to=Status.VERIFYING_COMPONENTS,
            manager=w.users["manager"],
            practitioner=w.users["practitioner"],
        )
    assert sent_to(CONSUMER) == [] and len(sent_to(DESK)) == 1


def test_production_cannot_complete_without_a_handover_note(stakeholders):
    w = stakeholders
    d = production_deployment(w, Status.VERIFYING)
    pass_checks(d, w.users["practitioner"], "acceptance", "exit")
    d.refresh_from_db()
    before = (d.status, d.version, d.events.count())
    with pytest.raises(ConflictError) as exc:
        deployment_transition(ctx=ctx(w.users["practitioner"]), deployment=d, transition="complete")
    assert exc.value.code == "handover_required" and "handover note" in exc.value.message
    d.refresh_from_db()
    assert (d.status, d.version, d.events.count()) == before


def test_the_handover_is_written_during_verification_and_sent_to_the_desk_once(
    stakeholders, django_capture_on_commit_callbacks
):
    w = stakeholders
    d = production_deployment(w, Status.VERIFYING)
    pass_checks(d, w.users["practitioner"], "acceptance", "exit")
    # a link that is not http(s) is refused, naming the field
    with pytest.raises(ValidationError) as exc:
        deployment_handover_set(
            ctx=ctx(w.users["practitioner"]), deployment=d, handover_note="x", knowledge_links=["javascript:alert(1)"]
        )
    assert "knowledge_links" in exc.value.message_dict
    # someone who is not assigned may not write it
    with pytest.raises(PermissionDenied):
        deployment_handover_set(ctx=ctx(w.users["service_owner"]), deployment=d, handover_note="x")
    d = deployment_handover_set(
        ctx=ctx(w.users["practitioner"]),
        deployment=d,
        handover_note="New checkout screens; FAQ updated.",
        knowledge_links=["https://kb.example.com/checkout"],
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        d = deployment_transition(ctx=ctx(w.users["practitioner"]), deployment=d, transition="complete")
    assert d.status == Status.COMPLETED
    (handover,) = [m for m in sent_to(DESK) if "Handover" in m.subject]
    assert "New checkout screens" in handover.body and "https://kb.example.com/checkout" in handover.body
    assert send_handover(d.pk) == []
    # the finished notice reached the desk too, and the suppliers' and consumers' contacts were asked to rate it
    assert any("Completed" in m.subject for m in sent_to(DESK))
    assert set(AlignmentRating.objects.filter(deployment=d).values_list("email", "role")) == {
        (SUPPLIER, "supplier"),
        (CONSUMER, "consumer"),
    }
    assert len([m for m in sent_to(SUPPLIER) if "suit you" in m.subject]) == 1
    assert request_alignment(d.pk) == []
    # once completed the note is locked
    with pytest.raises(ConflictError):
        deployment_handover_set(ctx=ctx(w.users["practitioner"]), deployment=d, handover_note="later")


def test_the_handover_can_be_written_at_completion(stakeholders):
    w = stakeholders
    d = production_deployment(w, Status.VERIFYING)
    pass_checks(d, w.users["practitioner"], "acceptance", "exit")
    d = deployment_transition(
        ctx=ctx(w.users["practitioner"]), deployment=d, transition="complete", handover_note="Runbook updated."
    )
    assert (d.status, d.handover_note) == (Status.COMPLETED, "Runbook updated.")


def test_the_handover_is_locked_during_execution(stakeholders):
    w = stakeholders
    d = production_deployment(w, Status.EXECUTING)
    with pytest.raises(ConflictError) as exc:
        deployment_handover_set(ctx=ctx(w.users["practitioner"]), deployment=d, handover_note="too early")
    assert exc.value.code == "not_editable"


def test_a_non_production_deployment_completes_without_a_note(stakeholders, django_capture_on_commit_callbacks):
    w = stakeholders
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        d = advance(w.deployment, to=Status.COMPLETED, manager=w.users["manager"], practitioner=w.users["practitioner"])
    assert d.status == Status.COMPLETED and not d.handover_note
    assert not [m for m in sent_to(DESK) if "Handover" in m.subject]  # nothing to hand over


def test_failure_and_roll_back_tell_every_group_with_their_own_outcome(
    stakeholders, django_capture_on_commit_callbacks
):
    # given a deployment the service owner requested, running, with the product owner not a party to it
    w = stakeholders
    d = plan(
        requester=w.users["service_owner"],
        service=w.service,
        environment=w.env_test,
        versions=[w.version_2],
        start=soon(32),
        practitioners=[w.users["practitioner"]],
        title="Shop 1.1.0 to test",
    )
    d = advance(d, to=Status.EXECUTING, manager=w.users["manager"], practitioner=w.users["practitioner"])
    # when it fails and is rolled back before the worker gets to the failure's notice
    d = deployment_transition(ctx=ctx(w.users["practitioner"]), deployment=d, transition="fail", comment="Smoke red")
    d = deployment_transition(ctx=ctx(w.users["practitioner"]), deployment=d, transition="roll-back", comment="1.0.0")
    failed, rolled_back = (
        d.events.filter(kind="transition", to_status=status).get() for status in (Status.FAILED, Status.ROLLED_BACK)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        told = notify_groups(failed.pk) + notify_groups(rolled_back.pk)
    # then the desk, consumers, suppliers' contacts and the product owner hear of each, named by its own outcome
    product_owner = w.users["product_owner"].email
    for address in (DESK, CONSUMER, SUPPLIER, product_owner):
        subjects = sorted(m.subject.split(":")[0] for m in sent_to(address))
        assert subjects == [f"[{d.reference}] Failed", f"[{d.reference}] Rolled back"], address
        assert all(f"/deployments/{d.pk}/" in m.body for m in sent_to(address))
    assert sorted(told) == sorted([DESK, CONSUMER, SUPPLIER, product_owner] * 2)
    groups = {e.data["group"] for e in d.events.filter(kind="communication", data__notice=f"finished:{failed.pk}")}
    assert groups == {"service_desk", "consumers", "suppliers", "product_owners"}
    # and nothing is sent twice
    assert notify_groups(failed.pk) == [] and notify_groups(rolled_back.pk) == []
