"""The page where managers and a service's owners set its stakeholders (service desk, consumers, suppliers)."""

from django.urls import reverse

from apps.catalog import selectors, services_stakeholders
from apps.catalog.forms import ServiceStakeholdersForm
from apps.catalog.views import ServiceFormView, _found


class ServiceStakeholdersView(ServiceFormView):
    """The service desk's address and the consumers' and suppliers' contacts: managers and the service's owners."""

    template_name = "catalog/form.html"
    form_class = ServiceStakeholdersForm
    success_message = "Stakeholders of “{obj}” saved."

    def load_objects(self):
        self.service = _found(selectors.service_get(user=self.request.user, slug=self.kwargs["slug"]))

    def check_permission(self):
        return selectors.user_manages_service(user=self.request.user, service=self.service)

    def get_initial(self):
        s = self.service
        return {
            "service_desk_email": s.service_desk_email,
            "consumer_contacts": "\n".join(s.consumer_contacts),
            "supplier_contacts": "\n".join(s.supplier_contacts),
        }

    def get_context_data(self, **kwargs):
        url = reverse("catalog:service_detail", args=[self.service.slug])
        return {
            **super().get_context_data(**kwargs),
            "title": f"Stakeholders of {self.service.name}",
            "cancel_url": url,
        }

    def save(self, data):
        return services_stakeholders.service_stakeholders_set(service=self.service, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:service_detail", args=[self.saved.slug])
