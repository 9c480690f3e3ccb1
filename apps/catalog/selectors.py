"""Every permission-aware read of the catalog; other apps call these names (see DESIGN.md §2)."""

from types import SimpleNamespace

from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, Value, When

from apps.catalog.filters import ComponentFilterSet, ComponentVersionFilterSet, ServiceFilterSet, SupplierFilterSet
from apps.catalog.models import ComponentVersion, Criticality, Service, ServiceComponent, Supplier
from apps.core.permissions import is_signed_in, objects_for_user, user_can
from apps.roles import definitions as roles
from apps.roles.selectors import user_has_role

CRITICALITY_RANK = {Criticality.LOW: 1, Criticality.MEDIUM: 2, Criticality.HIGH: 3, Criticality.CRITICAL: 4}


def _apply_filters(filterset_class, filters, queryset: QuerySet, user=None) -> QuerySet:
    if not filters:
        return queryset
    return filterset_class(filters, queryset=queryset, request=SimpleNamespace(user=user)).qs


def criticality_rank():
    """An integer for sorting services by criticality (low → critical) instead of alphabetically."""
    return Case(
        *[When(criticality=value, then=Value(rank)) for value, rank in CRITICALITY_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


def service_list(*, user, filters=None) -> QuerySet[Service]:
    """Every service, for everyone signed in (the catalog is read by every role), with owners prefetched."""
    if not is_signed_in(user):
        return Service.objects.none()

    qs = (
        Service.objects.annotate(
            component_count=Count("components", distinct=True), criticality_rank=criticality_rank()
        )
        .prefetch_related("owners", "product_owners")
        .order_by("name")
    )
    return _apply_filters(ServiceFilterSet, filters, qs, user)


def service_get(*, user, slug: str) -> Service | None:
    """One service by slug, or None when it is not there or the user may not see it."""
    return service_list(user=user).filter(slug=slug).first()


def services_owned_by(*, user) -> QuerySet[Service]:
    """The services the user is an owner of."""
    if not is_signed_in(user):
        return Service.objects.none()
    return Service.objects.filter(owners=user).order_by("name")


def services_product_owned_by(*, user) -> QuerySet[Service]:
    """The services the user is a product owner of."""
    if not is_signed_in(user):
        return Service.objects.none()
    return Service.objects.filter(product_owners=user).order_by("name")


def services_for_requester(*, user) -> QuerySet[Service]:
    """The active services the user may request deployments for: all of them for deployment managers and
    practitioners (and administrators); for service and product owners, those they hold
    `catalog.request_service_deployment` on (granted by service_set_owners to owners and product owners)."""
    if not is_signed_in(user):
        return Service.objects.none()
    qs = Service.objects.filter(is_active=True).order_by("name")
    if user.is_superuser or user_has_role(user, roles.MANAGER) or user_has_role(user, roles.PRACTITIONER):
        return qs
    return objects_for_user(user, "catalog.request_service_deployment", qs)


def user_manages_service(*, user, service: Service) -> bool:
    """Whether the user may manage the components and versions of `service`: a deployment manager (global
    `change_servicecomponent`) or an owner of the service (object permission `manage_service_components`)."""
    return user_can(user, "catalog.change_servicecomponent") or user_can(
        user, "catalog.manage_service_components", service
    )


def user_manages_any_service(*, user) -> bool:
    """Whether the user may add components and versions to some service: a deployment manager, or an owner of at
    least one service. The API asks it before reading a body (which names the service)."""
    return user_can(user, "catalog.change_servicecomponent") or (
        is_signed_in(user)
        and objects_for_user(user, "catalog.manage_service_components", Service.objects.all()).exists()
    )


def user_may_manage_services(*, user) -> bool:
    """Whether the user may add and change services and suppliers (deployment managers)."""
    return user_can(user, "catalog.change_service")


def component_list(*, user, service: Service | None = None, filters=None) -> QuerySet[ServiceComponent]:
    """Components (optionally of one service) with their service, suppliers and version count."""
    if not is_signed_in(user):
        return ServiceComponent.objects.none()

    qs = (
        ServiceComponent.objects.select_related("service")
        .prefetch_related("suppliers")
        .annotate(version_count=Count("versions", distinct=True))
        .order_by("service__name", "name")
    )
    if service is not None:
        qs = qs.filter(service=service)
    return _apply_filters(ComponentFilterSet, filters, qs)


def component_get(*, user, pk) -> ServiceComponent | None:
    return component_list(user=user).filter(pk=pk).first()


def component_version_list(
    *, user, component: ServiceComponent | None = None, filters=None
) -> QuerySet[ComponentVersion]:
    """Versions (optionally of one component), newest first, with their component and service."""
    if not is_signed_in(user):
        return ComponentVersion.objects.none()

    qs = ComponentVersion.objects.select_related("component__service").order_by(
        "component__service__name", "component__name", "-created_at", "-pk"
    )
    if component is not None:
        qs = qs.filter(component=component).order_by("-created_at", "-pk")
    return _apply_filters(ComponentVersionFilterSet, filters, qs)


def component_version_get(*, user, pk) -> ComponentVersion | None:
    return component_version_list(user=user).filter(pk=pk).first()


# The deployment statuses (DESIGN.md §5, a public contract) in which a deployment holds its versions to what was
# approved: approved, in progress, completed, failed, rolled back. apps/deployments/workflow.py names the same
# group VERSION_FREEZING, and a test keeps the two equal (the catalog sits below deployments and cannot import it).
VERSION_FREEZING_STATUSES = (
    "approved",
    "verifying_components",
    "verifying_environment",
    "executing",
    "verifying",
    "completed",
    "failed",
    "rolled_back",
)
FROZEN_FIELDS = ("checksum", "repository_ref")


def component_version_frozen_by(*, component_version: ComponentVersion) -> dict | None:
    """The first approved or finished deployment that carries this version ({reference, status}), or None.

    Such a version's checksum and repository reference are what was approved and deployed: they are frozen.
    """
    if component_version.pk is None:
        return None
    return (
        component_version.deployments.filter(status__in=VERSION_FREEZING_STATUSES)
        .order_by("approved_at", "pk")
        .values("reference", "status")
        .first()
    )


def components_with_versions(*, user, service: Service) -> QuerySet[ServiceComponent]:
    """A service's components, each with its versions (newest first) and suppliers, in a fixed number of queries."""
    return component_list(user=user, service=service).prefetch_related(
        Prefetch("versions", queryset=ComponentVersion.objects.order_by("-created_at", "-pk"))
    )


def supplier_list(*, user, filters=None) -> QuerySet[Supplier]:
    """Every supplier, for everyone signed in, with the number of components it supplies."""
    if not is_signed_in(user):
        return Supplier.objects.none()

    qs = Supplier.objects.annotate(component_count=Count("components", distinct=True)).order_by("name")
    return _apply_filters(SupplierFilterSet, filters, qs)


def supplier_get(*, user, pk) -> Supplier | None:
    return supplier_list(user=user).filter(pk=pk).first()


def service_suppliers(*, service: Service) -> QuerySet[Supplier]:
    """The suppliers of any component of a service."""
    return Supplier.objects.filter(components__service=service).distinct().order_by("name")
