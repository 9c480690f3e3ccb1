"""Forms of people: one skill of one's own, and a delegation of approval; saving goes through the services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from apps.catalog.models import ComponentType, Service
from apps.environments.models import Environment, EnvironmentKind
from apps.people.models import SkillLevel
from apps.people.selectors import deputy_candidates
from apps.roles.models import CompetencyProfile


class SkillForm(forms.Form):
    competency = forms.ChoiceField(choices=CompetencyProfile.choices)
    environment_kind = forms.ChoiceField(
        choices=[("", "Any environment kind"), *EnvironmentKind.choices], required=False, label="Environment kind"
    )
    component_type = forms.ChoiceField(
        choices=[("", "Any component type"), *ComponentType.choices], required=False, label="Component type"
    )
    level = forms.TypedChoiceField(choices=SkillLevel.choices, coerce=int, initial=SkillLevel.PRACTISED)
    note = forms.CharField(max_length=200, required=False, help_text="Optional: a certificate, a platform, a tool.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Record skill", css_class="btn-primary"))


class DelegationForm(forms.Form):
    deputy = forms.ModelChoiceField(
        queryset=deputy_candidates(), help_text="A deployment coordinator: a practitioner or another manager."
    )
    starts_at = forms.DateTimeField(label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    environments = forms.ModelMultipleChoiceField(
        queryset=Environment.objects.filter(is_active=True), required=False, widget=forms.CheckboxSelectMultiple
    )
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.all(), required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deputy"].queryset = deputy_candidates()
        self.fields["services"].queryset = Service.objects.order_by("name")
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", "Delegate", css_class="btn-primary"))
