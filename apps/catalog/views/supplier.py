"""The supplier pages: the list, a supplier with the components it supplies, and the forms that add and edit
suppliers (deployment managers)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.views.generic import TemplateView

from apps.catalog import selectors, services
from apps.catalog.filters import SupplierFilterSet
from apps.catalog.forms import SupplierForm
from apps.catalog.views.common import FilteredListView, ServiceFormView, found
from apps.core.permissions import user_can


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
        supplier = found(selectors.supplier_get(user=user, pk=kwargs["pk"]))
        ctx.update(
            supplier=supplier,
            components=selectors.component_list(user=user).filter(suppliers=supplier),
            can_edit=user_can(user, "catalog.change_supplier"),
        )
        return ctx


class SupplierCreateView(ServiceFormView):
    form_class = SupplierForm
    success_message = "Supplier “{obj}” added."

    def check_permission(self):
        return user_can(self.request.user, "catalog.add_supplier")

    def get_title(self):
        return "New supplier"

    def get_cancel_url(self):
        return reverse("catalog:supplier_list")

    def save(self, data):
        return services.supplier_create(actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:supplier_detail", args=[self.saved.pk])


class SupplierUpdateView(ServiceFormView):
    form_class = SupplierForm
    success_message = "Supplier “{obj}” saved."

    def load_objects(self):
        self.supplier = found(selectors.supplier_get(user=self.request.user, pk=self.kwargs["pk"]))

    def check_permission(self):
        return user_can(self.request.user, "catalog.change_supplier")

    def get_initial(self):
        s = self.supplier
        fields = {"name": s.name, "kind": s.kind, "contract_ref": s.contract_ref, "contacts": s.contacts}
        return {**fields, "components": list(s.components.all()), "contact_users": list(s.contact_users.all())}

    def get_title(self):
        return f"Edit {self.supplier}"

    def get_cancel_url(self):
        return reverse("catalog:supplier_detail", args=[self.supplier.pk])

    def save(self, data):
        return services.supplier_update(supplier=self.supplier, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:supplier_detail", args=[self.saved.pk])
