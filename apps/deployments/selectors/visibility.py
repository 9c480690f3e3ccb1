"""What each user may see of the deployments (DESIGN.md §1), written once: the filter, the check of one deployment,
and the list every other read of many deployments starts from."""

from django.db.models import Q, QuerySet

from apps.catalog.models import Service, Supplier
from apps.core.permissions import user_can
from apps.deployments.models import Deployment


def deployment_visible_q(user) -> Q | None:
    """None when the user sees every deployment; otherwise the filter of what they may see (DESIGN.md §1): those of
    the services they own, their requests, those assigned to them, and those of the suppliers they are a contact of;
    nothing when not signed in (`user` anonymous or None: the filter by a missing id would match the deployments of
    services without an owner)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    if sees_all_deployments(user=user):
        return None
    return deployment_visible_q_by_id(user.pk)


def sees_all_deployments(*, user) -> bool:
    """Whether `user` sees every deployment (the global view permission: managers, practitioners, auditors), for reads
    that need only this answer: for everyone else deployment_visible_q builds its filter (three subqueries)."""
    return user_can(user, "deployments.view_deployment")


def deployment_visible_q_by_id(user_id: int) -> Q:
    """What a user without the global view permission may see, by their id (deployment_get compiles it once with a
    stand-in id)."""
    owned = Service.objects.filter(Q(owners=user_id) | Q(product_owners=user_id)).values("pk")
    return (
        Q(service_id__in=owned)
        | Q(requester=user_id)
        | Q(pk__in=Deployment.practitioners.through.objects.filter(user=user_id).values("deployment_id"))
        | Q(supplier_id__in=contact_suppliers(user=user_id))
    )


def deployment_visible(*, user, deployment: Deployment) -> bool:
    """Whether `user` may see `deployment` (a service's guard before it acts on one); no query when they see every
    deployment or are not signed in."""
    q = deployment_visible_q(user)
    return q is None or Deployment.objects.filter(q, pk=deployment.pk).exists()


def contact_suppliers(*, user) -> QuerySet:
    """The ids of the suppliers `user` is a contact of (the Supplier contact role's scope), as a subquery."""
    return Supplier.contact_users.through.objects.filter(user=user).values("supplier_id")


def deployment_list(*, user, base: QuerySet | None = None, join: bool = True) -> QuerySet[Deployment]:
    """The deployments `user` may see (of `base`, by default all), with what a list row shows joined in (a constant
    number of queries); with `join=False` nothing is joined, for reads that show related ids only or join their own,
    and for a `base` of values() rows, which refuse `select_related`."""
    qs = base if base is not None else Deployment.objects.all()
    if not user.is_authenticated:
        return qs.none()
    q = deployment_visible_q(user)
    if q is not None:
        qs = qs.filter(q)
    elif not join:
        qs = qs.all()  # a queryset of its own, never `base` itself (which the caller may keep, and so its results)
    return qs.select_related("environment", "service", "model", "requester", "manager") if join else qs
