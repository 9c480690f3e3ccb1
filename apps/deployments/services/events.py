"""The timeline: one function writes every DeploymentEvent, and notifications leave after commit."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.deployments.models import Channel, Deployment, DeploymentEvent


@dataclass(frozen=True)
class Context:
    """Who acts and through which channel; the token name when a pipeline acts through the API."""

    actor: object
    channel: str = Channel.WEB
    token_name: str = ""

    @classmethod
    def from_request(cls, request, channel: str = Channel.WEB) -> "Context":
        token = getattr(request, "auth", None)
        return cls(actor=request.user, channel=channel, token_name=getattr(token, "name", "") or "")


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
    from apps.reports.audit import audit_deployment_event

    audit_deployment_event(event)
    if notify:
        from apps.deployments.tasks import enqueue_notification

        transaction.on_commit(lambda: enqueue_notification(event.pk))
    return event


def events_record_many(*, ctx: Context, kind: str, events: list[tuple[Deployment, dict]]) -> list[DeploymentEvent]:
    """The same event on many deployments (one insert): `events` holds each deployment with its fields
    (comment, from_status, to_status, data). No notifications."""
    from apps.reports.audit import audit_deployment_event

    built = [_event(deployment=d, ctx=ctx, kind=kind, **fields) for d, fields in events]
    DeploymentEvent.objects.bulk_create(built)
    for event in built:
        audit_deployment_event(event)
    return built
