"""API ViewSets of the catalog: the same selectors, FilterSets and services as the pages."""

from django.core.exceptions import ValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.audit.context import API
from apps.catalog import selectors, services
from apps.catalog.api.serializers import (
    ComponentSerializer,
    ComponentVersionRegisterInputSerializer,
    ComponentVersionSerializer,
    ServiceSerializer,
    SupplierSerializer,
)
from apps.catalog.filters import ComponentFilterSet, ComponentVersionFilterSet, ServiceFilterSet, SupplierFilterSet
from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier
from apps.core.api.permissions import May, WritePermission, manager_rules


def _manages_any(user) -> bool:
    return selectors.user_manages_any_service(user=user)


COMPONENT_OWNERS = "Only deployment managers and owners of the service may change its components."
ADD_COMPONENTS = May(check=_manages_any, message=COMPONENT_OWNERS)
CHANGE_COMPONENT = May(
    on=lambda user, c: selectors.user_manages_service(user=user, service=c.service), message=COMPONENT_OWNERS
)
CHANGE_VERSION = May(
    on=lambda user, v: selectors.user_manages_service(user=user, service=v.component.service), message=COMPONENT_OWNERS
)


class CatalogViewSet(viewsets.ModelViewSet):
    """Lists filtered by the shared FilterSet (its `ordering` parameter sorts); writes go to the services."""

    filter_backends = [DjangoFilterBackend]
    permission_classes = [permissions.IsAuthenticated, WritePermission]

    def selector_queryset(self):
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.selector_queryset()

    def _respond(self, instance, code=status.HTTP_200_OK):
        instance = self.get_queryset().get(pk=instance.pk)  # re-read with the list's prefetches
        return Response(self.get_serializer(instance).data, status=code)


class ServiceViewSet(CatalogViewSet):
    """Services with their owners and product owners (user ids). Managers write; changing owners grants and
    revokes their object permissions."""

    queryset = Service.objects.none()
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilterSet
    write_rules = manager_rules("catalog.service", actions=("create", "update"))
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def selector_queryset(self):
        return selectors.service_list(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = services.service_create(channel=API, actor=request.user, **serializer.validated_data)
        return self._respond(service, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        service = self.get_object()
        serializer = self.get_serializer(service, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        services.service_update(channel=API, service=service, actor=request.user, **serializer.validated_data)
        return self._respond(service)


class ComponentViewSet(CatalogViewSet):
    """Components of services with their suppliers. Managers, and owners of the component's service, write."""

    queryset = ServiceComponent.objects.none()
    serializer_class = ComponentSerializer
    filterset_class = ComponentFilterSet
    write_rules = {"create": ADD_COMPONENTS, "update": CHANGE_COMPONENT, "destroy": CHANGE_COMPONENT}

    def selector_queryset(self):
        return selectors.component_list(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        component = services.component_create(channel=API, actor=request.user, **serializer.validated_data)
        return self._respond(component, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        component = self.get_object()
        serializer = self.get_serializer(component, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        service = data.pop("service", component.service)
        if service.pk != component.service_id:
            raise ValidationError({"service": "A component cannot move to another service."})
        services.component_update(channel=API, component=component, actor=request.user, **data)
        return self._respond(component)

    def destroy(self, request, *args, **kwargs):
        services.component_delete(channel=API, component=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ComponentVersionViewSet(CatalogViewSet):
    """Versions of components, with their DML / asset-register reference and SHA-256 checksum (lower-cased)."""

    queryset = ComponentVersion.objects.none()
    serializer_class = ComponentVersionSerializer
    filterset_class = ComponentVersionFilterSet
    write_rules = {"create": ADD_COMPONENTS, "register": ADD_COMPONENTS, "update": CHANGE_VERSION}
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def selector_queryset(self):
        return selectors.component_version_list(user=self.request.user)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.component_version_create(channel=API, actor=request.user, **serializer.validated_data)
        return self._respond(version, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        version = self.get_object()
        serializer = self.get_serializer(version, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        component = data.pop("component", version.component)
        if component.pk != version.component_id:
            raise ValidationError({"component": "A version cannot move to another component."})
        services.component_version_update(channel=API, component_version=version, actor=request.user, **data)
        return self._respond(version)

    @extend_schema(
        request=ComponentVersionRegisterInputSerializer,
        responses={
            200: OpenApiResponse(ComponentVersionSerializer, description="Already registered with this checksum."),
            201: OpenApiResponse(ComponentVersionSerializer, description="Registered now."),
        },
        description="For pipelines: register the version that was built, or get it when it is registered already. "
        "A registered version with a different checksum is refused with 400.",
    )
    @action(detail=False, methods=["post"])
    def register(self, request):
        serializer = ComponentVersionRegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, created = services.component_version_get_or_create(
            channel=API, actor=request.user, **serializer.validated_data
        )
        return self._respond(version, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SupplierViewSet(CatalogViewSet):
    """Suppliers and the components they supply. Managers write."""

    queryset = Supplier.objects.none()
    serializer_class = SupplierSerializer
    filterset_class = SupplierFilterSet
    write_rules = manager_rules("catalog.supplier")

    def selector_queryset(self):
        return selectors.supplier_list(user=self.request.user).prefetch_related("components", "contact_users")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        supplier = services.supplier_create(channel=API, actor=request.user, **serializer.validated_data)
        return self._respond(supplier, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        supplier = self.get_object()
        serializer = self.get_serializer(supplier, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        services.supplier_update(channel=API, supplier=supplier, actor=request.user, **serializer.validated_data)
        return self._respond(supplier)

    def destroy(self, request, *args, **kwargs):
        services.supplier_delete(channel=API, supplier=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
