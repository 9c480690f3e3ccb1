"""The "what is where" page: environment × service (or component)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from apps.catalog.models import Service
from apps.environments.models import EnvironmentKind
from apps.reports.selectors import matrix


class MatrixView(LoginRequiredMixin, TemplateView):
    """Which version is in each environment, the last deployment there, and what is on its way."""

    template_name = "reports/matrix.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        by = self.request.GET.get("by", matrix.SERVICE)
        page = self.request.GET.get("page", "1")
        page = int(page) if page.isdigit() and len(page) < 7 else 1
        data = matrix.matrix_build(user=self.request.user, params=self.request.GET, by=by, page=page)
        query = self.request.GET.copy()
        query.pop("page", None)
        ctx.update(
            matrix=data,
            services=Service.objects.order_by("name").values_list("pk", "name"),
            kinds=EnvironmentKind.choices,
            selected_service=self.request.GET.get("service", ""),
            selected_kind=self.request.GET.get("environment_kind", ""),
            page_query=query.urlencode(),
        )
        return ctx
