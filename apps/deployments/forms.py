"""Forms of the deployment pages: they parse input and hand it to the services; errors come back onto them."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q

from apps.catalog.models import ComponentVersion, Service, Supplier
from apps.catalog.selectors import services_for_requester
from apps.core.forms import add_service_error
from apps.deployment_models.models import DeploymentModel, Trigger
from apps.deployment_models.selectors import models_applicable
from apps.deployments.models import Action, CheckResult, Deployment, Severity
from apps.deployments.permissions import is_manager
from apps.environments.models import Environment

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
PLAN_FIELDS = [
    "title",
    "action",
    "trigger",
    "service",
    "model",
    "environment",
    "component_versions",
    "planned_start",
    "planned_end",
    "change_ref",
    "release_ref",
    "requirements",
    "acceptance_criteria",
    "supplier",
    "is_rollback",
    "back_out_plan",
]
MANAGER_FIELDS = ["manager", "practitioners"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


class VersionSelect(forms.SelectMultiple):
    """A multi-select whose options carry their service, so the page script can narrow them to the chosen one."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex=subindex, attrs=attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-service"] = str(instance.component.service_id)
        return option


class VersionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: ComponentVersion) -> str:
        return f"{obj.component.service.name} · {obj.component.name} {obj.version}"


def _person(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


class DeploymentForm(forms.Form):
    """The plan of a deployment (create and edit). Managers also assign the manager and the practitioners."""

    title = forms.CharField(max_length=200)
    action = forms.ChoiceField(choices=Action.choices, initial=Action.DEPLOY)
    trigger = forms.ChoiceField(choices=Trigger.choices, initial=Trigger.RELEASE)
    service = forms.ModelChoiceField(queryset=None)
    model = forms.ModelChoiceField(queryset=None, required=False, label="Deployment model")
    environment = forms.ModelChoiceField(
        queryset=Environment.objects.filter(is_active=True), label="Target environment"
    )
    component_versions = VersionChoiceField(
        queryset=None, required=False, widget=VersionSelect(attrs={"size": 6}), help_text="Of the chosen service."
    )
    planned_start = forms.DateTimeField(required=False, widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL])
    planned_end = forms.DateTimeField(required=False, widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL])
    change_ref = forms.CharField(max_length=100, required=False, label="Change record")
    release_ref = forms.CharField(max_length=100, required=False, label="Release record")
    requirements = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    acceptance_criteria = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="One acceptance check per line."
    )
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.all(), required=False)
    is_rollback = forms.BooleanField(
        required=False,
        label="Stated rollback",
        help_text="Deploying an older version than the one in the environment, on purpose.",
    )
    back_out_plan = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Back-out plan",
        help_text="How to undo it. Left empty, the model's rollback procedure is copied in.",
    )
    manager = forms.ModelChoiceField(queryset=None, required=False, label="Deployment manager")
    practitioners = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )

    def __init__(self, *args, user, deployment: Deployment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.deployment = user, deployment
        self.fields["change_ref"].help_text = (
            f"The authorised change, in the format {settings.DEPLOYDESK_CHANGE_REF_PATTERN}; "
            "a stage may require it before approval."
        )
        keep = Q(pk__in=services_for_requester(user=user).values("pk"))
        if deployment is not None:
            keep |= Q(pk=deployment.service_id)
        self.fields["service"].queryset = Service.objects.filter(keep).order_by("name")
        keep_model = Q(pk__in=models_applicable().values("pk"))
        if deployment is not None and deployment.model_id:
            keep_model |= Q(pk=deployment.model_id)
        self.fields["model"].queryset = DeploymentModel.objects.filter(keep_model).order_by("name", "-version")
        self.fields["component_versions"].queryset = (
            ComponentVersion.objects.filter(component__service__in=self.fields["service"].queryset.values("pk"))
            .select_related("component__service")
            .order_by("component__service__name", "component__name", "-created_at")
        )
        self.is_manager = is_manager(user)
        if self.is_manager:
            users = get_user_model().objects.filter(is_active=True).order_by("username")
            self.fields["manager"].queryset = users.filter(groups__name="Deployment manager").distinct()
            self.fields["practitioners"].queryset = users.filter(groups__name="Deployment practitioner").distinct()
            self.fields["manager"].label_from_instance = _person
            self.fields["practitioners"].label_from_instance = _person
        else:
            del self.fields["manager"]
            del self.fields["practitioners"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = self._layout()

    def _layout(self) -> Layout:
        def row(*names, widths=()):
            present = [n for n in names if n in self.fields]
            sizes = list(widths) or [12 // max(len(present), 1)] * len(present)
            return Row(*[Column(n, css_class=f"col-md-{w}") for n, w in zip(present, sizes, strict=True)]) or None

        parts = [
            row("title", "action", "trigger", widths=(6, 2, 4)),
            row("service", "model", "environment"),
            "component_versions",
            row("planned_start", "planned_end"),
            row("change_ref", "release_ref", "supplier"),
            row("requirements", "acceptance_criteria"),
            "is_rollback",
            "back_out_plan",
            row("manager", "practitioners") if "manager" in self.fields else None,
            "handover_note" if "handover_note" in self.fields else None,
            "version" if "version" in self.fields else None,
        ]
        return Layout(*[p for p in parts if p is not None])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", "The planned end must be after the planned start.")
        if bool(start) != bool(end):
            self.add_error("planned_end" if start else "planned_start", "Give both the planned start and end.")
        service = cleaned.get("service")
        for version in cleaned.get("component_versions") or []:
            if service is not None and version.component.service_id != service.pk:
                self.add_error("component_versions", f"{version.component.name} {version.version} is not of {service}.")
        return cleaned

    def service_data(self) -> dict:
        """The cleaned values the services take (model fields; m2m as lists)."""
        data = {name: self.cleaned_data[name] for name in PLAN_FIELDS}
        data["component_versions"] = list(data["component_versions"])
        if self.is_manager:
            data["manager"] = self.cleaned_data.get("manager")
            data["practitioners"] = list(self.cleaned_data.get("practitioners") or [])
        return data

    @classmethod
    def initial_for(cls, deployment: Deployment) -> dict:
        initial = {name: getattr(deployment, name) for name in PLAN_FIELDS if name != "component_versions"}
        initial["component_versions"] = list(deployment.component_versions.all())
        initial["manager"] = deployment.manager
        initial["practitioners"] = list(deployment.practitioners.all())
        return initial

    def apply_errors(self, exc: ValidationError) -> None:
        add_service_error(self, exc)


class DeploymentEditForm(DeploymentForm):
    """Editing carries the version the user read, so a concurrent save is refused rather than overwritten."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    handover_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For the service desk: knowledge-base and onboarding updates.",
    )

    def service_data(self) -> dict:
        data = super().service_data()
        data["handover_note"] = self.cleaned_data.get("handover_note", "")
        return data

    @classmethod
    def initial_for(cls, deployment: Deployment) -> dict:
        initial = super().initial_for(deployment)
        initial["version"] = deployment.version
        initial["handover_note"] = deployment.handover_note
        return initial


class HandoverForm(forms.Form):
    """The handover note for the service desk and the knowledge articles it links (one address a line)."""

    handover_note = forms.CharField(
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For the service desk: knowledge-base and onboarding updates. Required in production.",
    )
    knowledge_links = forms.CharField(
        required=False,
        max_length=40000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Knowledge articles",
        help_text="http(s) addresses, one a line.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    @classmethod
    def for_deployment(cls, deployment: Deployment, data=None) -> "HandoverForm":
        initial = {
            "handover_note": deployment.handover_note,
            "knowledge_links": "\n".join(deployment.knowledge_links),
            "version": deployment.version,
        }
        return cls(data, initial=initial, auto_id="handover-%s")


class TransitionForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        label="Override justification",
        help_text="Deployment managers only: overrides conflicts and gates, counted as a compliance exception.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CheckRecordForm(forms.Form):
    result = forms.ChoiceField(choices=[c for c in CheckResult.choices if c[0] != CheckResult.PENDING])
    evidence = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=10000,
        help_text="Needed to pass a required check (what was verified, and how); for N/A, the reason.",
    )
    observed_checksum = forms.CharField(required=False, max_length=64, label="Observed SHA-256")


class CommentForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class PilotConfirmForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        required=False,
        help_text="What you saw while overseeing this run (optional).",
    )


class IncidentForm(forms.Form):
    incident_ref = forms.CharField(max_length=100, label="Incident reference")
    title = forms.CharField(max_length=200, required=False)
    severity = forms.CharField(max_length=10, required=False)
    opened_at = forms.DateTimeField(
        required=False, widget=DateTimeLocalInput(), input_formats=[DATETIME_LOCAL], label="Opened at"
    )


class IncidentResolveForm(forms.Form):
    resolved_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_LOCAL],
        label="Resolved at",
        help_text="When the service was restored; empty means now.",
    )


class IncidentWithdrawForm(forms.Form):
    reason = forms.CharField(max_length=1000, label="Why it is withdrawn")


class ProblemForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MEDIUM)


RATINGS = [(n, str(n)) for n in range(1, 6)]


class FeedbackForm(forms.Form):
    rating_lead_time = forms.TypedChoiceField(choices=RATINGS, coerce=int, label="Lead time (1–5)")
    rating_quality = forms.TypedChoiceField(choices=RATINGS, coerce=int, label="Quality (1–5)")
    rating_rate_of_change = forms.TypedChoiceField(
        choices=[("", "Not answered"), *RATINGS],
        coerce=int,
        empty_value=None,
        required=False,
        label="Rate of change (1–5)",
        help_text="How satisfied you are with how often this service is changed.",
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
