"""Forms of the findings pages: parse input and show the services' refusals; saving goes through services.py."""

from django import forms

from apps.reports.findings.workflow import owner_candidates
from apps.reports.models import Severity, SubjectType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditFindingForm(forms.Form):
    subject_type = forms.ChoiceField(choices=SubjectType.choices, label="About a")
    subject_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, label="Its id")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.MEDIUM)
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=20000)
    owner = forms.ModelChoiceField(queryset=owner_candidates(), help_text="Who is to remedy it.")
    due_date = forms.DateField(widget=DATE, help_text="When it should be remedied by.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_candidates()


class FindingStatusForm(forms.Form):
    status = forms.ChoiceField(choices=())
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, help_text="Kept in the finding's history."
    )

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = list(choices)
