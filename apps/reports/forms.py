"""The KPI filter form (period, environment, service, model, supplier, bucket): shared by the KPI pages and the API."""

import datetime as dt
import functools

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.http import QueryDict

from apps.catalog.models import Supplier
from apps.core.widgets import FastSelect
from apps.deployment_models.models import DeploymentModel
from apps.environments.models import Environment
from apps.reports.selectors.kpi_metrics import AUTOMATION_CHOICES, BUCKETS
from apps.reports.selectors.kpi_scope import default_period, kpi_services

EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(2999, 12, 31)
MAX_DAYS = 366 * 25


# how each long list's option reads (the model's str()), from the columns it is made of
OPTION_LABELS = {
    "environment": ("name",),
    "service": ("name",),
    "model": ("name", "version"),
    "supplier": ("name",),
}


def _options(queryset, empty_label: str, columns: tuple[str, ...]) -> list[tuple]:
    """A filter list's options: the empty choice, then (id, label) in the queryset's order, read as rows (a model's
    JSON fields and instances cost the page more than drawing it)."""
    rows = queryset.values_list("pk", *columns)
    if columns == ("name", "version"):
        return [("", empty_label), *((pk, DeploymentModel.label(name, version)) for pk, name, version in rows)]
    return [("", empty_label), *rows]


class KpiFilterForm(forms.Form):
    """Parses `from`, `to` (dates, inclusive; the last 90 days by default), `environment`, `service`, `model` and
    `supplier` (ids), `automation_level` (the model's: manual, automated, partly_automated, fully_automated) and
    `bucket` (week or month). Services are limited to those whose KPIs the user may see."""

    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    environment = forms.ModelChoiceField(queryset=Environment.objects.none(), required=False, empty_label="Any")
    service = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any")
    model = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any", label="Deployment model")
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.none(), required=False, empty_label="Any")
    automation_level = forms.ChoiceField(choices=[("", "Any"), *AUTOMATION_CHOICES], required=False, label="Automation")
    bucket = forms.ChoiceField(
        choices=[(b, b.capitalize()) for b in BUCKETS], required=False, label="Trend per", initial="week"
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["environment"].queryset = Environment.objects.order_by("order", "name")
        self.fields["service"].queryset = kpi_services(user=user).order_by("name")
        self.fields["model"].queryset = DeploymentModel.objects.order_by("name", "version")
        self.fields["supplier"].queryset = Supplier.objects.order_by("name")
        for name, label in OPTION_LABELS.items():
            # the same markup as Select without a template per option (500 services cost the page ~100 ms), its
            # options read as (id, label) rows when the form is drawn, not as model instances (the API never draws it)
            field = self.fields[name]
            field.widget = FastSelect(attrs=field.widget.attrs)
            field.widget.choices = functools.partial(_options, field.queryset, field.empty_label, label)
        period = default_period()
        self.fields["start"].initial, self.fields["end"].initial = period.first, period.last
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "mb-3"
        self.helper.attrs = {"data-testid": "kpi-filter", "aria-label": "Filter the KPIs"}
        self.helper.layout = Layout(
            Row(
                Column("start", css_class="col-sm-2"),
                Column("end", css_class="col-sm-2"),
                Column("environment", css_class="col-sm-2"),
                Column("service", css_class="col-sm-2"),
                Column("model", css_class="col-sm-2"),
                Column("supplier", css_class="col-sm-2"),
                Column("automation_level", css_class="col-sm-2"),
            ),
            Row(
                Column("bucket", css_class="col-sm-2"),
                Column(Submit("", "Apply", css_class="btn-sm mt-4"), css_class="col-sm-2"),
            ),
        )

    def add_prefix(self, field_name):
        # the query string says `from` and `to` (DESIGN.md §5), which are Python keywords
        return {"start": "from", "end": "to"}.get(field_name, field_name)

    def clean(self):
        data = super().clean()
        period = default_period()
        start, end = data.get("start"), data.get("end")
        if "start" in self.errors or "end" in self.errors:
            return data
        if start is None and end is not None:
            start = end - (period.last - period.first)
        start, end = start or period.first, end or period.last
        for key, value in (("start", start), ("end", end)):
            if not EARLIEST <= value <= LATEST:
                self.add_error(key, f"Give a date between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}.")
        if self.errors:
            return data
        if end < start:
            self.add_error("end", "The end of the period must not be before its start.")
        elif (end - start).days > MAX_DAYS:
            self.add_error("end", "The period may be at most 25 years long.")
        data["start"], data["end"] = start, end
        data["bucket"] = data.get("bucket") or "week"
        return data

    def filters(self) -> dict:
        """Keyword arguments for kpi_report / kpi_trend / kpi_drilldown."""
        d = self.cleaned_data
        return {
            "start": d["start"],
            "end": d["end"],
            "environment": d.get("environment"),
            "service": d.get("service"),
            "model": d.get("model"),
            "supplier": d.get("supplier"),
            "automation_level": d.get("automation_level") or None,
        }

    def query_string(self) -> str:
        q = QueryDict(mutable=True)
        d = self.cleaned_data
        q["from"], q["to"] = d["start"].isoformat(), d["end"].isoformat()
        for key in ("environment", "service", "model", "supplier"):
            if d.get(key) is not None:
                q[key] = str(d[key].pk)
        if d.get("automation_level"):
            q["automation_level"] = d["automation_level"]
        if d.get("bucket") and d["bucket"] != "week":
            q["bucket"] = d["bucket"]
        return q.urlencode()
