"""URLs of the roles: the roles and competencies page."""

from django.urls import path

from apps.roles import views

app_name = "roles"

urlpatterns = [
    path("roles/", views.RoleCompetenciesView.as_view(), name="competencies"),
]
