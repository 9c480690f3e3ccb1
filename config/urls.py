"""Deploydesk's URL map: pages, admin, login, health and the API (DESIGN.md §5)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.accounts.views import LoginView
from apps.core.routes import by_first_segment
from apps.core.views import health
from apps.reports.views.home import HomeView

admin.site.site_header = "Deploydesk administration"
admin.site.site_title = "Deploydesk admin"

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("apps.accounts.urls")),
    path("accounts/", include("apps.sso.urls")),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    by_first_segment("api/v1/", "config.api"),  # some 150 routes: tried by first segment
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(([path("", HomeView.as_view(), name="home")], "core"))),
    # each domain app's pages, from the bottom layer up
    path("", include("apps.audit.urls")),
    path("", include("apps.roles.urls")),
    path("", include("apps.environments.urls")),
    path("", include("apps.catalog.urls")),
    path("", include("apps.deployment_models.urls")),
    path("", include("apps.people.urls")),
    path("", include("apps.deployments.urls")),
    path("", include("apps.reviews.urls")),
    path("", include("apps.integrations.urls")),
    path("", include("apps.reports.urls")),
]

handler500 = "apps.core.views.server_error"
