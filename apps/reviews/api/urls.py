"""API routes of reviews: `reviews` (with start / complete actions) and `improvements`."""

from apps.reviews.api.views import ImprovementViewSet, ReviewViewSet


def register(router) -> None:
    router.register("reviews", ReviewViewSet, basename="review")
    router.register("improvements", ImprovementViewSet, basename="improvement")
