"""The home page: the user's next actions, gathered from each app, and the dashboard."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from apps.accounts import home as accounts_home
from apps.catalog import home as catalog_home
from apps.deployments import home as deployments_home
from apps.reports.selectors.dashboard import dashboard_for
from apps.reviews import home as reviews_home

# In the order the page lists them: the account first, then the apps from the bottom layer up.
NEXT_ACTION_PROVIDERS = [
    accounts_home.next_actions,
    catalog_home.next_actions,
    deployments_home.next_actions,
    reviews_home.next_actions,
]


def next_actions_for(user) -> list:
    return [action for provider in NEXT_ACTION_PROVIDERS for action in provider(user)]


class HomeView(LoginRequiredMixin, TemplateView):
    """The user's roles, what they should do next, and the dashboard panels."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["next_actions"] = next_actions_for(self.request.user)
        ctx["dashboard"] = dashboard_for(self.request.user)
        return ctx
