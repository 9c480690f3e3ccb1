"""URLs of the review pages (DESIGN.md §5: /reviews/) and the initiatives list."""

from django.urls import path

from apps.reviews import views

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.ReviewListView.as_view(), name="review_list"),
    path("reviews/new/", views.ReviewCreateView.as_view(), name="review_create"),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review_detail"),
    path("reviews/<int:pk>/edit/", views.ReviewUpdateView.as_view(), name="review_update"),
    path("reviews/<int:pk>/start/", views.ReviewStartView.as_view(), name="review_start"),
    path("reviews/<int:pk>/complete/", views.ReviewCompleteView.as_view(), name="review_complete"),
    path("reviews/<int:pk>/notes/", views.ReviewNoteView.as_view(), name="review_note"),
    path("reviews/<int:pk>/initiatives/new/", views.InitiativeCreateView.as_view(), name="initiative_create"),
    path("initiatives/", views.InitiativeListView.as_view(), name="initiative_list"),
    path("initiatives/<int:pk>/edit/", views.InitiativeUpdateView.as_view(), name="initiative_update"),
]
