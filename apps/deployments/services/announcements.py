"""A deployment model activated or retired, announced to the owners of the services that use it, once.

"The services that use it" are the services with a deployment (of any status but draft or cancelled) under the
model or under any earlier or later version of it (the same name): a new version is used by the services that used
the versions before it. A component type the model could apply to is not enough: it would tell every owner."""

from django.conf import settings
from django.db import IntegrityError, transaction

from apps.accounts.notices import notice_users
from apps.audit.chain import audit_append
from apps.audit.context import SYSTEM
from apps.catalog.models import Service
from apps.core.mail_outbox import mail_queue
from apps.deployment_models.models import DeploymentModel, ModelAnnouncement
from apps.deployments import workflow
from apps.deployments.models import Deployment

WORDS = {
    ModelAnnouncement.Kind.ACTIVATED: "is now active: new deployments under it follow this version",
    ModelAnnouncement.Kind.RETIRED: "is retired: new deployments can no longer use it",
}


def model_users(model: DeploymentModel):
    """The services that use the model (see the module's docstring), by name."""
    family = DeploymentModel.objects.filter(name=model.name).values("pk")
    used = Deployment.objects.filter(model__in=family).exclude(
        status__in=(workflow.Status.DRAFT, workflow.Status.CANCELLED)
    )
    return Service.objects.filter(pk__in=used.values("service_id")).prefetch_related("owners").order_by("name")


def _message(model: DeploymentModel, kind: str, services: list[Service]) -> tuple[str, str]:
    url = f"{settings.SITE_URL.rstrip('/')}/models/{model.pk}/"
    subject = f"Deployment model {model.name} v{model.version} {kind}"
    body = (
        f"The deployment model {model.name} (version {model.version}) {WORDS[kind]}.\n\n"
        f"You are told as an owner of: {', '.join(s.name for s in services)}.\n\n{url}\n"
    )
    return subject, body


def model_announce(*, model_id: int, kind: str) -> list[str]:
    """Tell each owner of the services that use the model, one message each, once per model and event (a second
    run finds the announcement recorded and sends nothing). The announcement, its messages (queued in the mail
    outbox) and its audit entry commit together. Returns the addresses told."""
    model = DeploymentModel.objects.filter(pk=model_id).first()
    if model is None or kind not in ModelAnnouncement.Kind.values:
        return []
    services = list(model_users(model))
    owners = notice_users(kind="model_announcement", users=[u for s in services for u in s.owners.all()])
    with transaction.atomic():
        try:
            with transaction.atomic():
                announcement = ModelAnnouncement.objects.create(
                    model=model, kind=kind, services=[s.name for s in services]
                )
        except IntegrityError:
            return []  # announced already
        subject, body = _message(model, kind, services)
        told = []
        for user in owners:
            mail_queue(subject=subject, body=body, to=[user.email], key=f"announce-{kind}-{model.pk}")
            told.append(user.email)
        announcement.recipients = told
        announcement.save(update_fields=["recipients"])
        audit_append(
            actor=None,
            channel=SYSTEM,
            action="announced",
            object_type="deployment_models.deploymentmodel",
            object_id=model.pk,
            object_repr=str(model),
            changes={"kind": kind, "recipients": told, "services": announcement.services},
        )
    return told
