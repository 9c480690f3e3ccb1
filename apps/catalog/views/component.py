"""The component pages: a component with its versions, and the forms that add and edit components and register and
correct their versions (deployment managers and the service's owners)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.views.generic import TemplateView

from apps.catalog import selectors, services
from apps.catalog.forms import ComponentForm, ComponentVersionForm
from apps.catalog.models import ComponentVersion
from apps.catalog.views.common import ServiceFormView, found
from apps.catalog.views.service import ServiceFormMixin


class ComponentDetailView(LoginRequiredMixin, TemplateView):
    template_name = "catalog/component_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        component = found(selectors.component_get(user=user, pk=kwargs["pk"]))
        ctx.update(
            component=component,
            versions=selectors.component_version_list(user=user, component=component),
            can_manage=selectors.user_manages_service(user=user, service=component.service),
        )
        return ctx


class ComponentCreateView(ServiceFormMixin, ServiceFormView):
    form_class = ComponentForm
    success_message = "Component “{obj.name}” added."

    def check_permission(self):
        return selectors.user_manages_service(user=self.request.user, service=self.service)

    def get_title(self):
        return f"New component of {self.service.name}"

    def save(self, data):
        return services.component_create(service=self.service, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:component_detail", args=[self.saved.pk])


class ComponentFormMixin:
    """A form about the component of the URL (its service's managers), cancelled back to the component's page."""

    def load_objects(self):
        self.component = found(selectors.component_get(user=self.request.user, pk=self.kwargs["pk"]))

    def check_permission(self):
        return selectors.user_manages_service(user=self.request.user, service=self.component.service)

    def get_cancel_url(self):
        return reverse("catalog:component_detail", args=[self.component.pk])


class ComponentUpdateView(ComponentFormMixin, ServiceFormView):
    form_class = ComponentForm
    success_message = "Component “{obj.name}” saved."

    def get_initial(self):
        c = self.component
        fields = {"name": c.name, "type": c.type, "source": c.source, "description": c.description}
        return {**fields, "suppliers": list(c.suppliers.all())}

    def get_title(self):
        return f"Edit {self.component}"

    def save(self, data):
        return services.component_update(component=self.component, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:component_detail", args=[self.saved.pk])


class ComponentVersionCreateView(ComponentFormMixin, ServiceFormView):
    form_class = ComponentVersionForm
    success_message = "Version {obj.version} registered."

    def get_title(self):
        return f"New version of {self.component}"

    def save(self, data):
        return services.component_version_create(component=self.component, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:component_detail", args=[self.component.pk])


class ComponentVersionUpdateView(ServiceFormView):
    form_class = ComponentVersionForm
    success_message = "Version {obj.version} saved."

    def load_objects(self):
        self.version: ComponentVersion = found(
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

    def get_title(self):
        return f"Edit {self.version}"

    def get_cancel_url(self):
        return reverse("catalog:component_detail", args=[self.version.component_id])

    def save(self, data):
        return services.component_version_update(component_version=self.version, actor=self.request.user, **data)

    def get_success_url(self):
        return reverse("catalog:component_detail", args=[self.version.component_id])
