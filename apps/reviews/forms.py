"""Forms of the review pages: parse input, show service errors; saving goes through services.py."""

import datetime as dt

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.deployment_models.models import DeploymentModel, ModelStatus
from apps.reviews.models import ImprovementInitiative, InitiativeStatus, ModelReview, ReviewDecision, ReviewKind
from apps.roles import definitions as roles

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def managers():
    return get_user_model().objects.filter(is_active=True, groups__name=roles.MANAGER).order_by("username").distinct()


def review_people():
    """Everyone holding a role that takes part in reviews."""
    takes_part = [roles.MANAGER, roles.PRACTITIONER, roles.SERVICE_OWNER, roles.PRODUCT_OWNER]
    return get_user_model().objects.filter(is_active=True, groups__name__in=takes_part).order_by("username").distinct()


class _CrispyForm:
    """The page draws the <form> tag and its buttons; crispy draws the fields."""

    def _helper(self, testid: str):
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class ReviewCreateForm(_CrispyForm, forms.Form):
    model = forms.ModelChoiceField(
        queryset=DeploymentModel.objects.filter(status__in=[ModelStatus.ACTIVE, ModelStatus.PILOT]).order_by(
            "name", "-version"
        )
    )
    kind = forms.ChoiceField(choices=ReviewKind.choices, initial=ReviewKind.AD_HOC)
    period_start = forms.DateField(widget=DATE, help_text="First day analysed.")
    period_end = forms.DateField(widget=DATE, help_text="Last day analysed.")
    due_date = forms.DateField(widget=DATE)
    facilitator = forms.ModelChoiceField(queryset=managers(), required=False, help_text="Defaults to you.")
    participants = forms.ModelMultipleChoiceField(queryset=review_people(), required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["facilitator"].queryset = managers()
        self.fields["participants"].queryset = review_people()
        self.initial.setdefault("period_start", today - dt.timedelta(days=90))
        self.initial.setdefault("period_end", today)
        self.initial.setdefault("due_date", today + dt.timedelta(days=14))
        self._helper("review-form")


class ReviewUpdateForm(_CrispyForm, forms.ModelForm):
    """The plan while planned; the findings, lessons and decision while in progress."""

    participants = forms.ModelMultipleChoiceField(queryset=review_people(), required=False)

    class Meta:
        model = ModelReview
        fields = [
            "facilitator",
            "participants",
            "due_date",
            "period_start",
            "period_end",
            "reason",
            "findings",
            "lessons_learnt",
            "decision",
        ]
        widgets = {
            "due_date": DATE,
            "period_start": DATE,
            "period_end": DATE,
            "reason": forms.Textarea(attrs={"rows": 2}),
            "findings": forms.Textarea(attrs={"rows": 6}),
            "lessons_learnt": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        review = self.instance
        self.fields["facilitator"].queryset = managers()
        self.fields["participants"].queryset = review_people()
        if review.status == "planned":
            for name in ("findings", "lessons_learnt", "decision"):
                del self.fields[name]
        else:
            del self.fields["period_start"], self.fields["period_end"]
        self._helper("review-form")

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["participants"] = list(data.get("participants") or [])
        return data


class ReviewCompleteForm(_CrispyForm, forms.Form):
    decision = forms.ChoiceField(
        choices=[("", "— choose —"), *ReviewDecision.choices],
        help_text="Update makes a new draft version of the model; retire retires it. Either is announced to the "
        "owners of the services that use the model.",
    )
    findings = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    lessons_learnt = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._helper("review-complete-form")


class ReviewNoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label="Add a note")


class InitiativeForm(_CrispyForm, forms.ModelForm):
    class Meta:
        model = ImprovementInitiative
        fields = ["title", "description", "owner", "status", "change_request_ref"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {"change_request_ref": "Change request"}

    def __init__(self, *args, may_reassign: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = review_people()
        if not may_reassign:
            self.fields["owner"].disabled = True
        self.fields["status"].initial = InitiativeStatus.PROPOSED
        self._helper("initiative-form")

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        if self.fields["owner"].disabled:
            data.pop("owner", None)
        return data
