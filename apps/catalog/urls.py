"""URLs of the catalog pages (DESIGN.md §5: /services/ is a stable address)."""

from django.urls import path

from apps.catalog import views, views_stakeholders

app_name = "catalog"

urlpatterns = [
    path("services/", views.ServiceListView.as_view(), name="service_list"),
    path("services/new/", views.ServiceCreateView.as_view(), name="service_create"),
    path("services/<slug:slug>/", views.ServiceDetailView.as_view(), name="service_detail"),
    path("services/<slug:slug>/edit/", views.ServiceUpdateView.as_view(), name="service_update"),
    path(
        "services/<slug:slug>/stakeholders/",
        views_stakeholders.ServiceStakeholdersView.as_view(),
        name="service_stakeholders",
    ),
    path("services/<slug:slug>/components/new/", views.ComponentCreateView.as_view(), name="component_create"),
    path("components/<int:pk>/", views.ComponentDetailView.as_view(), name="component_detail"),
    path("components/<int:pk>/edit/", views.ComponentUpdateView.as_view(), name="component_update"),
    path(
        "components/<int:pk>/versions/new/",
        views.ComponentVersionCreateView.as_view(),
        name="component_version_create",
    ),
    path("versions/<int:pk>/edit/", views.ComponentVersionUpdateView.as_view(), name="component_version_update"),
    path("suppliers/", views.SupplierListView.as_view(), name="supplier_list"),
    path("suppliers/new/", views.SupplierCreateView.as_view(), name="supplier_create"),
    path("suppliers/<int:pk>/", views.SupplierDetailView.as_view(), name="supplier_detail"),
    path("suppliers/<int:pk>/edit/", views.SupplierUpdateView.as_view(), name="supplier_update"),
]
