"""POST hooks/github/ and hooks/gitlab/: deployment events from the sender, verified by its signature or token (no
user signs in); every refusal is JSON `{"detail", "code"}` with 400/401/403/404/409 and is logged."""

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.throttling import HookRateThrottle
from apps.deployments.hooks import (
    HookRefused,
    github_event,
    github_verify,
    gitlab_event,
    gitlab_verify,
    hook_log_refusal,
    hook_receive,
    hook_user,
)
from apps.deployments.models import HookSource

MAX_BODY = 1024 * 1024  # GitHub caps payloads at 25 MB; a deployment event is a few kB


class RawBodyParser(BaseParser):
    """The body stays bytes: the signature is over the raw body, and it is parsed only once verified."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class HookAnswerSerializer(serializers.Serializer):
    detail = serializers.CharField()
    deployment = serializers.IntegerField(required=False)
    reference = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    taken = serializers.ListField(child=serializers.CharField(), required=False)
    stopped = serializers.CharField(required=False)


class HookErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class _HookView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [RawBodyParser]
    throttle_classes = [HookRateThrottle]
    source = ""

    def verify(self, request, body: bytes) -> None:
        raise NotImplementedError

    def delivery_id(self, request) -> str:
        raise NotImplementedError

    def event(self, request, delivery_id: str, payload):
        raise NotImplementedError

    def post(self, request):
        delivery_id = self.delivery_id(request)[:100]
        try:
            body = request.body
            if len(body) > MAX_BODY:
                raise HookRefused(400, "invalid", "The body is too large for a deployment event.")
            self.verify(request, body)  # before anything is read from the body
            event = self.parse(request, delivery_id, body)
            if event is None:
                return Response({"detail": "Ping received."})
            result = hook_receive(event=event, actor=hook_user())
        except HookRefused as refused:
            if refused.code in ("unsigned", "bad_signature", "invalid", "not_configured"):
                hook_log_refusal(source=self.source, delivery_id=delivery_id, refused=refused)
            return Response({"detail": refused.message, "code": refused.code}, status=refused.status)
        deployment = result.deployment
        deployment.refresh_from_db(fields=["status"])
        answer = {
            "detail": f"{len(result.taken)} transition(s) taken." if result.taken else "Nothing to do.",
            "deployment": deployment.pk,
            "reference": deployment.reference,
            "status": deployment.status,
            "taken": result.taken,
        }
        if result.stopped:
            answer["stopped"] = result.stopped
        return Response(answer)

    def parse(self, request, delivery_id: str, body: bytes):
        if not delivery_id:
            raise HookRefused(400, "invalid", "The event carries no delivery id: it cannot be told from a replay.")
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise HookRefused(400, "invalid", "The body is not JSON.") from exc
        return self.event(request, delivery_id, payload)


def _schema(name: str, headers: list[OpenApiParameter], description: str):
    return extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=headers,
        responses={
            200: HookAnswerSerializer,
            **{
                code: OpenApiResponse(HookErrorSerializer, description=text)
                for code, text in (
                    (400, "Malformed or not a deployment event, or no delivery id."),
                    (401, "Unsigned (no signature or token)."),
                    (403, "Wrong signature or token, or the hooks user may not take the transition."),
                    (404, "No deployment matches the event (`unmatched`), or these events are not configured."),
                    (409, "Delivery replayed, or the rules refuse the transition (freeze, checks …)."),
                )
            },
        },
        auth=[],
        summary=f"{name} deployment events",
        description=description,
        tags=["hooks"],
    )


def _header(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False, description=description)


class GitHubHookView(_HookView):
    """GitHub `deployment_status` webhooks, signed with `X-Hub-Signature-256`."""

    source = HookSource.GITHUB

    def verify(self, request, body: bytes) -> None:
        github_verify(body=body, signature=request.headers.get("X-Hub-Signature-256", ""))

    def delivery_id(self, request) -> str:
        return request.headers.get("X-GitHub-Delivery", "").strip()

    def event(self, request, delivery_id: str, payload):
        kind = request.headers.get("X-GitHub-Event", "")
        if kind == "ping":
            return None
        if kind != "deployment_status":
            raise HookRefused(400, "invalid", f"Only deployment_status events are accepted, not “{kind[:50]}”.")
        return github_event(delivery_id=delivery_id, payload=payload)

    @_schema(
        "GitHub",
        [
            _header("X-Hub-Signature-256", "`sha256=` + hex HMAC-SHA256 of the raw body with the shared secret."),
            _header("X-GitHub-Event", "`deployment_status` (or `ping`)."),
            _header("X-GitHub-Delivery", "The delivery's unique id; a repeat of an applied one is refused."),
        ],
        "Moves the deployment whose `external_id` is the GitHub deployment's id (or its `payload.external_id`), in "
        "the environment named, with the ref (or `payload.version`) among its versions: `in_progress` → start and "
        "confirm as far as `executing`, `success` → on to `completed`, `failure`/`error` → fail — each transition by "
        "the hooks user on the `api` channel, under the usual rules.",
    )
    def post(self, request):
        return super().post(request)


class GitLabHookView(_HookView):
    """GitLab deployment events, authenticated with `X-Gitlab-Token`."""

    source = HookSource.GITLAB

    def verify(self, request, body: bytes) -> None:
        gitlab_verify(token=request.headers.get("X-Gitlab-Token", ""))

    def delivery_id(self, request) -> str:
        return (request.headers.get("Idempotency-Key") or request.headers.get("X-Gitlab-Event-UUID") or "").strip()

    def event(self, request, delivery_id: str, payload):
        return gitlab_event(delivery_id=delivery_id, payload=payload)

    @_schema(
        "GitLab",
        [
            _header("X-Gitlab-Token", "The secret token configured on the GitLab webhook."),
            _header("X-Gitlab-Event-UUID", "The delivery's unique id (or `Idempotency-Key`, kept across retries)."),
        ],
        "Moves the deployment whose `external_id` is GitLab's `deployment_id` (or the job's `deployable_id`), in the "
        "environment named, with the ref among its versions: `running` → start and confirm as far as `executing`, "
        "`success` → on to `completed`, `failed`/`canceled` → fail — each transition by the hooks user on the `api` "
        "channel, under the usual rules.",
    )
    def post(self, request):
        return super().post(request)
