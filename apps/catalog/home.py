"""The catalog's "next actions" on the home page: components of one's own services that have no version yet."""

from django.urls import reverse

from apps.catalog.models import ServiceComponent
from apps.core.home import NextAction

SHOWN = 3


def next_actions(user) -> list[NextAction]:
    if not user.is_authenticated:
        return []
    qs = ServiceComponent.objects.filter(service__owners=user, versions__isnull=True)
    count = qs.count()
    if not count:
        return []
    names = [str(c) for c in qs.select_related("service").order_by("service__name", "name")[:SHOWN]]
    more = f" and {count - SHOWN} more" if count > SHOWN else ""
    return [
        NextAction(
            "Register versions of your components",
            reverse("catalog:service_list") + "?mine=true",
            count=count,
            detail=f"No version in the catalog yet: {', '.join(names)}{more}.",
            items=names,
        )
    ]
