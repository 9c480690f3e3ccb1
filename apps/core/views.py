"""The home page and the health endpoint."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from apps.accounts.selectors import role_profile_list
from apps.core.health import health_report
from apps.core.home import dashboard_for, next_actions_for


class HomeView(LoginRequiredMixin, TemplateView):
    """The user's roles and what they should do next."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["roles"] = role_profile_list(user=self.request.user)
        ctx["next_actions"] = next_actions_for(self.request.user)
        ctx["dashboard"] = dashboard_for(self.request.user)
        return ctx


@never_cache
def health(request):
    healthy, report = health_report()
    return JsonResponse(report, status=200 if healthy else 503)
