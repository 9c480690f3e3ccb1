"""Forms of the deployment-model pages: parse input, show service errors; saving goes through services.py."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms

from apps.catalog.models import ComponentSource, ComponentType
from apps.deployment_models.models import (
    DEFAULT_PILOT_RUNS,
    MAX_APPROVALS,
    MAX_PILOT_RUNS,
    MAX_REVIEW_INTERVAL_MONTHS,
    MAX_STAGE_ORDER,
    SELECTION_FACTORS,
    DeploymentModel,
    ModelStage,
    PilotDecision,
    PilotOutcome,
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
    pilot_runs_required = forms.IntegerField(
        min_value=1,
        max_value=MAX_PILOT_RUNS,
        initial=DEFAULT_PILOT_RUNS,
        required=False,
        label="Pilot runs required",
        help_text="Completed deployments a deployment manager confirms in the pilot before it is evaluated.",
    )

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
            "pilot_runs_required",
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
            Fieldset("Model testing", "pilot_runs_required"),
        )

    def _post_clean(self):
        # The service validates the whole model (and names across versions); skip the instance round-trip here.
        pass

    def service_kwargs(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
        if data.get("pilot_runs_required") is None:  # left empty: the model's own (or the default) stands
            data.pop("pilot_runs_required", None)
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
            "step_template",
        ]
        widgets = {
            "entry_criteria": _textarea(2),
            "exit_criteria": _textarea(2),
            "acceptance_criteria": _textarea(3),
            "step_template": _textarea(3),
        }

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


class ModelEvaluateForm(forms.Form):
    """The evaluation that ends a pilot: outcome, findings and decision."""

    outcome = forms.ChoiceField(choices=PilotOutcome.choices, widget=forms.Select(attrs={"class": "form-select"}))
    findings = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}), max_length=20_000)
    decision = forms.ChoiceField(
        choices=PilotDecision.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text="Activate: the model can then be activated. Revise: back to draft. Abandon: retired.",
    )


class ModelActivateForm(forms.Form):
    override_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        max_length=5000,
        required=False,
        label="Override reason",
        help_text="Only to activate without a finished, evaluated pilot: a compliance exception.",
    )
