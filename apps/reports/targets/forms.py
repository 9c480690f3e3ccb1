"""The KPI target form (metric, target, amber band, or clear): parsing only, the service validates and saves."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.urls import reverse

from apps.reports.selectors.kpi_goals import SUCCESS_FACTORS, goal_of
from apps.reports.selectors.kpi_metrics import METRICS


def metric_choices() -> list:
    """The metrics grouped under their success factor, as <optgroup>s."""
    groups: dict[str, list] = {key: [] for key in SUCCESS_FACTORS}
    for key, metric in METRICS.items():
        groups[goal_of(key).factor].append((key, f"{metric.label} ({metric.unit})"))
    return [(SUCCESS_FACTORS[factor].title, choices) for factor, choices in groups.items()]


class KpiTargetForm(forms.Form):
    metric = forms.ChoiceField(label="Indicator")
    target = forms.FloatField(required=False, help_text="In the indicator's unit.")
    amber_band = forms.FloatField(
        required=False,
        min_value=0,
        label="Amber band",
        help_text="How far past the target is still amber; empty: the indicator's default.",
    )
    clear = forms.BooleanField(required=False, label="Remove the target")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = metric_choices()
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_action = reverse("reports:kpi_targets")
        self.helper.attrs = {"data-testid": "kpi-target-form", "aria-label": "Set a KPI target"}
        self.helper.layout = Layout(
            Row(
                Column("metric", css_class="col-md-4"),
                Column("target", css_class="col-md-2"),
                Column("amber_band", css_class="col-md-2"),
                Column("clear", css_class="col-md-2 pt-md-4"),
                Column(Submit("", "Save target", css_class="btn-sm mt-md-4"), css_class="col-md-2"),
            )
        )

    def clean(self):
        data = super().clean()
        if not data.get("clear") and data.get("target") is None and "target" not in self.errors:
            self.add_error("target", "Give the target, or tick “Remove the target”.")
        return data
