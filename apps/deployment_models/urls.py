"""URLs of the deployment-model pages (DESIGN.md §5: /models/)."""

from django.urls import path

from apps.core.routes import resource_pages
from apps.deployment_models import views

app_name = "deployment_models"

urlpatterns = [
    *resource_pages(
        "models",
        "model",
        list=views.ModelListView,
        create=views.ModelCreateView,
        detail=views.ModelDetailView,
        update=views.ModelUpdateView,
    ),
    path("models/<int:pk>/stages/", views.ModelStagesView.as_view(), name="model_stages"),
    path("models/<int:pk>/stages/<int:stage_id>/edit/", views.StageUpdateView.as_view(), name="stage_update"),
    path("models/<int:pk>/stages/<int:stage_id>/remove/", views.StageRemoveView.as_view(), name="stage_remove"),
    path("models/<int:pk>/stages/<int:stage_id>/move/", views.StageMoveView.as_view(), name="stage_move"),
    path(
        "models/<int:pk>/responsibilities/",
        views.ModelResponsibilitiesView.as_view(),
        name="model_responsibilities",
    ),
    path(
        "models/<int:pk>/responsibilities/<int:responsibility_id>/remove/",
        views.ResponsibilityRemoveView.as_view(),
        name="responsibility_remove",
    ),
    path(
        "models/<int:pk>/new-version/", views.ModelLifecycleView.as_view(action="new_version"), name="model_new_version"
    ),
    path("models/<int:pk>/pilot/", views.ModelLifecycleView.as_view(action="pilot"), name="model_pilot"),
    path("models/<int:pk>/activate/", views.ModelLifecycleView.as_view(action="activate"), name="model_activate"),
    path("models/<int:pk>/evaluate/", views.ModelEvaluateView.as_view(), name="model_evaluate"),
    path("models/<int:pk>/retire/", views.ModelLifecycleView.as_view(action="retire"), name="model_retire"),
]
