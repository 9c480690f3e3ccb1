"""Forms of the environment pages: they parse input and show errors; saving goes through the services."""

import re
import zoneinfo
from functools import cache

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.environments.models import Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow

WEEKDAYS = [
    ("", "—"),
    *[
        (i, name)
        for i, name in enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
    ],
]
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name or name == "UTC"]


class EnvironmentForm(forms.ModelForm):
    class Meta:
        model = Environment
        fields = [
            "name",
            "slug",
            "kind",
            "purpose",
            "order",
            "owner",
            "controlled",
            "allows_parallel_deployments",
            "requires_maintenance_window",
            "is_active",
        ]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"slug": "Used in addresses, e.g. /environments/production/. Leave empty to derive it."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.helper = FormHelper()
        self.helper.attrs = {"data-testid": "environment-form", "novalidate": ""}
        self.helper.add_input(Submit("save", "Save environment"))

    def validate_unique(self):
        """Uniqueness is checked by the service, with clearer messages."""


class EnvironmentCheckForm(forms.ModelForm):
    class Meta:
        model = EnvironmentCheck
        fields = ["description"]
        labels = {"description": "New standing check"}

    def validate_unique(self):
        """Checked by the service."""


class ClearanceForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Practitioner")
    reason = forms.CharField(required=False, max_length=2000, help_text="Why, e.g. the training they completed.")
    expires_at = forms.DateTimeField(
        required=False,
        label="Until",
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text="Empty = until withdrawn.",
    )

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            candidates if candidates is not None else get_user_model().objects.filter(is_active=True)
        )


class _WindowForm(forms.ModelForm):
    """Start and end are read on the wall clock of the chosen time zone; the rule's fields show per recurrence."""

    start = forms.DateTimeField(
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text="In the window's time zone. For a recurring window: from when the rule holds.",
    )
    end = forms.DateTimeField(
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text="In the window's time zone. Needed for a one-off window; empty = the rule holds for ever.",
    )
    time_zone = forms.ChoiceField(
        choices=(), initial="UTC", error_messages={"invalid_choice": "“%(value)s” is not a known time zone."}
    )
    weekly_start_day = forms.TypedChoiceField(
        choices=WEEKDAYS, coerce=int, empty_value=None, required=False, label="From day"
    )
    weekly_end_day = forms.TypedChoiceField(
        choices=WEEKDAYS, coerce=int, empty_value=None, required=False, label="To day"
    )
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="ISO dates (YYYY-MM-DD), one per line or separated by commas.",
    )

    rule_fields = ["weekly_start_day", "start_time", "weekly_end_day", "end_time", "month_end_days", "holidays"]
    first_fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
        for name in ("start_time", "end_time"):
            self.fields[name].widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
        self.fields["start_time"].label = "From time"
        self.fields["end_time"].label = "To time"
        self.fields["month_end_days"].label = "Last days of the month"
        self.fields["month_end_days"].help_text = "1 to 10; the whole of each of those days."
        self.fields["recurrence"].widget.attrs["data-recurrence"] = "1"
        if self.instance.pk:
            tz = zoneinfo.ZoneInfo(self.instance.time_zone or "UTC")
            for name in ("start", "end"):
                value = getattr(self.instance, name)
                if value is not None:
                    self.initial[name] = value.astimezone(tz).replace(tzinfo=None)
        self.initial["holidays"] = "\n".join(self.instance.holidays or [])
        self.helper = FormHelper()
        self.helper.attrs = {"data-testid": "window-form", "novalidate": ""}
        self.helper.layout = Layout(
            Fieldset("", *self.first_fields, "recurrence", "time_zone", "start", "end"),
            Div(
                Div(Field("weekly_start_day"), css_class="col-sm-3"),
                Div(Field("start_time"), css_class="col-sm-3"),
                Div(Field("weekly_end_day"), css_class="col-sm-3"),
                Div(Field("end_time"), css_class="col-sm-3"),
                css_class="row rule-fields",
                data_rule="weekly",
            ),
            Div("month_end_days", css_class="rule-fields", data_rule="month_end"),
            Div("holidays", css_class="rule-fields", data_rule="holidays"),
        )
        self.helper.add_input(Submit("save", "Save window"))

    def clean_holidays(self):
        raw = self.cleaned_data.get("holidays") or ""
        return [part for part in re.split(r"[\s,;]+", raw) if part]

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("time_zone")
        if name:
            tz = zoneinfo.ZoneInfo(name)
            for field in ("start", "end"):
                value = cleaned.get(field)
                if value is not None:
                    naive = timezone.make_naive(value) if timezone.is_aware(value) else value
                    cleaned[field] = naive.replace(tzinfo=tz)
        return cleaned

    def validate_unique(self):
        """Nothing unique on windows."""

    def service_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


WINDOW_FIELDS = [
    "recurrence",
    "time_zone",
    "start",
    "end",
    "weekly_start_day",
    "start_time",
    "weekly_end_day",
    "end_time",
    "month_end_days",
    "holidays",
]


class FreezeWindowForm(_WindowForm):
    first_fields = ["name", "environment", "reason"]

    class Meta:
        model = FreezeWindow
        fields = ["name", "environment", "reason", *WINDOW_FIELDS]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["environment"].empty_label = "Every environment"
        self.fields["environment"].help_text = "Leave as “Every environment” for an organisation-wide freeze."


class MaintenanceWindowForm(_WindowForm):
    first_fields = ["name", "environment"]

    class Meta:
        model = MaintenanceWindow
        fields = ["name", "environment", *WINDOW_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["environment"].queryset = Environment.objects.order_by("order", "name")
        self.fields["environment"].help_text = "Only environments that require maintenance windows enforce them."
