"""What each group of a service's stakeholders is told, one message per recipient and never twice: the group
notices (planned, started, finished), the handover to the service desk, and the request for an alignment rating.

Each send remembers its recipients on the timeline (a communication event per group, `data.notice` naming the
notice), written in the transaction that queues the messages in the mail outbox (apps/core/mail_outbox.py), so a
task run twice tells only those not yet told, and every message recorded leaves (retried while the mail server is
down)."""

from collections.abc import Callable

from django.db import transaction

from apps.accounts.notices import notice_recipients, notice_users
from apps.core.mail_outbox import mail_queue
from apps.core.outbox import outbox_enqueue
from apps.deployments.models import Deployment, DeploymentEvent, EventKind
from apps.deployments.notifications import (
    group_notice_message,
    handover_message,
    notice_for,
    stakeholders,
)
from apps.deployments.services.communications import SYSTEM
from apps.deployments.services.events import event_record

GROUP_WORDS = {
    "service_desk": "the service desk",
    "consumers": "consumers",
    "suppliers": "suppliers' contacts",
    "product_owners": "product owners",
}
# who is told of what: the notice, its kind on people's profiles, and the groups it goes to
NOTICES = {
    "planned": ("deployment_planned", ("service_desk", "consumers", "suppliers", "product_owners")),
    "started": ("deployment_started", ("service_desk", "consumers")),
    "finished": ("deployment_finished", ("service_desk", "consumers", "suppliers", "product_owners")),
}


def _already_told(deployment_id: int, notice: str) -> set[str]:
    rows = DeploymentEvent.objects.filter(
        deployment_id=deployment_id, kind=EventKind.COMMUNICATION, data__notice=notice
    ).values_list("data", flat=True)
    return {email.lower() for data in rows for email in data.get("recipients", [])}


def send_each(
    *,
    deployment: Deployment,
    notice: str,
    label: str,
    groups: list[tuple[str, list[str]]],
    message: Callable[[str], tuple[str, str]],
    data: dict | None = None,
) -> list[str]:
    """Queue `message(address)` to each address of each group not yet told of `notice`, one message each, and
    record one communication event per group, in one transaction. Returns the addresses told now."""
    told_now: list[tuple[str, str]] = []
    with transaction.atomic():
        Deployment.objects.select_for_update().filter(pk=deployment.pk).first()
        told = _already_told(deployment.pk, notice)
        for group, emails in groups:
            for email in emails:
                if email.lower() in told:
                    continue
                subject, body = message(email)
                mail_queue(subject=subject, body=body, to=[email], key=f"{notice}:{email}")
                told.add(email.lower())
                told_now.append((group, email))
        for group, _ in groups:
            recipients = [email for g, email in told_now if g == group]
            if recipients:
                event_record(
                    deployment=deployment,
                    ctx=SYSTEM,
                    kind=EventKind.COMMUNICATION,
                    comment=f"{label} sent to {GROUP_WORDS.get(group, group)}: {', '.join(recipients)}.",
                    data={"notice": notice, "group": group, "recipients": recipients, **(data or {})},
                )
    return [email for _, email in told_now]


def notice_groups(deployment: Deployment, notice: str) -> list[tuple[str, list[str]]]:
    """Each group told of `notice` with its addresses: those who want it, each address in its first group only,
    and none of the requester, owners and practitioners (the event's own e-mail tells them)."""
    kind, names = NOTICES[notice]
    service = deployment.service
    taken = {e.lower() for e in stakeholders(deployment)}
    lists = {
        "service_desk": [service.service_desk_email] if service.service_desk_email else [],
        "consumers": list(service.consumer_contacts),
        "suppliers": list(service.supplier_contacts),
        "product_owners": [u.email for u in notice_users(kind=kind, users=service.product_owners.all())],
    }
    groups = []
    for name in names:
        emails = [e for e in notice_recipients(kind=kind, emails=lists[name]) if e.lower() not in taken]
        taken.update(e.lower() for e in emails)
        groups.append((name, emails))
    return groups


def groups_notify(*, event_id: int) -> list[str]:
    """Tell the service desk, consumers, suppliers' contacts and product owners what concerns them about one
    status change (planned and approved, started, finished), with the deployment's link."""
    event = DeploymentEvent.objects.select_related("deployment__service", "deployment__environment").get(pk=event_id)
    notice = notice_for(event.from_status, event.to_status)
    if notice is None:
        return []
    deployment = event.deployment
    subject, body = group_notice_message(deployment, notice, event.to_status)
    return send_each(
        deployment=deployment,
        notice=f"{notice}:{event_id}",
        label=f"{notice.capitalize()} notice",
        groups=notice_groups(deployment, notice),
        message=lambda _email: (subject, body),
        data={"about_event": event_id},
    )


def handover_send(*, deployment_id: int) -> list[str]:
    """Send the handover note (with its knowledge articles) to the service's service desk once the deployment is
    completed: a mandatory notice, sent once."""
    deployment = Deployment.objects.select_related("service", "environment").get(pk=deployment_id)
    desk = deployment.service.service_desk_email
    if not desk or not deployment.handover_note:
        return []
    subject, body = handover_message(deployment)
    return send_each(
        deployment=deployment,
        notice=f"handover:{deployment_id}",
        label="Handover note",
        groups=[("service_desk", notice_recipients(kind="handover", emails=[desk]))],
        message=lambda _email: (subject, body),
    )


def after_transition(*, event: DeploymentEvent, transition: str) -> None:
    """Record, in the transition's transaction (the outbox), what it tells the groups: its notice, and on completion
    the handover and the alignment-rating request."""
    if notice_for(event.from_status, event.to_status):
        outbox_enqueue("apps.deployments.tasks.notify_groups", event.pk, key=f"groups-{event.pk}")
    if transition == "complete":
        pk = event.deployment_id
        outbox_enqueue("apps.deployments.tasks.send_handover", pk, key=f"handover-{pk}")
        outbox_enqueue("apps.deployments.tasks.request_alignment", pk, key=f"alignment-{pk}")
