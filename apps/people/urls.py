"""URLs of people: /profile/skills/ (one's own) and /delegations/ (managers)."""

from django.urls import path

from apps.people import views

app_name = "people"

urlpatterns = [
    path("profile/skills/", views.SkillListView.as_view(), name="skill_list"),
    path("profile/skills/<int:pk>/remove/", views.SkillRemoveView.as_view(), name="skill_remove"),
    path("delegations/", views.DelegationListView.as_view(), name="delegation_list"),
    path("delegations/<int:pk>/revoke/", views.DelegationRevokeView.as_view(), name="delegation_revoke"),
]
