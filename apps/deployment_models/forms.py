"""Forms of the deployment-model pages: parse input, show service errors; saving goes through services.py."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms

from apps.catalog.models import ComponentSource, ComponentType
from apps.deployment_models.models import (
    MAX_APPROVALS,
    MAX_REVIEW_INTERVAL_MONTHS,
    MAX_STAGE_ORDER,
    SELECTION_FACTORS,
    DeploymentModel,
    ModelStage,
    Responsibility,
    Trigger,
)
from apps.environments.models import Environment

DIMENSIONS = [
    "dimension_organisations_people",
    "dimension_information_technology",
    "dimension_value_streams_processes",
    "dimension_partners_suppliers",
]


def _textarea(rows=3):
    return forms.Textarea(attrs={"rows": rows})


class DeploymentModelForm(forms.ModelForm):
    component_types = forms.MultipleChoiceField(
        choices=ComponentType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty to cover every type.",
    )
    component_sources = forms.MultipleChoiceField(
        choices=ComponentSource.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty to cover every source.",
    )
    triggers = forms.MultipleChoiceField(choices=Trigger.choices, required=False, widget=forms.CheckboxSelectMultiple)
    review_interval_months = forms.IntegerField(min_value=1, max_value=MAX_REVIEW_INTERVAL_MONTHS, initial=3)

    class Meta:
        model = DeploymentModel
        fields = [
            "name",
            "description",
            "owner",
            "component_types",
            "component_sources",
            "automation_level",
            *DIMENSIONS,
            "triggers",
            "rollback_procedure",
            "rollback_rehearsed_on",
            "review_interval_months",
        ]
        widgets = {
            "description": _textarea(),
            **{name: _textarea() for name in DIMENSIONS},
            "rollback_procedure": _textarea(4),
            "rollback_rehearsed_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        factors = self.instance.selection_factors if isinstance(self.instance.selection_factors, dict) else {}
        for key, label in SELECTION_FACTORS:
            self.fields[f"factor_{key}"] = forms.CharField(
                label=label, required=False, max_length=2000, widget=_textarea(2), initial=factors.get(key, "")
            )
        if self.instance.pk and (self.instance.previous_version_id or self.instance.next_versions.exists()):
            self.fields["name"].disabled = True
            self.fields["name"].help_text = "Every version of a model shares its name."
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset("The model", "name", "description", "owner", "automation_level"),
            Fieldset("What it covers", "component_types", "component_sources", "triggers"),
            Fieldset("The four dimensions of service management", *DIMENSIONS),
            Fieldset("Selection factors (why this model)", *[f"factor_{key}" for key, _ in SELECTION_FACTORS]),
            Fieldset("Rollback and review", "rollback_procedure", "rollback_rehearsed_on", "review_interval_months"),
        )

    def _post_clean(self):
        # The service validates the whole model (and names across versions); skip the instance round-trip here.
        pass

    def service_kwargs(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
        if self.fields["name"].disabled:
            data.pop("name", None)
        data["selection_factors"] = {
            key: text for key, _ in SELECTION_FACTORS if (text := self.cleaned_data.get(f"factor_{key}", "").strip())
        }
        return data


class ModelStageForm(forms.ModelForm):
    order = forms.IntegerField(
        min_value=1, max_value=MAX_STAGE_ORDER, required=False, help_text="Position in the flow; empty = last."
    )
    approvals_required = forms.IntegerField(
        min_value=0,
        max_value=MAX_APPROVALS,
        required=False,
        help_text="Empty: 0 for a pre-approved stage, else 1. A service-owner sign-off counts as one of them.",
    )

    class Meta:
        model = ModelStage
        fields = [
            "environment",
            "order",
            "approvals_required",
            "requires_service_owner_approval",
            "pre_approved",
            "requires_change_ref",
            "extra_approval_risk_threshold",
            "entry_criteria",
            "exit_criteria",
            "acceptance_criteria",
        ]
        widgets = {"entry_criteria": _textarea(2), "exit_criteria": _textarea(2), "acceptance_criteria": _textarea(3)}

    def __init__(self, *args, submit_label="Add stage", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["environment"].queryset = Environment.objects.filter(is_active=True).order_by("order", "name")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("save", submit_label, css_class="btn-primary"))

    def _post_clean(self):
        pass

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}


class ResponsibilityForm(forms.ModelForm):
    class Meta:
        model = Responsibility
        fields = ["activity", "role", "raci"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["raci"].label = "RACI"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("save", "Add", css_class="btn-primary"))

    def _post_clean(self):
        pass
