"""Forms of a deployment's plan beside its status: the release, the step plan and the back-out plan."""

from django import forms

from apps.deployments.models import MAX_STEP_MINUTES, StepStatus


class ReleaseForm(forms.Form):
    release_ref = forms.CharField(
        max_length=100,
        required=False,
        label="Release reference",
        help_text="Empty: the release record given when it was planned.",
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class StepRecordForm(forms.Form):
    status = forms.ChoiceField(choices=StepStatus.choices)
    note = forms.CharField(required=False, max_length=5000, label="Note", help_text="Required to skip a step: say why.")


def step_owners(deployment) -> list:
    """Who may own a step on the page: the deployment's practitioners and its manager (already read for the page)."""
    people = [*deployment.practitioners.all(), *([deployment.manager] if deployment.manager else [])]
    return list({p.pk: p for p in people if p.is_active}.values())


class StepAddForm(forms.Form):
    """A step added by hand; its owner is one of the people on the deployment (`people`)."""

    title = forms.CharField(max_length=200)
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    expected_minutes = forms.IntegerField(min_value=1, max_value=MAX_STEP_MINUTES, required=False, label="Minutes")

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.people = {p.pk: p for p in people}
        self.fields["owner"].choices = [("", "—")] + [
            (p.pk, p.get_full_name() or p.username) for p in self.people.values()
        ]

    def clean_owner(self):
        pk = self.cleaned_data.get("owner")
        return self.people.get(pk) if pk is not None else None


class BackOutPlanForm(forms.Form):
    back_out_plan = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Back-out plan")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
