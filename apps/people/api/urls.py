"""API routes of people: /api/v1/delegations/."""

from apps.people.api.views import DelegationViewSet


def register(router) -> None:
    router.register("delegations", DelegationViewSet, basename="delegation")
