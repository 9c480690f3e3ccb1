"""The webhook form: events as checkboxes, a secret that is never shown back (empty keeps the current one)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from apps.integrations.events import EVENT_CHOICES
from apps.integrations.models import WebhookSubscription


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text="Where deliveries are POSTed.")
    events = forms.MultipleChoiceField(choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple)
    secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Signs every delivery. Never shown again; leave empty to keep the current one.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "secret", "format", "events", "service", "environment", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].required = self.instance.pk is None
        if self.instance.pk:
            self.initial["secret"] = ""
        self.fields["service"].help_text = "Only this service's deployments (empty = every service)."
        self.fields["environment"].help_text = "Only this environment's deployments and freezes (empty = all)."
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", "Save webhook"))

    def _post_clean(self):
        # the service validates the whole subscription; keep the instance's secret when the field is left empty
        secret = self.cleaned_data.get("secret")
        if not secret and self.instance.pk:
            self.cleaned_data["secret"] = self.instance.secret
        super()._post_clean()
