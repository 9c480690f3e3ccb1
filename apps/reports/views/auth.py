"""Session or `Authorization: Token` sign-in for downloads that scripts and calendar programs fetch."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from rest_framework import exceptions

from apps.accounts.authentication import ApiTokenAuthentication


def unauthorized(detail: str) -> JsonResponse:
    response = JsonResponse({"detail": detail, "code": "not_authenticated"}, status=401)
    response["WWW-Authenticate"] = ApiTokenAuthentication.keyword
    return response


def bad_request(exc: ValidationError) -> JsonResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    return JsonResponse({"detail": "Invalid filters.", "code": "invalid", "errors": errors}, status=400)


class SessionOrTokenMixin:
    """A signed-in session, or a named API token in the Authorization header (then `request.auth` is the token).

    Anonymous browsers go to the login form; a missing, wrong or revoked token gets a JSON 401.
    """

    def dispatch(self, request, *args, **kwargs):
        request.auth = None
        if request.META.get("HTTP_AUTHORIZATION"):
            try:
                result = ApiTokenAuthentication().authenticate(request)
            except exceptions.AuthenticationFailed as exc:
                return unauthorized(str(exc.detail))
            if result is None:
                return unauthorized("Give `Authorization: Token <key>`.")
            request.user, request.auth = result
        elif not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


def wants_json(request) -> bool:
    return request.auth is not None or "application/json" in request.headers.get("Accept", "")
