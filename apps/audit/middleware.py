"""Opens the request's audit context from the view that serves it: the admin site, an API view or a page."""

from apps.audit.context import ADMIN, API, WEB, AuditContext, context_close, context_open


def _channel(request, view_func) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and "admin" in match.namespaces:
        return ADMIN
    view_class = getattr(view_func, "cls", None)
    if view_class is not None and any(base.__module__.startswith("rest_framework") for base in view_class.__mro__):
        return API
    return WEB


class AuditContextMiddleware:
    """Writes made by a view without a service's own context (admin saves, reference-data pages) are entered with
    the channel of the view that made them; the actor is the history record's user (set by simple-history's
    middleware, which sees the API's token user too)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, "_audit_context_token", None)
        if token is not None:
            context_close(token)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._audit_context_token = context_open(AuditContext(actor=None, channel=_channel(request, view_func)))
