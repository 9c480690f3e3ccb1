"""Forms of the accounts pages: login, and naming a new API token."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.helper = FormHelper()
        self.helper.form_tag = False


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What will use it, e.g. “billing pipeline (GitLab)”. Shown in the timeline."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = "accounts:token_create"
        self.helper.add_input(Submit("create", "Create token"))


class NotificationPreferencesForm(forms.Form):
    """One tick box per notice kind; mandatory ones are shown ticked and cannot be changed."""

    def __init__(self, *args, preferences: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        for pref in preferences:
            help_text = "Mandatory: always sent." if pref["mandatory"] else ""
            self.fields[pref["key"]] = forms.BooleanField(
                required=False,
                initial=pref["email"],
                label=pref["label"],
                disabled=pref["mandatory"],
                help_text=help_text,
            )
        self.helper = FormHelper()
        self.helper.form_action = "accounts:notifications"
        self.helper.attrs = {"data-testid": "notification-form"}
        self.helper.add_input(Submit("save", "Save notifications"))

    def choices(self) -> dict[str, bool]:
        return {name: value for name, value in self.cleaned_data.items() if not self.fields[name].disabled}
