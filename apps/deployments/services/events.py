"""The timeline: one function writes every DeploymentEvent, and notifications leave after commit."""

from django.utils import timezone

from apps.audit.chain import audit_append
from apps.audit.context import AuditContext as Context
from apps.audit.models import AuditEntry
from apps.core.compiled import insert_rows
from apps.core.generations import generation_bump_on_commit
from apps.core.outbox import outbox_enqueue
from apps.deployments.models import Deployment, DeploymentEvent, EventKind

__all__ = ["Context", "event_record", "event_record_edit", "events_build", "events_record_many", "events_recorded"]

# Every change to a deployment records an event here; caches of figures over deployments key on this generation.
DEPLOYMENTS_GENERATION = "deployments"


def audit_deployment_event(event: DeploymentEvent) -> AuditEntry:
    """The event's entry in the audit chain: its kind, comment, status change, token and data."""
    d = event.deployment
    changes = {"kind": event.kind, "comment": event.comment}
    if event.from_status or event.to_status:
        changes["status"] = [event.from_status, event.to_status]
    if event.token_name:
        changes["token"] = event.token_name
    if event.data:
        changes["data"] = event.data
    return audit_append(
        actor=event.actor,
        channel=event.channel,
        action=event.kind,
        object_type="deployments.deployment",
        object_id=d.pk,
        object_repr=f"{d.reference} {d.title}",
        changes=changes,
        service_id=d.service_id,
        at=event.at,
    )


def _event(
    *, deployment: Deployment, ctx: Context, kind: str, comment="", from_status="", to_status="", data=None
) -> DeploymentEvent:
    actor = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    return DeploymentEvent(
        deployment=deployment,
        at=timezone.now(),
        actor=actor,
        channel=ctx.channel,
        token_name=ctx.token_name,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        data=data or {},
    )


def event_record(
    *,
    deployment: Deployment,
    ctx: Context,
    kind: str,
    comment: str = "",
    from_status: str = "",
    to_status: str = "",
    data: dict | None = None,
    notify: bool = False,
) -> DeploymentEvent:
    """Append an event to the deployment's timeline; with `notify`, e-mail the stakeholders after commit."""
    event = _event(
        deployment=deployment,
        ctx=ctx,
        kind=kind,
        comment=comment,
        from_status=from_status,
        to_status=to_status,
        data=data,
    )
    event.save(force_insert=True)
    audit_deployment_event(event)
    generation_bump_on_commit(DEPLOYMENTS_GENERATION)
    if notify:
        outbox_enqueue("apps.deployments.tasks.notify_event", event.pk, key=f"notify-event-{event.pk}")
    return event


def event_record_edit(
    *, deployment: Deployment, ctx: Context, fields, comment: str = "", notify: bool = False
) -> DeploymentEvent:
    """An edit on the deployment's timeline: the fields it changed, beside the status it leaves as it is."""
    return event_record(
        deployment=deployment,
        ctx=ctx,
        kind=EventKind.EDITED,
        comment=comment,
        from_status=deployment.status,
        to_status=deployment.status,
        data={"fields": sorted(fields)},
        notify=notify,
    )


def events_record_many(*, ctx: Context, kind: str, events: list[tuple[Deployment, dict]]) -> list[DeploymentEvent]:
    """The same event on many deployments (one insert): `events` holds each deployment with its fields
    (comment, from_status, to_status, data). No notifications."""
    built = events_build(ctx=ctx, kind=kind, events=events)
    insert_rows(built)
    events_recorded(built)
    return built


def events_build(*, ctx: Context, kind: str, events: list[tuple[Deployment, dict]]) -> list[DeploymentEvent]:
    """`events_record_many`'s events, made and not written: the caller inserts them (with other rows) and then
    calls `events_recorded`."""
    return [_event(deployment=d, ctx=ctx, kind=kind, **fields) for d, fields in events]


def events_recorded(events: list[DeploymentEvent]) -> None:
    """Events just inserted enter the audit chain, and the figures over deployments move to a new generation."""
    generation_bump_on_commit(DEPLOYMENTS_GENERATION)
    for event in events:
        audit_deployment_event(event)
