"""Catalog pages: services, components, versions and suppliers; thin views over selectors and services."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView, TemplateView

from apps.catalog import selectors, services
from apps.catalog.filters import ServiceFilterSet, SupplierFilterSet
from apps.catalog.forms import (
    ComponentForm,
    ComponentVersionForm,
    ServiceForm,
    SupplierForm,
    filter_helper,
)
from apps.catalog.models import ComponentVersion
from apps.core.forms import add_service_error
from apps.core.permissions import user_can

PAGE_SIZE = 50


def _found(obj):
    if obj is None:
        raise Http404("Not found.")
    return obj


def sort_links(request, fields: list[str]) -> dict[str, dict]:
    """For each sortable column: the URL that sorts by it (toggling direction) and its current direction."""
    current = request.GET.get("ordering", "")
    links = {}
    for field in fields:
        params = request.GET.copy()
        params.pop("page", None)
        params["ordering"] = f"-{field}" if current == field else field
        direction = "asc" if current == field else "desc" if current == f"-{field}" else ""
        links[field] = {"url": f"?{params.urlencode()}", "direction": direction}
    return links


class FilteredListView(LoginRequiredMixin, TemplateView):
    """A list filtered by its FilterSet (the one the API uses), sortable and paginated."""

    filterset_class = None
    sort_fields: list[str] = []

    def base_queryset(self):
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filterset = self.filterset_class(self.request.GET or None, queryset=self.base_queryset(), request=self.request)
        qs = filterset.qs if filterset.is_bound else filterset.queryset
        page = Paginator(qs, PAGE_SIZE).get_page(self.request.GET.get("page"))
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx.update(
            filterset=filterset,
            filter_helper=filter_helper(filterset.form),
            page_obj=page,
            rows=page.object_list,
            sort=sort_links(self.request, self.sort_fields),
            query_without_page=params.urlencode(),
        )
        return ctx


class ServiceFormView(LoginRequiredMixin, FormView):
    """A form whose valid data goes to one service function; its ValidationErrors come back onto the form."""

    success_message = "Saved."

    def check_permission(self) -> bool:
        return False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.load_objects()
            if not self.check_permission():
                raise PermissionDenied("You may not change this.")
        return super().dispatch(request, *args, **kwargs)

    def load_objects(self) -> None:
        """Look up the objects of the URL (404 when not there)."""

    def save(self, data: dict):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.saved = self.save(form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(self.request, self.success_message.format(obj=self.saved))
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- services --------------------------------------------------------------------------------------------------


class ServiceListView(FilteredListView):
    template_name = "catalog/service_list.html"
    filterset_class = ServiceFilterSet
    sort_fields = ["name", "criticality", "components"]

    def base_queryset(self):
        return selectors.service_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_add"] = selectors.user_may_manage_services(user=self.request.user)
        return ctx


class ServiceDetailView(LoginRequiredMixin, TemplateView):
    template_name = "catalog/service_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        service = _found(selectors.service_get(user=user, slug=kwargs["slug"]))
        ctx.update(
            service=service,
            components=selectors.components_with_versions(user=user, service=service),
            suppliers=selectors.service_suppliers(service=service),
            can_edit=selectors.user_may_manage_services(user=user),
            can_manage=selectors.user_manages_service(user=user, service=service),
        )
        return ctx


class ServiceCreateView(ServiceFormView):
    template_name = "catalog/form.html"
    form_class = ServiceForm
    success_message = "Service “{obj}” added."

    def check_permission(self):
        return user_can(self.request.user, "catalog.add_service")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": "New service",
            "cancel_url": reverse("catalog:service_list"),
        }

    def save(self, data):
        return services.service_create(actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:service_detail", args=[self.saved.slug])


class ServiceUpdateView(ServiceFormView):
    template_name = "catalog/form.html"
    form_class = ServiceForm
    success_message = "Service “{obj}” saved."

    def load_objects(self):
        self.service = _found(selectors.service_get(user=self.request.user, slug=self.kwargs["slug"]))

    def check_permission(self):
        return user_can(self.request.user, "catalog.change_service")

    def get_initial(self):
        s = self.service
        return {
            "name": s.name,
            "criticality": s.criticality,
            "description": s.description,
            "is_active": s.is_active,
            "owners": list(s.owners.all()),
            "product_owners": list(s.product_owners.all()),
        }

    def get_context_data(self, **kwargs):
        url = reverse("catalog:service_detail", args=[self.service.slug])
        return {**super().get_context_data(**kwargs), "title": f"Edit {self.service.name}", "cancel_url": url}

    def save(self, data):
        return services.service_update(service=self.service, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:service_detail", args=[self.saved.slug])


# --- components and versions -----------------------------------------------------------------------------------


class ComponentDetailView(LoginRequiredMixin, TemplateView):
    template_name = "catalog/component_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        component = _found(selectors.component_get(user=user, pk=kwargs["pk"]))
        ctx.update(
            component=component,
            versions=selectors.component_version_list(user=user, component=component),
            can_manage=selectors.user_manages_service(user=user, service=component.service),
        )
        return ctx


class ComponentCreateView(ServiceFormView):
    template_name = "catalog/form.html"
    form_class = ComponentForm
    success_message = "Component “{obj.name}” added."

    def load_objects(self):
        self.service = _found(selectors.service_get(user=self.request.user, slug=self.kwargs["slug"]))

    def check_permission(self):
        return selectors.user_manages_service(user=self.request.user, service=self.service)

    def get_context_data(self, **kwargs):
        url = reverse("catalog:service_detail", args=[self.service.slug])
        return {
            **super().get_context_data(**kwargs),
            "title": f"New component of {self.service.name}",
            "cancel_url": url,
        }

    def save(self, data):
        return services.component_create(service=self.service, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:component_detail", args=[self.saved.pk])


class ComponentUpdateView(ServiceFormView):
    template_name = "catalog/form.html"
    form_class = ComponentForm
    success_message = "Component “{obj.name}” saved."

    def load_objects(self):
        self.component = _found(selectors.component_get(user=self.request.user, pk=self.kwargs["pk"]))

    def check_permission(self):
        return selectors.user_manages_service(user=self.request.user, service=self.component.service)

    def get_initial(self):
        c = self.component
        fields = {"name": c.name, "type": c.type, "source": c.source, "description": c.description}
        return {**fields, "suppliers": list(c.suppliers.all())}

    def get_context_data(self, **kwargs):
        url = reverse("catalog:component_detail", args=[self.component.pk])
        return {**super().get_context_data(**kwargs), "title": f"Edit {self.component}", "cancel_url": url}

    def save(self, data):
        return services.component_update(component=self.component, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:component_detail", args=[self.saved.pk])


class ComponentVersionCreateView(ServiceFormView):
    template_name = "catalog/form.html"
    form_class = ComponentVersionForm
    success_message = "Version {obj.version} registered."

    def load_objects(self):
        self.component = _found(selectors.component_get(user=self.request.user, pk=self.kwargs["pk"]))

    def check_permission(self):
        return selectors.user_manages_service(user=self.request.user, service=self.component.service)

    def get_context_data(self, **kwargs):
        url = reverse("catalog:component_detail", args=[self.component.pk])
        return {**super().get_context_data(**kwargs), "title": f"New version of {self.component}", "cancel_url": url}

    def save(self, data):
        return services.component_version_create(component=self.component, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:component_detail", args=[self.component.pk])


class ComponentVersionUpdateView(ServiceFormView):
    template_name = "catalog/form.html"
    form_class = ComponentVersionForm
    success_message = "Version {obj.version} saved."

    def load_objects(self):
        self.version: ComponentVersion = _found(
            selectors.component_version_get(user=self.request.user, pk=self.kwargs["pk"])
        )

    def check_permission(self):
        return selectors.user_manages_service(user=self.request.user, service=self.version.component.service)

    def get_initial(self):
        v = self.version
        return {"version": v.version, "repository_ref": v.repository_ref, "checksum": v.checksum, "notes": v.notes}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        used = selectors.component_version_frozen_by(component_version=self.version)
        if used is not None:
            # what was approved is shown, not offered for editing (the service refuses a change all the same)
            status = used["status"].replace("_", " ")
            for name in selectors.FROZEN_FIELDS:
                form.fields[name].disabled = True
                form.fields[name].help_text = (
                    f"Frozen: {used['reference']} ({status}) carries this version. Register a correction as a new "
                    "version."
                )
        return form

    def get_context_data(self, **kwargs):
        url = reverse("catalog:component_detail", args=[self.version.component_id])
        return {**super().get_context_data(**kwargs), "title": f"Edit {self.version}", "cancel_url": url}

    def save(self, data):
        return services.component_version_update(component_version=self.version, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:component_detail", args=[self.version.component_id])


# --- suppliers -------------------------------------------------------------------------------------------------


class SupplierListView(FilteredListView):
    template_name = "catalog/supplier_list.html"
    filterset_class = SupplierFilterSet
    sort_fields = ["name", "kind", "components"]

    def base_queryset(self):
        return selectors.supplier_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_add"] = user_can(self.request.user, "catalog.add_supplier")
        return ctx


class SupplierDetailView(LoginRequiredMixin, TemplateView):
    template_name = "catalog/supplier_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        supplier = _found(selectors.supplier_get(user=user, pk=kwargs["pk"]))
        ctx.update(
            supplier=supplier,
            components=selectors.component_list(user=user).filter(suppliers=supplier),
            can_edit=user_can(user, "catalog.change_supplier"),
        )
        return ctx


class SupplierCreateView(ServiceFormView):
    template_name = "catalog/form.html"
    form_class = SupplierForm
    success_message = "Supplier “{obj}” added."

    def check_permission(self):
        return user_can(self.request.user, "catalog.add_supplier")

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "title": "New supplier",
            "cancel_url": reverse("catalog:supplier_list"),
        }

    def save(self, data):
        return services.supplier_create(actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:supplier_detail", args=[self.saved.pk])


class SupplierUpdateView(ServiceFormView):
    template_name = "catalog/form.html"
    form_class = SupplierForm
    success_message = "Supplier “{obj}” saved."

    def load_objects(self):
        self.supplier = _found(selectors.supplier_get(user=self.request.user, pk=self.kwargs["pk"]))

    def check_permission(self):
        return user_can(self.request.user, "catalog.change_supplier")

    def get_initial(self):
        s = self.supplier
        fields = {"name": s.name, "kind": s.kind, "contract_ref": s.contract_ref, "contacts": s.contacts}
        return {**fields, "components": list(s.components.all()), "contact_users": list(s.contact_users.all())}

    def get_context_data(self, **kwargs):
        url = reverse("catalog:supplier_detail", args=[self.supplier.pk])
        return {**super().get_context_data(**kwargs), "title": f"Edit {self.supplier}", "cancel_url": url}

    def save(self, data):
        return services.supplier_update(supplier=self.supplier, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:supplier_detail", args=[self.saved.pk])
