"""The service pages: the list, a service with its components and suppliers, and the forms that add a service, edit
it and set its stakeholders."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.views.generic import TemplateView

from apps.catalog import selectors, services
from apps.catalog.filters import ServiceFilterSet
from apps.catalog.forms import ServiceForm, ServiceStakeholdersForm
from apps.catalog.views.common import FilteredListView, ServiceFormView, found
from apps.core.permissions import user_can


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
        service = found(selectors.service_get(user=user, slug=kwargs["slug"]))
        ctx.update(
            service=service,
            components=selectors.components_with_versions(user=user, service=service),
            suppliers=selectors.service_suppliers(service=service),
            can_edit=selectors.user_may_manage_services(user=user),
            can_manage=selectors.user_manages_service(user=user, service=service),
        )
        return ctx


class ServiceFormMixin:
    """A form about the service of the URL's slug, cancelled back to the service's page."""

    def load_objects(self):
        self.service = found(selectors.service_get(user=self.request.user, slug=self.kwargs["slug"]))

    def get_cancel_url(self):
        return reverse("catalog:service_detail", args=[self.service.slug])


class ServiceCreateView(ServiceFormView):
    form_class = ServiceForm
    success_message = "Service “{obj}” added."

    def check_permission(self):
        return user_can(self.request.user, "catalog.add_service")

    def get_title(self):
        return "New service"

    def get_cancel_url(self):
        return reverse("catalog:service_list")

    def save(self, data):
        return services.service_create(actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:service_detail", args=[self.saved.slug])


class ServiceUpdateView(ServiceFormMixin, ServiceFormView):
    form_class = ServiceForm
    success_message = "Service “{obj}” saved."

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

    def get_title(self):
        return f"Edit {self.service.name}"

    def save(self, data):
        return services.service_update(service=self.service, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:service_detail", args=[self.saved.slug])


class ServiceStakeholdersView(ServiceFormMixin, ServiceFormView):
    """The service desk's address and the consumers' and suppliers' contacts: managers and the service's owners."""

    form_class = ServiceStakeholdersForm
    success_message = "Stakeholders of “{obj}” saved."

    def check_permission(self):
        return selectors.user_manages_service(user=self.request.user, service=self.service)

    def get_initial(self):
        s = self.service
        return {
            "service_desk_email": s.service_desk_email,
            "consumer_contacts": "\n".join(s.consumer_contacts),
            "supplier_contacts": "\n".join(s.supplier_contacts),
        }

    def get_title(self):
        return f"Stakeholders of {self.service.name}"

    def save(self, data):
        return services.service_stakeholders_set(service=self.service, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:service_detail", args=[self.saved.slug])
