"""URLs of the review pages (DESIGN.md §5: /reviews/) and the initiatives list."""

from django.urls import path

from apps.core.routes import resource_pages
from apps.reviews import views

app_name = "reviews"

urlpatterns = [
    *resource_pages(
        "reviews",
        "review",
        list=views.ReviewListView,
        create=views.ReviewCreateView,
        detail=views.ReviewDetailView,
        update=views.ReviewUpdateView,
    ),
    path("reviews/<int:pk>/start/", views.ReviewStartView.as_view(), name="review_start"),
    path("reviews/<int:pk>/complete/", views.ReviewCompleteView.as_view(), name="review_complete"),
    path("reviews/<int:pk>/notes/", views.ReviewNoteView.as_view(), name="review_note"),
    path("reviews/<int:pk>/initiatives/new/", views.InitiativeCreateView.as_view(), name="initiative_create"),
    *resource_pages("initiatives", "initiative", list=views.InitiativeListView, update=views.InitiativeUpdateView),
]
