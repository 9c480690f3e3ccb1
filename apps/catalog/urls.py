"""URLs of the catalog pages (DESIGN.md §5: /services/ is a stable address)."""

from django.urls import path

from apps.catalog.views import component, service, supplier

app_name = "catalog"

urlpatterns = [
    path("services/", service.ServiceListView.as_view(), name="service_list"),
    path("services/new/", service.ServiceCreateView.as_view(), name="service_create"),
    path("services/<slug:slug>/", service.ServiceDetailView.as_view(), name="service_detail"),
    path("services/<slug:slug>/edit/", service.ServiceUpdateView.as_view(), name="service_update"),
    path("services/<slug:slug>/stakeholders/", service.ServiceStakeholdersView.as_view(), name="service_stakeholders"),
    path("services/<slug:slug>/components/new/", component.ComponentCreateView.as_view(), name="component_create"),
    path("components/<int:pk>/", component.ComponentDetailView.as_view(), name="component_detail"),
    path("components/<int:pk>/edit/", component.ComponentUpdateView.as_view(), name="component_update"),
    path(
        "components/<int:pk>/versions/new/",
        component.ComponentVersionCreateView.as_view(),
        name="component_version_create",
    ),
    path("versions/<int:pk>/edit/", component.ComponentVersionUpdateView.as_view(), name="component_version_update"),
    path("suppliers/", supplier.SupplierListView.as_view(), name="supplier_list"),
    path("suppliers/new/", supplier.SupplierCreateView.as_view(), name="supplier_create"),
    path("suppliers/<int:pk>/", supplier.SupplierDetailView.as_view(), name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", supplier.SupplierUpdateView.as_view(), name="supplier_update"),
]
