"""Inbound deployment events from GitHub and GitLab: verify the sender, refuse replays, find the one deployment the
event is about and move it through its transitions on the `api` channel — by `deployment_transition`, under the
same rules as every other channel. A refused event changes nothing; every refusal is logged."""

import hashlib
import hmac
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.models import Channel, Deployment, HookDelivery, HookSource
from apps.deployments.services import Context, deployment_transition

logger = logging.getLogger("deploydesk.hooks")
S = workflow.Status

# the way forward through the process, one transition per status
FORWARD = {
    S.APPROVED: "start",
    S.VERIFYING_COMPONENTS: "confirm-components",
    S.VERIFYING_ENVIRONMENT: "confirm-environment",
    S.EXECUTING: "finish-execution",
    S.VERIFYING: "complete",
}
# what the sender's status asks for: walk forward to a status, or fail
RUNNING, SUCCESS, FAILURE = S.EXECUTING, S.COMPLETED, S.FAILED
GITHUB_STATES = {"in_progress": RUNNING, "success": SUCCESS, "failure": FAILURE, "error": FAILURE}
GITLAB_STATES = {"running": RUNNING, "success": SUCCESS, "failed": FAILURE, "canceled": FAILURE}


class HookRefused(Exception):
    """An event refused before anything was applied: the status to answer, a stable code and a message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class HookEvent:
    """A sender's deployment event, reduced to what matching and applying need."""

    source: str
    delivery_id: str
    external_ids: list[str]
    environment: str
    versions: list[str]
    state: str  # the sender's own word ("success", "failed", …)
    description: str = ""
    url: str = ""

    @property
    def label(self) -> str:
        return f"{HookSource(self.source).label} deployment {self.external_ids[0] if self.external_ids else '?'}"


@dataclass
class HookResult:
    deployment: Deployment
    taken: list[str] = field(default_factory=list)
    stopped: str = ""  # why it went no further, when it stopped before the status asked for


# --- verifying the sender ----------------------------------------------------------------------------------------


def github_verify(*, body: bytes, signature: str) -> None:
    """`X-Hub-Signature-256` must be `sha256=` + the HMAC-SHA256 of the raw body with the configured secret."""
    if not signature:
        raise HookRefused(401, "unsigned", "The event carries no X-Hub-Signature-256 signature.")
    secret = settings.DEPLOYDESK_GITHUB_WEBHOOK_SECRET
    if not secret:
        raise HookRefused(404, "not_configured", "GitHub deployment events are not configured on this Deploydesk.")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise HookRefused(403, "bad_signature", "The X-Hub-Signature-256 signature does not match the body.")


def gitlab_verify(*, token: str) -> None:
    """`X-Gitlab-Token` must equal the configured secret token."""
    if not token:
        raise HookRefused(401, "unsigned", "The event carries no X-Gitlab-Token.")
    secret = settings.DEPLOYDESK_GITLAB_WEBHOOK_TOKEN
    if not secret:
        raise HookRefused(404, "not_configured", "GitLab deployment events are not configured on this Deploydesk.")
    if not hmac.compare_digest(secret.encode(), token.encode("utf-8", "replace")):
        raise HookRefused(403, "bad_signature", "The X-Gitlab-Token does not match.")


# --- reading the payloads -----------------------------------------------------------------------------------------


def _text(value) -> str:
    return str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _versions(ref: str) -> list[str]:
    ref = ref.removeprefix("refs/tags/")
    return [ref, ref[1:]] if ref[:1] in ("v", "V") and ref[1:2].isdigit() else [ref]


def github_event(*, delivery_id: str, payload) -> HookEvent:
    """A `deployment_status` event: the deployment's id (or `payload.external_id`), environment and ref."""
    status = payload.get("deployment_status") if isinstance(payload, dict) else None
    deployment = payload.get("deployment") if isinstance(payload, dict) else None
    if not isinstance(status, dict) or not isinstance(deployment, dict):
        raise HookRefused(400, "invalid", "A deployment_status event needs `deployment` and `deployment_status`.")
    extra = deployment.get("payload") if isinstance(deployment.get("payload"), dict) else {}
    version = _text(extra.get("version"))
    return HookEvent(
        source=HookSource.GITHUB,
        delivery_id=delivery_id,
        external_ids=[i for i in (_text(extra.get("external_id")), _text(deployment.get("id"))) if i],
        environment=_text(status.get("environment")) or _text(deployment.get("environment")),
        versions=[version] if version else _versions(_text(deployment.get("ref"))),
        state=_text(status.get("state")),
        description=_text(status.get("description")),
        url=_text(status.get("log_url")) or _text(status.get("target_url")),
    )


def gitlab_event(*, delivery_id: str, payload) -> HookEvent:
    """A deployment event (`object_kind: deployment`): the deployment's or job's id, environment and ref."""
    if not isinstance(payload, dict) or payload.get("object_kind") != "deployment":
        raise HookRefused(400, "invalid", "Only deployment events (object_kind “deployment”) are accepted.")
    return HookEvent(
        source=HookSource.GITLAB,
        delivery_id=delivery_id,
        external_ids=[i for i in (_text(payload.get("deployment_id")), _text(payload.get("deployable_id"))) if i],
        environment=_text(payload.get("environment_slug")) or _text(payload.get("environment")),
        versions=_versions(_text(payload.get("ref"))),
        state=_text(payload.get("status")),
        url=_text(payload.get("deployable_url")),
    )


# --- matching and applying ------------------------------------------------------------------------------------------


def hook_match(event: HookEvent) -> Deployment:
    """The one deployment with this external id, in this environment (slug or name), of this version."""
    if not (event.external_ids and event.environment and any(event.versions)):
        raise HookRefused(400, "invalid", "The event names no deployment id, environment or version.")
    environment = Q(environment__slug__iexact=event.environment) | Q(environment__name__iexact=event.environment)
    found = list(
        Deployment.objects.filter(environment, external_id__in=event.external_ids)
        .filter(component_versions__version__in=[v for v in event.versions if v])
        .distinct()[:2]
    )
    if not found:
        raise HookRefused(
            404,
            "unmatched",
            f"No deployment has external id {' or '.join(event.external_ids)} in “{event.environment}” "
            f"with version {' or '.join(v for v in event.versions if v)}.",
        )
    if len(found) > 1:
        raise HookRefused(409, "ambiguous", "Several deployments match the event: give each a distinct external id.")
    return found[0]


def hook_user():
    """The service account the events act as (DEPLOYDESK_HOOKS_USER): its roles decide what the events may do."""
    username = settings.DEPLOYDESK_HOOKS_USER
    user = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
    if user is None:
        raise HookRefused(404, "not_configured", "No active hooks user is configured (DEPLOYDESK_HOOKS_USER).")
    return user


def hook_receive(*, event: HookEvent, actor) -> HookResult | None:
    """Remember the delivery (one received before is refused as a replay), match the deployment and move it; None
    when the sender's status asks for nothing (queued, pending, created …). Refusals raise HookRefused and are
    logged. A delivery that was refused may come again (the sender's redelivery once the cause is fixed). `actor` is
    the hooks user (hook_user): its roles decide what the event may do, as for any other user."""
    delivery = _claim(event)
    try:
        result = _apply(event, actor)
    except HookRefused as refused:
        _log(event, refused.status, refused.message)
        HookDelivery.objects.filter(pk=delivery.pk).update(status_code=refused.status, outcome=refused.message)
        raise
    outcome = f"{event.state}: " + (", ".join(result.taken) if result and result.taken else "nothing to do")
    if result and result.stopped:
        outcome += f"; stopped: {result.stopped}"
    HookDelivery.objects.filter(pk=delivery.pk).update(
        status_code=200, outcome=outcome, deployment=result.deployment if result else None
    )
    return result


def _claim(event: HookEvent) -> HookDelivery:
    """Store the delivery id, or take over a stored one that was refused; a replay of one applied (or being
    applied) is refused. The unique constraint and a conditional update make two concurrent deliveries safe."""
    try:
        with transaction.atomic():
            return HookDelivery.objects.create(source=event.source, delivery_id=event.delivery_id)
    except IntegrityError:
        pass
    seen = HookDelivery.objects.filter(source=event.source, delivery_id=event.delivery_id)
    if seen.exclude(status_code__in=(0, 200)).update(status_code=0, outcome="") == 1:
        return seen.get()
    _log(event, 409, "replayed")
    raise HookRefused(409, "replayed", f"Delivery {event.delivery_id} was received and applied before.")


def _apply(event: HookEvent, actor) -> HookResult | None:
    states = GITHUB_STATES if event.source == HookSource.GITHUB else GITLAB_STATES
    deployment = hook_match(event)
    target = states.get(event.state)
    if target is None:
        return HookResult(deployment=deployment)
    ctx = Context(actor=actor, channel=Channel.API, token_name=f"{HookSource(event.source).label} events")
    note = f"{event.label} reported {event.state}" + (f": {event.description}" if event.description else "")
    note += f" ({event.url})" if event.url else ""
    if target == FAILURE:
        return HookResult(deployment=deployment, taken=[_take(ctx, deployment, "fail", note)])
    result = HookResult(deployment=deployment)
    order = [*FORWARD, S.COMPLETED]
    while deployment.status in FORWARD and order.index(deployment.status) < order.index(target):
        name = FORWARD[deployment.status]
        try:
            _take(ctx, deployment, name, note)
        except HookRefused as refused:
            if not result.taken:
                raise  # nothing applied: the event is refused
            result.stopped = refused.message  # part of the way: the rules stopped it there
            break
        result.taken.append(name)
        deployment.refresh_from_db()
    if not result.taken and deployment.status not in order:
        raise HookRefused(
            409, "invalid_transition", f"{deployment.reference} is {deployment.get_status_display().lower()}."
        )
    return result


def _take(ctx: Context, deployment: Deployment, name: str, note: str) -> str:
    """One transition through the service, its refusal turned into a HookRefused with the same status."""
    try:
        deployment_transition(ctx=ctx, deployment=deployment, transition=name, comment=note)
    except PermissionDenied as exc:
        raise HookRefused(403, "permission_denied", f"{name}: {exc}") from exc
    except ConflictError as exc:
        detail = "; ".join(str(c) for c in exc.conflicts)
        raise HookRefused(409, exc.code, f"{name}: {exc.message}" + (f" ({detail})" if detail else "")) from exc
    except ValidationError as exc:
        raise HookRefused(400, "invalid", f"{name}: {' '.join(exc.messages)}") from exc
    return name


def _log(event: HookEvent, status: int, message: str) -> None:
    logger.warning("%s event %s refused (%s): %s", event.source, event.delivery_id, status, message)


def hook_log_refusal(*, source: str, delivery_id: str, refused: HookRefused) -> None:
    """Log an event refused before it was trusted (unsigned, wrong signature, malformed): nothing is stored."""
    logger.warning("%s event %s refused (%s): %s", source, delivery_id or "-", refused.status, refused.message)
