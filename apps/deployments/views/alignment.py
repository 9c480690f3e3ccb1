"""The public page where a supplier's or consumer's contact rates a completed deployment through their signed link:
no sign-in, one answer per link; an altered, expired or answered link gets a clear page, never an error."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.views import View

from apps.core.exceptions import ConflictError
from apps.core.forms import add_service_error
from apps.deployments.services.alignment import (
    LINK_DAYS,
    LinkExpired,
    LinkInvalid,
    alignment_answer,
    alignment_from_token,
)

MAX_TOKEN = 500


class AlignmentForm(forms.Form):
    rating = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        label="How well was the way it was deployed aligned with your needs? (1 not at all – 5 fully)",
    )
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class AlignmentRateView(View):
    """GET shows the question; POST records the answer once."""

    http_method_names = ["get", "post"]
    template_name = "deployments/alignment_rate.html"

    def _refusal(self, request, title: str, message: str, status: int):
        return render(request, self.template_name, {"title": title, "message": message}, status=status)

    def _request(self, request, token: str):
        if len(token) > MAX_TOKEN:
            raise LinkInvalid
        return alignment_from_token(token)

    def _answer_page(self, request, token: str, form=None, status: int = 200):
        try:
            rating = self._request(request, token)
        except LinkExpired:
            return self._refusal(
                request, "This link has expired", f"Links to rate a deployment work for {LINK_DAYS} days.", 410
            )
        except LinkInvalid:
            return self._refusal(
                request, "This link is not valid", "Check that the whole address from the e-mail was used.", 400
            )
        if rating.answered:
            return self._refusal(request, "Already answered", "This link has already been answered. Thank you.", 409)
        ctx = {"rating": rating, "deployment": rating.deployment, "form": form or AlignmentForm(), "token": token}
        return render(request, self.template_name, ctx, status=status)

    def get(self, request, token: str):
        return self._answer_page(request, token)

    def post(self, request, token: str):
        form = AlignmentForm(request.POST)
        if not form.is_valid():
            return self._answer_page(request, token, form=form, status=400)
        try:
            alignment_answer(token=token[: MAX_TOKEN + 1], **form.cleaned_data)
        except (LinkExpired, LinkInvalid, ConflictError):
            return self._answer_page(request, token)  # the same clear page as on GET
        except ValidationError as exc:
            add_service_error(form, exc)
            return self._answer_page(request, token, form=form, status=400)
        return render(request, self.template_name, {"title": "Thank you", "message": "Your rating is recorded."})
