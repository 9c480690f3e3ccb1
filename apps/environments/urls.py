"""URLs of the environment pages and the freeze and maintenance windows."""

from django.urls import path

from apps.environments import views

app_name = "environments"


def _window_urls(prefix: str, kind: views.WindowKind) -> list:
    key = kind.key
    return [
        path(f"{prefix}/", views.WindowListView.as_view(kind=kind), name=f"{key}_list"),
        path(f"{prefix}/new/", views.WindowCreateView.as_view(kind=kind), name=f"{key}_create"),
        path(f"{prefix}/<int:pk>/edit/", views.WindowUpdateView.as_view(kind=kind), name=f"{key}_update"),
        path(f"{prefix}/<int:pk>/delete/", views.WindowDeleteView.as_view(kind=kind), name=f"{key}_delete"),
        path(f"{prefix}/<int:pk>/preview/", views.WindowPreviewView.as_view(kind=kind), name=f"{key}_preview"),
    ]


urlpatterns = [
    path("environments/", views.EnvironmentListView.as_view(), name="environment_list"),
    path("environments/new/", views.EnvironmentCreateView.as_view(), name="environment_create"),
    path("environments/<slug:slug>/", views.EnvironmentDetailView.as_view(), name="environment_detail"),
    path("environments/<slug:slug>/edit/", views.EnvironmentUpdateView.as_view(), name="environment_update"),
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
