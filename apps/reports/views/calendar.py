"""The calendar page (month and week), its iCalendar download and the per-user secret feed."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from apps.audit.filters import period_bounds
from apps.core.permissions import user_can
from apps.deployments.filters import DeploymentFilterSet
from apps.reports import services
from apps.reports.exports import ics
from apps.reports.models import CalendarFeedToken
from apps.reports.permissions import EXPORT_PERM
from apps.reports.selectors import calendar as cal
from apps.reports.views.auth import SessionOrTokenMixin, bad_request

NEW_FEED_KEY = "reports.calendar_feed_key"
FILTER_KEYS = ("q", "status", "environment", "environment_kind", "service", "model", "action", "trigger")


def _anchor(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filter_query(request) -> str:
    """The register filters of the request, to carry through the calendar's navigation and exports."""
    data = request.GET.copy()
    for key in list(data.keys()):
        if key not in FILTER_KEYS:
            del data[key]
    return data.urlencode()


class CalendarView(LoginRequiredMixin, TemplateView):
    """Deployments per day and environment, with freeze windows and conflicts; POST manages the feed URL."""

    template_name = "reports/calendar.html"

    def get(self, request, *args, **kwargs):
        view = request.GET.get("view", cal.MONTH)
        anchor = _anchor(request.GET.get("date"))
        status = 200
        errors = None
        try:
            data = cal.calendar_build(user=request.user, params=request.GET, view=view, anchor=anchor)
        except ValidationError as exc:
            errors = exc.message_dict
            data = cal.calendar_build(user=request.user, params=None, view=view, anchor=anchor)
            status = 400
        if request.GET.get("date") and anchor is None:
            errors = {**(errors or {}), "date": ["Give the date as YYYY-MM-DD."]}
            status = 400
        token = CalendarFeedToken.objects.filter(user=request.user).first()
        new_key = request.session.pop(NEW_FEED_KEY, None)
        query = _filter_query(request)
        ctx = self.get_context_data(
            cal=data,
            errors=errors,
            filter=DeploymentFilterSet(request.GET or None),
            query=query,
            feed_token=token,
            feed_url=request.build_absolute_uri(reverse("reports:calendar_feed", args=[new_key])) if new_key else "",
            ics_url=reverse("reports:calendar_ics") + (f"?{query}" if query else ""),
            can_export=user_can(request.user, EXPORT_PERM),
            days_of_week=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        )
        return self.render_to_response(ctx, status=status)

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action == "rotate":
            _, key = services.calendar_feed_token_rotate(user=request.user)
            request.session[NEW_FEED_KEY] = key
            messages.success(request, "Your calendar feed URL is ready. Copy it now: it is shown only once.")
        elif action == "revoke":
            if services.calendar_feed_token_revoke(user=request.user):
                messages.success(request, "Your calendar feed URL no longer works.")
        else:
            messages.error(request, "Unknown action.")
        return redirect("reports:calendar")


def _ics_response(request, user) -> HttpResponseBase:
    try:
        start, end = period_bounds(request.GET)
        body = ics.calendar_ics(
            user=user, params=request.GET, base_url=request.build_absolute_uri("/").rstrip("/"), start=start, end=end
        )
    except ValidationError as exc:
        return bad_request(exc)
    response = StreamingHttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="deploydesk.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


class CalendarIcsView(SessionOrTokenMixin, View):
    """The calendar as iCalendar, for a signed-in user or an API token."""

    def get(self, request):
        return _ics_response(request, request.user)


class CalendarFeedView(View):
    """The per-user secret feed: the key in the URL stands for the user (404 when unknown or revoked)."""

    def get(self, request, token: str):
        user = services.calendar_feed_user(key=token)
        if user is None:
            raise Http404("No such calendar feed.")
        return _ics_response(request, user)
