"""URLs of the catalog pages (DESIGN.md §5: /services/ is a stable address)."""

from django.urls import path

from apps.catalog.views import component, service, supplier
from apps.core.routes import resource_pages

app_name = "catalog"

urlpatterns = [
    *resource_pages(
        "services",
        "service",
        lookup="<slug:slug>",
        list=service.ServiceListView,
        create=service.ServiceCreateView,
        detail=service.ServiceDetailView,
        update=service.ServiceUpdateView,
    ),
    path("services/<slug:slug>/stakeholders/", service.ServiceStakeholdersView.as_view(), name="service_stakeholders"),
    path("services/<slug:slug>/components/new/", component.ComponentCreateView.as_view(), name="component_create"),
    *resource_pages(
        "components", "component", detail=component.ComponentDetailView, update=component.ComponentUpdateView
    ),
    path(
        "components/<int:pk>/versions/new/",
        component.ComponentVersionCreateView.as_view(),
        name="component_version_create",
    ),
    *resource_pages("versions", "component_version", update=component.ComponentVersionUpdateView),
    *resource_pages(
        "suppliers",
        "supplier",
        list=supplier.SupplierListView,
        create=supplier.SupplierCreateView,
        detail=supplier.SupplierDetailView,
        update=supplier.SupplierUpdateView,
    ),
]
