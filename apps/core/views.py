"""The health endpoint and the error handler (the home page is the dashboard's, in apps.reports.views.home)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache

from apps.core.health import health_report
from apps.core.middleware import MESSAGE


def server_error(request, *args, **kwargs):
    """handler500: a database outage is a 503 with a clear message; anything else a plain 500 — never a trace."""
    exc = sys.exc_info()[1]
    wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
    if isinstance(exc, OperationalError | InterfaceError):
        if wants_json:
            response = JsonResponse({"detail": MESSAGE, "code": "database_unavailable"}, status=503)
        else:
            response = HttpResponse(render_to_string("503.html", {"message": MESSAGE}), status=503)
        response["Retry-After"] = "30"
        return response
    if wants_json:
        return JsonResponse({"detail": "Internal error; it has been logged.", "code": "server_error"}, status=500)
    return HttpResponse(render_to_string("500.html"), status=500)


@never_cache
def health(request):
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
