"""Forms of the findings pages: parse input and show the services' refusals; saving goes through services.py."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from apps.core.exceptions import ConflictError
from apps.reports.models import Severity, SubjectType
from apps.roles.definitions import AUDITOR, MANAGER

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_error(form: forms.Form, exc: Exception) -> None:
    """Put a service's ValidationError or ConflictError on the form, field by field where it can."""
    if isinstance(exc, ConflictError):
        form.add_error(None, exc.message)
    elif isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, getattr(exc, "messages", [str(exc)]))


def finding_owners():
    """Active users holding a role, auditors left out (unless also managers): who can be asked to remedy a finding
    (the service checks they may own it and see its subject)."""
    users = get_user_model().objects
    auditors = users.filter(groups__name=AUDITOR).exclude(groups__name=MANAGER).values("pk")
    return users.filter(is_active=True, groups__isnull=False).exclude(pk__in=auditors).distinct().order_by("username")


class AuditFindingForm(forms.Form):
    subject_type = forms.ChoiceField(choices=SubjectType.choices, label="About a")
    subject_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, label="Its id")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MEDIUM)
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=20000)
    owner = forms.ModelChoiceField(queryset=finding_owners(), help_text="Who is to remedy it.")
    due_date = forms.DateField(widget=DATE, help_text="When it should be remedied by.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = finding_owners()


class FindingStatusForm(forms.Form):
    status = forms.ChoiceField(choices=())
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, help_text="Kept in the finding's history."
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = list(choices)
