"""URLs of the environment pages and the freeze and maintenance windows."""

from django.urls import path

from apps.core.routes import resource_pages
from apps.environments import views

app_name = "environments"


def _window_urls(prefix: str, kind: views.WindowKind) -> list:
    return [
        *resource_pages(
            prefix,
            kind.key,
            initkwargs={"kind": kind},
            list=views.WindowListView,
            create=views.WindowCreateView,
            update=views.WindowUpdateView,
            delete=views.WindowDeleteView,
        ),
        path(f"{prefix}/<int:pk>/preview/", views.WindowPreviewView.as_view(kind=kind), name=f"{kind.key}_preview"),
    ]


urlpatterns = [
    *resource_pages(
        "environments",
        "environment",
        lookup="<slug:slug>",
        list=views.EnvironmentListView,
        create=views.EnvironmentCreateView,
        detail=views.EnvironmentDetailView,
        update=views.EnvironmentUpdateView,
    ),
    path("environments/<slug:slug>/checks/", views.EnvironmentChecksView.as_view(), name="environment_checks"),
    path(
        "environments/<slug:slug>/clearances/",
        views.EnvironmentClearancesView.as_view(),
        name="environment_clearances",
    ),
    path("clearances/expiring/", views.ClearanceExpiringView.as_view(), name="clearance_expiring"),
    *_window_urls("freeze-windows", views.FREEZE),
    *_window_urls("maintenance-windows", views.MAINTENANCE),
]
